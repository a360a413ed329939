"""The audit log's pages (a project's, an organisation's, the site's): on the staff floor, as they name what the
staff acted on (projects, comments, block reasons, who runs an organisation). The kernel's :mod:`webapp.audit`
records the entries and knows none of that. The blueprint keeps the name "audit" (``audit.log`` and so on).
"""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/<mode:mode>/staff")


def blueprint() -> Blueprint:
    """The blueprint with the log pages (imported here to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
