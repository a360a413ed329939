"""The demo content: a fictional city's consultations, read from ``content/*.toml``.

Phase dates in the files are day offsets from the day the demo is loaded, so a fresh
demo always has one project in its commenting phase, one finished and one upcoming.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from ..documents.models import Chapter, ChapterText, Document, DocumentText, Paragraph, ParagraphText
from ..phases.models import Phase, PhaseText
from ..projects.models import Organisation, Project, ProjectText

CONTENT_DIR = Path(__file__).parent / "content"
BERLIN = ZoneInfo("Europe/Berlin")
PROJECT_FILES = ("smart-city.toml", "radverkehr.toml", "spielplaetze.toml")


def _utc(day: date, at: time) -> datetime:
    """A Berlin wall-clock moment, in UTC."""
    return datetime.combine(day, at, tzinfo=BERLIN).astimezone(timezone.utc)


def _read(name: str) -> dict:
    return tomllib.loads((CONTENT_DIR / name).read_text(encoding="utf-8"))


def is_empty(session: Session) -> bool:
    """True when no project exists yet."""
    return session.exec(select(Project.id).limit(1)).first() is None


def load(session: Session, today: date) -> list[Project]:
    """Add the demo organisations and projects, with phases placed around ``today``."""
    organisations = {}
    for entry in _read("organisations.toml")["organisation"]:
        organisation = Organisation(**entry)
        session.add(organisation)
        organisations[organisation.slug] = organisation

    projects = []
    for name in PROJECT_FILES:
        data = _read(name)
        project = Project(slug=data["slug"], organisation=organisations[data["organisation"]], published=True)
        project.texts = [ProjectText(language=lang, **text) for lang, text in data["text"].items()]
        project.phases = [
            Phase(
                kind=entry["kind"],
                starts_at=_utc(today + timedelta(days=entry["start"]), time(0, 0)),
                ends_at=_utc(today + timedelta(days=entry["end"]), time(23, 59, 59)),
                texts=[PhaseText(language=lang, **text) for lang, text in entry["text"].items()],
            )
            for entry in data["phase"]
        ]
        document = Document(texts=[DocumentText(language=lang, **t) for lang, t in data["document"]["text"].items()])
        document.chapters = [
            Chapter(
                position=position,
                slug=entry["slug"],
                texts=[ChapterText(language=lang, **text) for lang, text in entry["text"].items()],
                paragraphs=[
                    Paragraph(
                        position=number,
                        texts=[ParagraphText(language=lang, **text) for lang, text in paragraph["text"].items()],
                    )
                    for number, paragraph in enumerate(entry["paragraph"], start=1)
                ],
            )
            for position, entry in enumerate(data["chapter"], start=1)
        ]
        project.document = document
        missing = project.missing_image_alt()
        if missing:
            raise ValueError(f"{project.slug}: image without alternative text in {missing}")
        session.add(project)
        projects.append(project)
    session.commit()
    return projects
