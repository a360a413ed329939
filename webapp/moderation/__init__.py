"""Moderation: readers report comments; the project's moderators work through them in the queue.

Public routes live under ``/<mode>/projects/<slug>/``, the staff's under ``/<mode>/staff/projects/<slug>/``.
"""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import conduct, preferences, queue, views  # noqa: F401  (routes register on import)

    return bp
