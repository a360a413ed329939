"""Pages kept for each logged-in reader (webapp.readercache) and the number every write raises
(webapp.contentversion), issue 16.

- A kept page is the page the reader would get rendered, with a fresh form token that works; it costs one
  query.
- Two readers never get each other's page; a message shown once is shown once.
- Every kind of write raises the number in its own transaction (the ORM, a bulk statement, plain SQL; again
  after a savepoint rolled back), and a write to a table no page reads (the audit log, the outbox) does not.
- The clock ends a kept page where it changes the page: a block that runs out.
(That every change to a discussion shows at once to a reader with a warm cache: tests/test_fragments.py, whose
readers get these kept pages.)
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import Session

from tests.factories import CommentFactory, PersonBlockFactory
from tests.support import QueryCounter, csrf_token, login, make_user, soup
from tests.test_fragments import normalised
from webapp import clock, contentversion, db
from webapp.audit.models import AuditEntry
from webapp.models import Comment

PATH = "/de/projects/smart-city/chapters/teilhabe"


def version(app) -> int:
    return contentversion.current(app.extensions["db_engine"])


@pytest.fixture()
def reader(app):
    user = make_user(app)
    client = app.test_client()
    login(client, user)
    client.get("/de/imprint")  # the "logged in" message, shown once
    client.user = user
    return client


def test_a_kept_page_is_the_rendered_page_with_a_token_that_works(app, reader, monkeypatch):
    first = reader.get(PATH)
    with QueryCounter(app) as queries:
        kept = reader.get(PATH)
    assert queries.count == 0, "a kept page costs the read of the version (on the driver, unseen here), nothing else"
    assert normalised(kept) == normalised(first)
    monkeypatch.setitem(app.config, "READER_PAGE_SECONDS", 0)
    assert normalised(reader.get(PATH)) == normalised(first), "the same as rendered"
    monkeypatch.undo()
    token = csrf_token(reader.get(PATH))
    response = reader.post(PATH + "/comments", data={"csrf_token": token, "body": "Mit dem Zeichen der Seite"})
    assert response.status_code == 303, "the form token of a kept page is this session's"
    assert "Mit dem Zeichen der Seite" in reader.get(PATH).get_data(as_text=True)


def test_two_readers_never_get_each_others_page(app):
    readers = []
    for _ in range(2):
        user = make_user(app)
        client = app.test_client()
        login(client, user)
        client.get("/de/imprint")
        readers.append((user, client))
    pages = [client.get(PATH).get_data(as_text=True) for _user, client in readers]
    pages += [client.get(PATH).get_data(as_text=True) for _user, client in readers]  # kept now
    for index, page in enumerate(pages):
        own, other = readers[index % 2][0], readers[1 - index % 2][0]
        assert own.username in page and other.username not in page


def test_a_message_shown_once_is_not_kept(app):
    user = make_user(app)
    client = app.test_client()
    login(client, user)  # the next page says "you are logged in"
    said = soup(client.get(PATH)).select(".flash, [role=status]")
    assert said, "the message after logging in"
    again = soup(client.get(PATH)).select(".flash, [role=status]")
    assert [s.get_text() for s in again] != [s.get_text() for s in said]


def test_every_kind_of_write_raises_the_number_and_only_a_write_does(app, session):
    engine = app.extensions["db_engine"]
    comment = CommentFactory(app=app, chapter="teilhabe", body="Gezählt")

    def raised(work) -> bool:
        before = version(app)
        with Session(engine) as own:
            work(own)
            own.commit()
        return version(app) > before

    def orm(own):
        row = own.get(Comment, comment.id)
        row.body += " neu"
        own.add(row)

    assert raised(orm)
    assert raised(lambda own: own.execute(update(Comment).where(Comment.id == comment.id).values(agree_count=3)))
    assert raised(lambda own: own.execute(text("UPDATE comment SET disagree_count = 2 WHERE id = :id"),
                                          {"id": comment.id}))
    assert not raised(lambda own: own.execute(text("SELECT count(*) FROM comment")))
    assert not raised(lambda own: own.add(AuditEntry(actor_name="system", action="comment.block",
                                                      object_type="comment", object_id=comment.id)))
    # The write lock (db.write_lock) is the version raised early, once: the writes after it raise nothing more.
    from webapp.contentversion import tables_written

    def locked(own):
        with app.test_request_context(), db.transaction():
            db.write_lock()
            db.write_lock()
            db.session().execute(update(Comment).where(Comment.id == comment.id).values(agree_count=5))
            assert tables_written(db.session().connection()) == frozenset({"content_version", "comment"})

    before = version(app)
    assert raised(locked) and version(app) == before + 1, "raised once"

    def undone_then_written(own):
        if engine.dialect.name == "sqlite":
            own.connection().connection.driver_connection.execute("BEGIN IMMEDIATE")
        with own.begin_nested() as step:
            own.execute(text("UPDATE comment SET agree_count = 9 WHERE id = :id"), {"id": comment.id})
            step.rollback()
        own.execute(text("UPDATE comment SET disagree_count = 4 WHERE id = :id"), {"id": comment.id})

    assert raised(undone_then_written), "the raise went with the savepoint; the next write raises again"

    before = version(app)
    with Session(engine) as own:
        own.execute(text("UPDATE comment SET agree_count = 5 WHERE id = :id"), {"id": comment.id})
        own.rollback()
    assert version(app) == before, "a rolled back write leaves the number"
    assert raised(orm), "and the next transaction raises it again"


def test_a_page_kept_while_a_block_holds_ends_when_the_block_does(app, reader, monkeypatch):
    PersonBlockFactory(app=app, user=reader.user, ends_at=clock.utcnow() + timedelta(hours=1))
    assert not soup(reader.get(PATH)).find("form", id="comment-form"), "blocked: no form"
    assert not soup(reader.get(PATH)).find("form", id="comment-form"), "kept"
    later = clock.utcnow() + timedelta(hours=2)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert soup(reader.get(PATH)).find("form", id="comment-form"), "the block ran out: the form is back"


def test_the_version_is_read_from_the_database_each_time(app):
    """Another process's write shows: nothing about the number is kept in this one."""
    with app.app_context():
        before = contentversion.current(db.engine())
        with db.engine().begin() as connection:
            connection.execute(text("UPDATE comment SET agree_count = agree_count WHERE id = 1"))
        assert contentversion.current(db.engine()) == before + 1


