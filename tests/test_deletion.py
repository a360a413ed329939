"""Nothing citizens wrote is deleted as a side effect (issue 10): projects, chapters and paragraphs
people commented on are refused, with the reason in the reader's language; the rest can go.

The services are called as the dashboard (a later issue) will call them: inside
``db.transaction()``, with the acting user. The database refuses too (migration 0006), so a
comment written after the services counted, or code that bypasses them, cannot take any with it.
"""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.factories import CommentFactory, RatingFactory, ReportFactory
from webapp import db
from webapp.accounts.models import User
from webapp.comments.models import Comment, Rating
from webapp.demo import _read, build_project
from webapp.documents.models import Chapter, ChapterText, Document, Paragraph, ParagraphText
from webapp.documents.services import HasComments, delete_chapter, delete_paragraph, delete_project
from webapp.moderation.models import Report
from webapp.phases.models import Phase
from webapp.projects.models import Organisation, Project, ProjectText


@pytest.fixture()
def project(app):
    """An unpublished copy of the Smart City project (six chapters), removed again afterwards.

    Its first chapter has two comments on the chapter (one a reply) and one on its first
    paragraph, rated and reported; everything else is uncommented.
    """
    with Session(app.extensions["db_engine"]) as session:
        organisation = session.exec(select(Organisation)).first()
        project = build_project(_read("smart-city.toml"), organisation, date.today(), slug=f"weg-{secrets.token_hex(4)}")
        project.published = False
        session.add(project)
        session.commit()
        chapter = project.document.chapters[0]
        readers = session.exec(select(User.id).order_by(User.id)).all()
        top = CommentFactory(session=session, chapter=chapter, author_id=readers[0], body="Bitte mehr Bänke.", reply_count=1)
        on_paragraph = CommentFactory(session=session, paragraph=chapter.paragraphs[0], author_id=readers[1],
                                      body="Zu diesem Absatz.")
        CommentFactory(session=session, parent=top, author_id=readers[1], body="Und Schatten.")
        RatingFactory(session=session, comment=top, user_id=readers[1], value=1)
        ReportFactory(session=session, comment=on_paragraph, reporter_id=readers[0], reason="off_topic")
        project_id = project.id
    yield project_id
    with Session(app.extensions["db_engine"]) as session:
        # Test data only: the reports and comments first (replies before what they answer), as the database insists.
        comments = select(Comment.id).where(Comment.project_id == project_id)
        session.execute(delete(Report).where(Report.comment_id.in_(comments)))
        session.execute(delete(Comment).where(Comment.project_id == project_id, Comment.parent_id.is_not(None)))
        session.execute(delete(Comment).where(Comment.project_id == project_id))
        leftover = session.get(Project, project_id)
        if leftover is not None:
            session.delete(leftover)
        session.commit()


def admin(session) -> User:
    """The acting person: the demo's administrator."""
    return session.exec(select(User).where(User.email_key == "admin@example.org")).one()


def load(session, project_id: int) -> tuple[Project, Chapter]:
    project = session.get(Project, project_id)
    return project, project.document.chapters[0]


def counts(app, project_id: int) -> dict[str, int]:
    """What the project holds: comments, ratings and reports on it, and its parts."""
    with Session(app.extensions["db_engine"]) as session:
        comments = select(Comment.id).where(Comment.project_id == project_id)
        chapters = select(Chapter.id).join(Document).where(Document.project_id == project_id)
        return {
            "comments": session.exec(select(func.count()).select_from(Comment).where(Comment.project_id == project_id)).one(),
            "ratings": session.exec(select(func.count()).select_from(Rating).where(Rating.comment_id.in_(comments))).one(),
            "reports": session.exec(select(func.count()).select_from(Report).where(Report.comment_id.in_(comments))).one(),
            "projects": session.exec(select(func.count()).select_from(Project).where(Project.id == project_id)).one(),
            "chapters": session.exec(select(func.count()).select_from(Chapter).where(Chapter.id.in_(chapters))).one(),
            "paragraphs": session.exec(select(func.count()).select_from(Paragraph)
                                       .where(Paragraph.chapter_id.in_(chapters))).one(),
        }


