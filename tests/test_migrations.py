"""Alembic from the first table on: the migrations build exactly what the models describe."""

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


def test_upgrading_a_filled_database_of_the_previous_release_loses_nothing(tmp_path):
    """0001 (the first release: projects, phases, documents) filled with data, then upgraded to head."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import MetaData, select

    url = f"sqlite:///{tmp_path / 'previous.db'}"
    command.upgrade(alembic_config(url), "0001")
    engine = create_engine(url)
    old = MetaData()
    old.reflect(engine)
    now = datetime.now(timezone.utc)
    rows = {
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
