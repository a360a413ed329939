"""Adding chapters and paragraphs to a project's document, changing their texts and their order: commands (actor,
``require``, change, audit entry). Deleting an uncommented one is :mod:`webapp.documents.services`' work.

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
from .models import Chapter, ChapterText, Document, DocumentText, Paragraph, ParagraphText


def _document(project) -> Document:
    """The project's document (made, with its German title from the project's, when it has none yet)."""
    if project.document is None:
        project.document = Document(texts=[DocumentText(language=FALLBACK_KEY,
                                                        title=project.localized(FALLBACK_KEY).text.title)])
        db.session().add(project.document)
        db.session().flush()
    return project.document


#: An author's texts by mode key: the columns of its row ({"title": ...}), or ``None`` for no version in that mode.
Texts = dict[str, Optional[dict[str, str]]]


def _edit_texts(actor, project, item, kind: str, make, texts: Texts) -> bool:
    """Store ``item``'s texts (a chapter's or paragraph's, ``kind``): True, and an audit entry naming the modes, if
    any changed."""
    languages = write_texts(item, make, texts)
    if languages:
        db.session().add(item)
        audit.record(actor, f"{kind}.edit", kind, item.id, project_id=project.id,
                     organisation_id=project.organisation_id, languages=languages)
    return bool(languages)


@permissions.command
def add_chapter(actor, project, texts: Texts) -> Chapter:
    """A new last chapter of ``project``'s document, titled by mode key (German needed); its address is made from
    the German title. Refused unless ``actor`` may author the project."""
    permissions.require(audit.may("chapter.add", actor, project))
    document = _document(project)
    session = db.session()
    taken = set(session.exec(select(Chapter.slug).where(Chapter.document_id == document.id)).all())
    last = session.exec(select(func.max(Chapter.position)).where(Chapter.document_id == document.id)).one() or 0
    chapter = Chapter(document_id=document.id, position=last + 1,
                      slug=slug_from(texts[FALLBACK_KEY]["title"], taken.__contains__, "kapitel"))
    write_texts(chapter, ChapterText, texts)
    session.add(chapter)
    session.flush()
    audit.record(actor, "chapter.add", "chapter", chapter.id, project_id=project.id,
                 organisation_id=project.organisation_id, title=texts[FALLBACK_KEY]["title"], slug=chapter.slug)
    return chapter


@permissions.command
def edit_chapter(actor, project, chapter: Chapter, texts: Texts) -> bool:
    """Change the chapter's titles (by mode key; ``None``: none in that mode, German stays); True if any changed."""
    permissions.require(audit.may("chapter.edit", actor, project))
    return _edit_texts(actor, project, chapter, "chapter", ChapterText, texts)


def _swap(items: list, item, step: int) -> bool:
    """Swap ``item``'s position with its neighbour's one place up (``step`` -1) or down (+1) in ``items`` (in order);
    False when there is none that way."""
    index = items.index(item)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(items):
        return False
    neighbour = items[other]
    item.position, neighbour.position = neighbour.position, item.position
    db.session().add_all([item, neighbour])
    return True


@permissions.command
def move_chapter(actor, project, chapter: Chapter, step: int) -> bool:
    """Move the chapter one place up (``step`` -1) or down (+1) in its document: it swaps places with its
    neighbour. False (nothing changed) for the first moved up or the last moved down."""
    permissions.require(audit.may("chapter.move", actor, project))
    if not _swap(list(chapter.document.chapters), chapter, step):
        return False
    audit.record(actor, "chapter.move", "chapter", chapter.id, project_id=project.id,
                 organisation_id=project.organisation_id, step=step)
    return True


@permissions.command
def add_paragraph(actor, project, chapter: Chapter, texts: Texts) -> Paragraph:
    """A new last paragraph of ``chapter``: heading and body by mode key (German needed). Refused unless ``actor``
    may author the project."""
    permissions.require(audit.may("paragraph.add", actor, project))
    session = db.session()
    last = session.exec(select(func.max(Paragraph.position)).where(Paragraph.chapter_id == chapter.id)).one() or 0
    paragraph = Paragraph(chapter_id=chapter.id, position=last + 1)
    write_texts(paragraph, ParagraphText, texts)
    session.add(paragraph)
    session.flush()
    audit.record(actor, "paragraph.add", "paragraph", paragraph.id, project_id=project.id,
                 organisation_id=project.organisation_id, chapter=chapter.slug)
    return paragraph


@permissions.command
def edit_paragraph(actor, project, paragraph: Paragraph, texts: Texts) -> bool:
    """Change the paragraph's heading and body (by mode key; ``None``: no version in that mode, German stays); True
    if any changed. Its id stays, so comments and links stay with it."""
    permissions.require(audit.may("paragraph.edit", actor, project))
    return _edit_texts(actor, project, paragraph, "paragraph", ParagraphText, texts)


@permissions.command
def move_paragraph(actor, project, paragraph: Paragraph, step: int) -> bool:
    """Move the paragraph one place up or down in its chapter (as :func:`move_chapter`)."""
    permissions.require(audit.may("paragraph.move", actor, project))
    if not _swap(list(paragraph.chapter.paragraphs), paragraph, step):
        return False
    audit.record(actor, "paragraph.move", "paragraph", paragraph.id, project_id=project.id,
                 organisation_id=project.organisation_id, step=step)
    return True
