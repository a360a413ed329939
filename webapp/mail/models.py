"""The mail outbox: every mail we send is first a row here, stored with the change that causes it."""

import uuid
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from ..clock import utcnow


def new_key() -> str:
    return uuid.uuid4().hex


class OutboxMessage(SQLModel, table=True):
    """One mail, rendered, waiting to be delivered or delivered.

    The delivery job (``webapp.mail.tasks.deliver``) claims the row, sends it and sets
    ``sent_at``: a lost job is queued again by the sweeper, a doubled one finds the row sent
    or claimed and does nothing. Sent rows are deleted after a few days (they hold addresses
    and links); rows refused for good by the recipient's server keep ``failed_at``.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (
        # "Unsent, oldest first": the sweeper and /health's stuck-queue check.
        Index("ix_outbox_unsent", "sent_at", "created_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    #: Unique per mail: a random one, or the caller's (e.g. "digest:2026-12-01:17"), so a mail is stored once.
    key: str = Field(default_factory=new_key, max_length=200, unique=True)
    recipient: str = Field(max_length=320)
    #: The template it was rendered from (e.g. "confirm"): what kind of mail it is, for the log.
    template: str = Field(max_length=60)
    subject: str = Field(max_length=255)
    #: The whole message as sent (RFC 5322 bytes: headers and body).
    message: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    #: When the next delivery may be tried; while a job holds the row, the end of its claim.
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = Field(default=0)
    last_error: Optional[str] = Field(default=None, sa_column=Column(Text, nullable=True))
    sent_at: Optional[datetime] = None
    #: The recipient's server refused the mail for good (5xx for the address): not tried again.
    failed_at: Optional[datetime] = None
