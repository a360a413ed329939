"""The demo content: a fictional city's consultations, read from ``content/*.toml``.

Phase dates in the files are day offsets from the day the demo is loaded, so a fresh
demo always has one project in its commenting phase, one finished and one upcoming.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import Session, select

from ..accounts.models import User, normalise_key
from ..accounts.services import DEMO_ACCOUNTS, DEMO_PASSWORD, new_account
from ..clock import berlin_moment
from ..comments.models import Comment
from ..documents.models import Chapter, ChapterText, Document, DocumentText, Paragraph, ParagraphText
from ..i18n import MODES
from ..moderation.models import Report
from ..phases.models import Phase, PhaseText
from ..projects.models import Organisation, Project, ProjectText
from ..roles.models import OrganisationMember, ProjectModerator

CONTENT_DIR = Path(__file__).parent / "content"
PROJECT_FILES = ("smart-city.toml", "radverkehr.toml", "spielplaetze.toml")



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
        project = build_project(data, organisations[data["organisation"]], today)
        missing = project.missing_image_alt()
        if missing:
            raise ValueError(f"{project.slug}: image without alternative text in {missing}")
        session.add(project)
        projects.append(project)
    session.commit()
    return projects


def build_project(data: dict, organisation: Organisation, today: date, slug: str = "") -> Project:
    """A project with its phases and document from one content file (``slug`` overrides the file's)."""
    project = Project(slug=slug or data["slug"], organisation=organisation, published=True,
                      comment_categories=data.get("comment_categories", ""))
    project.texts = [ProjectText(language=lang, **text) for lang, text in data["text"].items()]
    project.phases = [
        Phase(
            kind=entry["kind"],
            starts_at=berlin_moment(today + timedelta(days=entry["start"]), time(0, 0)),
            ends_at=berlin_moment(today + timedelta(days=entry["end"]), time(23, 59, 59)),
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
    return project


def load_accounts(session: Session) -> list[User]:
    """The confirmed demo accounts (never in production: the CLI refuses)."""
    users = []
    for email, name, role in DEMO_ACCOUNTS:
        if session.exec(select(User).where(User.email_key == normalise_key(email))).first():
            continue
        user = new_account(name, email, password=DEMO_PASSWORD, is_admin=role == "admin", confirmed=True,
                           session=session)
        # Real roles: the moderator moderates every demo project, the initiator runs the city's projects.
        if role == "moderator":
            for project in session.exec(select(Project)).all():
                session.add(ProjectModerator(user_id=user.id, project_id=project.id))
        elif role == "initiator":
            for organisation in session.exec(select(Organisation)).all():
                session.add(OrganisationMember(user_id=user.id, organisation_id=organisation.id, role="initiator"))
        users.append(user)
    session.commit()
    return users


def _comment_language(language: str) -> str:
    """A comment's ``lang``: one of the modes' html langs ("de", "en")."""
    if language not in {mode.html_lang for mode in MODES.values()}:
        raise ValueError(f"comments.toml: unknown comment language {language!r}")
    return language


def load_comments(session: Session, now: datetime) -> int:
    """The demo discussion from ``content/comments.toml``."""
    users = {u.email_key: u for u in session.exec(select(User)).all()}
    count = 0
    for entry in _read("comments.toml")["comment"]:
        project = session.exec(select(Project).where(Project.slug == entry["project"])).one()
        chapter = next(c for c in project.document.chapters if c.slug == entry["chapter"])
        paragraph = chapter.paragraphs[entry["paragraph"] - 1] if "paragraph" in entry else None
        top = Comment(project_id=project.id, chapter_id=chapter.id, paragraph_id=paragraph.id if paragraph else None,
                      author_id=users[entry["author"]].id, body=entry["body"].strip(), category=entry.get("category"),
                      language=_comment_language(entry["language"]),
                      created_at=now - timedelta(days=entry["days_ago"]), reply_count=len(entry.get("reply", [])))
        session.add(top)
        session.flush()
        for reply in entry.get("reply", []):
            session.add(Comment(project_id=project.id, chapter_id=chapter.id, paragraph_id=top.paragraph_id,
                                parent_id=top.id, author_id=users[reply["author"]].id, body=reply["body"].strip(),
                                language=_comment_language(reply.get("language", top.language)),
                                created_at=now - timedelta(days=reply["days_ago"])))
        count += 1
    session.commit()
    return count


#: A demo participant who writes the reported comments (loaded with them).
REPORTED_AUTHOR = ("kai@example.org", "Kai Muster")


def load_moderation(session: Session, now: datetime) -> int:
    """Reported comments for the demo moderator to work through (``flask demo load``; not in the tests' demo).

    Their author is one more confirmed demo account (the demo password); how many were loaded.
    """
    email, name = REPORTED_AUTHOR
    author = session.exec(select(User).where(User.email_key == normalise_key(email))).first()
    if author is None:
        author = new_account(name, email, password=DEMO_PASSWORD, confirmed=True, session=session)
    users = {u.email_key: u for u in session.exec(select(User)).all()}
    count = 0
    for entry in _read("comments.toml").get("reported", []):
        project = session.exec(select(Project).where(Project.slug == entry["project"])).one()
        chapter = next(c for c in project.document.chapters if c.slug == entry["chapter"])
        reports = entry.get("report", [])
        comment = Comment(project_id=project.id, chapter_id=chapter.id, author_id=users[entry["author"]].id,
                          body=entry["body"].strip(), language=_comment_language(entry["language"]),
                          created_at=now - timedelta(days=entry["days_ago"]),
                          report_count=len(reports), open_report_count=len(reports))
        session.add(comment)
        session.flush()
        for report in reports:
            session.add(Report(comment_id=comment.id, reporter_id=users[report["reporter"]].id, reason=report["reason"],
                               explanation=report.get("explanation", ""), comment_text=comment.body,
                               created_at=now - timedelta(hours=12)))
        count += 1
    session.commit()
    return count
