"""Staff roles: initiators of organisations, moderators of projects, invitations.

The rows live in :mod:`.models`; who may do what is decided in :mod:`webapp.permissions` only. The staff
overview (``roles.staff``) is on this blueprint, added by :mod:`webapp.staffhome` (it shows the reports too).
"""

from flask import Blueprint

bp = Blueprint("roles", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
