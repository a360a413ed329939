"""Moderation: readers report comments; the project's moderators work through them in the queue, and a comment
enough people reported is hidden automatically until they decide (:mod:`.autohide`).

Blocking people and a project's discussion rules and settings are conduct's (:mod:`webapp.conduct`), which
this room uses (a blocked person cannot report; the threshold for automatic hiding) and which never imports it.

Public routes live under ``/<mode>/projects/<slug>/``, the staff's under ``/<mode>/staff/projects/<slug>/``.
"""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import preferences, queue, views  # noqa: F401  (routes register on import)

    return bp
