"""Views of projects: thin, they load through the services and render."""

from __future__ import annotations

from ..htmx import render
from ..i18n import LanguageMode
from ..phases.services import timeline
from . import bp
from .services import get_published, published_by_state


@bp.get("/")
def index(mode: LanguageMode):
    """Home: running, upcoming and finished projects."""
    return render("projects/index.html", groups=published_by_state())


@bp.get("/projects/<slug:slug>")
def detail(mode: LanguageMode, slug: str):
    """A project: its texts, phase timeline, background link and table of contents."""
    project = get_published(slug)
    return render("projects/detail.html", project=project, timeline=timeline(project.phases))


@bp.get("/projects/<slug:slug>/background")
def background(mode: LanguageMode, slug: str):
    """The background page to read before the document."""
    project = get_published(slug)
    return render("projects/background.html", project=project, timeline=timeline(project.phases))
