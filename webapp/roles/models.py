"""Roles as data: who runs an organisation's projects, who moderates a project, who is invited to.

Site administrators are marked on their account (``User.is_admin``). Everyone else's rights
come from these rows, read by :mod:`webapp.permissions` and nowhere else.
"""

from datetime import datetime
from typing import Optional

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..clock import utcnow

#: Roles within an organisation. Initiators run all of its projects (author, moderate, add moderators).
ORGANISATION_ROLES = ("initiator",)
#: Every role an invitation can give.
INVITATION_ROLES = ("initiator", "moderator")


class OrganisationMember(SQLModel, table=True):
    """A person's role in an organisation (a public body)."""

    __tablename__ = "organisation_member"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", name="uq_organisation_member"),
        Index("ix_organisation_member_organisation", "organisation_id"),
        CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in ORGANISATION_ROLES)),
                        name="organisation_member_role"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    organisation_id: int = Field(foreign_key="organisation.id", ondelete="CASCADE")
    role: str = Field(default="initiator", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)


class ProjectModerator(SQLModel, table=True):
    """A person who moderates one project's discussion."""

    __tablename__ = "project_moderator"
    __table_args__ = (
        UniqueConstraint("user_id", "project_id", name="uq_project_moderator"),
        Index("ix_project_moderator_project", "project_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", ondelete="CASCADE")
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)


class Invitation(SQLModel, table=True):
    """An invitation by mail to take on a role, for an address without an account.

    The mailed link carries a signed token naming this row; it expires after
    ``INVITATION_DAYS`` and works once (``accepted_at``).
    """

    __table_args__ = (
        Index("ix_invitation_email", "email_key"),
        CheckConstraint("role IN ({})".format(", ".join(f"'{r}'" for r in INVITATION_ROLES)), name="invitation_role"),
        CheckConstraint("(role = 'initiator' AND organisation_id IS NOT NULL AND project_id IS NULL)"
                        " OR (role = 'moderator' AND project_id IS NOT NULL AND organisation_id IS NULL)",
                        name="invitation_scope"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    email_key: str = Field(max_length=254)
    role: str = Field(max_length=20)
    organisation_id: Optional[int] = Field(default=None, foreign_key="organisation.id", ondelete="CASCADE")
    project_id: Optional[int] = Field(default=None, foreign_key="project.id", ondelete="CASCADE")
    invited_by_id: Optional[int] = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    #: The mode the invitation was written in (the inviter's page).
    language: str = Field(default="de", max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    accepted_at: Optional[datetime] = None
    withdrawn_at: Optional[datetime] = None
