"""Organisations (initiators) and their participation projects."""


from datetime import datetime
from typing import TYPE_CHECKING, Optional

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from ..clock import utcnow
from ..localized import HasTexts

if TYPE_CHECKING:
    from ..documents.models import Document
    from ..phases.models import Phase


class Organisation(SQLModel, table=True):
    """The public body that runs projects; its contact is the way to give feedback offline."""

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    website: str = Field(default="", max_length=500)
    address: str = Field(default="", max_length=1000)

    projects: list["Project"] = Relationship(back_populates="organisation")


class Project(HasTexts, SQLModel, table=True):
    """A participation project: texts, phases and (usually) one document."""

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    published: bool = Field(default=False, index=True)
    #: Path below ``static/`` of an optional image; every text row then needs ``image_alt``.
    image_path: Optional[str] = Field(default=None, max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
    #: Comment categories offered here, comma-separated keys of ``comments.models.CATEGORIES``.
    comment_categories: str = Field(default="", max_length=200)

    organisation: Organisation = Relationship(back_populates="projects")
    texts: list["ProjectText"] = Relationship(back_populates="project", cascade_delete=True)
    phases: list["Phase"] = Relationship(
        back_populates="project",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "Phase.starts_at"},
    )
    document: Optional["Document"] = Relationship(
        back_populates="project", cascade_delete=True, sa_relationship_kwargs={"uselist": False}
    )

    @property
    def categories(self) -> list[str]:
        return [key for key in self.comment_categories.split(",") if key]

    def missing_image_alt(self) -> list[str]:
        """Languages whose text lacks the image's alternative text (empty when all is well)."""
        if not self.image_path:
            return []
        return [t.language for t in self.texts if not (t.image_alt or "").strip()]


class ProjectText(SQLModel, table=True):
    """A project's texts in one language mode."""

    __tablename__ = "project_text"
    __table_args__ = (UniqueConstraint("project_id", "language"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", ondelete="CASCADE")
    language: str = Field(max_length=16)
    title: str = Field(max_length=200)
    teaser: str = Field(max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    background: str = Field(default="", sa_column=Column(Text, nullable=False))
    image_alt: Optional[str] = Field(default=None, max_length=500)

    project: Project = Relationship(back_populates="texts")
