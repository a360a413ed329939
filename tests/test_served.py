"""The app as production runs it: gunicorn processes, several at once, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import Session, func, select

from tests.served import Browser, gunicorn, own_database
from tests.support import PASSWORD, demo_app, make_user

CHAPTER = "/de/projects/smart-city/chapters/mobil"
#: The run's Redis (under pytest-xdist the worker's own database: another worker's reset never empties it).
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_500_comments_from_25_concurrent_clients_are_each_stored_once(kind, tmp_path):
    """Every accepted comment is stored exactly once; every refusal is a clear 4xx or 503."""
    from webapp.models import Comment

    with own_database(kind, tmp_path) as url:
        app = demo_app(url)
        users = [make_user(app) for _ in range(25)]
        with gunicorn(url, tmp_path, COMMENT_RATE_LIMIT="1000 per minute",
                      RATELIMIT_KEY_PREFIX=f"served-{secrets.token_hex(4)}") as base:

            def client(user):
                browser = Browser(base)
                assert browser.log_in(user.email, PASSWORD) == 303
                token = browser.token(CHAPTER)
                results = []
                for index in range(20):
                    text = f"Gleichzeitig {user.id}-{index} {secrets.token_hex(3)}"
                    status, body = browser.request(CHAPTER + "/comments", {
                        "csrf_token": token, "body": text, "submission_key": secrets.token_hex(8)})
                    results.append((text, status, body))
                return results

            with ThreadPoolExecutor(max_workers=25) as pool:
                results = [r for rs in pool.map(client, users) for r in rs]

        assert len(results) == 500
        statuses = {status for _text, status, _body in results}
        assert statuses <= {303, 429, 503}, statuses
        for _text, status, body in results:
            if status != 303:
                assert "Traceback" not in body and "<h1" in body  # a page that says what happened
        with Session(app.extensions["db_engine"]) as session:
            stored = dict(session.exec(select(Comment.body, func.count()).where(Comment.body.like("Gleichzeitig %"))
                                       .group_by(Comment.body)).all())
        accepted = [text for text, status, _body in results if status == 303]
        assert all(stored.get(text) == 1 for text in accepted)
        assert sum(stored.values()) == len(accepted)  # refused ones left nothing behind
        assert len(accepted) >= 450, f"only {len(accepted)} of 500 accepted"
        app.extensions["db_engine"].dispose()


def test_two_instances_share_sessions_limits_and_comments(tmp_path):
    """Two gunicorn instances on PostgreSQL and Redis behave as one site."""
    with own_database("postgresql", tmp_path) as url:
        app = demo_app(url)
        user = make_user(app)
        prefix = f"served-{secrets.token_hex(4)}"
        with gunicorn(url, tmp_path, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix) as first, \
                gunicorn(url, tmp_path, REDIS_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix) as second:
            # Logged in on one, logged in on the other (the same cookie works).
            on_first = Browser(first)
            assert on_first.log_in(user.email, PASSWORD) == 303
            on_second = Browser(second, cookies=on_first.cookies)  # the same browser, another instance
            status, html = on_second.request("/de/account/")
            assert status == 200 and user.username in html

            # A comment posted on one appears on the other.
            text = f"Über zwei Instanzen {secrets.token_hex(3)}"
            status, _ = on_first.request(CHAPTER + "/comments", {"csrf_token": on_first.token(CHAPTER), "body": text,
                                                                "submission_key": secrets.token_hex(8)})
            assert status == 303
            assert text in Browser(second).request(CHAPTER)[1]

            # A login limit counts across both.
            email = f"{secrets.token_hex(4)}@example.org"
            for base in (first, second, first, second, first):
                assert Browser(base).log_in(email, "not the password!") == 422
            assert Browser(second).log_in(email, "not the password!") == 429
        app.extensions["db_engine"].dispose()
