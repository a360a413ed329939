"""The download of one's own data: everything we hold about a person, as a JSON file they can read.

The keys stay English and stable (programs read them too); beside every id a person needs to
understand stands what it names (a project's or chapter's title, a paragraph's number, a comment's
address), every coded value has its name in the reader's language beside it (``..._name``), and
``explanation`` says in that language what each part is. One's own comments carry their moderation
state and history, as the person was told of each by mail (not who acted: that is the staff's).

The names come from every domain (titles, category, reason and action labels): this sits on the top
floor, which may know them all.
"""

from __future__ import annotations

from typing import Optional

from flask import current_app
from sqlmodel import col, select

from .. import audit, db, mail
from ..accounts.models import User
from ..audit.models import AuditEntry
from ..clock import utcnow
from ..comments.models import CATEGORY_LABELS, Comment
from ..conduct.blocks import blocks_about
from ..documents.models import Chapter
from ..i18n import MODES, current_mode
from ..i18n import gettext as _
from ..moderation.actions import notes_by
from ..moderation.models import BLOCK_REASON_LABELS, REASON_LABELS
from ..moderation.services import reports_by
from ..projects.models import Project
from ..roles.services import roles_of_person

#: What the moderators did to a comment that its author is told of (not their reviews or private notes).
TOLD_ACTIONS = ("comment.block", "comment.restore", "comment.auto_hide", "comment.highlight", "comment.unhighlight",
                "comment.answer")


def _mode_names() -> dict[str, str]:
    return {"de": _("German"), "en": _("English"), "simple": _("Simple German")}


def _explanation() -> dict[str, str]:
    return {
        "account": _("Your account: your public username, your email address, the language of your emails, "
                     "and when you registered and confirmed your address."),
        "comments": _("Everything you wrote: where (project, chapter, paragraph and the address of the comment), "
                      "your text as it is now, and what the moderators did with it."),
        "reports": _("The comments you reported to the moderators, with the reason you chose."),
        "roles": _("Your tasks on this website, if you have any (project team, moderation, administration)."),
        "moderator_notes": _("Private notes you wrote as a moderator."),
        "blocks": _("Times you were blocked from taking part, with the reason you were told."),
        "dates": _("Dates and times are written as year-month-day and hour:minute, in UTC (Berlin time is one "
                   "hour later in winter and two hours later in summer)."),
    }


def _when(value) -> Optional[str]:
    return value.isoformat() if value else None


class _Places:
    """Projects, chapters and paragraph numbers by id, each read once."""

    def __init__(self, mode_key: str):
        self.mode_key = mode_key
        self.projects: dict[int, object] = {}
        self.chapters: dict[int, object] = {}
        self.numbers: dict[int, int] = {}

    def project(self, project_id: Optional[int]):

        if project_id is None:
            return None
        if project_id not in self.projects:
            self.projects[project_id] = db.session().get(Project, project_id)
        return self.projects[project_id]

    def chapter(self, chapter_id: int):

        if chapter_id not in self.chapters:
            chapter = db.session().get(Chapter, chapter_id)
            self.chapters[chapter_id] = chapter
            for number, paragraph in enumerate(chapter.paragraphs if chapter else [], start=1):
                self.numbers[paragraph.id] = number
        return self.chapters[chapter_id]

    def title(self, item) -> Optional[str]:
        return item.localized(self.mode_key).text.title if item is not None else None


def _comment_state(comment) -> tuple[str, str]:
    if comment.is_deleted:
        return "deleted", _("deleted by you")
    if comment.blocked_at:
        return "blocked", _("blocked by the moderators: the discussion shows a notice with the reason instead")
    if comment.hidden_at:
        return "hidden", _("hidden after reports, until the moderators have reviewed it")
    return "shown", _("shown in the discussion")