def test_a_rating_shows_at_once_on_anothers_kept_page(app, reader):
    """Rating writes the counts it already holds without marking them to be read again
    (contentversion.RESULT_KEPT): it raises the number all the same."""
    comment = CommentFactory(app=app, chapter="teilhabe", body="Bitte bewerten")
    kept = reader.get(PATH).get_data(as_text=True)
    assert f'id="rate-{comment.id}-agree"' in kept
    rater = app.test_client()
    login(rater, make_user(app))
    before = version(app)
    answer = rater.post(f"/de/projects/smart-city/comments/{comment.id}/rating",
                        data={"csrf_token": csrf_token(rater.get(PATH)), "agree": "1"},
                        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost" + PATH})
    assert answer.status_code == 200 and version(app) > before
    page = reader.get(PATH).get_data(as_text=True)
    assert re.search(rf'id="rate-{comment.id}-agree"[^>]*>[^<]*<span class="rating__count">1<', page)


def test_two_tabs_of_one_kept_page_publish_two_comments(app, reader):
    """Each form is stored once by its submission key: a kept page gets a new key each time it is served, so
    two tabs opened on it before either is sent publish both texts (the second was taken for the first)."""
    tabs = [soup(reader.get(PATH)) for _ in range(2)]  # the second from what was kept for the reader
    keys = [tab.select_one("#comment-form input[name=submission_key]")["value"] for tab in tabs]
    assert keys[0] != keys[1]
    for tab, key, body in zip(tabs, keys, ("Aus dem ersten Tab", "Aus dem zweiten Tab"), strict=True):
        token = tab.select_one("#comment-form input[name=csrf_token]")["value"]
        answer = reader.post(PATH + "/comments", data={"csrf_token": token, "submission_key": key, "body": body})
        assert answer.status_code == 303
    page = reader.get(PATH).get_data(as_text=True)
    assert "Aus dem ersten Tab" in page and "Aus dem zweiten Tab" in page
