"""Conduct's tables: blocks of people, a project's discussion rules and its moderation settings.

The table names are those the migrations made (``person_block``, ``discussion_rules``, ``moderation_settings``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from markupsafe import Markup, escape
from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .. import clock
from ..i18n import gettext as _
from ..i18n import lang_if_other
from ..templating import datetime_long


class PersonBlock(SQLModel, table=True):
    """One person blocked from taking part in one project (``project_id``) or on the whole site (empty).

    Rows are never deleted when a block ends: ``ended_at`` marks an early end, ``ends_at`` the planned one.
    Nor when the person deletes their account (security report N3): ``user_id`` is emptied then, and a
    block that still holds keeps keyed hashes of the address and the username (``person_key``,
    ``name_key``) and the name itself, so registering again with that address is blocked again, and the
    name stays reserved, until the block ends.
    """

    __tablename__ = "person_block"
    __table_args__ = (
        # The per-request lookup: a person's blocks that have not been ended.
        Index("ix_person_block_user", "user_id", "ended_at"),
        # The project's list of blocked people.
        Index("ix_person_block_project", "project_id", "ended_at"),
        # A new account's address, and a new username, looked up among blocks of deleted accounts.
        Index("ix_person_block_person_key", "person_key"),
        Index("ix_person_block_name_key", "name_key"),
        CheckConstraint("ends_at IS NULL OR ends_at > created_at", name="person_block_ends"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    #: Empty once the person deleted their account (the block stays; see ``person_key``).
    user_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    #: Empty: blocked on the whole site (only administrators may do that).
    project_id: Optional[int] = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    #: Why, in the moderator's words; the person is told it.
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: The language ``reason`` was written in (an html lang, from the moderator's mode), for ``lang``.
    reason_language: Optional[str] = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=clock.utcnow)
    created_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    #: When the block ends by itself; empty: it has no end.
    ends_at: Optional[datetime] = None
    #: When someone ended it early (or a new block of the same scope replaced it).
    ended_at: Optional[datetime] = None
    ended_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    #: After the account was deleted while the block held: a keyed hash of its address key
    #: (:func:`webapp.conduct.blocks.held_key`).
    person_key: Optional[str] = Field(default=None, max_length=64)
    #: ... and of its username key: the name stays reserved while the block holds.
    name_key: Optional[str] = Field(default=None, max_length=64)
    #: ... and the name, for the staff's list of blocked people.
    person_name: str = Field(default="", max_length=40)

    @property
    def site_wide(self) -> bool:
        return self.project_id is None

    def refusal(self) -> Markup:
        """What the blocked person reads where a form would be: where, until when, and why (a refused
        Decision asks it).

        Markup: the reason carries the language the moderator wrote it in, where that is not the page's
        (staff report M8); everything else in it is escaped.
        """
        marks = lang_if_other(self.reason_language)
        reason = Markup("<span{}>{}</span>").format(marks, self.reason) if marks else self.reason
        if self.site_wide:
            message = (_("You have been blocked from taking part on this website, with no end date. Reason: %(reason)s")
                       if self.ends_at is None else
                       _("You have been blocked from taking part on this website until %(end)s. Reason: %(reason)s"))
        else:
            message = (_("You have been blocked from taking part in this project, with no end date. Reason: %(reason)s")
                       if self.ends_at is None else
                       _("You have been blocked from taking part in this project until %(end)s. Reason: %(reason)s"))
        values = {"reason": reason}
        if self.ends_at is not None:
            values["end"] = datetime_long(self.ends_at)
        return Markup(escape(message)) % values

    def active_at(self, moment: datetime) -> bool:
        """Whether the block holds at ``moment``."""
        return self.ended_at is None and self.created_at <= moment and (self.ends_at is None or self.ends_at > moment)


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
