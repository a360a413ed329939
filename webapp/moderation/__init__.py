"""Moderation: readers report comments that break the rules (the moderators' queue comes later)."""

from flask import Blueprint

bp = Blueprint("moderation", __name__, url_prefix="/<mode:mode>/projects/<slug:slug>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
