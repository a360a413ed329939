"""A project's discussion rules (per language mode) and its moderation settings, with automatic hiding.

Rules are Markdown, written by the project's initiators per mode; a mode without its own text
shows the project's German text (marked as German), and a project without rules shows the
default text of ``content/discussion_rules.toml`` in the reader's mode. Every comment form,
the report page and every moderation notice link to them.

Automatic hiding is off unless the project sets ``auto_hide_after``: once that many different
people have reported a comment and no moderator has dealt with those reports yet, the comment
is hidden until a moderator decides (:func:`maybe_hide`, called by ``services.report``).
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

from .. import audit, clock, db
from ..i18n import MODES
from ..localized import Localized, pick

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


def save_rules(actor, project, texts: dict[str, str]) -> list[str]:
    """Store the rules in each mode of ``texts``; an empty text, or the default text itself, means "use the default".

    Returns the mode keys whose text changed (and writes one audit entry naming them, if any).
    The caller commits.
    """
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


def save_settings(actor, project, auto_hide_after: Optional[int]) -> bool:
    """Store the project's automatic hiding (``None``: off); True and an audit entry if it changed. The caller commits."""
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


def maybe_hide(comment, project=None) -> bool:
    """Hide ``comment`` if its open reports have reached the project's ``auto_hide_after``; True if it did.

    Called by ``services.report`` right after a report is stored (its counters refreshed). Open
    reports are those no moderator has dealt with yet, one per person, so a comment a moderator
    reviewed is hidden again only once that many people report it anew. A comment already hidden,
    blocked or deleted is left alone. The conditional update makes two reports at the same moment
    hide it once, with one audit entry (actor: the system). The caller commits.
    """
    from ..comments.models import Comment

    limit = settings_for(project.id if project is not None else comment.project_id).auto_hide_after
    if not limit or comment.open_report_count < limit:
        return False
    if comment.hidden_at is not None or comment.blocked_at is not None or comment.deleted_at is not None:
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
                 reports=comment.open_report_count, limit=limit)
    return True
