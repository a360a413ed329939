"""One write path (issue 10, part 2): services change rows, the caller's ``db.transaction()`` commits.

- No module of the app commits or rolls back a session itself, except ``webapp/db.py`` (the one
  place that does), the demo loader and the mail delivery job (which works outside any request).
  A service that committed would store half of a unit of work (a comment without its audit entry
  or its mail); one that rolled back would silently undo what its caller had done before.
- An error anywhere inside a comment's transaction leaves no trace: no comment, no rating, and
  no counter moved. This holds on SQLite too, whose driver opens a transaction only at the first
  write (a savepoint before it would otherwise commit on its own).
- A rating whose insert lost to the same reader's other click (`ON CONFLICT DO NOTHING`) looks again; the rest
  of the transaction stays.
"""

from __future__ import annotations

import ast
import re
import secrets
from pathlib import Path

import pytest
from sqlalchemy import event, insert
from sqlmodel import select

from tests.factories import CommentFactory
from tests.support import make_user
from webapp import db
from webapp.clock import utcnow
from webapp.comments import services
from webapp.i18n import MODES
from webapp.models import Comment, Rating, User

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
#: Where a commit or rollback belongs: the transaction itself, the demo loader, the mail delivery job.
ALLOWED = {Path("db.py"), Path("mail/tasks.py")}
ALLOWED_FOLDERS = {"demo", "migrations"}


def session_calls(name: str) -> list[str]:
    """Every ``<something>.<name>(...)`` call in the app outside the allowed places, as "path:line"."""
    found = []
    for path in sorted(WEBAPP.rglob("*.py")):
        relative = path.relative_to(WEBAPP)
        if relative in ALLOWED or ALLOWED_FOLDERS & set(relative.parts[:-1]):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                found.append(f"webapp/{relative}:{node.lineno}")
    return found


def test_no_service_or_view_commits_itself():
    assert session_calls("commit") == [], (
        "Services only change rows; the caller commits the whole unit of work with `with db.transaction():` "
        "(webapp/db.py; work after the commit goes to db.after_commit()). Remove these commits and wrap the "
        "callers (views, CLI commands, jobs, tests) instead.")


def test_no_service_or_view_rolls_back_its_callers_work():
    assert session_calls("rollback") == [], (
        "A rollback undoes everything the caller's transaction did before. Let the exception go on "
        "(db.transaction() rolls back), or, for a step that may fail alone (a unique constraint deciding "
        "a race), run it in `with db.savepoint():` and catch the IntegrityError outside it.")


#: Modules that may end a request with an HTTP status: the one refusal helper; the others are views.
ABORT_ALLOWED = {Path("permissions.py")}


