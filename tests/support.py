"""Fixtures shared by ``tests/`` and ``a11y/``: one migrated database with the demo, an app, a client.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
``DATABASE_URL`` (CI sets it), wiped and migrated from scratch at the start of the run.
"""

from __future__ import annotations

import os
from datetime import date
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


def fresh_database(folder: Path) -> str:
    """An empty, migrated database: ``DATABASE_URL``'s PostgreSQL (wiped), else SQLite in ``folder``."""
    if os.environ.get("DATABASE_URL"):
        from webapp.config import database_url as normalise

        url = normalise()
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
    return application


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A freshly migrated database, PostgreSQL if ``DATABASE_URL`` says so."""
    return fresh_database(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on the test database, with the demo loaded."""
    os.environ["MITREDEN_INSTANCE"] = str(tmp_path_factory.mktemp("instance"))
    application = demo_app(database_url, TESTING=True)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture()
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture()
def session(app):
    """A database session for looking things up in tests."""
    from webapp import db

    with app.app_context(), Session(db.engine()) as session:
        yield session


def soup(response) -> BeautifulSoup:
    """The response's HTML, parsed."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")
