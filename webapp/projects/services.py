"""Loading projects with everything their pages show, in a fixed number of queries.

documents uses projects (its pages find their project), never the other way: so the table of contents every
project page shows is loaded with the options documents gives (:func:`load_along`), and a project is deleted in
documents (``documents.services.delete_project``: what holds it back is the comments on its document).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Optional

from sqlalchemy import bindparam
from sqlalchemy.orm import joinedload, selectinload
from sqlmodel import select

from .. import db
from ..hook import Hook
from ..phases.models import Phase
from ..phases.services import Timeline, timeline
from .models import Project

#: The loader options for what hangs from a project and its pages show, ``_options_along()``: its document's table of
#: contents (the document's and chapters' titles). documents gives them (``documents.services.table_of_contents``),
#: connected by the app factory (``load_along``); unconnected the loaders refuse rather than load every chapter's
#: title one query at a time.
_options_along = Hook("projects' loader hook")
load_along = _options_along.connect


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


def get_published_for_action(slug: str, chapters: bool = False) -> Project:
    """The published project ``slug`` with its phases only (two queries): for the answer to an action on one comment,
    which needs the project's rules and the phase, not its texts or table of contents; ``chapters``: its document
    and chapters too, without titles (three queries: for an action on a chapter, such as publishing a comment).

    Raises :class:`webapp.db.NotFound` when there is none.
    """
    statement = _FOR_ACTION.get(chapters)
    if statement is None:  # built once (with the slug a parameter): every comment, rating and report loads it
        statement = _FOR_ACTION[chapters] = select(Project).where(
            Project.slug == bindparam("slug"), Project.published == True).options(  # noqa: E712  (SQL comparison)
            joinedload(Project.phases), *(_options_along(False) if chapters else ()))
    project: Optional[Project] = db.session().execute(statement, {"slug": slug}).unique().scalars().first()
    if project is None:
        raise db.NotFound(f"project {slug!r}")
    return project


#: :func:`get_published_for_action`'s statements, with and without the chapters.
_FOR_ACTION: dict[bool, Any] = {}


def get_for_staff(slug: str, *, table_of_contents: bool = True, phases: bool = True) -> Project:
    """The project ``slug``, published or not, loaded like :func:`get_published`, for staff pages; a page that shows
    no chapter titles (the audit log) or nothing of the phases (the moderation queue) leaves them out.

    Raises :class:`webapp.db.NotFound` when there is none; whether the person may see it is the caller's question
    (``permissions.authorize``).
    """
    if table_of_contents and phases:
        return _get(slug, published_only=False)
    options = (joinedload(Project.organisation), selectinload(Project.texts),
               *(_options_along() if table_of_contents else ()),
               *((selectinload(Project.phases).selectinload(Phase.texts),) if phases else ()))
    return _get(slug, published_only=False, options=options)


def _get(slug: str, published_only: bool, options: Optional[tuple] = None) -> Project:
    """The project ``slug`` with what ``options`` load (by default everything its pages show)."""
    condition = (Project.slug == slug) & (Project.published == True) if published_only else Project.slug == slug  # noqa: E712
    if options is None:
        options = (
            # One-to-one and many-to-one ride along in the main query; lists get one query each.
            joinedload(Project.organisation),
            *_options_along(),  # the document's table of contents
            selectinload(Project.texts),
            selectinload(Project.phases).selectinload(Phase.texts),
        )
    project: Optional[Project] = db.session().exec(select(Project).where(condition).options(*options)).first()
    if project is None:
        raise db.NotFound(f"project {slug!r}")
    return project
