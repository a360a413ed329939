"""The audit log: :func:`record` writes an entry in the current transaction; the log pages
(:mod:`webapp.auditlog`, on the staff floor) read them.

Every staff action goes through a service that calls :func:`record` before the caller's
``db.transaction()`` commits, so an action and its entry are stored together or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

from .. import db, permissions
from ..i18n import lazy_gettext as _l
from .models import AuditEntry


@dataclass(frozen=True)
class Action:
    """One thing the staff (or the system) does, in one definition: its name in the audit log, what the
    person who did it is told (where the words need nothing of the case; ``None`` otherwise), and who may do
    it (a predicate of :mod:`webapp.permissions` taking the actor and the place; ``None`` for the system's own
    work or where the command decides by more than one)."""

    label: Any
    done: Any = None
    may: Optional[Callable] = None


#: Every action the log knows, by key: read by the commands (who may), the log pages (the names), the moderation
#: pages (what the moderator is told) and the data download.
ACTIONS = {
    "role.add_initiator": Action(_l("Initiator added"), may=permissions.may_manage_initiators),
    "role.remove_initiator": Action(_l("Initiator removed"), may=permissions.may_manage_initiators),
    "role.add_moderator": Action(_l("Moderator added"), may=permissions.may_manage_moderators),
    "role.remove_moderator": Action(_l("Moderator removed"), may=permissions.may_manage_moderators),
    "role.invite": Action(_l("Invitation sent")),  # who may: as for adding that role there
    "role.withdraw_invitation": Action(_l("Invitation withdrawn")),  # the same (roles.services.may_manage_invitation)
    "role.accept_invitation": Action(_l("Invitation accepted"), may=permissions.may_accept_invitation),
    "role.make_admin": Action(_l("Administrator appointed")),  # the machine's operator: `flask users create-admin`
    "role.remove_admin": Action(_l("Administrator role ended")),
    "comment.block": Action(_l("Comment blocked"), _l("The comment is blocked. Its author has been told why."),
                            permissions.may_moderate),
    "comment.restore": Action(_l("Comment restored"), _l("The comment is shown again."), permissions.may_moderate),
    "comment.review": Action(_l("Comment marked as reviewed"), _l("The comment is marked as reviewed."),
                             permissions.may_moderate),
    "comment.highlight": Action(_l("Comment highlighted"), _l("The comment is highlighted. Its author has been told."),
                                permissions.may_moderate),
    "comment.unhighlight": Action(_l("Highlight removed"), _l("The comment is no longer highlighted."),
                                  permissions.may_moderate),
    "comment.answer": Action(_l("Official answer given"), _l("Your official answer is published in the discussion."),
                             permissions.may_moderate),
    "comment.note": Action(_l("Moderator note added"), _l("Your note is saved. Only the project's staff can read it."),
                           permissions.may_moderate),
    "comment.auto_hide": Action(_l("Comment hidden after reports")),  # the system
    "comment.auto_show": Action(_l("Comment shown again: its reports no longer count")),  # the system
    "person.block": Action(_l("Person blocked"), may=permissions.may_moderate),  # site-wide: may_administer too
    "person.unblock": Action(_l("Block of a person ended"), may=permissions.may_moderate),  # the same
    "project.rules": Action(_l("Discussion rules changed"), may=permissions.may_author),
    "project.settings": Action(_l("Moderation settings changed"), may=permissions.may_author),
    "organisation.create": Action(_l("Organisation created"), may=permissions.may_administer_organisations),
    "organisation.edit": Action(_l("Organisation changed"), may=permissions.may_administer_organisations),
    "project.create": Action(_l("Project created"), may=permissions.may_create_project),
    "project.edit": Action(_l("Project texts changed"), may=permissions.may_author),
    "project.publish": Action(_l("Project published"), may=permissions.may_author),
    "project.unpublish": Action(_l("Project unpublished"), may=permissions.may_author),
    "phase.add": Action(_l("Phase added"), may=permissions.may_author),
    "phase.edit": Action(_l("Phase changed"), may=permissions.may_author),
    "phase.remove": Action(_l("Phase removed"), may=permissions.may_author),
    "project.delete": Action(_l("Project deleted"), may=permissions.may_author),
    "chapter.add": Action(_l("Chapter added"), may=permissions.may_author),
    "chapter.edit": Action(_l("Chapter titles changed"), may=permissions.may_author),
    "chapter.move": Action(_l("Chapter moved"), may=permissions.may_author),
    "chapter.delete": Action(_l("Chapter deleted"), may=permissions.may_author),
    "paragraph.add": Action(_l("Paragraph added"), may=permissions.may_author),
    "paragraph.edit": Action(_l("Paragraph changed"), may=permissions.may_author),
    "paragraph.move": Action(_l("Paragraph moved"), may=permissions.may_author),
    "paragraph.delete": Action(_l("Paragraph deleted"), may=permissions.may_author),
}


def may(action: str, actor, place) -> permissions.Decision:
    """Whether ``actor`` may do ``action`` (a key of :data:`ACTIONS` that names who may) at ``place``."""
    return ACTIONS[action].may(actor, place)


#: The actor of scheduled work and of commands run without a named person.
SYSTEM = "system"


def record(actor, action: str, object_type: str, object_id: Optional[int] = None, *,
           project_id: Optional[int] = None, organisation_id: Optional[int] = None,
           reason: str = "", **details: Any) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits it with the change).

    Args:
        actor: the acting user, or ``None`` for the system (scheduled work).
        action: a key of :data:`ACTIONS`.
        object_type, object_id: what was acted on ("comment", 12).
        project_id, organisation_id: where it happened, for the log pages.
        reason: the reason given, as entered.
        details: further facts, stored as JSON.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", None) or SYSTEM,
        action=action, object_type=object_type, object_id=object_id, project_id=project_id,
        organisation_id=organisation_id, reason=reason or "",
        details=json.dumps(details, ensure_ascii=False, sort_keys=True, default=str) if details else "")
    db.session().add(entry)
    return entry
