"""``flask backup create|restore`` on SQLite and on PostgreSQL: what is restored is what was backed up.

Each backend gets its own database: SQLite in a temporary folder, and on the PostgreSQL
server a database of its own, created here and dropped at the end, so the shared ``test``
database of other runs is never touched. The PostgreSQL tests always run: a missing server
is a failure, not a skip.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from tests.support import alembic_config, demo_app
from webapp.models import Comment

#: The PostgreSQL server CI and our machines run; ``DATABASE_URL`` may name another one.
DEFAULT_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
#: Our own database on that server (with the process id: parallel runs do not collide).
BACKUP_DATABASE = f"mitreden_backup_test_{os.getpid()}"


def postgresql_server_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql")):
        url = DEFAULT_POSTGRESQL
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return make_url(url).set(drivername="postgresql+psycopg")


def maintenance(server_url, statement: str) -> None:
    """Run ``statement`` on the ``postgres`` maintenance database, outside a transaction."""
    engine = create_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backend(request, tmp_path_factory):
    """``(kind, app)``: a freshly migrated database of that kind with the demo loaded."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('backup-db') / 'mitreden.db'}"
    else:
        server = postgresql_server_url()
        maintenance(server, f'DROP DATABASE IF EXISTS "{BACKUP_DATABASE}" WITH (FORCE)')
        maintenance(server, f'CREATE DATABASE "{BACKUP_DATABASE}"')
        url = server.set(database=BACKUP_DATABASE).render_as_string(hide_password=False)
    command.upgrade(alembic_config(url), "head")
    application = demo_app(url, TESTING=True)
    try:
        yield kind, application
    finally:
        application.extensions["db_engine"].dispose()
        if kind == "postgresql":
            maintenance(server, f'DROP DATABASE IF EXISTS "{BACKUP_DATABASE}" WITH (FORCE)')