#: The refusals as readers of each mode read them: (what, number of comments) -> message.
REFUSALS = {
    "en": {("project", 3): "This project cannot be deleted because people have commented on it: it has 3 comments.",
           ("chapter", 3): "This chapter cannot be deleted because people have commented on it: it has 3 comments.",
           ("paragraph", 1): "This paragraph cannot be deleted because people have commented on it: it has 1 comment."},
    "de": {("project", 3): "Dieses Projekt kann nicht gelöscht werden, weil Menschen es kommentiert haben: "
                           "Es hat 3 Kommentare.",
           ("chapter", 3): "Dieses Kapitel kann nicht gelöscht werden, weil Menschen es kommentiert haben: "
                           "Es hat 3 Kommentare.",
           ("paragraph", 1): "Dieser Absatz kann nicht gelöscht werden, weil Menschen ihn kommentiert haben: "
                             "Er hat 1 Kommentar."},
    "einfach": {("project", 3): "Dieses Projekt hat 3 Kommentare. Darum kann man es nicht löschen.",
                ("chapter", 3): "Dieses Kapitel hat 3 Kommentare. Darum kann man es nicht löschen.",
                ("paragraph", 1): "Dieser Absatz hat 1 Kommentar. Darum kann man ihn nicht löschen."},
}


@pytest.mark.parametrize("prefix", list(REFUSALS))
@pytest.mark.parametrize("what", ["project", "chapter", "paragraph"])
def test_what_people_commented_on_is_not_deleted_and_the_reader_is_told_why(app, project, prefix, what):
    """Refused before anything is touched, with the number of comments, in the reader's mode."""
    before = counts(app, project)
    with app.test_request_context(f"/{prefix}/"):
        session = db.session()
        found, chapter = load(session, project)
        with pytest.raises(HasComments) as refused, db.transaction():
            if what == "project":
                delete_project(admin(session), found)
            elif what == "chapter":
                delete_chapter(admin(session), chapter)
            else:
                delete_paragraph(admin(session), chapter.paragraphs[0])
        expected = next(message for (kind, _n), message in REFUSALS[prefix].items() if kind == what)
        assert refused.value.message == expected
        assert str(refused.value) == expected  # what a CLI command would print
    assert counts(app, project) == before


def test_uncommented_paragraphs_chapters_and_projects_are_deleted_with_their_texts(app, project):
    """A paragraph with comments only on its chapter, a chapter no one commented on, a project once its
    comments are gone: each goes with its texts (and a project with its phases and document)."""
    with app.test_request_context("/de/"):
        session = db.session()
        found, commented = load(session, project)
        second = commented.paragraphs[1]  # its chapter has comments, it has none
        third_chapter = found.document.chapters[2]
        paragraph_ids = [p.id for p in third_chapter.paragraphs]
        with db.transaction():
            delete_paragraph(admin(session), second)
            delete_chapter(admin(session), third_chapter)
        assert session.get(Paragraph, second.id) is None
        assert session.exec(select(ParagraphText).where(ParagraphText.paragraph_id == second.id)).all() == []
        assert session.get(Chapter, third_chapter.id) is None
        assert session.exec(select(ChapterText).where(ChapterText.chapter_id == third_chapter.id)).all() == []
        assert session.exec(select(Paragraph).where(Paragraph.id.in_(paragraph_ids))).all() == []
    assert counts(app, project)["comments"] == 3 and counts(app, project)["chapters"] == 5

    with Session(app.extensions["db_engine"]) as session:  # the test's own comments taken away by hand
        session.execute(delete(Report).where(Report.comment_id.in_(select(Comment.id).where(Comment.project_id == project))))
        session.execute(delete(Comment).where(Comment.project_id == project, Comment.parent_id.is_not(None)))
        session.execute(delete(Comment).where(Comment.project_id == project))
        session.commit()
    with app.test_request_context("/de/"):
        session = db.session()
        document_id = session.get(Project, project).document.id
        with db.transaction():
            delete_project(admin(session), session.get(Project, project))
        assert session.get(Project, project) is None
        assert session.get(Document, document_id) is None
        assert session.exec(select(ProjectText).where(ProjectText.project_id == project)).all() == []
        assert session.exec(select(Phase).where(Phase.project_id == project)).all() == []
        assert session.exec(select(Chapter).where(Chapter.document_id == document_id)).all() == []


