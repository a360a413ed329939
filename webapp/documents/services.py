"""Finding a chapter (with its neighbours) and a paragraph within a project."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from flask import abort
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from .. import db
from ..projects.models import Project
from .models import Chapter, Paragraph


@dataclass(frozen=True)
class ChapterInContext:
    """A chapter with its place in the document, for navigation."""

    chapter: Chapter
    number: int  #: 1-based
    total: int
    previous: Optional[Chapter]
    next: Optional[Chapter]


def find_chapter(project: Project, chapter_slug: str) -> ChapterInContext:
    """The chapter ``chapter_slug`` of ``project``, paragraphs loaded; 404 if there is none."""
    document = project.document
    chapters = document.chapters if document else []
    index = next((i for i, c in enumerate(chapters) if c.slug == chapter_slug), None)
    if index is None:
        abort(404)
    # One query for the paragraphs and one for their texts, whatever their number.
    chapter = chapters[index]
    paragraphs = db.session().exec(
        select(Paragraph)
        .where(Paragraph.chapter_id == chapter.id)
        .order_by(Paragraph.position)
        .options(selectinload(Paragraph.texts))
    ).all()
    set_committed_value(chapter, "paragraphs", list(paragraphs))
    return ChapterInContext(
        chapter=chapter,
        number=index + 1,
        total=len(chapters),
        previous=chapters[index - 1] if index > 0 else None,
        next=chapters[index + 1] if index + 1 < len(chapters) else None,
    )


def find_paragraph(context: ChapterInContext, paragraph_id: int) -> tuple[Paragraph, int]:
    """The paragraph ``paragraph_id`` of the chapter and its 1-based number; 404 otherwise."""
    for number, paragraph in enumerate(context.chapter.paragraphs, start=1):
        if paragraph.id == paragraph_id:
            return paragraph, number
    abort(404)
