"""Phases of a project: information, commenting, results, each with dates."""


from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import CheckConstraint, Column, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from ..localized import HasTexts

if TYPE_CHECKING:
    from ..projects.models import Project

#: The kinds of phase, in the order they usually run.
PHASE_KINDS = ("information", "commenting", "results")


class Phase(HasTexts, SQLModel, table=True):
    """A stretch of time in which a project allows certain things.

    ``starts_at`` and ``ends_at`` are stored in UTC; authors think in Europe/Berlin time
    and the demo loader and forms convert.
    """

    __table_args__ = (
        CheckConstraint("kind IN ('information', 'commenting', 'results')", name="phase_kind"),
        CheckConstraint("ends_at > starts_at", name="phase_dates"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    starts_at: datetime
    ends_at: datetime

    project: "Project" = Relationship(back_populates="phases")
    texts: list["PhaseText"] = Relationship(back_populates="phase", cascade_delete=True)


class PhaseText(SQLModel, table=True):
    """A phase's title and description in one language mode."""

    __tablename__ = "phase_text"
    __table_args__ = (UniqueConstraint("phase_id", "language"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    phase_id: int = Field(foreign_key="phase.id", ondelete="CASCADE")
    language: str = Field(max_length=16)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))

    phase: Phase = Relationship(back_populates="texts")
