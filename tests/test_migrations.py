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
                        ("/en/projects/altprojekt/chapters/eins/paragraph-1", ["Zum Absatz."]),
                        ("/de/projects/altprojekt/chapters/eins", ["Ein alter Kommentar."])):
        page = BeautifulSoup(client.get(path).get_data(as_text=True), "html.parser")
        for text in texts:
            body = next(s for s in page.find_all(string=lambda s, text=text: s and text in s)
                        if not s.find_parent(class_="comment__name")).find_parent(class_="comment__body")  # its text, not its name
            assert body is not None and _lang_of(body) == "de", (path, text)
    app.extensions["db_engine"].dispose()
    command.downgrade(alembic_config(scratch_url), "0003")


def _lang_of(element) -> str:
    """The language an element is read in: its own ``lang`` or its nearest ancestor's."""
    return element.get("lang") or element.find_parent(attrs={"lang": True})["lang"]


# --- 0006: citizens' words are never deleted as a side effect ----------------------------------------

#: How each foreign key from comments, ratings and reports acts when what it points to is deleted.
ON_DELETE = {
    ("comment", "project_id"): "RESTRICT", ("comment", "chapter_id"): "RESTRICT",
    ("comment", "paragraph_id"): "RESTRICT", ("comment", "parent_id"): "RESTRICT",
    ("comment", "author_id"): "SET NULL",  # an account deleted: its comments stay, from "a deleted account"
    ("report", "comment_id"): "RESTRICT", ("report", "reporter_id"): "SET NULL",
    ("rating", "comment_id"): "CASCADE", ("rating", "user_id"): "CASCADE",  # counts, not anyone's words
}
#: ... before 0006.
ON_DELETE_BEFORE_0006 = {**ON_DELETE, **{key: "CASCADE" for key, action in ON_DELETE.items() if action == "RESTRICT"}}


def _on_delete(url: str) -> dict[tuple[str, str], str]:
    """The ON DELETE action of each one-column foreign key of comment, report and rating, as the database has it."""
    from sqlalchemy import inspect

    engine = create_engine(url)
    inspector = inspect(engine)
    found = {(table, key["constrained_columns"][0]): (key["options"].get("ondelete") or "NO ACTION").upper()
             for table in ("comment", "report", "rating") for key in inspector.get_foreign_keys(table)}
    engine.dispose()
    return {key: found.get(key) for key in ON_DELETE}


def test_the_database_refuses_to_delete_what_comments_and_reports_refer_to(database_url):
    """Read back from the migrated database (SQLite, or PostgreSQL in CI's second pass): RESTRICT, not CASCADE.

    ``compare_metadata`` above compares ON DELETE too (on both engines, alembic 1.20), but says
    nothing when both sides are wrong; this says what the database does.
    """
    assert _on_delete(database_url) == ON_DELETE


def _commented_rows(now) -> dict[str, list[dict]]:
    """A project (as :func:`_first_release_rows`) with a second, uncommented chapter, three accounts,
    comments on the chapter and on a paragraph, replies, an author-deleted comment, ratings and
    reports, as 0005 stored them."""
    from datetime import timedelta

    rows = _first_release_rows(now)
    rows["chapter"].append({"id": 2, "document_id": 1, "position": 2, "slug": "zwei"})
    rows["chapter_text"].append({"id": 2, "chapter_id": 2, "language": "de", "title": "Kapitel zwei"})
    rows["paragraph"].append({"id": 2, "chapter_id": 2, "position": 1})
    rows["paragraph_text"].append({"id": 2, "paragraph_id": 2, "language": "de", "heading": "",
                                   "body": "Noch niemand hat hierzu etwas geschrieben."})
    rows["user_account"] = [
        {"id": n, "username": name, "username_key": name.lower(), "email": f"{name.lower()}@example.org",
         "email_key": f"{name.lower()}@example.org", "pending_email": None, "password_hash": "x",
         "role": "participant", "language": "de", "email_confirmed_at": now, "created_at": now,
         "session_token": f"t{n}"}
        for n, name in ((1, "Anna"), (2, "Bert"), (3, "Cleo"))]
    comment = {"project_id": 1, "chapter_id": 1, "paragraph_id": None, "parent_id": None, "category": None,
               "language": "de", "edited_at": None, "deleted_at": None, "submission_key": None,
               "agree_count": 0, "disagree_count": 0, "reply_count": 0}
    rows["comment"] = [
        {**comment, "id": 1, "author_id": 1, "body": "Mehr Bänke am Markt.", "agree_count": 1, "disagree_count": 1,
         "reply_count": 1, "created_at": now - timedelta(hours=5)},
        {**comment, "id": 2, "author_id": 2, "parent_id": 1, "body": "Und Schatten dazu.",
         "created_at": now - timedelta(hours=4)},
        {**comment, "id": 3, "author_id": 2, "paragraph_id": 1, "body": "Zu diesem Absatz: gut so.", "agree_count": 1,
         "created_at": now - timedelta(hours=3)},
        {**comment, "id": 4, "author_id": 3, "body": "", "deleted_at": now - timedelta(hours=1), "reply_count": 1,
         "created_at": now - timedelta(hours=2)},  # deleted by its author: the reply below stays
        {**comment, "id": 5, "author_id": 1, "parent_id": 4, "body": "Eine Antwort bleibt.",
         "created_at": now - timedelta(hours=1)},
    ]
    rows["rating"] = [{"id": 1, "comment_id": 1, "user_id": 2, "value": 1, "created_at": now},
                      {"id": 2, "comment_id": 1, "user_id": 3, "value": -1, "created_at": now},
                      {"id": 3, "comment_id": 3, "user_id": 1, "value": 1, "created_at": now}]
    rows["report"] = [{"id": 1, "comment_id": 1, "reporter_id": 3, "reason": "insult", "explanation": "Bitte prüfen.",
                       "comment_text": "Mehr Bänke am Markt.", "created_at": now, "resolved_at": None},
                      {"id": 2, "comment_id": 3, "reporter_id": 1, "reason": "spam", "explanation": "",
                       "comment_text": "Zu diesem Absatz: gut so.", "created_at": now, "resolved_at": now}]
    return rows


