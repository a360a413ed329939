"""The audit log: :func:`record` writes an entry in the current transaction; the log pages
(:mod:`webapp.auditlog`, on the staff floor) read them.

Every staff action goes through a service that calls :func:`record` before the caller's
``db.transaction()`` commits, so an action and its entry are stored together or not at all.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from flask_babel import lazy_gettext as _l

from .. import db
from .models import AuditEntry

#: Every action the log knows, with its name on the log page.
ACTIONS = {
    "role.add_initiator": _l("Initiator added"),
    "role.remove_initiator": _l("Initiator removed"),
    "role.add_moderator": _l("Moderator added"),
    "role.remove_moderator": _l("Moderator removed"),
    "role.invite": _l("Invitation sent"),
    "role.withdraw_invitation": _l("Invitation withdrawn"),
    "role.accept_invitation": _l("Invitation accepted"),
    "role.make_admin": _l("Administrator appointed"),
    "role.remove_admin": _l("Administrator role ended"),
    "comment.block": _l("Comment blocked"),
    "comment.restore": _l("Comment restored"),
    "comment.review": _l("Comment marked as reviewed"),
    "comment.highlight": _l("Comment highlighted"),
    "comment.unhighlight": _l("Highlight removed"),
    "comment.answer": _l("Official answer given"),
    "comment.note": _l("Moderator note added"),
    "comment.auto_hide": _l("Comment hidden after reports"),
    "comment.auto_show": _l("Comment shown again: its reports no longer count"),
    "person.block": _l("Person blocked"),
    "person.unblock": _l("Block of a person ended"),
    "project.rules": _l("Discussion rules changed"),
    "project.settings": _l("Moderation settings changed"),
    "project.delete": _l("Project deleted"),
    "chapter.delete": _l("Chapter deleted"),
    "paragraph.delete": _l("Paragraph deleted"),
}

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
