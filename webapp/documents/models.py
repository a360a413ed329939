"""A project's document, split into ordered chapters and paragraphs.

Paragraph ids are stable: comments attach to them. A paragraph's address is its number in the
chapter ("paragraph-2"), as readers see it; the old addresses by id redirect there.
"""


from typing import TYPE_CHECKING, Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, Relationship, SQLModel

from ..localized import HasTexts

if TYPE_CHECKING:
    from ..projects.models import Project


class Document(HasTexts, SQLModel, table=True):
    """The text under consultation; one per project."""

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", unique=True, ondelete="CASCADE")

    project: "Project" = Relationship(back_populates="document")
    texts: list["DocumentText"] = Relationship(back_populates="document", cascade_delete=True)
    chapters: list["Chapter"] = Relationship(
        back_populates="document",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "Chapter.position"},
    )


class DocumentText(SQLModel, table=True):
    """A document's title in one language mode."""

    __tablename__ = "document_text"
    __table_args__ = (UniqueConstraint("document_id", "language"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE")
    language: str = Field(max_length=16)
    title: str = Field(max_length=200)

    document: Document = Relationship(back_populates="texts")


class Chapter(HasTexts, SQLModel, table=True):
    """One chapter, addressed by its slug within the document."""

    __table_args__ = (
        UniqueConstraint("document_id", "slug"),
        Index("ix_chapter_document_position", "document_id", "position"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", ondelete="CASCADE")
    position: int
    slug: str = Field(max_length=80)

    document: Document = Relationship(back_populates="chapters")
    texts: list["ChapterText"] = Relationship(back_populates="chapter", cascade_delete=True)
    paragraphs: list["Paragraph"] = Relationship(
        back_populates="chapter",
        cascade_delete=True,
        sa_relationship_kwargs={"order_by": "Paragraph.position"},
    )


class ChapterText(SQLModel, table=True):
    """A chapter's title in one language mode."""

    __tablename__ = "chapter_text"
    __table_args__ = (UniqueConstraint("chapter_id", "language"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    chapter_id: int = Field(foreign_key="chapter.id", ondelete="CASCADE")
    language: str = Field(max_length=16)
    title: str = Field(max_length=200)

    chapter: Chapter = Relationship(back_populates="texts")


class Paragraph(HasTexts, SQLModel, table=True):
    """A paragraph (optionally headed, like an operative goal) that comments can attach to."""

    __table_args__ = (Index("ix_paragraph_chapter_position", "chapter_id", "position"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    chapter_id: int = Field(foreign_key="chapter.id", ondelete="CASCADE")
    position: int

    chapter: Chapter = Relationship(back_populates="paragraphs")
    texts: list["ParagraphText"] = Relationship(back_populates="paragraph", cascade_delete=True)


class ParagraphText(SQLModel, table=True):
    """A paragraph's heading and Markdown body in one language mode."""

    __tablename__ = "paragraph_text"
    __table_args__ = (UniqueConstraint("paragraph_id", "language"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    paragraph_id: int = Field(foreign_key="paragraph.id", ondelete="CASCADE")
    language: str = Field(max_length=16)
    heading: str = Field(default="", max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))

    paragraph: Paragraph = Relationship(back_populates="texts")
