"""Finding a chapter (with its neighbours) and a paragraph within a project; deleting a project, a chapter or a
paragraph while no one commented on it.

A project's deletion lives here, not in projects: what holds it back is the comments on its document, and
documents uses projects (its pages find their project), never the other way. For the same reason the table of
contents the project loaders bring along is given from here (:func:`table_of_contents`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from flask_babel import ngettext
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select

from .. import audit, db, permissions
from ..comments.models import Comment
from ..i18n import FALLBACK_KEY, gettext
from ..projects.models import Project
from .models import Chapter, Document, Paragraph


def table_of_contents(titles: bool = True) -> tuple:
    """Loader options on :class:`Project` for its document's table of contents: the document with its titles and
    its chapters with theirs, in one query per list whatever their number (``titles=False``: the document and its
    chapters without titles, for an action on a chapter). The project loaders (``projects.services.get_published``,
    ``get_for_staff``, ``get_published_for_action``) bring it along; the app factory connects it
    (``projects.services.load_along``)."""
    if not titles:
        return (joinedload(Project.document).joinedload(Document.chapters),)
    return (
        joinedload(Project.document).selectinload(Document.texts),
        joinedload(Project.document).selectinload(Document.chapters).selectinload(Chapter.texts),
    )


@dataclass(frozen=True)
class ChapterInContext:
    """A chapter with its place in the document, for navigation."""

    chapter: Chapter
    number: int  #: 1-based
    total: int
    previous: Optional[Chapter]
    next: Optional[Chapter]


def find_chapter(project: Project, chapter_slug: str, paragraphs: bool = True) -> ChapterInContext:
    """The chapter ``chapter_slug`` of ``project``, paragraphs loaded (``paragraphs=False``: not, for an action
    on the chapter that shows none of them).

    Raises :class:`webapp.db.NotFound` when the project has no such chapter (the web layer answers 404).
    """
    document = project.document
    chapters = document.chapters if document else []
    index = next((i for i, c in enumerate(chapters) if c.slug == chapter_slug), None)
    if index is None:
        raise db.NotFound(f"chapter {chapter_slug!r} of project {project.slug!r}")
    chapter = chapters[index]
    if paragraphs:
        _load_paragraphs(chapter)
    return ChapterInContext(
        chapter=chapter,
        number=index + 1,
        total=len(chapters),
        previous=chapters[index - 1] if index > 0 else None,
        next=chapters[index + 1] if index + 1 < len(chapters) else None,
    )


def _load_paragraphs(chapter: Chapter) -> None:
    """The chapter's paragraphs with their texts, in order: one query for each, whatever their number."""
    paragraphs = db.session().exec(
        select(Paragraph)
        .where(Paragraph.chapter_id == chapter.id)
        .order_by(Paragraph.position)
        .options(selectinload(Paragraph.texts))
    ).all()
    set_committed_value(chapter, "paragraphs", list(paragraphs))


def find_paragraph(context: ChapterInContext, paragraph_id: int) -> tuple[Paragraph, int]:
    """The paragraph ``paragraph_id`` of the chapter and its 1-based number.

    Raises :class:`webapp.db.NotFound` when the chapter has no such paragraph.
    """
    for number, paragraph in enumerate(context.chapter.paragraphs, start=1):
        if paragraph.id == paragraph_id:
            return paragraph, number
    raise db.NotFound(f"paragraph {paragraph_id} of chapter {context.chapter.slug!r}")


def paragraph_at(context: ChapterInContext, number: int) -> Paragraph:
    """The paragraph shown as number ``number`` (1-based) in the chapter: its address and its label "Paragraph N".

    Raises :class:`webapp.db.NotFound` when the chapter has fewer paragraphs.
    """
    paragraphs = context.chapter.paragraphs
    if 1 <= number <= len(paragraphs):
        return paragraphs[number - 1]
    raise db.NotFound(f"paragraph number {number} of chapter {context.chapter.slug!r}")


# --- Deleting: never what citizens wrote ----------------------------------------------------------

#: Why a project, chapter or paragraph with comments is not deleted, when the count is known ...
_COUNTED: dict[str, Callable[[int], str]] = {
    "project": lambda n: ngettext(
        "This project cannot be deleted because people have commented on it: it has %(num)d comment.",
        "This project cannot be deleted because people have commented on it: it has %(num)d comments.", n),
    "chapter": lambda n: ngettext(
        "This chapter cannot be deleted because people have commented on it: it has %(num)d comment.",
        "This chapter cannot be deleted because people have commented on it: it has %(num)d comments.", n),
    "paragraph": lambda n: ngettext(
        "This paragraph cannot be deleted because people have commented on it: it has %(num)d comment.",
        "This paragraph cannot be deleted because people have commented on it: it has %(num)d comments.", n),
}
#: ... and when the database refused a comment written after the count.
_UNCOUNTED: dict[str, Callable[[], str]] = {
    "project": lambda: gettext("This project cannot be deleted because people have commented on it."),
    "chapter": lambda: gettext("This chapter cannot be deleted because people have commented on it."),
    "paragraph": lambda: gettext("This paragraph cannot be deleted because people have commented on it."),
}


