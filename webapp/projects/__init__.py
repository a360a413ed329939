"""Projects: the home page's list, a project's page and its background page."""

from flask import Blueprint

bp = Blueprint("projects", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
