"""The audit log: every staff action, who did it, when, to what, and why."""

from datetime import datetime
from typing import Optional

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from ..clock import utcnow


class AuditEntry(SQLModel, table=True):
    """One staff action. Written in the same transaction as the change it records.

    ``actor_name`` keeps who acted readable after their account is deleted (``actor_id``
    empty then); the entry itself stays with the project.
    """

    __tablename__ = "audit_entry"
    __table_args__ = (
        # The project's log page: newest first, filtered by action or person.
        Index("ix_audit_project_created", "project_id", "created_at"),
        # Its filters (the actions that occur, who acted), read from the index alone (webapp.auditlog.queries).
        Index("ix_audit_project_action", "project_id", "action"),
        Index("ix_audit_project_actor", "project_id", "actor_id", "former_actor_id", "actor_name"),
        Index("ix_audit_actor", "actor_id"),
        Index("ix_audit_object", "object_type", "object_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    actor_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    #: The acting person's username when they acted, or "system" for scheduled work and the command line;
    #: empty once their account is deleted.
    actor_name: str = Field(max_length=80)
    #: The number the actor's account had, kept when it is deleted: the entry then reads "deleted account 7",
    #: the same for all of that person's entries (security report N5). No foreign key: the account is gone.
    former_actor_id: Optional[int] = None
    #: What was done: a key of ``webapp.audit.ACTIONS`` (e.g. "comment.block").
    action: str = Field(max_length=60)
    object_type: str = Field(max_length=40)
    object_id: Optional[int] = None
    #: The project it happened in (empty for site-wide actions such as adding an initiator).
    #: Kept when the project or organisation is deleted (emptied then): the log outlives what it records.
    project_id: Optional[int] = Field(default=None, foreign_key="project.id", ondelete="SET NULL")
    organisation_id: Optional[int] = Field(default=None, foreign_key="organisation.id", ondelete="SET NULL")
    #: The reason given, as entered (may be empty).
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: Further facts as short JSON (e.g. the reason key chosen, the number of items of a bulk action).
    details: str = Field(default="", sa_column=Column(Text, nullable=False))