class HasComments(Exception):
    """Refused: the project, chapter or paragraph has comments, and nothing was deleted.

    Citizens' words are never deleted as a side effect (the database refuses too: its foreign
    keys from comments say RESTRICT). ``what`` is ``"project"``, ``"chapter"`` or ``"paragraph"``;
    ``count`` the comments and replies on it, ``None`` when a comment arrived after the count and
    the database refused the delete. :attr:`message` says so in the reader's language.
    """

    def __init__(self, what: str, count: Optional[int] = None) -> None:
        super().__init__(what, count)
        self.what, self.count = what, count

    @property
    def message(self) -> str:
        """The refusal, translated when read (views and CLI commands each have their own locale)."""
        return _UNCOUNTED[self.what]() if self.count is None else _COUNTED[self.what](self.count)

    def __str__(self) -> str:
        return self.message


def comment_count(column, value: int) -> int:
    """How many comments (replies and author-deleted ones included) have ``column == value``."""
    return db.session().exec(select(func.count(Comment.id)).where(column == value)).one()


def _refused_by_a_comment(error: IntegrityError) -> bool:
    """Whether the database refused a delete because a comment refers to the row (RESTRICT)."""
    original = error.orig
    if getattr(original, "sqlstate", None) is not None:  # PostgreSQL names the referring table
        diag = getattr(original, "diag", None)
        return original.sqlstate == "23503" and getattr(diag, "table_name", None) == "comment"
    return "FOREIGN KEY constraint failed" in str(original)  # SQLite names neither


def delete_unless_commented(item, what: str, count: int, record: Callable[[], object]) -> None:
    """Delete ``item`` with its texts and parts, or raise :class:`HasComments` and touch nothing.

    ``count`` is the comments counted on it beforehand. ``record`` writes the audit entry: it is
    called before the row goes, so the entry names what was deleted (its title) and outlives it.
    The delete is flushed at once, so that a comment written after the count (the database refuses
    then) is told apart here, with the same message, instead of as an error at commit. The caller's
    transaction rolls back on it, audit entry included.
    """
    if count:
        raise HasComments(what, count)
    record()
    session = db.session()
    session.delete(item)
    try:
        session.flush()
    except IntegrityError as error:
        if _refused_by_a_comment(error):
            raise HasComments(what) from error
        raise


def _paragraph_title(chapter: Chapter, paragraph: Paragraph) -> str:
    """How the audit log names a deleted paragraph: its chapter, then its heading or its first words (German)."""
    text = paragraph.localized(FALLBACK_KEY).text
    words = text.heading or " ".join(text.body.split())
    return f"{chapter.localized(FALLBACK_KEY).text.title}: {words[:80]}{'…' if len(words) > 80 else ''}"


@permissions.command
def delete_project(actor, project: Project) -> None:
    """Delete ``project`` with its texts, phases and document, when no one has commented on it.

    Raises :class:`HasComments` before anything is changed otherwise: citizens' words are never deleted as a side
    effect (archiving comes with a later issue). ``actor`` is the person deleting: refused
    (:class:`~webapp.permissions.Refused`) unless they may author the project. The caller commits, e.g.
    ``with db.transaction(): delete_project(current_user, project)``.
    """
    permissions.require(audit.may("project.delete", actor, project))
    delete_unless_commented(project, "project", comment_count(Comment.project_id, project.id), lambda: audit.record(
        actor, "project.delete", "project", project.id, project_id=project.id, organisation_id=project.organisation_id,
        title=project.localized(FALLBACK_KEY).text.title, slug=project.slug))


@permissions.command
def delete_chapter(actor, chapter: Chapter) -> None:
    """Delete ``chapter``, its texts and paragraphs, when no one has commented on it.

    Raises :class:`HasComments` before anything is changed otherwise. ``actor`` is the person
    deleting: refused (:class:`~webapp.permissions.Refused`) unless they may author the project. The
    caller commits, e.g. ``with db.transaction(): delete_chapter(current_user, chapter)``. The other
    chapters keep their positions (the gap does not show: pages number chapters by their order).
    """
    project = chapter.document.project
    permissions.require(audit.may("chapter.delete", actor, project))
    delete_unless_commented(chapter, "chapter", comment_count(Comment.chapter_id, chapter.id), lambda: audit.record(
        actor, "chapter.delete", "chapter", chapter.id, project_id=project.id, organisation_id=project.organisation_id,
        title=chapter.localized(FALLBACK_KEY).text.title, slug=chapter.slug))


@permissions.command
def delete_paragraph(actor, paragraph: Paragraph) -> None:
    """Delete ``paragraph`` and its texts when no one has commented on it; else :class:`HasComments`.

    Comments on the whole chapter do not hold a paragraph back. As :func:`delete_chapter`:
    refused unless ``actor`` may author the project; the caller commits.
    """
    chapter = paragraph.chapter
    project = chapter.document.project
    permissions.require(audit.may("paragraph.delete", actor, project))
    delete_unless_commented(paragraph, "paragraph", comment_count(Comment.paragraph_id, paragraph.id), lambda: audit.record(
        actor, "paragraph.delete", "paragraph", paragraph.id, project_id=project.id,
        organisation_id=project.organisation_id, chapter=chapter.slug, position=paragraph.position,
        title=_paragraph_title(chapter, paragraph)))