def _comments(user: User, places: _Places) -> list[dict]:

    session = db.session()
    rows = session.exec(select(Comment).where(Comment.author_id == user.id).order_by(Comment.created_at)).all()
    ids = [c.id for c in rows]
    history: dict[int, list[dict]] = {}
    if ids:
        for entry in session.exec(select(AuditEntry).where(
                AuditEntry.object_type == "comment", col(AuditEntry.object_id).in_(ids),
                col(AuditEntry.action).in_(TOLD_ACTIONS)).order_by(AuditEntry.created_at, AuditEntry.id)).all():
            history.setdefault(entry.object_id, []).append(
                {"at": _when(entry.created_at), "what": entry.action, "what_name": str(audit.ACTIONS[entry.action].label)})
    parents = {c.id: c for c in session.exec(select(Comment).where(
        col(Comment.id).in_({c.parent_id for c in rows if c.parent_id}))).all()} if any(c.parent_id for c in rows) else {}
    found = []
    for c in rows:
        project, chapter = places.project(c.project_id), places.chapter(c.chapter_id)
        state, state_name = _comment_state(c)
        parent = parents.get(c.parent_id)
        found.append({
            "id": c.id,
            "project": places.title(project),
            "chapter": places.title(chapter),
            "paragraph": places.numbers.get(c.paragraph_id) if c.paragraph_id else None,
            "address": mail.link("comments.permalink", places.mode_key, slug=project.slug, comment_id=c.id)
            if project is not None else None,
            "reply_to": c.parent_id,
            "reply_to_author": (parent.author.username if parent.author else _("Deleted account"))
            if parent is not None and not parent.is_deleted else None,
            "text": c.body, "language": c.language,
            "category": c.category, "category_name": str(CATEGORY_LABELS[c.category]) if c.category in CATEGORY_LABELS else None,
            "created_at": _when(c.created_at), "edited_at": _when(c.edited_at), "deleted_at": _when(c.deleted_at),
            "agree": c.agree_count, "disagree": c.disagree_count,
            "moderation": {
                "state": state, "state_name": state_name,
                "blocked_at": _when(c.blocked_at),
                "reason": c.block_reason,
                "reason_name": str(BLOCK_REASON_LABELS[c.block_reason]) if c.block_reason in BLOCK_REASON_LABELS else None,
                "moderators_words": c.block_text or None,
                "hidden_at": _when(c.hidden_at),
                "highlighted_at": _when(c.highlighted_at),
                "official_answer": c.official,
                "history": history.get(c.id, []),
            },
        })
    return found


def _reports(user: User, places: _Places) -> list[dict]:

    found = []
    for entry in reports_by(user):
        comment = db.session().get(Comment, entry["comment_id"])
        project = places.project(comment.project_id) if comment is not None else None
        found.append({**entry, "reason_name": str(REASON_LABELS.get(entry["reason"], entry["reason"])),
                      "project": places.title(project),
                      "comment_address": mail.link("comments.permalink", places.mode_key, slug=project.slug,
                                                   comment_id=comment.id) if project is not None else None})
    return found


def _blocks(user: User, places: _Places) -> list[dict]:

    found = []
    for entry in blocks_about(user):
        project = db.session().exec(select(Project).where(Project.slug == entry["project"])).first() \
            if entry["project"] else None
        found.append({**entry, "project_title": places.title(project),
                      "place_name": _("In the project “%(project)s”", project=places.title(project)) if project
                      else _("On the whole website")})
    return found


def export(user: User, mode_key: Optional[str] = None) -> dict:
    """Everything we hold about ``user``, named in mode ``mode_key`` (default: the request's)."""

    mode_key = mode_key if mode_key in MODES else current_mode().key
    places = _Places(mode_key)
    return {
        "about": _("Everything %(site)s holds about you, downloaded on %(date)s (UTC).",
                   site=_site_name(), date=utcnow().strftime("%Y-%m-%d %H:%M")),
        "explanation": _explanation(),
        "account": {
            "username": user.username,
            "email": user.email,
            "pending_email": user.pending_email,
            "is_admin": user.is_admin,
            "language": user.language,
            "language_name": _mode_names().get(user.language, user.language),
            "email_confirmed_at": _when(user.email_confirmed_at),
            "created_at": _when(user.created_at),
            "report_mail": user.report_mail,
            "report_digest_until": _when(user.report_digest_until),
        },
        "comments": _comments(user, places),
        "reports": _reports(user, places),
        "roles": roles_of_person(user),
        "moderator_notes": notes_by(user),
        "blocks": _blocks(user, places),
    }


def _site_name() -> str:
    return current_app.config["SITE_NAME"]
