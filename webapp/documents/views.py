"""Views of a document: a chapter page and a single paragraph's page."""

from __future__ import annotations

from ..htmx import render
from ..i18n import LanguageMode
from ..phases.services import timeline
from ..projects.services import get_published
from . import bp
from .services import find_chapter, find_paragraph


@bp.get("/chapters/<slug:chapter>")
def chapter(mode: LanguageMode, slug: str, chapter: str):
    """A chapter with its paragraphs, navigation and the discussion area's state."""
    project = get_published(slug)
    return render(
        "documents/chapter.html",
        project=project,
        timeline=timeline(project.phases),
        current=find_chapter(project, chapter),
    )


@bp.get("/chapters/<slug:chapter>/paragraphs/<int:paragraph_id>")
def paragraph(mode: LanguageMode, slug: str, chapter: str, paragraph_id: int):
    """One paragraph, addressable on its own: its permalink and (later) its discussion."""
    project = get_published(slug)
    current = find_chapter(project, chapter)
    found, number = find_paragraph(current, paragraph_id)
    return render(
        "documents/paragraph.html",
        project=project,
        timeline=timeline(project.phases),
        current=current,
        paragraph=found,
        number=number,
    )
