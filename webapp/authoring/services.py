"""The authoring commands: create a project, change its texts, publish and unpublish it; and what it still lacks.

Each command takes the acting person first, asks :mod:`webapp.permissions` through the audit log's action
(:func:`webapp.audit.may`), changes rows, writes its audit entry and never commits: the caller's
``db.transaction()`` does (views, and later the importer, the CLI and the demo loader alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import col, select

from .. import audit, db, permissions
from ..clock import berlin_today
from ..documents.models import Chapter, Document, DocumentText, Paragraph
from ..i18n import FALLBACK_KEY, slug_from
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..localized import write_texts
from ..phases.models import Phase, PhaseText
from ..projects.models import Organisation, Project, ProjectText
from . import starter

#: The texts of a project in each mode, as the form names them.
TEXT_FIELDS = ("title", "teaser", "description", "background", "image_alt")


class AuthoringError(Exception):
    """A refusal with a message for the person acting, and the field it is about (if one)."""

    def __init__(self, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def slug_taken(slug: str) -> bool:
    return db.session().exec(select(Project.id).where(Project.slug == slug)).first() is not None


def address_for(title: str) -> str:
    """A free project address made from ``title`` ("Straße am Fluss" → "strasse-am-fluss", then "-2" ...)."""
    return slug_from(title, slug_taken, "projekt")


@permissions.command
def create_project(actor, organisation: Organisation, slug: str, title: str, teaser: str,
                   today: Optional[date] = None) -> Project:
    """A new draft project of ``organisation`` at the address ``slug``, with its German title and teaser, the
    starter's phases (:mod:`.starter`, placed from ``today``, a Berlin day) and an empty document.

    Raises :class:`AuthoringError` when the address is taken; refused unless ``actor`` may create projects there.
    """
    permissions.require(audit.may("project.create", actor, organisation))
    if slug_taken(slug):
        raise AuthoringError(_("Another project has this address already. Please choose another one."), "slug")
    project = Project(slug=slug, organisation=organisation, published=False)
    project.texts = [ProjectText(language=FALLBACK_KEY, title=title, teaser=teaser)]
    project.phases = [Phase(kind=kind, starts_at=starts, ends_at=ends,
                            texts=[PhaseText(language=key, title=t, description=d) for key, (t, d) in texts.items()])
                      for kind, starts, ends, texts in starter.phases_from(today or berlin_today())]
    project.document = Document(texts=[DocumentText(language=FALLBACK_KEY, title=title)])
    session = db.session()
    session.add(project)
    session.flush()
    audit.record(actor, "project.create", "project", project.id, project_id=project.id,
                 organisation_id=organisation.id, slug=slug, title=title)
    return project


@permissions.command
def save_texts(actor, project: Project, texts: dict[str, Optional[dict[str, Any]]]) -> list[str]:
    """Store the project's texts: for each mode key of ``texts`` the values of :data:`TEXT_FIELDS`, or ``None``
    for none in that mode (its readers then get the German text, marked as such; German is never removed).

    Returns the mode keys whose texts changed, with one audit entry naming them. Refused unless ``actor``
    may author the project. The caller commits.
    """
    permissions.require(audit.may("project.edit", actor, project))
    changed = write_texts(project, ProjectText, {
        key: None if values is None else {name: values.get(name) or ("" if name != "image_alt" else None)
                                          for name in TEXT_FIELDS}
        for key, values in texts.items()})
    if changed:
        audit.record(actor, "project.edit", "project", project.id, project_id=project.id,
                     organisation_id=project.organisation_id, languages=changed)
    return changed


@dataclass(frozen=True)
class Missing:
    """One thing a project lacks before it may be published: what, and the field or section that gives it."""

    key: str
    label: Any
    #: Where it is put right: "texts", "phases" or "chapters" (those pages) or "project" (the dashboard), and the element's id there.
    page: str
    anchor: str


def checklist(project: Project) -> list[Missing]:
    """What ``project`` still lacks before it may be published, in the order of the dashboard (empty: ready)."""
    missing = []
    german = {row.language: row for row in project.texts}.get(FALLBACK_KEY)
    for name, label in (("title", _l("A title in German")), ("teaser", _l("A teaser in German")),
                        ("description", _l("A description in German")), ("background", _l("The background in German"))):
        if german is None or not (getattr(german, name) or "").strip():
            missing.append(Missing(name, label, "texts", f"{name}_{FALLBACK_KEY}"))
    alt_missing = {"de": _l("The image's alternative text in German"),
                   "en": _l("The image's alternative text in English"),
                   "simple": _l("The image's alternative text in simple German")}
    for key in project.missing_image_alt():
        missing.append(Missing(f"image_alt_{key}", alt_missing[key], "texts", f"image_alt_{key}"))
    if not any(phase.kind == "commenting" for phase in project.phases):
        missing.append(Missing("phases", _l("A commenting phase"), "phases", ""))
    if not paragraph_counts(project):
        missing.append(Missing("chapters", _l("At least one chapter with a paragraph"), "chapters", ""))
    if not (project.organisation.email or "").strip():
        missing.append(Missing("contact", _l("A contact address of the organisation"), "project", "contact"))
    return missing


def paragraph_counts(project: Project) -> dict[int, int]:
    """Paragraphs per chapter of the project's document (chapter id → number; chapters without any left out)."""
    if project.document is None:
        return {}
    return dict(db.session().exec(
        select(Paragraph.chapter_id, func.count()).join(Chapter, Chapter.id == Paragraph.chapter_id)
        .where(Chapter.document_id == project.document.id).group_by(Paragraph.chapter_id)).all())