def test_services_do_not_abort_views_map_not_found_to_404():
    """Services raise ``db.NotFound`` (or a refusal of their own); only views choose status codes."""
    found = []
    for path in sorted(WEBAPP.rglob("*.py")):
        relative = path.relative_to(WEBAPP)
        source = path.read_text(encoding="utf-8")
        if relative in ABORT_ALLOWED or re.search(r"^@\w+\.(route|get|post)\(", source, re.M):  # views
            continue
        for node in ast.walk(ast.parse(source, str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "abort":
                found.append(f"webapp/{relative}:{node.lineno}")
    assert found == [], (
        "A service that aborts decides the web answer for every caller (a CLI command, a job). Raise "
        "webapp.db.NotFound instead; the app answers it with the 404 page.")


def test_a_missing_project_chapter_or_paragraph_is_a_lookup_error_and_a_404_page(app, session, client):
    from webapp.documents.services import find_chapter, find_paragraph
    from webapp.projects.services import get_for_staff, get_published

    with app.test_request_context():
        with pytest.raises(db.NotFound):
            get_published("no-such-project")
        with pytest.raises(db.NotFound):
            get_for_staff("no-such-project")
        project = get_published("smart-city")
        with pytest.raises(db.NotFound):
            find_chapter(project, "no-such-chapter")
        with pytest.raises(db.NotFound):
            find_paragraph(find_chapter(project, "nachhaltig"), 2147483647)
    for url in ("/de/projects/no-such-project", "/de/projects/smart-city/chapters/no-such-chapter",
                "/de/projects/smart-city/chapters/nachhaltig/paragraphs/2147483647",
                "/de/projects/smart-city/chapters/nachhaltig/paragraph-100000"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Seite nicht gefunden" in response.get_data(as_text=True), url


@pytest.fixture()
def place(app, session):
    """A comment by someone in the demo's Smart City project, and the ids to act on it."""
    comment = CommentFactory(session=session, chapter="nachhaltig", body=f"Eine Frage {secrets.token_hex(4)}")
    return comment.project_id, comment.chapter_id, comment.id


class Broken(Exception):
    """Something after the service's work failed (a template, a mail, a later step)."""


def test_an_error_inside_a_replys_transaction_leaves_no_reply_and_no_count(app, session, place):
    project_id, chapter_id, comment_id = place
    author = make_user(app)
    body = f"Antwort, die nie erscheint {secrets.token_hex(4)}"
    with app.test_request_context("/"), pytest.raises(Broken):
        with db.transaction():
            parent = db.session().get(Comment, comment_id)
            target = services.Target(project_id, parent_chapter(chapter_id))
            reply = services.create(db.session().get(User, author.id), target, body, parent=parent, submission_key=secrets.token_hex(8),
                                    mode=MODES["de"])
            assert reply.id is not None  # stored in the transaction, with its id
            raise Broken
    session.expire_all()
    assert session.exec(select(Comment).where(Comment.body == body)).all() == []
    assert session.get(Comment, comment_id).reply_count == 0


def test_an_error_inside_a_ratings_transaction_leaves_no_rating_and_no_count(app, session, place):
    _project_id, _chapter_id, comment_id = place
    reader = make_user(app)
    with app.test_request_context("/"), pytest.raises(Broken):
        with db.transaction():
            comment = db.session().get(Comment, comment_id)
            assert services.rate(db.session().get(User, reader.id), comment, 1) == 1
            assert comment.agree_count == 1  # counted in the transaction
            raise Broken
    session.expire_all()
    assert session.exec(select(Rating).where(Rating.comment_id == comment_id)).all() == []
    counted = session.get(Comment, comment_id)
    assert (counted.agree_count, counted.disagree_count) == (0, 0)


def test_an_error_inside_a_deletes_transaction_keeps_the_reply_and_the_count(app, session, place):
    project_id, chapter_id, comment_id = place
    author = make_user(app)
    body = f"Antwort, die bleibt {secrets.token_hex(4)}"
    with app.test_request_context("/"), db.transaction():
        target = services.Target(project_id, parent_chapter(chapter_id))
        reply_id = services.create(db.session().get(User, author.id), target, body, parent=db.session().get(Comment, comment_id),
                                   mode=MODES["de"]).id
    with app.test_request_context("/"), pytest.raises(Broken):
        with db.transaction():
            services.delete(db.session().get(User, author.id), db.session().get(Comment, reply_id))
            raise Broken
    session.expire_all()
    assert session.get(Comment, reply_id).deleted_at is None and session.get(Comment, reply_id).body == body
    assert session.get(Comment, comment_id).reply_count == 1


def test_a_rating_whose_insert_lost_to_the_readers_other_click_looks_again_and_keeps_the_rest(app, session, place):
    """As when the reader's other click stored its agree just before: the insert finds the row there (it does
    nothing, no error), the rating is looked at again and the same choice takes it back, as a second click does;
    what the transaction did before (here: a reply) stays, and the counts follow the rows."""
    from sqlalchemy import update

    project_id, chapter_id, comment_id = place
    reader = make_user(app)
    body = f"Antwort vor der Bewertung {secrets.token_hex(4)}"
    refused = []

    def other_click_first(conn, cursor, statement, _parameters, _context, _many):
        if not refused and statement.lstrip().upper().startswith("INSERT INTO RATING"):
            refused.append(True)  # the other click's rating and count, just before ours
            conn.execute(insert(Rating.__table__).values(comment_id=comment_id, user_id=reader.id, value=1,
                                                         created_at=utcnow()))
            conn.execute(update(Comment).where(Comment.id == comment_id).values(agree_count=Comment.agree_count + 1))

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", other_click_first)
    try:
        with app.test_request_context("/"), db.transaction():
            comment = db.session().get(Comment, comment_id)
            services.create(db.session().get(User, reader.id), services.Target(project_id, parent_chapter(chapter_id)),
                            body, parent=comment, mode=MODES["de"])
            assert services.rate(db.session().get(User, reader.id), comment, 1) is None
    finally:
        event.remove(engine, "before_cursor_execute", other_click_first)
    assert refused == [True]
    session.expire_all()
    assert session.exec(select(Rating.value).where(Rating.comment_id == comment_id)).all() == []
    counted = session.get(Comment, comment_id)
    assert (counted.agree_count, counted.reply_count) == (0, 1)
    assert session.exec(select(Comment.id).where(Comment.body == body)).one()


def test_the_same_form_stored_by_another_request_at_the_same_moment_is_the_answer(app, session, place):
    """A double submit whose first request stored the comment between our look and our insert: the insert
    finds the form's key there (it does nothing, no error), the comment stored first is the answer, and no
    reply count moves twice."""
    project_id, chapter_id, comment_id = place
    author = make_user(app)
    key, body = secrets.token_hex(8), f"Zweimal gesendet {secrets.token_hex(4)}"
    first = []

    def other_request_first(conn, cursor, statement, _parameters, _context, _many):
        if not first and statement.lstrip().upper().startswith("INSERT INTO COMMENT"):
            first.append(None)  # this hook's own insert passes by
            first[0] = (conn.execute(insert(Comment.__table__).values(
                project_id=project_id, chapter_id=chapter_id, parent_id=comment_id, author_id=author.id, body=body,
                submission_key=key, language="de", created_at=utcnow(), agree_count=0, disagree_count=0,
                reply_count=0, block_text="", report_count=0, open_report_count=0, official=False)
                .returning(Comment.__table__.c.id)).scalar_one())

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", other_request_first)
    try:
        with app.test_request_context("/"), db.transaction():
            parent = db.session().get(Comment, comment_id)
            answer = services.create(db.session().get(User, author.id), services.Target(project_id, parent_chapter(chapter_id)),
                                     body, parent=parent, submission_key=key, mode=MODES["de"])
            assert answer.id == first[0]
    finally:
        event.remove(engine, "before_cursor_execute", other_request_first)
    session.expire_all()
    assert session.exec(select(Comment.id).where(Comment.body == body)).all() == first
    assert session.get(Comment, comment_id).reply_count == 0  # the other request's raise is its own (not simulated)


def parent_chapter(chapter_id: int):
    """The chapter row, as a comment's target needs it."""
    from webapp.documents.models import Chapter

    return db.session().get(Chapter, chapter_id)


def test_after_a_commit_what_it_wrote_is_read_again_and_the_rest_stays_loaded(app, place):
    """The request's session keeps, after a commit, what the transaction did not write (the project a view
    loaded before it stored a comment is not loaded again), and reads again whatever it wrote to, by the ORM
    or a bulk statement, and whatever points at it."""
    from sqlalchemy import inspect, update

    from webapp.models import Project

    project_id, _chapter_id, comment_id = place
    with app.test_request_context("/"):
        own = db.session()
        project = own.get(Project, project_id)
        chapter = project.document.chapters[0]
        comment = own.get(Comment, comment_id)
        before = comment.agree_count
        author = own.get(User, comment.author_id) if comment.author_id else None
        with db.transaction():
            own.execute(update(Comment).where(Comment.id == comment_id).values(agree_count=Comment.agree_count + 5)
                        .execution_options(synchronize_session=False))
        assert not inspect(project).expired_attributes and not inspect(chapter).expired_attributes
        assert inspect(comment).expired_attributes, "written by a bulk statement: read again"
        assert comment.agree_count == before + 5
        if author is not None:
            assert not inspect(author).expired_attributes, "no relationship of an account points at comments"
        with db.transaction():
            chapter.position = chapter.position  # nothing changes: nothing written, nothing read again
        assert not inspect(project).expired_attributes
        with db.transaction():
            own.execute(update(Comment).where(Comment.id == comment_id).values(agree_count=before))


def test_a_page_that_only_read_commits_on_postgresql_and_the_cached_pages_stay(app, monkeypatch):
    """On PostgreSQL what a request only read ends with a COMMIT (the same round trip as a rollback; psycopg then keeps
    the statements it prepared, which a rollback makes it drop); a write no unit of work committed is rolled back,
    never committed by the end of the request. Anonymous pages cached before stay cached (nothing was written)."""
    import psycopg

    from tests.support import login

    engine = app.extensions["db_engine"]
    sent: list[bytes] = []
    if engine.dialect.name == "postgresql":
        from psycopg import _connection_base

        original = _connection_base.BaseConnection._exec_command

        def noted(connection, command, *args, **kwargs):
            sent.append(command if isinstance(command, bytes) else str(command).encode())
            return original(connection, command, *args, **kwargs)

        monkeypatch.setattr(_connection_base.BaseConnection, "_exec_command", noted)
    assert psycopg  # the driver the PostgreSQL pass runs on
    client = app.test_client()
    login(client, make_user(app))
    client.get("/de/imprint")  # the "logged in" message, shown once
    monkeypatch.setitem(app.config, "READER_PAGE_SECONDS", 0)  # rendered, not kept
    anonymous = app.test_client()
    assert anonymous.get("/de/projects/smart-city").status_code == 200  # rendered and cached
    assert anonymous.get("/de/projects/smart-city").headers.get("Age") is not None, "cached"
    sent.clear()
    assert client.get("/de/projects/smart-city/chapters/teilhabe").status_code == 200
    if engine.dialect.name == "postgresql":
        assert b"COMMIT" in sent and b"ROLLBACK" not in sent and b"DEALLOCATE ALL" not in sent, sent
    assert anonymous.get("/de/projects/smart-city").headers.get("Age") is not None, "still the cached page"

    comment = CommentFactory(app=app, chapter="teilhabe", body="Bleibt so")
    with app.test_request_context():
        db.session().get(Comment, comment.id).body = "Nie geschrieben"  # pending, never flushed
        db.session().execute(insert(Rating).values(comment_id=comment.id, user_id=comment.author_id, value=1))
        sent.clear()
        app.do_teardown_appcontext()
        if engine.dialect.name == "postgresql":
            assert b"ROLLBACK" in sent and b"COMMIT" not in sent, sent
    with app.test_request_context():
        assert db.session().get(Comment, comment.id).body == "Bleibt so"
        assert db.session().exec(select(Rating).where(Rating.comment_id == comment.id)).all() == []
