"""Conduct: how people may take part in a project's discussion, and who may not for now.

A project's discussion rules (per language mode) and its moderation settings, and blocking a person from
taking part, in one project or on the whole site. The rules page is public, under ``/<mode>/projects/<slug>/``;
the staff's pages are under ``/<mode>/staff/projects/<slug>/``.

Conduct stands on the staff floor beside moderation (the reports), which asks it whether a person is
blocked; conduct imports no report. What a new threshold for automatic hiding does to comments reported
already is moderation's work, asked through a hook (:func:`webapp.conduct.rules.apply_new_threshold`).
Participation asks conduct's blocks through a hook of its own (:func:`webapp.comments.rules.restriction_for`).
The app factory connects both.
"""

from flask import Blueprint

bp = Blueprint("conduct", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
