"""Alembic from the first table on: the migrations build exactly what the models describe."""

import os
import secrets
from datetime import UTC

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from tests.support import alembic_config
from webapp.models import metadata


def test_models_and_migrations_agree(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_migrations_downgrade_and_upgrade_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


def _first_release_rows(now) -> dict[str, list[dict]]:
    """One published project with a running commenting phase and one chapter, as 0001 stored it."""
    from datetime import timedelta

    return {
        "organisation": [{"id": 1, "slug": "alt", "name": "Stadt Alt", "email": "a@example.org", "phone": "",
                          "website": "", "address": "Rathaus"}],
        "project": [{"id": 1, "slug": "altprojekt", "organisation_id": 1, "published": True, "image_path": None,
                     "created_at": now}],
        "project_text": [{"id": 1, "project_id": 1, "language": "de", "title": "Altes Projekt", "teaser": "Teaser",
                          "description": "Beschreibung", "background": "Hintergrund", "image_alt": None}],
        "phase": [{"id": 1, "project_id": 1, "kind": "commenting", "starts_at": now - timedelta(days=1),
                   "ends_at": now + timedelta(days=9)}],
        "phase_text": [{"id": 1, "phase_id": 1, "language": "de", "title": "Kommentierung", "description": ""}],
        "document": [{"id": 1, "project_id": 1}],
        "document_text": [{"id": 1, "document_id": 1, "language": "de", "title": "Entwurf"}],
        "chapter": [{"id": 1, "document_id": 1, "position": 1, "slug": "eins"}],
        "chapter_text": [{"id": 1, "chapter_id": 1, "language": "de", "title": "Kapitel eins"}],
        "paragraph": [{"id": 1, "chapter_id": 1, "position": 1}],
        "paragraph_text": [{"id": 1, "paragraph_id": 1, "language": "de", "heading": "", "body": "Ein alter Absatz."}],
    }


def test_upgrading_a_filled_database_of_the_previous_release_loses_nothing(tmp_path):
    """0001 (the first release: projects, phases, documents) filled with data, then upgraded to head."""
    from datetime import datetime

    from sqlalchemy import MetaData, select

    url = f"sqlite:///{tmp_path / 'previous.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    old = MetaData()
    old.reflect(engine)
    rows = _first_release_rows(datetime.now(UTC))
    with engine.begin() as connection:
        for table, values in rows.items():
            connection.execute(old.tables[table].insert(), values)
    before = {name: _count(engine, name) for name in rows}

    command.upgrade(alembic_config(url), "head")
    assert {name: _count(engine, name) for name in rows} == before
    new = MetaData()
    new.reflect(engine)
    with engine.connect() as connection:
        assert connection.execute(select(new.tables["project"].c.comment_categories)).scalar_one() == ""
        assert connection.execute(select(new.tables["paragraph_text"].c.body)).scalar_one() == "Ein alter Absatz."
    engine.dispose()

    from webapp import create_app

    client = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 40}).test_client()
    assert "Ein alter Absatz." in client.get("/de/projects/altprojekt/chapters/eins").get_data(as_text=True)


def _count(engine, table: str) -> int:
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


#: PostgreSQL where the run has a server (DATABASE_URL; CI's second pass): collected then, not skipped otherwise.
SCRATCH_DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("DATABASE_URL") else [])


@pytest.fixture(params=SCRATCH_DATABASES)
def scratch_url(request, tmp_path):
    """An empty database of its own: SQLite in ``tmp_path``, or a new PostgreSQL database beside ``DATABASE_URL``'s."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from webapp.config import database_url as normalise

    server = make_url(normalise())
    name = f"mitreden_migration_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_comments_written_before_0004_are_german_and_marked_so_on_english_pages(scratch_url):
    """0003 filled with comments, then upgraded: each comment is "de" and sits in lang="de" on /en/ pages."""
    from datetime import datetime, timedelta

    from bs4 import BeautifulSoup
    from sqlalchemy import MetaData, select

    command.upgrade(alembic_config(scratch_url), "0003")
    engine = create_engine(scratch_url)
    old = MetaData()
    old.reflect(engine)
    now = datetime.now(UTC)
    rows = _first_release_rows(now)
    rows["user_account"] = [{"id": 1, "username": "Alt", "username_key": "alt", "email": "alt@example.org",
                             "email_key": "alt@example.org", "pending_email": None, "password_hash": "x",
                             "role": "participant", "language": "de", "email_confirmed_at": now,
                             "created_at": now, "session_token": "t"}]
    comment = {"project_id": 1, "chapter_id": 1, "paragraph_id": None, "author_id": 1, "category": None,
               "edited_at": None, "deleted_at": None, "submission_key": None, "agree_count": 0,
               "disagree_count": 0, "reply_count": 0}
    rows["comment"] = [
        {**comment, "id": 1, "parent_id": None, "body": "Ein alter Kommentar.", "reply_count": 1,
         "created_at": now - timedelta(hours=2)},
        {**comment, "id": 2, "parent_id": 1, "body": "Eine alte Antwort.", "created_at": now - timedelta(hours=1)},
        {**comment, "id": 3, "paragraph_id": 1, "parent_id": None, "body": "Zum Absatz.", "created_at": now},
    ]
    with engine.begin() as connection:
        for table, values in rows.items():
            connection.execute(old.tables[table].insert(), values)
    before = {name: _count(engine, name) for name in rows}

    command.upgrade(alembic_config(scratch_url), "head")
    assert {name: _count(engine, name) for name in rows} == before
    new = MetaData()
    new.reflect(engine)
    with engine.connect() as connection:
        assert connection.execute(select(new.tables["comment"].c.language)).scalars().all() == ["de", "de", "de"]
    engine.dispose()

    from webapp import create_app

    app = create_app({"DATABASE_URL": scratch_url, "SECRET_KEY": "x" * 40})
    client = app.test_client()
    for path, texts in (("/en/projects/altprojekt/chapters/eins", ["Ein alter Kommentar.", "Eine alte Antwort."]),
                        ("/en/projects/altprojekt/chapters/eins/paragraphs/1", ["Zum Absatz."]),
                        ("/de/projects/altprojekt/chapters/eins", ["Ein alter Kommentar."])):
        page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
        for text in texts:
            body = page.find(string=lambda s, text=text: s and text in s).find_parent(class_="comment__body")
            assert body is not None and _lang_of(body) == "de", (path, text)
    app.extensions["db_engine"].dispose()
    command.downgrade(alembic_config(scratch_url), "0003")


def _lang_of(element) -> str:
    """The language an element is read in: its own ``lang`` or its nearest ancestor's."""
    return element.get("lang") or element.find_parent(attrs={"lang": True})["lang"]