def _fill(url: str, rows: dict[str, list[dict]]) -> None:
    from sqlalchemy import MetaData

    engine = create_engine(url)
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for table, values in rows.items():
            connection.execute(tables.tables[table].insert(), values)
    engine.dispose()


def _rows(url: str, tables) -> dict[str, list[dict]]:
    """Every row of ``tables``, column by column, in id order."""
    from sqlalchemy import text

    engine = create_engine(url)
    with engine.connect() as connection:
        rows = {table: [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
                for table in tables}
    engine.dispose()
    return rows


def _columns_in_both(rows: dict[str, list[dict]], other: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """``rows`` with only the columns ``other`` has too: later releases add and drop columns, never rows."""
    return {table: [{column: value for column, value in row.items() if column in other[table][0]} for row in found]
            for table, found in rows.items()}


def _shape(url: str, table: str) -> dict:
    """What a table is besides its foreign keys: columns, key, indexes, unique and check constraints."""
    from sqlalchemy import inspect

    engine = create_engine(url)
    inspector = inspect(engine)
    shape = {
        "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in inspector.get_columns(table)],
        "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in inspector.get_indexes(table)),
        "unique": sorted((u["name"], tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)),
        "checks": sorted((c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table)),
    }
    engine.dispose()
    return shape


def _refusals(url: str) -> dict[str, bool]:
    """Which deletions the database refuses, each tried through the app's own engine (SQLite with
    foreign keys enforced, as the app runs it) and rolled back."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from webapp.db import make_engine

    attempts = {
        "project with comments": "DELETE FROM project WHERE id = 1",
        "chapter with comments": "DELETE FROM chapter WHERE id = 1",
        "paragraph with comments": "DELETE FROM paragraph WHERE id = 1",
        "comment with a reply": "DELETE FROM comment WHERE id = 4",
        "comment with reports": "DELETE FROM comment WHERE id = 3",
        "chapter without comments": "DELETE FROM chapter WHERE id = 2",
        "reply, with nothing on it": "DELETE FROM comment WHERE id = 5",
    }
    engine = make_engine(url)
    refused = {}
    for what, statement in attempts.items():
        with engine.connect() as connection:
            try:
                deleted = connection.execute(text(statement)).rowcount
            except IntegrityError:
                refused[what] = True
            else:
                assert deleted == 1, what
                refused[what] = False
            connection.rollback()
    engine.dispose()
    return refused


#: Refused from 0006 on; before, the first five went through and took comments, ratings and reports with them.
REFUSED = {"project with comments": True, "chapter with comments": True, "paragraph with comments": True,
           "comment with a reply": True, "comment with reports": True,
           "chapter without comments": False, "reply, with nothing on it": False}


def test_0006_keeps_every_row_of_a_filled_database_and_then_refuses_to_delete_commented_content(scratch_url):
    """0005 filled with projects, chapters, paragraphs, comments and replies, ratings and reports; upgraded
    to 0006 and to head, every row is still there, column by column, and the database refuses to
    delete what people commented on. Downgrading brings the cascades back and still loses nothing."""
    from datetime import datetime

    command.upgrade(alembic_config(scratch_url), "0005")
    rows = _commented_rows(datetime.now(UTC))
    _fill(scratch_url, rows)
    before = _rows(scratch_url, rows)
    shapes = {table: _shape(scratch_url, table) for table in ("comment", "report")}
    assert _on_delete(scratch_url) == ON_DELETE_BEFORE_0006
    assert _refusals(scratch_url)["chapter with comments"] is False  # the loss this migration ends

    command.upgrade(alembic_config(scratch_url), "0006")
    assert _rows(scratch_url, rows) == before
    assert {table: _shape(scratch_url, table) for table in shapes} == shapes, "recreated tables keep the rest"
    assert _on_delete(scratch_url) == ON_DELETE
    assert _refusals(scratch_url) == REFUSED

    command.upgrade(alembic_config(scratch_url), "head")
    assert _columns_in_both(_rows(scratch_url, rows), before) == _columns_in_both(before, _rows(scratch_url, rows))
    assert _on_delete(scratch_url) == ON_DELETE
    assert _refusals(scratch_url) == REFUSED

    command.downgrade(alembic_config(scratch_url), "0005")
    assert _rows(scratch_url, rows) == before
    assert _on_delete(scratch_url) == ON_DELETE_BEFORE_0006


def test_0006_refuses_a_sqlite_connection_that_enforces_foreign_keys_and_changes_nothing(tmp_path):
    """Recreating ``comment`` with enforcement on would delete every rating and report with the old table:
    the migration refuses such a connection before it changes anything, and runs on Alembic's own."""
    from datetime import datetime

    from webapp.db import make_engine

    url = f"sqlite:///{tmp_path / 'enforced.db'}"
    command.upgrade(alembic_config(url), "0005")
    rows = _commented_rows(datetime.now(UTC))
    _fill(url, rows)
    before = _rows(url, rows)

    engine = make_engine(url)  # the app's engine: PRAGMA foreign_keys=ON on every connection
    with engine.connect() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        with pytest.raises(RuntimeError, match="foreign keys enforced"):
            command.upgrade(config, "0006")
        connection.rollback()
    engine.dispose()
    assert _rows(url, rows) == before
    assert _on_delete(url) == ON_DELETE_BEFORE_0006
    assert _version(url) == "0005"

    command.upgrade(alembic_config(url), "0006")
    assert _rows(url, rows) == before
    assert _on_delete(url) == ON_DELETE


def _version(url: str) -> str:
    from sqlalchemy import text

    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    return version


def test_0013_withdraws_roles_given_to_accounts_that_never_confirmed_their_address(scratch_url):
    """Roles given to an unconfirmed account (security report N1) are withdrawn; confirmed staff keep theirs."""
    from datetime import datetime

    command.upgrade(alembic_config(scratch_url), "0012")
    now = datetime.now(UTC)
    rows = _first_release_rows(now)
    account = {"pending_email": None, "password_hash": "x", "report_mail": "digest", "report_digest_until": None,
               "language": "de", "created_at": now, "session_token": "t"}
    rows["user_account"] = [
        {**account, "id": 1, "username": "Echt", "username_key": "echt", "email": "echt@example.org",
         "email_key": "echt@example.org", "is_admin": True, "email_confirmed_at": now},
        {**account, "id": 2, "username": "Squat", "username_key": "squat", "email": "chef@example.org",
         "email_key": "chef@example.org", "is_admin": True, "email_confirmed_at": None},
    ]
    rows["project_moderator"] = [{"id": i, "user_id": i, "project_id": 1, "created_at": now} for i in (1, 2)]
    rows["organisation_member"] = [{"id": i, "user_id": i, "organisation_id": 1, "role": "initiator", "created_at": now}
                                   for i in (1, 2)]
    _fill(scratch_url, rows)
    command.upgrade(alembic_config(scratch_url), "0013")
    after = _rows(scratch_url, ["user_account", "project_moderator", "organisation_member"])
    assert [(row["id"], bool(row["is_admin"])) for row in after["user_account"]] == [(1, True), (2, False)]
    assert [row["user_id"] for row in after["project_moderator"]] == [1]
    assert [row["user_id"] for row in after["organisation_member"]] == [1]
    command.downgrade(alembic_config(scratch_url), "0012")
