"""Comments: writing, replying, rating, editing and deleting, and permalinks."""

from flask import Blueprint

bp = Blueprint("comments", __name__, url_prefix="/<mode:mode>/projects/<slug:slug>")


def blueprint() -> Blueprint:
    """The blueprint with its routes, and the template filter and globals every page's discussion parts use
    (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes, filter and globals register on import)

    return bp