def cli(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def assert_clean_error(result, *phrases: str) -> None:
    """The command failed with one ``Error:`` message (click's), not a traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "Error: " in result.output
    for phrase in phrases:
        assert phrase in result.output, result.output


def snapshot(app) -> dict:
    """Every table's row count and rows (by first column), and the comment texts; apart, the number every write
    raises (webapp.contentversion), which a restore raises past what it was."""
    engine = app.extensions["db_engine"]
    state: dict = {"counts": {}, "rows": {}}
    with engine.connect() as connection:
        state["version"] = connection.execute(text("SELECT n FROM content_version")).scalar_one()
        for table in sorted(set(inspect(connection).get_table_names()) - {"content_version"}):
            rows = connection.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
            state["counts"][table] = len(rows)
            state["rows"][table] = [tuple(row) for row in rows]
        state["comments"] = [tuple(row) for row in
                             connection.execute(text("SELECT id, body FROM comment ORDER BY id")).all()]
    return state


def add_comment(app, body: str) -> int:
    """A new top-level comment beside the demo's first one; its id."""
    with Session(app.extensions["db_engine"]) as session:
        model = session.exec(select(Comment).order_by(Comment.id)).first()
        comment = Comment(project_id=model.project_id, chapter_id=model.chapter_id, author_id=model.author_id,
                          body=body)
        session.add(comment)
        session.commit()
        return comment.id


def delete_comment(app, comment_id: int) -> None:
    with Session(app.extensions["db_engine"]) as session:
        session.delete(session.get(Comment, comment_id))
        session.commit()


def test_backup_and_restore_round_trip(backend, tmp_path):
    kind, app = backend
    kept = add_comment(app, "Dieser Kommentar steht in der Sicherung.")
    before = snapshot(app)
    assert before["counts"]["comment"] > 1 and before["counts"]["user_account"] > 0
    assert before["counts"]["alembic_version"] == 1

    path = tmp_path / ("mitreden.db" if kind == "sqlite" else "mitreden.dump")
    result = cli(app, "backup", "create", str(path))
    assert result.exit_code == 0, result.output
    assert path.is_file() and path.stat().st_size > 0
    assert str(path) in result.output and "bytes" in result.output
    assert path.stat().st_mode & 0o077 == 0, "a backup holds personal data: owner only"
    assert not list(tmp_path.glob("*.partial")), "no temporary file left behind"

    delete_comment(app, kept)
    add_comment(app, "Dieser Kommentar kam nach der Sicherung.")
    changed = snapshot(app)
    assert changed["comments"] != before["comments"]

    watcher = sqlite3.connect(make_url(app.config["DATABASE_URL"]).database) if kind == "sqlite" else None
    if watcher is not None:  # a connection that stays open across the restore
        assert watcher.execute("SELECT count(*) FROM comment").fetchone()[0] == changed["counts"]["comment"]

    result = cli(app, "backup", "restore", "--yes", str(path))
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "up to date" in result.output

    after = snapshot(app)
    assert after["version"] > changed["version"], "pages kept under the numbers before the restore are never served"
    assert after["counts"] == before["counts"]
    assert after["comments"] == before["comments"]
    assert after["rows"] == before["rows"]
    assert (kept, "Dieser Kommentar steht in der Sicherung.") in after["comments"]
    if watcher is not None:
        assert watcher.execute("SELECT count(*) FROM comment").fetchone()[0] == before["counts"]["comment"]
        assert watcher.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        watcher.close()

    # The restored database takes new rows (PostgreSQL's sequences came back too) and serves pages.
    assert add_comment(app, "Nach der Wiederherstellung.") > kept
    assert app.test_client().get("/de/").status_code == 200
    delete_comment(app, max(c for c, _b in snapshot(app)["comments"]))
    assert snapshot(app)["rows"] == before["rows"]


def test_create_refuses_to_overwrite_without_force(backend, tmp_path):
    _kind, app = backend
    path = tmp_path / "existing.backup"
    path.write_text("keep me")
    result = cli(app, "backup", "create", str(path))
    assert_clean_error(result, "exists already", "--force")
    assert path.read_text() == "keep me"

    result = cli(app, "backup", "create", "--force", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes() != b"keep me"


def test_create_into_a_missing_folder_is_a_clear_error(backend, tmp_path):
    _kind, app = backend
    assert_clean_error(cli(app, "backup", "create", str(tmp_path / "nowhere" / "x.backup")), "does not exist")


def test_restore_refuses_without_yes(backend, tmp_path):
    _kind, app = backend
    path = tmp_path / "backup"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    marker = add_comment(app, "Bleibt, weil niemand bestätigt hat.")
    before = snapshot(app)

    for answer in (None, "n\n"):  # no answer at all (not a terminal), and "no"
        result = cli(app, "backup", "restore", str(path), input=answer)
        assert_clean_error(result, "Nothing was restored", "--yes")
        assert "Replace ALL data" in result.output
    assert snapshot(app) == before

    result = cli(app, "backup", "restore", str(path), input="y\n")
    assert result.exit_code == 0, result.output
    assert marker not in [c for c, _b in snapshot(app)["comments"]]


def test_restore_of_missing_file_is_a_clear_error(backend, tmp_path):
    _kind, app = backend
    before = snapshot(app)
    result = cli(app, "backup", "restore", "--yes", str(tmp_path / "no-such-backup"))
    assert_clean_error(result, "does not exist", "nothing was restored")
    assert snapshot(app) == before


def test_restore_of_a_wrong_file_is_a_clear_error(backend, tmp_path):
    kind, app = backend
    before = snapshot(app)
    junk = tmp_path / "notes.txt"
    junk.write_text("Das ist keine Sicherung.\n" * 20)
    expected = "not a SQLite database" if kind == "sqlite" else "not a pg_dump custom-format archive"
    assert_clean_error(cli(app, "backup", "restore", "--yes", str(junk)), expected)

    other = tmp_path / "other-kind"  # a backup of the other kind of database
    if kind == "sqlite":
        other.write_bytes(b"PGDMP" + b"\0" * 100)
        assert_clean_error(cli(app, "backup", "restore", "--yes", str(other)), "PostgreSQL backup")
    else:
        sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
        assert_clean_error(cli(app, "backup", "restore", "--yes", str(other)), "SQLite backup")
    assert snapshot(app) == before


def head_revision() -> str:
    """The newest revision this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def set_revision(sqlite_backup: Path, revision: str) -> None:
    connection = sqlite3.connect(sqlite_backup)
    connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    connection.commit()
    connection.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_restore_of_an_older_revision_hints_at_migrate(backend, tmp_path):
    _kind, app = backend
    path = tmp_path / "old.db"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    before = snapshot(app)
    set_revision(path, "0001")
    result = cli(app, "backup", "restore", "--yes", str(path))
    assert result.exit_code == 0, result.output
    assert "older" in result.output and "make migrate" in result.output

    set_revision(path, head_revision())
    assert cli(app, "backup", "restore", "--yes", str(path)).exit_code == 0
    after = snapshot(app)
    assert after.pop("version") > before.pop("version")
    assert after == before


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_restore_refuses_a_revision_this_code_does_not_know(backend, tmp_path):
    _kind, app = backend
    path = tmp_path / "future.db"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    before = snapshot(app)
    set_revision(path, "9999")
    assert_clean_error(cli(app, "backup", "restore", "--yes", str(path)), "9999", "unknown to this code",
                       "Nothing was restored")
    assert snapshot(app) == before


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_missing_postgresql_tools_are_a_clear_error(backend, tmp_path, monkeypatch):
    _kind, app = backend
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no pg_dump, no pg_restore
    path = tmp_path / "x.dump"
    assert_clean_error(cli(app, "backup", "create", str(path)), "pg_dump was not found", "postgresql-client")
    assert not path.exists()
    path.write_bytes(b"PGDMP" + b"\0" * 100)
    assert_clean_error(cli(app, "backup", "restore", "--yes", str(path)), "pg_restore was not found")


# --- Restoring while the site runs (issue 9, item 14) -------------------------------------------------

def _hold_lock(url: str, release):
    """In a thread: a transaction that holds a lock on the comment table until ``release`` is set."""
    import threading

    locked = threading.Event()

    def hold():
        engine = create_engine(url)
        try:
            with engine.connect() as connection, connection.begin():
                connection.execute(text("LOCK TABLE comment IN ACCESS SHARE MODE"))  # as any reader's SELECT
                locked.set()
                release.wait(60)
        finally:
            engine.dispose()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert locked.wait(30)
    return thread


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_restore_while_a_table_is_locked_retries_then_says_to_stop_the_app(backend, tmp_path):
    """Before: pg_restore waited for ever behind the app, or failed with a raw "deadlock detected"."""
    import threading

    _kind_, app = backend
    path = tmp_path / "locked.dump"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    release = threading.Event()
    holder = _hold_lock(app.config["DATABASE_URL"], release)
    try:
        result = cli(app, "backup", "restore", "--yes", "--lock-timeout", "0.5", "--retries", "1", str(path))
    finally:
        release.set()
        holder.join(30)
    assert_clean_error(result, "database is in use", "Stop the app", "Nothing was restored")
    assert "Trying again" in result.output and "deadlock" not in result.output


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_restore_succeeds_once_the_lock_is_released(backend, tmp_path, monkeypatch):
    import threading

    from webapp import backup

    monkeypatch.setattr(backup, "RETRY_WAIT", 0.5)
    _kind_, app = backend
    path = tmp_path / "released.dump"
    assert cli(app, "backup", "create", str(path)).exit_code == 0
    release = threading.Event()
    holder = _hold_lock(app.config["DATABASE_URL"], release)
    threading.Timer(1.5, release.set).start()  # the app is stopped while the command waits
    result = cli(app, "backup", "restore", "--yes", "--lock-timeout", "0.5", "--retries", "10", str(path))
    holder.join(30)
    assert result.exit_code == 0, result.output
    assert "Trying again" in result.output and "Restored" in result.output
