"""Staff roles: initiators of organisations, moderators of projects, invitations, the staff overview.

The rows live in :mod:`.models`; who may do what is decided in :mod:`webapp.permissions` only.
"""

from flask import Blueprint

bp = Blueprint("roles", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
