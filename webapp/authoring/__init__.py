"""Authoring: the dashboard where a city's staff set up a consultation (issue 17).

Creating a project for an organisation from a starter (:mod:`.starter`), its texts in the three
language modes, the checklist of what a project still lacks, and publishing it. Every change is a
command in :mod:`.services` (actor, ``require``, change, audit entry), called by the views here and,
later, by the importer, the CLI and the demo loader alike.

Authoring stands on the top floor: it writes what the content rooms (projects, phases, documents) hold,
and nothing below imports it. Its pages are under ``/<mode>/staff/``, never page-cached or stored.
"""

from flask import Blueprint

bp = Blueprint("authoring", __name__, url_prefix="/<mode:mode>")


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp
