"""Adding chapters to a project's document, changing their titles and their order: commands (actor,
``require``, change, audit entry). Deleting an uncommented one is :func:`webapp.documents.services.delete_chapter`.

A chapter's address (its slug) is made once, from its German title, and never changes: links to it and its
comments stay where they are. The caller's ``db.transaction()`` commits.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import func
from sqlmodel import select

from .. import audit, db, permissions
from ..i18n import FALLBACK_KEY, slug_from
from ..localized import write_texts
from .models import Chapter, ChapterText, Document, DocumentText


def _document(project) -> Document:
    """The project's document (made, with its German title from the project's, when it has none yet)."""
    if project.document is None:
        project.document = Document(texts=[DocumentText(language=FALLBACK_KEY,
                                                        title=project.localized(FALLBACK_KEY).text.title)])
        db.session().add(project.document)
        db.session().flush()
    return project.document


def _write_titles(chapter: Chapter, titles: dict[str, Optional[str]]) -> list[str]:
    return write_texts(chapter, ChapterText, {key: {"title": title} if title else None for key, title in titles.items()})


@permissions.command
def add_chapter(actor, project, titles: dict[str, Optional[str]]) -> Chapter:
    """A new last chapter of ``project``'s document, titled by mode key (German needed); its address is made from
    the German title. Refused unless ``actor`` may author the project."""
    permissions.require(audit.may("chapter.add", actor, project))
    document = _document(project)
    session = db.session()
    taken = set(session.exec(select(Chapter.slug).where(Chapter.document_id == document.id)).all())
    last = session.exec(select(func.max(Chapter.position)).where(Chapter.document_id == document.id)).one() or 0
    chapter = Chapter(document_id=document.id, position=last + 1,
                      slug=slug_from(titles[FALLBACK_KEY], taken.__contains__, "kapitel"))
    _write_titles(chapter, titles)
    session.add(chapter)
    session.flush()
    audit.record(actor, "chapter.add", "chapter", chapter.id, project_id=project.id,
                 organisation_id=project.organisation_id, title=titles[FALLBACK_KEY], slug=chapter.slug)
    return chapter


@permissions.command
def edit_chapter(actor, project, chapter: Chapter, titles: dict[str, Optional[str]]) -> bool:
    """Change the chapter's titles (by mode key; empty: none in that mode, German stays); True if any changed."""
    permissions.require(audit.may("chapter.edit", actor, project))
    languages = _write_titles(chapter, titles)
    if languages:
        db.session().add(chapter)
        audit.record(actor, "chapter.edit", "chapter", chapter.id, project_id=project.id,
                     organisation_id=project.organisation_id, languages=languages)
    return bool(languages)


@permissions.command
def move_chapter(actor, project, chapter: Chapter, step: int) -> bool:
    """Move the chapter one place up (``step`` -1) or down (+1) in its document: it swaps places with its
    neighbour. False (nothing changed) for the first moved up or the last moved down."""
    permissions.require(audit.may("chapter.move", actor, project))
    chapters = list(chapter.document.chapters)
    index = chapters.index(chapter)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(chapters):
        return False
    neighbour = chapters[other]
    chapter.position, neighbour.position = neighbour.position, chapter.position
    db.session().add_all([chapter, neighbour])
    audit.record(actor, "chapter.move", "chapter", chapter.id, project_id=project.id,
                 organisation_id=project.organisation_id, to=other + 1)
    return True
