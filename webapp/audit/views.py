"""A project's audit log page: every staff action, newest first, filtered by action and person.

A plain GET form filters (it works without JavaScript); 50 entries a page. Only the project's
initiators and administrators read it (:func:`webapp.permissions.may_see_audit_log`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Optional

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func
from sqlmodel import col, select

from .. import db, permissions
from ..accounts.models import User
from ..comments.models import Comment
from ..htmx import render
from ..i18n import LanguageMode
from ..moderation.actions import BLOCK_REASON_LABELS
from ..projects.services import get_for_staff
from ..templating import datetime_text
from . import ACTIONS, bp
from .models import AuditEntry

#: Entries on one page of the log.
PAGE_SIZE = 50

#: What an entry acted on, in words (object types other than these are shown by their key).
OBJECT_TYPES = {
    "comment": _l("Comment"),
    "user": _l("Person"),
    "invitation": _l("Invitation"),
    "project": _l("Project"),
    "chapter": _l("Chapter"),
    "paragraph": _l("Paragraph"),
}


@dataclass(frozen=True)
class Row:
    """One entry as the table shows it: the object in words, with a link where there is a page for it."""

    entry: AuditEntry
    action: str
    object_text: str
    object_href: Optional[str]
    #: The reason in words: the one chosen from a fixed list (a block's), then what was written.
    reason: str


@bp.after_request
def _never_stored(response):
    """The log names people and reasons: no browser or proxy keeps it."""
    response.cache_control.no_store = True
    return response


def _page_number(value: str) -> int:
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


@bp.get("/audit", endpoint="log")
def log(mode: LanguageMode, slug: str):
    """The project's audit log, newest first; ``action``, ``person`` and ``page`` come from the query."""
    project = get_for_staff(slug)
    permissions.authorize(permissions.may_see_audit_log(current_user, project))
    session = db.session()
    people = [name for name in session.exec(select(AuditEntry.actor_name).where(AuditEntry.project_id == project.id)
                                            .distinct().order_by(AuditEntry.actor_name)).all()
              if name]  # "": a deleted account's, not a person one can filter by
    action = request.args.get("action", "")
    action = action if action in ACTIONS else ""
    person = request.args.get("person", "")
    person = person if person in people else ""
    condition = AuditEntry.project_id == project.id
    if action:
        condition = condition & (AuditEntry.action == action)
    if person:
        condition = condition & (AuditEntry.actor_name == person)
    total = session.exec(select(func.count()).select_from(AuditEntry).where(condition)).one()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(_page_number(request.args.get("page", "")), pages)
    entries = list(session.exec(select(AuditEntry).where(condition)
                                .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
                                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())
    args = {key: value for key, value in (("action", action), ("person", person)) if value}
    return render("audit/log.html", project=project, rows=_rows(project, entries), total=total, page=page,
                  pages=pages, args=args, actions=ACTIONS, people=people, filtered=bool(args))


def _rows(project, entries: list[AuditEntry]) -> list[Row]:
    """The table's rows; the comments acted on are read in one query (for their authors' names)."""
    comment_ids = {e.object_id for e in entries if e.object_type == "comment" and e.object_id}
    comments: dict[int, tuple] = {}
    if comment_ids:
        comments = {row[0]: row for row in db.session().exec(
            select(Comment.id, Comment.parent_id, Comment.created_at, User.username)
            .join(User, User.id == Comment.author_id, isouter=True)
            .where(col(Comment.id).in_(comment_ids), Comment.project_id == project.id)).all()}
    rows = []
    for entry in entries:
        details = _details(entry)
        text, href = _object(project, entry, details, comments)
        rows.append(Row(entry, str(ACTIONS.get(entry.action, entry.action)), text, href, _reason(entry, details)))
    return rows


def _reason(entry: AuditEntry, details: dict) -> str:
    """"Advertising or spam: a link to a loan shop" — the chosen reason's name (in the reader's mode) and the words given."""
    chosen = BLOCK_REASON_LABELS.get(details.get("reason_key", ""))
    if chosen is None:
        return entry.reason
    return f"{chosen}: {entry.reason}" if entry.reason else str(chosen)


def _details(entry: AuditEntry) -> dict:
    try:
        details = json.loads(entry.details) if entry.details else {}
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _object(project, entry: AuditEntry, details: dict, comments: dict) -> tuple[str, Optional[str]]:
    """What the entry acted on, in words, and the address of its page where there is one.

    A comment is named by author and time, as everywhere (so two links never share a name).
    """
    kind = entry.object_type
    if kind == "comment" and entry.object_id:
        if entry.object_id not in comments:
            return _("Comment (no longer there)"), None
        _id, parent_id, created_at, name = comments[entry.object_id]
        values = {"name": name or _("Deleted account"), "date": datetime_text(created_at)}
        text = _("Reply by %(name)s from %(date)s", **values) if parent_id else \
            _("Comment by %(name)s from %(date)s", **values)
        href = url_for("comments.permalink", slug=project.slug, comment_id=entry.object_id) if project.published else None
        return text, href
    label = str(OBJECT_TYPES.get(kind, kind))
    if kind == "user" and details.get("person"):
        return f"{label}: {details['person']}", None
    if kind == "invitation" and details.get("email"):
        return f"{label}: {details['email']}", None
    return (f"{label} {entry.object_id}" if entry.object_id else label), None
