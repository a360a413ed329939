"""Adding, changing and removing a project's phases: commands (actor, ``require``, change, audit entry).

Phases follow one another: one may end before the next starts, never after it (two phases at once would make
"what readers may do now" ambiguous). Times are stored in UTC; authors enter and read them in Berlin time.
The caller's ``db.transaction()`` commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from .. import audit, db, permissions
from ..i18n import FALLBACK_KEY
from ..i18n import gettext as _
from ..localized import write_texts
from .models import PHASE_KINDS, Phase, PhaseText


class PhaseError(Exception):
    """A refusal with a message for the person acting, and the field it is about."""

    def __init__(self, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class PhaseInput:
    """What a phase is: its kind, start and end (aware), and its title and description by mode key (``None``:
    no version in that mode)."""

    kind: str
    starts_at: datetime
    ends_at: datetime
    texts: dict[str, Optional[dict[str, str]]]


def _same_minute(stored: datetime, entered: datetime) -> bool:
    """Whether ``entered`` (typed to the minute) is ``stored`` as shown: 23:59:59 is shown and sent as 23:59."""
    return stored.replace(second=0, microsecond=0) == entered.replace(second=0, microsecond=0)


def _check(project, values: PhaseInput, phase: Optional[Phase] = None) -> None:
    if values.kind not in PHASE_KINDS:
        raise PhaseError(_("Please choose what readers can do in this phase."), "kind")
    if values.ends_at <= values.starts_at:
        raise PhaseError(_("The end must come after the start."), "ends_on")
    for other in project.phases:
        if other is phase:
            continue
        if other.starts_at < values.ends_at and values.starts_at < other.ends_at:
            raise PhaseError(_("This phase would overlap the phase “%(title)s”. Phases follow one another: please "
                               "choose dates before or after it.", title=other.localized(FALLBACK_KEY).text.title),
                             "starts_on")


@permissions.command
def add_phase(actor, project, values: PhaseInput) -> Phase:
    """A new phase of ``project``. Raises :class:`PhaseError` for an end before the start or an overlap;
    refused unless ``actor`` may author the project."""
    permissions.require(audit.may("phase.add", actor, project))
    _check(project, values)
    phase = Phase(project_id=project.id, kind=values.kind, starts_at=values.starts_at, ends_at=values.ends_at)
    write_texts(phase, PhaseText, values.texts)
    project.phases.append(phase)
    db.session().add(phase)
    db.session().flush()
    audit.record(actor, "phase.add", "phase", phase.id, project_id=project.id, organisation_id=project.organisation_id,
                 kind=values.kind, title=values.texts[FALLBACK_KEY]["title"])
    return phase


@permissions.command
def edit_phase(actor, project, phase: Phase, values: PhaseInput) -> bool:
    """Change ``phase`` of ``project``; True (and an audit entry) if anything changed. A time shown to the minute
    and sent back unchanged stays as stored. Raises :class:`PhaseError` as :func:`add_phase` does."""
    permissions.require(audit.may("phase.edit", actor, project))
    starts_at = phase.starts_at if _same_minute(phase.starts_at, values.starts_at) else values.starts_at
    ends_at = phase.ends_at if _same_minute(phase.ends_at, values.ends_at) else values.ends_at
    values = PhaseInput(values.kind, starts_at, ends_at, values.texts)
    _check(project, values, phase)
    changed = [name for name in ("kind", "starts_at", "ends_at") if getattr(phase, name) != getattr(values, name)]
    for name in changed:
        setattr(phase, name, getattr(values, name))
    languages = write_texts(phase, PhaseText, values.texts)
    if not changed and not languages:
        return False
    db.session().add(phase)
    audit.record(actor, "phase.edit", "phase", phase.id, project_id=project.id, organisation_id=project.organisation_id,
                 changed=changed, languages=languages)
    return True


@permissions.command
def remove_phase(actor, project, phase: Phase) -> None:
    """Remove ``phase`` from ``project`` (its texts with it); refused unless ``actor`` may author the project."""
    permissions.require(audit.may("phase.remove", actor, project))
    title = phase.localized(FALLBACK_KEY).text.title
    project.phases.remove(phase)
    db.session().delete(phase)
    audit.record(actor, "phase.remove", "phase", phase.id, project_id=project.id,
                 organisation_id=project.organisation_id, kind=phase.kind, title=title)