def test_the_services_leave_the_commit_to_the_caller(app, project):
    """Without ``db.transaction()`` committing, an uncommented chapter's deletion is rolled back with the rest."""
    with app.test_request_context("/de/"):
        session = db.session()
        found, _commented = load(session, project)
        chapter_id = found.document.chapters[1].id
        delete_chapter(admin(session), found.document.chapters[1])
        session.rollback()
    with Session(app.extensions["db_engine"]) as session:
        assert session.get(Chapter, chapter_id) is not None


@pytest.mark.parametrize("prefix, expected", [
    ("en", "This chapter cannot be deleted because people have commented on it."),
    ("de", "Dieses Kapitel kann nicht gelöscht werden, weil Menschen es kommentiert haben."),
    ("einfach", "Menschen haben dieses Kapitel kommentiert. Darum kann man es nicht löschen."),
])
def test_a_comment_written_after_the_count_is_kept_by_the_database_with_the_same_refusal(
        app, project, monkeypatch, prefix, expected):
    """Between counting and deleting someone may comment: the database refuses then, and the reader
    is told the same (without a number), instead of seeing an error page."""
    import webapp.documents.services as services

    monkeypatch.setattr(services, "comment_count", lambda _column, _value: 0)  # as if counted just before
    before = counts(app, project)
    with app.test_request_context(f"/{prefix}/"):
        session = db.session()
        _found, chapter = load(session, project)
        with pytest.raises(HasComments) as refused, db.transaction():
            delete_chapter(admin(session), chapter)
        assert refused.value.count is None and refused.value.message == expected
    assert counts(app, project) == before


@pytest.mark.parametrize("what", ["project", "chapter", "paragraph"])
def test_code_that_bypasses_the_services_cannot_delete_comments_either(app, project, what):
    """Deleting through the ORM (its cascades reach chapters and paragraphs, never comments) is refused by
    the database, on SQLite as the app runs it and on PostgreSQL; nothing is lost."""
    before = counts(app, project)
    with Session(app.extensions["db_engine"]) as session:
        found, chapter = load(session, project)
        session.delete({"project": found, "chapter": chapter, "paragraph": chapter.paragraphs[0]}[what])
        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
    assert counts(app, project) == before


def test_no_relationship_lets_the_orm_delete_or_empty_comments_and_reports():
    """A relationship from a project, chapter, paragraph or comment to the rows that hold citizens' words
    would make ``session.delete`` empty their keys or delete them before the database could refuse:
    any such relationship must leave deletes to the database (``passive_deletes="all"``) or be view-only."""
    from sqlalchemy import inspect as mapper_of

    import webapp.models  # noqa: F401  (every table mapped)

    protected = {Comment, Report}
    for mapper in mapper_of(Comment).registry.mappers:
        for relationship in mapper.relationships:
            if relationship.mapper.class_ in protected and relationship.direction.name == "ONETOMANY":
                assert relationship.viewonly or relationship.passive_deletes == "all", relationship


def test_loading_the_demo_into_a_database_with_projects_is_refused_with_a_clear_message(app):
    """``flask demo load`` on the demo with its comments: one line saying why and what to do, no traceback,
    nothing changed; ``--if-empty`` (what ``make run`` uses) leaves the database as it is."""
    def state():
        with Session(app.extensions["db_engine"]) as session:
            return [session.exec(select(func.count()).select_from(table)).one() for table in (Project, Comment)]

    before = state()
    assert before[1] > 0
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Error: The database has projects already, so the demo is not loaded" in result.output
    assert "--if-empty" in result.output and "Traceback" not in result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0 and "left as it is" in result.output
    assert state() == before


def test_the_demo_still_loads_into_an_empty_database(tmp_path):
    """``make run`` on a fresh machine: the demo with its discussion goes into the new database."""
    from alembic import command

    from tests.support import alembic_config
    from webapp import create_app

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    command.upgrade(alembic_config(url), "head")
    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 40})
    result = application.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Demo content loaded: smart-city, radverkehr, spielplaetze." in result.output
    with Session(application.extensions["db_engine"]) as session:
        assert session.exec(select(func.count()).select_from(Comment)).one() > 0
    application.extensions["db_engine"].dispose()
