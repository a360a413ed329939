"""Loading projects with everything their pages show, in a fixed number of queries; deleting an uncommented one."""

from __future__ import annotations

from collections import defaultdict
from typing import Optional

from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import select

from .. import audit, db, permissions
from ..comments.models import Comment
from ..documents.models import Chapter, Document
from ..documents.services import comment_count, delete_unless_commented
from ..i18n import FALLBACK_KEY
from ..phases.models import Phase
from ..phases.services import Timeline, timeline
from .models import Project


def published_by_state() -> dict[str, list[tuple[Project, Timeline]]]:
    """Published projects grouped into ``running``, ``upcoming`` and ``finished``.

    Running ones end soonest first, upcoming ones start soonest first, finished ones
    ended most recently first.
    """
    projects = db.session().exec(
        select(Project)
        .where(Project.published == True)  # noqa: E712  (SQL comparison)
        .options(selectinload(Project.texts), selectinload(Project.phases).selectinload(Phase.texts))
    ).all()
    groups: dict[str, list[tuple[Project, Timeline]]] = defaultdict(list)
    for project in projects:
        line = timeline(project.phases)
        groups[line.state].append((project, line))
    groups["running"].sort(key=lambda pair: pair[1].ends_at)
    groups["upcoming"].sort(key=lambda pair: pair[1].starts_at)
    groups["finished"].sort(key=lambda pair: pair[1].ends_at, reverse=True)
    return {state: groups[state] for state in ("running", "upcoming", "finished")}


def get_published(slug: str) -> Project:
    """The published project ``slug`` with its texts, phases, organisation and table of contents.

    Raises :class:`webapp.db.NotFound` when there is none (the web layer answers 404).
    """
    return _get(slug, published_only=True)


def get_for_staff(slug: str) -> Project:
    """The project ``slug``, published or not, loaded like :func:`get_published`, for staff pages.

    Raises :class:`webapp.db.NotFound` when there is none; whether the person may see it is the caller's question
    (``permissions.authorize``).
    """
    return _get(slug, published_only=False)


def _get(slug: str, published_only: bool) -> Project:
    condition = (Project.slug == slug) & (Project.published == True) if published_only else Project.slug == slug  # noqa: E712
    project: Optional[Project] = db.session().exec(
        select(Project)
        .where(condition)
        .options(
            # One-to-one and many-to-one ride along in the main query; lists get one query each.
            joinedload(Project.organisation),
            joinedload(Project.document).selectinload(Document.texts),
            joinedload(Project.document).selectinload(Document.chapters).selectinload(Chapter.texts),
            selectinload(Project.texts),
            selectinload(Project.phases).selectinload(Phase.texts),
        )
    ).first()
    if project is None:
        raise db.NotFound(f"project {slug!r}")
    return project


@permissions.command
def delete_project(actor, project: Project) -> None:
    """Delete ``project`` with its texts, phases and document, when no one has commented on it.

    Raises :class:`~webapp.documents.services.HasComments` before anything is changed otherwise:
    citizens' words are never deleted as a side effect (archiving comes with a later issue).
    ``actor`` is the person deleting: refused (:class:`~webapp.permissions.Refused`) unless they may author
    the project. The caller commits, e.g. ``with db.transaction(): delete_project(current_user, project)``.
    """
    permissions.require(audit.may("project.delete", actor, project))
    delete_unless_commented(project, "project", comment_count(Comment.project_id, project.id), lambda: audit.record(
        actor, "project.delete", "project", project.id, project_id=project.id, organisation_id=project.organisation_id,
        title=project.localized(FALLBACK_KEY).text.title, slug=project.slug))

