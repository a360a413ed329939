"""Counters and the duplicate check stay exact under concurrency (issue 9, item 12).

Each test runs the service functions in real threads, each with its own app context and so its
own database session and connection, released together by a barrier: on PostgreSQL (with
``DATABASE_URL``) they truly overlap; on SQLite they overlap up to the database's one writer.

- Ten deletes of one reply at once used to take ten off its parent's reply count.
- Twenty identical comments without a form key at once used to store several: each request's
  "the same text within a minute?" query ran before any of them had inserted.
- Ratings of many readers at once end with counts equal to the ratings stored.
"""

from __future__ import annotations

import secrets
import threading

from sqlmodel import func, select

from tests.factories import CommentFactory
from tests.support import make_user
from webapp import db
from webapp.comments import services
from webapp.i18n import MODES
from webapp.models import Comment, Project, Rating, User

THREADS_DELETE = 10
THREADS_CREATE = 20


def run_together(app, count: int, work) -> list:
    """``work(index)`` in ``count`` threads at once, each in its own app context; their results or errors."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        with app.app_context():
            try:
                prepared = work(index, None)
                db.session().close()  # back to the pool: 20 threads share its 15 connections
                barrier.wait(timeout=60)
                results[index] = work(index, prepared)
            except Exception as error:  # reported by the test
                results[index] = error
            finally:
                db.session().close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def _chapter(session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if c.slug == "nachhaltig")
    return project, chapter


def test_ten_concurrent_deletes_of_one_reply_take_one_off_the_parents_count(app, session):
    author = make_user(app)
    parent = CommentFactory(session=session, chapter="nachhaltig", author=author, body=f"Eltern {secrets.token_hex(4)}",
                            reply_count=5)
    replies = [CommentFactory(session=session, parent=parent, author=author, body=f"Antwort {i} {secrets.token_hex(4)}")
               for i in range(5)]
    reply_id, parent_id = replies[0].id, parent.id

    def work(_index, comment):
        if comment is None:  # first step, before the barrier: every thread has read the reply undeleted
            comment = db.session().get(Comment, reply_id)
            assert comment.deleted_at is None
            return comment
        with db.transaction():
            services.delete(db.session().get(User, author.id), comment)
        return "deleted"

    results = run_together(app, THREADS_DELETE, work)
    assert results == ["deleted"] * THREADS_DELETE
    session.expire_all()
    assert session.get(Comment, reply_id).deleted_at is not None
    assert session.get(Comment, parent_id).reply_count == 4


def test_twenty_identical_comments_without_a_form_key_at_once_store_one(app, session):
    author = make_user(app)
    body = f"Zwanzigmal {secrets.token_hex(4)}"

    def work(_index, prepared):
        if prepared is None:
            project, chapter = _chapter(db.session())
            return services.Target(project.id, chapter)
        with db.transaction():
            return services.create(db.session().get(User, author.id), prepared, body, submission_key=None, mode=MODES["de"]).id

    results = run_together(app, THREADS_CREATE, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    session.expire_all()
    stored = session.exec(select(Comment.id).where(Comment.author_id == author.id, Comment.body == body)).all()
    assert len(stored) == 1
    assert set(results) == set(stored)  # every request got the one comment back


def test_twenty_identical_replies_without_a_form_key_at_once_store_one_and_count_one(app, session):
    author = make_user(app)
    parent = CommentFactory(session=session, chapter="nachhaltig", body=f"Frage {secrets.token_hex(4)}")
    parent_id = parent.id
    body = f"Antwort {secrets.token_hex(4)}"

    def work(_index, prepared):
        if prepared is None:
            project, chapter = _chapter(db.session())
            return services.Target(project.id, chapter), db.session().get(Comment, parent_id)
        target, parent_row = prepared
        with db.transaction():
            return services.create(db.session().get(User, author.id), target, body, parent=parent_row, mode=MODES["de"]).id

    results = run_together(app, THREADS_CREATE, work)
    assert not [r for r in results if isinstance(r, Exception)], results
    session.expire_all()
    assert len(session.exec(select(Comment.id).where(Comment.parent_id == parent_id)).all()) == 1
    assert session.get(Comment, parent_id).reply_count == 1


def test_ratings_of_many_readers_at_once_are_all_counted(app, session):
    comment = CommentFactory(session=session, chapter="nachhaltig", body=f"Bewertet {secrets.token_hex(4)}")
    comment_id = comment.id
    readers = [make_user(app).id for _ in range(10)]

    def work(index, prepared):
        if prepared is None:
            return "ready"
        with db.transaction():
            return services.rate(db.session().get(User, readers[index]), db.session().get(Comment, comment_id),
                                 1 if index % 3 else -1)

    results = run_together(app, len(readers), work)
    assert not [r for r in results if isinstance(r, Exception)], results
    session.expire_all()
    stored = session.exec(select(Rating.value, func.count()).where(Rating.comment_id == comment_id)
                          .group_by(Rating.value)).all()
    counted = session.get(Comment, comment_id)
    assert dict(stored) == {1: 6, -1: 4}
    assert (counted.agree_count, counted.disagree_count) == (6, 4)
