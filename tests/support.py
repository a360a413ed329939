"""Fixtures shared by ``tests/`` and ``a11y/``: one migrated database with the demo, an app, a client.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
``DATABASE_URL`` (CI sets it), wiped and migrated from scratch at the start of the run.
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from bs4 import BeautifulSoup
from sqlalchemy import create_engine, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
#: The day the demo's phases are placed around (so every state exists).
TODAY = date.today()


def alembic_config(url: str) -> Config:
    """Alembic's configuration for ``url``, without touching the test run's logging."""
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["configure_logger"] = False
    return config


def reset_postgresql(url: str) -> None:
    """Drop everything in the public schema: every run starts from an empty database."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


#: The pytest-xdist worker this process is ("gw0", "gw1", ...), or "" in a run without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def own_postgresql_database(url: str, worker: str) -> str:
    """A new, empty database for one worker beside ``url``'s (``test_gw0`` beside ``test``): the workers'
    data never meet."""
    from sqlalchemy.engine import make_url

    server = make_url(url)
    name = f"{server.database}_{worker}"
    engine = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def _own_redis_database() -> None:
    """Each worker counts its rate limits and queues its jobs in a Redis database of its own (15, 14, ... below
    the one ``REDIS_URL`` names): one worker's reset or flush never empties another's."""
    from urllib.parse import urlsplit, urlunsplit

    url = os.environ.get("REDIS_URL")
    if not (url and WORKER):
        return
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    database = (base - int(WORKER.removeprefix("gw"))) % 16
    os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{database}"))


_own_redis_database()
# argon2's cheapest parameters for every app and server of the run (webapp/accounts/passwords.py): the suite
# logs in and registers about a thousand times, at 0.1 s each with the standard ones. Refused in production
# mode: tests of production apps set "standard".
os.environ.setdefault("PASSWORD_HASHING", "test")


def fresh_database(folder: Path) -> str:
    """An empty, migrated database: ``DATABASE_URL``'s PostgreSQL (wiped; under pytest-xdist a database of the
    worker's own beside it), else SQLite in ``folder``."""
    if os.environ.get("DATABASE_URL"):
        from webapp.config import database_url as normalise

        url = normalise()
        if WORKER:
            url = own_postgresql_database(url, WORKER)
        else:
            reset_postgresql(url)
    else:
        url = f"sqlite:///{folder / 'mitreden.db'}"
    command.upgrade(alembic_config(url), "head")
    return url


def demo_app(url: str, **overrides):
    """The app on ``url`` with the demo loaded around today."""
    from webapp import create_app, db, demo

    application = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-" + "x" * 40, **overrides})
    with application.app_context(), Session(db.engine()) as session:
        demo.load(session, TODAY)
        demo.load_accounts(session)
        demo.load_comments(session, datetime.now(UTC))
    return application


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A freshly migrated database, PostgreSQL if ``DATABASE_URL`` says so."""
    return fresh_database(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on the test database, with the demo loaded."""
    os.environ["MITREDEN_INSTANCE"] = str(tmp_path_factory.mktemp("instance"))
    # Crawling tests read hundreds of pages a minute from one address: the render limit is off here
    # (tests of the limit set their own).
    application = demo_app(database_url, TESTING=True, PAGE_RENDER_RATE_LIMIT="")
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture()
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture()
def session(app):
    """A database session for looking things up in tests.

    No app context stays pushed: requests of the test client must each get their own ``g``.
    """
    with Session(app.extensions["db_engine"]) as session:
        yield session


def soup(response) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def accessible_name(element) -> str:
    """An element's name as a screen reader gets it from ``aria-labelledby`` (the referenced elements' text,
    hidden ones included, joined by spaces), else ``aria-label``, else its text."""
    ids = element.get("aria-labelledby")
    if ids:
        root = next(iter(element.parents))
        while root.parent is not None:
            root = root.parent
        return " ".join(" ".join(root.find(id=i).get_text().split()) for i in ids.split())
    return element.get("aria-label") or " ".join(element.get_text().split())


PASSWORD = "correct horse battery staple"


def csrf_token(response) -> str:
    """The CSRF token of the first form (or the htmx header) in ``response``."""
    import re

    text = response.get_data(as_text=True)
    match = re.search(r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"', text) or \
        re.search(r'name="csrf_token" value="([^"]+)"', text) or re.search(r'"X-CSRFToken": "([^"]+)"', text)
    assert match, "no CSRF token on the page"
    return match.group(1)


@functools.lru_cache(maxsize=8)
def _hash_once(password: str) -> str:
    """An argon2 hash of ``password``, made once per run: hashing is slow on purpose, and a thousand
    test accounts need not pay for it each (logging in still verifies the hash as always)."""
    from webapp.accounts.passwords import hash_password

    return hash_password(password)


def make_user(app, *, confirmed: bool = True, role: str = "participant", password: str = PASSWORD,
              language: str = "de", name: str | None = None, project: str = "smart-city"):
    """A new account straight in the database (argon2-hashed like any other): :class:`tests.factories.UserFactory`.

    ``role``: "participant", "admin" (site administrator), "moderator" of ``project`` or
    "initiator" of ``project``'s organisation.
    """
    from tests.factories import UserFactory

    return UserFactory(app=app, confirmed=confirmed, role=role, password=password, language=language, project=project,
                       **({"username": name} if name else {}))


def login(client, user, password: str = PASSWORD):
    """Log ``user`` in through the login form, CSRF token and all."""
    token = csrf_token(client.get("/de/account/login"))
    response = client.post("/de/account/login", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def post_form(client, url: str, data: dict, page: str | None = None, **kwargs):
    """POST ``data`` with the CSRF token taken from ``page`` (default: the session's token via ``url``'s page)."""
    token = csrf_token(client.get(page or "/de/account/login"))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def outbox(app) -> list:
    """The mails written so far, oldest first, as email.message objects."""
    from email import policy
    from email.parser import BytesParser

    folder = Path(app.config["OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if folder.exists() else []
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in files]


def mails_to(app, address: str) -> list:
    return [m for m in outbox(app) if m["To"] == address]


def link_in(message) -> str:
    """The first link in a mail, as a path on this site."""
    import re
    from urllib.parse import urlsplit

    url = re.search(r"https?://\S+", message.get_content()).group(0)
    return urlsplit(url).path


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """Each test starts with empty rate-limit counters (they are per process in tests)."""
    if "app" in request.fixturenames:
        from webapp.extensions import limiter

        limiter.reset()
    yield


class QueryCounter:
    """Counts the SQL statements the app's engine runs while active: ``with QueryCounter(app) as q``."""

    def __init__(self, app):
        self.engine = app.extensions["db_engine"]
        self.count = 0

    def _count(self, *_args):
        self.count += 1

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._count)
