"""A project's discussion rules (per language mode) and its moderation settings, with automatic hiding.

Rules are Markdown, written by the project's initiators per mode; a mode without its own text
shows the project's German text (marked as German), and a project without rules shows the
default text of ``content/discussion_rules.toml`` in the reader's mode. Every comment form,
the report page and every moderation notice link to them.

Automatic hiding is off unless the project sets ``auto_hide_after``: once that many different
people with confirmed accounts have reported a comment and no moderator has dealt with those
reports yet, the comment is hidden until a moderator decides (:func:`maybe_hide`, called by
``services.report``, and for the reports already there when the threshold is set). Official
answers and the staff's comments are never hidden automatically; the moderators and the author
are told by mail.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlalchemy import update as sa_update
from sqlmodel import Field, SQLModel, col, select

from .. import audit, clock, db, permissions
from ..i18n import MODES
from ..localized import Localized, pick
from . import notify

#: Longest rules text per mode, in characters.
MAX_RULES = 20_000
#: What the settings page offers for automatic hiding: at least two people, so no one can hide a comment alone.
AUTO_HIDE_CHOICES = (2, 3, 4, 5, 7, 10, 15, 20)

CONTENT = Path(__file__).resolve().parent / "content" / "discussion_rules.toml"


class DiscussionRules(SQLModel, table=True):
    """A project's discussion rules in one language mode (Markdown)."""

    __tablename__ = "discussion_rules"
    __table_args__ = (UniqueConstraint("project_id", "language", name="uq_discussion_rules"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    #: The mode's key: "de", "en", "simple".
    language: str = Field(max_length=16)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    updated_at: datetime = Field(default_factory=clock.utcnow)
    updated_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")


class ModerationSettings(SQLModel, table=True):
    """How a project's discussion is moderated; a project without a row has the defaults."""

    __tablename__ = "moderation_settings"
    __table_args__ = (CheckConstraint("auto_hide_after IS NULL OR auto_hide_after >= 1",
                                      name="moderation_settings_auto_hide"),)

    project_id: int = Field(primary_key=True, foreign_key="project.id", ondelete="CASCADE")
    #: Hide a comment once this many different people have reported it (open reports); empty: never.
    auto_hide_after: Optional[int] = None
    updated_at: datetime = Field(default_factory=clock.utcnow)


@lru_cache(maxsize=1)
def _defaults() -> dict[str, str]:
    data = tomllib.loads(CONTENT.read_text(encoding="utf-8"))
    return {key: data[key]["body"].strip() for key in MODES}


def default_rules(mode_key: str) -> str:
    """The default rules text (Markdown) in mode ``mode_key``, German for unknown keys."""
    defaults = _defaults()
    return defaults.get(mode_key, defaults["de"])


def project_rules(project_id: int) -> dict[str, DiscussionRules]:
    """The rules the project wrote itself, by mode key (empty: it uses the default text)."""
    rows = db.session().exec(select(DiscussionRules).where(DiscussionRules.project_id == project_id)).all()
    return {row.language: row for row in rows}


def rules_for(project, mode_key: str) -> tuple[Localized[DiscussionRules], bool]:
    """The rules to show in mode ``mode_key`` and whether they are the default text.

    The project's text in that mode, else its German text (``is_fallback``), else the default text in that mode.
    """
    chosen = pick(project_rules(project.id).values(), mode_key)
    if chosen is not None:
        return chosen, False
    default = DiscussionRules(project_id=project.id, language=mode_key if mode_key in MODES else "de",
                              body=default_rules(mode_key))
    return Localized(default, default.language, False), True


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@permissions.command
def save_rules(actor, project, texts: dict[str, str]) -> list[str]:
    """Store the rules in each mode of ``texts``; an empty text, or the default text itself, means "use the default".

    Returns the mode keys whose text changed (and writes one audit entry naming them, if any).
    Refused unless ``actor`` may author the project. The caller commits.
    """
    permissions.require(audit.may("project.rules", actor, project))
    session = db.session()
    existing = project_rules(project.id)
    changed = []
    for key, text in texts.items():
        text = (text or "").strip()
        row = existing.get(key)
        if not text or _same(text, default_rules(key)):
            if row is not None:
                session.delete(row)
                changed.append(key)
            continue
        if row is not None and row.body == text:
            continue
        row = row or DiscussionRules(project_id=project.id, language=key)
        row.body, row.updated_at, row.updated_by_id = text, clock.utcnow(), actor.id
        session.add(row)
        changed.append(key)
    if changed:
        audit.record(actor, "project.rules", "project", project.id, project_id=project.id, languages=changed)
    return changed


def settings_for(project_id: int) -> ModerationSettings:
    """The project's moderation settings (the defaults, not stored, when it has none)."""
    return db.session().get(ModerationSettings, project_id) or ModerationSettings(project_id=project_id)


@permissions.command
def save_settings(actor, project, auto_hide_after: Optional[int]) -> bool:
    """Store the project's automatic hiding (``None``: off); True and an audit entry if it changed.

    Refused unless ``actor`` may author the project. The caller commits.
    """
    permissions.require(audit.may("project.settings", actor, project))
    session = db.session()
    settings = session.get(ModerationSettings, project.id)
    before = settings.auto_hide_after if settings else None
    if before == auto_hide_after:
        return False
    settings = settings or ModerationSettings(project_id=project.id)
    settings.auto_hide_after, settings.updated_at = auto_hide_after, clock.utcnow()
    session.add(settings)
    audit.record(actor, "project.settings", "project", project.id, project_id=project.id,
                 auto_hide_after=auto_hide_after, before=before)
    return True


def counting_reports(comment_ids) -> dict[int, int]:
    """Per comment, the open reports that count towards automatic hiding (one query).

    Only reports of people whose account still exists and is confirmed count, one per person (a
    report is unique per reader and comment): reports of deleted accounts stop counting, so
    registering, reporting and deleting the account over and over hides nothing (security report N2).
    """
    from sqlalchemy import func

    from ..accounts.models import User
    from .models import Report

    ids = list(comment_ids)
    if not ids:
        return {}
    return dict(db.session().exec(
        select(Report.comment_id, func.count(Report.id)).join(User, User.id == Report.reporter_id)
        .where(col(Report.comment_id).in_(ids), col(Report.resolved_at).is_(None),
               col(User.email_confirmed_at).is_not(None))
        .group_by(Report.comment_id)).all())


def never_hidden_automatically(comment) -> bool:
    """Official answers and comments of the project's staff are hidden only by a moderator's decision."""
    from ..permissions import staff_badges

    return comment.official or (comment.author_id is not None and comment.author_id in staff_badges(comment.project_id))


def maybe_hide(comment, project=None) -> bool:
    """Hide ``comment`` if the reports that count (:func:`counting_reports`) have reached the project's
    ``auto_hide_after``; True if it did. The moderators who want each report and the comment's author are
    told by mail, in their modes.

    Called by ``services.report`` right after a report is stored, and for every comment of the project when
    the threshold is set (:func:`hide_what_reached`). Open reports are those no moderator has dealt with yet,
    so a comment a moderator reviewed is hidden again only once that many people report it anew. A comment
    already hidden, blocked or deleted is left alone, and official answers and staff comments are never
    hidden automatically. The conditional update makes two reports at the same moment hide it once, with one
    audit entry (actor: the system). The caller commits.
    """
    from ..comments.models import Comment

    limit = settings_for(project.id if project is not None else comment.project_id).auto_hide_after
    if not limit or comment.open_report_count < limit:
        return False
    if comment.hidden_at is not None or comment.blocked_at is not None or comment.deleted_at is not None:
        return False
    if never_hidden_automatically(comment):
        return False
    reports = counting_reports([comment.id]).get(comment.id, 0)
    if reports < limit:
        return False
    session = db.session()
    now = clock.utcnow()
    result = session.execute(sa_update(Comment).where(
        Comment.id == comment.id, col(Comment.hidden_at).is_(None), col(Comment.blocked_at).is_(None),
        col(Comment.deleted_at).is_(None)).values(hidden_at=now))
    if result.rowcount != 1:
        return False
    session.refresh(comment, ["hidden_at"])
    audit.record(None, "comment.auto_hide", "comment", comment.id, project_id=comment.project_id,
                 reports=reports, limit=limit)
    notify.hidden_automatically(comment, reports)
    return True


def hide_what_reached(project) -> int:
    """With a new threshold: hide the project's comments whose counting open reports have reached it already
    (staff and citizens reports: a threshold set after the reports came must not leave them visible). How many."""
    from ..comments.models import Comment

    limit = settings_for(project.id).auto_hide_after
    if not limit:
        return 0
    candidates = db.session().exec(select(Comment).where(
        Comment.project_id == project.id, Comment.open_report_count >= limit, col(Comment.hidden_at).is_(None),
        col(Comment.blocked_at).is_(None), col(Comment.deleted_at).is_(None))).all()
    return sum(1 for comment in candidates if maybe_hide(comment, project))


def show_what_no_longer_counts(comment_ids) -> int:
    """After reporters' accounts were deleted: comments hidden automatically whose counting reports are now
    below the threshold are shown again (the system's audit entry says why). How many."""
    from ..comments.models import Comment

    ids = list(comment_ids)
    if not ids:
        return 0
    session = db.session()
    hidden = session.exec(select(Comment).where(col(Comment.id).in_(ids), col(Comment.hidden_at).is_not(None),
                                                col(Comment.blocked_at).is_(None))).all()
    counts = counting_reports(c.id for c in hidden)
    shown = 0
    for comment in hidden:
        limit = settings_for(comment.project_id).auto_hide_after
        if limit and counts.get(comment.id, 0) >= limit:
            continue
        comment.hidden_at = None
        session.add(comment)
        audit.record(None, "comment.auto_show", "comment", comment.id, project_id=comment.project_id,
                     reports=counts.get(comment.id, 0), limit=limit)
        shown += 1
    return shown
