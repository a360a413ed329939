"""Every page and state the accessibility suite scans, in every language mode.

New pages and states are added here; all a11y tests (axe, keyboard, reflow, HTML
validity) and the link crawl in tests/ take their list from this one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from webapp.i18n import MODES
from webapp.pages.content import PAGES
from webapp.projects.models import Project


@dataclass(frozen=True)
class Page:
    """A page in one state; ``path`` follows the mode prefix."""

    label: str
    path: str
    status: int = 200

    def url(self, prefix: str) -> str:
        return f"/{prefix}{self.path}"


def pages(session: Session) -> list[Page]:
    """The pages of the demo content in each state they can be in."""
    found = [Page("home", "/")]
    for project in session.exec(select(Project).order_by(Project.id)).all():
        base = f"/projects/{project.slug}"
        found.append(Page(f"project {project.slug}", base))
        found.append(Page(f"background {project.slug}", f"{base}/background"))
        chapters = project.document.chapters if project.document else []
        # Every chapter of the running project; first and last of the others (prev/next states).
        chosen = chapters if project.slug == "smart-city" else chapters[:1] + chapters[1:][-1:]
        for chapter in chosen:
            found.append(Page(f"chapter {project.slug}/{chapter.slug}", f"{base}/chapters/{chapter.slug}"))
        if chapters:
            chapter = chapters[-1]  # on radverkehr: shown in German inside the simple mode
            paragraph = chapter.paragraphs[0]
            found.append(Page(f"paragraph {project.slug}/{chapter.slug}",
                              f"{base}/chapters/{chapter.slug}/paragraphs/{paragraph.id}"))
    found += [Page(f"page {name}", f"/{name}") for name in PAGES]
    found.append(Page("not found", "/projects/no-such-project", status=404))
    return found


def all_urls(session: Session) -> list[tuple[str, Page]]:
    """Every page in every mode, as (url, page)."""
    return [(page.url(mode.prefix), page) for page in pages(session) for mode in MODES.values()]
