"""Static pages: imprint, privacy, accessibility statement, Leichte Sprache, sign language."""

from flask import Blueprint

bp = Blueprint("pages", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