#: The mode keys, in the order the authoring pages show them.
MODE_KEYS = ("de", "en", "simple")


@permissions.command
def publish(actor, project: Project) -> bool:
    """Publish ``project``: its pages are public from the commit on. True if it was a draft.

    Raises :class:`AuthoringError` while :func:`checklist` names anything; refused unless ``actor`` may author it.
    """
    permissions.require(audit.may("project.publish", actor, project))
    if project.published:
        return False
    if checklist(project):
        raise AuthoringError(_("The project cannot be published yet: it lacks what the checklist names."))
    project.published = True
    db.session().add(project)
    audit.record(actor, "project.publish", "project", project.id, project_id=project.id,
                 organisation_id=project.organisation_id)
    return True


@permissions.command
def unpublish(actor, project: Project) -> bool:
    """Make ``project`` a draft again: only its staff see it. Its comments stay. True if it was published."""
    permissions.require(audit.may("project.unpublish", actor, project))
    if not project.published:
        return False
    project.published = False
    db.session().add(project)
    audit.record(actor, "project.unpublish", "project", project.id, project_id=project.id,
                 organisation_id=project.organisation_id)
    return True



@dataclass(frozen=True)
class TextRow:
    """One text of a project in the translations overview: what it is, where it is edited, which modes have it."""

    what: str
    #: The authoring page (endpoint) and its arguments; the field's id is "<field>_<mode>" there.
    endpoint: str
    arguments: dict
    field: str
    present: dict[str, bool]


def translation_rows(project: Project) -> list[TextRow]:
    """Every text of ``project`` that readers get in their mode, in the order of its pages, and in which modes it is
    written (German always: it is the fallback): the project's texts, each phase's title and description, each
    chapter's title and each paragraph's text. One query for the paragraphs, whatever their number."""
    rows = []
    texts = {row.language: row for row in project.texts}
    labels = {"title": _("Title of the project"), "teaser": _("Teaser"), "description": _("Description"),
              "background": _("Background")}
    for name, label in labels.items():
        rows.append(TextRow(label, "authoring.texts", {}, name,
                            {key: bool(texts.get(key) and getattr(texts[key], name)) for key in MODE_KEYS}))
    for phase in project.phases:
        phase_texts = {row.language: row for row in phase.texts}
        rows.append(TextRow(_("Phase “%(title)s”", title=phase.localized(FALLBACK_KEY).text.title), "authoring.phase",
                            {"phase_id": phase.id}, "title", {key: key in phase_texts for key in MODE_KEYS}))
    chapters = project.document.chapters if project.document else []
    paragraphs: dict[int, list[Paragraph]] = {}
    if chapters:
        for paragraph in db.session().exec(select(Paragraph).where(col(Paragraph.chapter_id).in_([c.id for c in chapters]))
                                           .order_by(Paragraph.chapter_id, Paragraph.position)
                                           .options(selectinload(Paragraph.texts))).all():
            paragraphs.setdefault(paragraph.chapter_id, []).append(paragraph)
    for number, chapter in enumerate(chapters, start=1):
        chapter_texts = {row.language for row in chapter.texts}
        rows.append(TextRow(_("Chapter %(number)d: title", number=number), "authoring.chapter",
                            {"chapter_id": chapter.id}, "title", {key: key in chapter_texts for key in MODE_KEYS}))
        for position, paragraph in enumerate(paragraphs.get(chapter.id, []), start=1):
            paragraph_texts = {row.language: row for row in paragraph.texts}
            rows.append(TextRow(_("Chapter %(number)d, paragraph %(position)d", number=number, position=position),
                                "authoring.paragraph", {"chapter_id": chapter.id, "paragraph_id": paragraph.id}, "body",
                                {key: bool(paragraph_texts.get(key) and paragraph_texts[key].body) for key in MODE_KEYS}))
    return rows


#: An organisation's fields, as the form names them.
ORGANISATION_FIELDS = ("name", "email", "phone", "website", "address")


def organisation_slug_taken(slug: str) -> bool:
    return db.session().exec(select(Organisation.id).where(Organisation.slug == slug)).first() is not None


@permissions.command
def create_organisation(actor, values: dict[str, str]) -> Organisation:
    """A new organisation with ``values`` (:data:`ORGANISATION_FIELDS`); its address is made from its name.
    Refused unless ``actor`` administers the site."""
    permissions.require(audit.may("organisation.create", actor, None))
    organisation = Organisation(slug=slug_from(values["name"], organisation_slug_taken, "organisation"),
                                **{name: values.get(name) or "" for name in ORGANISATION_FIELDS})
    db.session().add(organisation)
    db.session().flush()
    audit.record(actor, "organisation.create", "organisation", organisation.id, organisation_id=organisation.id,
                 name=organisation.name)
    return organisation


@permissions.command
def edit_organisation(actor, organisation: Organisation, values: dict[str, str]) -> list[str]:
    """Change the organisation's name and contact; the fields that changed (and an audit entry naming them)."""
    permissions.require(audit.may("organisation.edit", actor, organisation))
    changed = [name for name in ORGANISATION_FIELDS if (values.get(name) or "") != (getattr(organisation, name) or "")]
    for name in changed:
        setattr(organisation, name, values.get(name) or "")
    if changed:
        db.session().add(organisation)
        audit.record(actor, "organisation.edit", "organisation", organisation.id, organisation_id=organisation.id,
                     fields=changed)
    return changed
