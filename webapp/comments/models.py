"""Comments on a chapter or one paragraph, one level of replies, and agree/disagree ratings."""

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, Relationship, SQLModel

from ..accounts.models import User
from ..clock import utcnow
from ..i18n import lazy_gettext as _l

#: Categories a project may offer: the key stored, beside its name (interface catalogs).
CATEGORY_LABELS = {
    "question": _l("Question"),
    "suggestion": _l("Suggestion"),
    "criticism": _l("Criticism"),
    "praise": _l("Praise"),
}
CATEGORIES = tuple(CATEGORY_LABELS)
MAX_LENGTH = 4000


#: A comment anyone can read: not deleted, blocked or hidden (``services.comment_counts`` counts these).
_READABLE = "deleted_at IS NULL AND blocked_at IS NULL AND hidden_at IS NULL"
#: The comments (not replies) of a chapter's own discussion, and of a paragraph's.
_ON_CHAPTER = "paragraph_id IS NULL AND parent_id IS NULL"
_ON_PARAGRAPH = "paragraph_id IS NOT NULL AND parent_id IS NULL"


class Comment(SQLModel, table=True):
    """A comment. ``paragraph_id`` is empty for comments on the whole chapter.

    Counters are kept on the row so that sorting by them needs no aggregate query.
    """

    __table_args__ = (
        # What the discussion pages filter and sort on.
        Index("ix_comment_thread", "chapter_id", "paragraph_id", "parent_id", "created_at"),
        Index("ix_comment_parent", "parent_id", "created_at"),
        Index("ix_comment_author", "author_id"),
        # The counts every discussion page shows: the readable comments of each chapter and paragraph (migration 0018).
        Index("ix_comment_readable", "chapter_id", "paragraph_id", sqlite_where=text(_READABLE),
              postgresql_where=text(_READABLE)),
        # A discussion's comments newest first, read backwards (PostgreSQL orders by no index after IS NULL; 0019).
        Index("ix_comment_chapter_newest", "chapter_id", "created_at", "id", sqlite_where=text(_ON_CHAPTER),
              postgresql_where=text(_ON_CHAPTER)),
        Index("ix_comment_paragraph_newest", "paragraph_id", "created_at", "id", sqlite_where=text(_ON_PARAGRAPH),
              postgresql_where=text(_ON_PARAGRAPH)),
        # The moderation queue: a project's comments with open reports first, then by reports or age.
        Index("ix_comment_moderation", "project_id", "open_report_count", "report_count"),
        UniqueConstraint("author_id", "submission_key", name="uq_comment_submission"),
        CheckConstraint("agree_count >= 0 AND disagree_count >= 0 AND reply_count >= 0", name="comment_counts"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    # What citizens wrote is never deleted as a side effect (migration 0006): the database refuses
    # to delete a project, chapter or paragraph with comments, and a comment with replies.
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="RESTRICT")
    chapter_id: int = Field(foreign_key="chapter.id", ondelete="RESTRICT")
    paragraph_id: Optional[int] = Field(default=None, foreign_key="paragraph.id", ondelete="RESTRICT")
    parent_id: Optional[int] = Field(default=None, foreign_key="comment.id", ondelete="RESTRICT")
    #: Empty once the author deleted their account ("deleted account").
    author_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    category: Optional[str] = Field(default=None, max_length=20)
    #: The ``lang`` of the text: the html lang of the mode it was written in ("de", "en"; simple German is "de").
    language: str = Field(default="de", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: Optional[datetime] = None
    #: Set when the author deleted the comment; the body is emptied, replies stay.
    deleted_at: Optional[datetime] = None
    #: The form's one-time key: a double submit of the same form stores one comment.
    submission_key: Optional[str] = Field(default=None, max_length=64)
    agree_count: int = 0
    disagree_count: int = 0
    reply_count: int = 0
    #: Moderation (webapp.moderation): blocked with a reason key and optional words, shown as a notice.
    blocked_at: Optional[datetime] = None
    block_reason: Optional[str] = Field(default=None, max_length=20)
    block_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: The language ``block_text`` was written in (an html lang, from the moderator's mode), for ``lang``.
    block_language: Optional[str] = Field(default=None, max_length=16)
    #: Hidden automatically after the project's number of reports, until a moderator decides.
    hidden_at: Optional[datetime] = None
    highlighted_at: Optional[datetime] = None
    #: When a moderator last looked at it and decided (a new report makes it need review again).
    reviewed_at: Optional[datetime] = None
    #: Reports in all, and those not yet dealt with: the queue sorts and filters on them without a join.
    report_count: int = 0
    open_report_count: int = 0
    #: An answer given for the project by its staff, shown as the project team's answer.
    official: bool = False

    author: Optional[User] = Relationship()

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_hidden(self) -> bool:
        """Not shown to readers: blocked by a moderator, or hidden after reports until one decides."""
        return self.blocked_at is not None or self.hidden_at is not None

    @property
    def needs_review(self) -> bool:
        """Waiting for the moderators: open reports, or hidden after reports; not once they blocked it, nor once its
        author deleted it (the same as ``moderation.services.NEEDS_REVIEW`` in SQL)."""
        return (self.deleted_at is None and self.blocked_at is None
                and (bool(self.open_report_count) or self.hidden_at is not None))


class Rating(SQLModel, table=True):
    """One reader's agree (+1) or disagree (-1) on one comment."""

    __table_args__ = (
        UniqueConstraint("comment_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="rating_value"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    comment_id: int = Field(foreign_key="comment.id", ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    value: int
    created_at: datetime = Field(default_factory=utcnow)
