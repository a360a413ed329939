"""Each thread's own connection (webapp.ownconnection), for reads outside a transaction (issue 16).

- ``db.read`` with no transaction open (after a unit of work's commit) reads on it: what was committed, no
  transaction begun for it (no liveness check, ``BEGIN`` or ``ROLLBACK``); inside a transaction it reads there, the
  transaction's own writes included, pending ones written first.
- The content version is read on the same connection; each thread has its own.
- A connection found gone (a database restart) is replaced and the read sent again; the engine's ``dispose()``
  closes them all.
- Publishing a comment with htmx: its answer's reads after the commit take no transaction.
"""

from __future__ import annotations

import re
import threading

from sqlalchemy import bindparam, event, select, update

from tests.factories import CommentFactory
from tests.support import csrf_token, login, make_user
from webapp import contentversion, db, ownconnection
from webapp.models import Comment

PATH = "/de/projects/smart-city/chapters/teilhabe"
BODY = select(Comment.body).where(Comment.id == bindparam("id"))


class Begun:
    """The transactions begun and the connections taken from the pool while active."""

    def __init__(self, engine):
        self.engine, self.begins, self.checkouts = engine, 0, 0

    def _begin(self, *_args):
        self.begins += 1

    def _checkout(self, *_args):
        self.checkouts += 1

    def __enter__(self):
        event.listen(self.engine, "begin", self._begin)
        event.listen(self.engine.pool, "checkout", self._checkout)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "begin", self._begin)
        event.remove(self.engine.pool, "checkout", self._checkout)


def test_a_read_outside_a_transaction_takes_none_and_one_inside_sees_its_own_writes(app, session):
    comment = CommentFactory(app=app, chapter="teilhabe", body="Vorher")
    engine = app.extensions["db_engine"]
    with app.test_request_context():
        with db.transaction():
            db.session().execute(update(Comment).where(Comment.id == comment.id).values(body="Nachher"))
            assert db.read(BODY, {"id": comment.id}).scalar_one() == "Nachher", "the transaction's own write"
            stored = db.session().get(Comment, comment.id)
            stored.body = "Noch nicht geschrieben"  # pending: written before the read
            assert db.read(BODY, {"id": comment.id}).scalar_one() == "Noch nicht geschrieben"
        assert db.read(BODY, {"id": comment.id}).scalar_one() == "Noch nicht geschrieben", "as committed"
        with Begun(engine) as begun:  # the thread's connection made by then (once)
            assert db.read(BODY, {"id": comment.id}).scalar_one() == "Noch nicht geschrieben"
        assert (begun.begins, begun.checkouts) == (0, 0)
        assert not db.session().in_transaction()
        own = ownconnection.connection(engine)
        assert own.connection.dbapi_connection is ownconnection.connection(engine).connection.dbapi_connection
        if engine.dialect.name == "postgresql":
            assert own.connection.dbapi_connection.autocommit
        else:
            assert own.connection.dbapi_connection.isolation_level is None


def test_each_thread_has_its_own_and_the_version_is_read_on_it(app):
    engine = app.extensions["db_engine"]
    mine = ownconnection.connection(engine)
    contentversion.current(engine)
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(ownconnection.connection(engine)))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    with Begun(engine) as begun:
        assert contentversion.current(engine) is not None
    assert (begun.begins, begun.checkouts) == (0, 0)
    ownconnection.forget(engine)  # the other thread is gone: close its connection here, as dispose() would
    theirs[0].close()


def test_a_connection_found_gone_is_replaced_and_the_read_sent_again(app, session):
    comment = CommentFactory(app=app, chapter="teilhabe", body="Nach dem Neustart")
    engine = app.extensions["db_engine"]
    gone = ownconnection.connection(engine)
    if engine.dialect.name == "postgresql":  # as a server restart leaves it: the socket closed under it
        gone.connection.dbapi_connection.pgconn.finish()
    else:
        gone.connection.dbapi_connection.close()
    with app.test_request_context():
        assert db.read(BODY, {"id": comment.id}).scalar_one() == "Nach dem Neustart"
    assert ownconnection.connection(engine) is not gone
    assert contentversion.current(engine) is not None


def test_dispose_closes_every_threads_connection(app):
    from webapp import create_app

    other = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-" + "x" * 40})
    engine = other.extensions["db_engine"]
    made = ownconnection.connection(engine)
    engine.dispose()
    assert made.closed
    assert ownconnection.connection(engine) is not made, "a new one after"
    engine.dispose()


def test_publishing_with_htmx_reads_its_answer_without_a_transaction_of_its_own(app, session):
    from tests.test_comments import CHAPTER, before_no_page_break

    user = make_user(app)
    client = app.test_client()
    login(client, user)
    before_no_page_break(session, client)  # a comment that starts a page gets the whole discussion
    shown = client.get(CHAPTER)
    listed = re.search(r'name="listed" id="comment-listed" value="([^"]+)"', shown.get_data(as_text=True)).group(1)
    engine = app.extensions["db_engine"]
    ownconnection.execute(engine, BODY, {"id": 0})  # made and begun once per thread: not part of this request
    with Begun(engine) as begun:
        answer = client.post(CHAPTER + "/comments", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost" + CHAPTER},
                             data={"csrf_token": csrf_token(shown), "body": "Ohne zweite Transaktion", "listed": listed})
    assert answer.status_code == 200 and "Ohne zweite Transaktion" in answer.get_data(as_text=True)
    assert answer.headers.get("HX-Reswap") == "none", "the comment alone, put in place"
    assert (begun.begins, begun.checkouts) == (1, 1), "the unit of work's transaction only"
