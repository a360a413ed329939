"""Reports: a reader tells the moderators that a comment breaks the rules."""

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..clock import utcnow
from ..i18n import lazy_gettext as _l

#: Why a comment can be reported: the key stored, and its name (interface catalogs), in one definition that the
#: form, the queue, the moderators' mails, the data download and the table's check all read.
REASON_LABELS = {
    "insult": _l("Insult, threat or discrimination"),
    "spam": _l("Advertising or spam"),
    "personal_data": _l("Personal data of others"),
    "off_topic": _l("Not about the topic"),
    "other": _l("Something else"),
}
REASONS = tuple(REASON_LABELS)
MAX_EXPLANATION = 1000


class Report(SQLModel, table=True):
    """One reader's report of one comment. It outlives the reporter's account (``reporter_id`` empty then)."""

    __table_args__ = (
        # One report per reader and comment; its first column also serves lookups by comment.
        UniqueConstraint("comment_id", "reporter_id", name="uq_report_comment_reporter"),
        # The moderators' queue: open reports, oldest first.
        Index("ix_report_queue", "resolved_at", "created_at"),
        # The account's data download and the SET NULL when an account is deleted.
        Index("ix_report_reporter", "reporter_id"),
        CheckConstraint("reason IN ({})".format(", ".join(f"'{r}'" for r in REASONS)), name="report_reason"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    #: A reported comment cannot be deleted: the moderation record keeps what it refers to (migration 0006).
    comment_id: int = Field(foreign_key="comment.id", ondelete="RESTRICT")
    #: Empty once the reporter deleted their account: the moderation record stays.
    reporter_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    reason: str = Field(max_length=20)
    #: What the reader wrote about it (may be empty).
    explanation: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: The comment as it read when reported: its author may still edit it afterwards.
    comment_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    #: Set when a moderator has dealt with the report.
    resolved_at: Optional[datetime] = None


#: Why a moderator blocks a comment, and the reason's name (interface catalogs): in the moderators' forms, the
#: reader's notice, the author's mail, the audit log and the data download.
BLOCK_REASON_LABELS = {
    "insult": _l("Insult or threat"),
    "discrimination": _l("Discrimination"),
    "spam": _l("Advertising or spam"),
    "personal_data": _l("Personal data of others"),
    "off_topic": _l("Not about the topic"),
    "illegal": _l("Illegal content"),
    "other": _l("Breaks the discussion rules"),
}
BLOCK_REASONS = tuple(BLOCK_REASON_LABELS)


class ModeratorNote(SQLModel, table=True):
    """A private note of the project's staff on a comment; never shown to participants.

    It stays with the project when its writer's account is deleted (``author_id`` empty then,
    ``author_name`` says who wrote it).
    """

    __tablename__ = "moderator_note"
    __table_args__ = (Index("ix_moderator_note_comment", "comment_id", "created_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", ondelete="RESTRICT")
    project_id: int = Field(foreign_key="project.id", ondelete="RESTRICT", index=True)
    author_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    author_name: str = Field(max_length=80)
    #: The number the writer's account had, kept when it is deleted ("deleted account 7").
    former_author_id: Optional[int] = None
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
