"""``flask backup create|restore``: a copy of the whole database, and putting one back.

A participation platform holds what citizens wrote during a commenting phase; losing it
cannot be undone by asking them again. These commands make a backup that is safe to take
while the app serves requests, and restore one in a single step.

- **SQLite**: Python's ``sqlite3`` backup API copies the database page by page under one
  read transaction, so the copy is consistent even while the app writes (the app runs the
  database in WAL mode, where readers do not block writers). Restoring uses the same API in
  the other direction: the live database file is overwritten inside SQLite's own locking,
  so connections that stay open see either the old or the restored state, never a mix.
  Copying the file with ``cp`` would do neither: it can catch a half-written page and
  misses what is still in the ``-wal`` file.
- **PostgreSQL**: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``,
  the server's own tools; a restore that fails part-way leaves the database as it was.

The database is the one the app is configured for (``DATABASE_URL``, see
:mod:`webapp.config`). Every failure we can foresee ends with one clear line
(:class:`click.ClickException`), never a traceback.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Optional

import click
import psycopg
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import create_engine, inspect, pool, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

ROOT = Path(__file__).resolve().parent.parent
#: The first bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: The first bytes of a ``pg_dump --format=custom`` archive.
PG_DUMP_MAGIC = b"PGDMP"
#: What pg_restore says when the live app holds a lock the restore needs.
LOCK_FAILURES = ("lock timeout", "deadlock detected", "could not obtain lock")
#: Seconds between two attempts of a restore that found the database in use.
RETRY_WAIT = 2.0

backup_cli = AppGroup("backup", help="Back up the database and restore a backup.")


# --- Which database ----------------------------------------------------------------------


def _database_url() -> URL:
    """The app's configured database as a parsed SQLAlchemy URL."""
    return make_url(current_app.config["DATABASE_URL"])


def _kind(url: URL) -> str:
    """``"sqlite"`` or ``"postgresql"``; anything else is refused with a clear message."""
    backend = url.get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise click.ClickException(f"Backups support SQLite and PostgreSQL, not {backend!r} (DATABASE_URL).")


def _sqlite_path(url: URL) -> Path:
    """The file behind a SQLite URL; an in-memory database has nothing to back up or restore."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise click.ClickException("DATABASE_URL names an in-memory SQLite database; there is no file to back up.")
    return Path(url.database)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL for ``pg_dump``/``pg_restore`` and the environment to run them in.

    SQLAlchemy's ``postgresql+psycopg://`` becomes libpq's ``postgresql://``. The password, if
    any, travels in ``PGPASSWORD`` rather than on the command line, where ``ps`` would show it.
    """
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _describe(url: URL) -> str:
    """The database for messages and prompts, never with its password."""
    if _kind(url) == "sqlite":
        return f"the SQLite database {_sqlite_path(url)}"
    return f"the PostgreSQL database {url.set(drivername='postgresql').render_as_string(hide_password=True)}"


def _tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a message saying how to install it."""
    found = shutil.which(name)
    if not found:
        raise click.ClickException(
            f"{name} was not found on PATH. Install the PostgreSQL client tools "
            f"(Debian: apt-get install postgresql-client), in a version at least that of the server.")
    return found


def _size(path: Path) -> str:
    """A file's size for people: ``1.4 MB (1,437,696 bytes)``."""
    size = path.stat().st_size
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            break
        value /= 1000
    human = f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit} ({size:,} bytes)"
    return human


def _file_start(path: Path) -> bytes:
    """The first bytes of a backup file, to recognise its format before using it."""
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_MAGIC))


# --- Schema revision ---------------------------------------------------------------------


def _known_revisions() -> tuple[set[str], set[str]]:
    """Every Alembic revision this code ships, and its heads (the newest)."""
    # Here, not at the top: every process imports this module (webapp/__init__.py -> cli), and only the backup
    # commands need alembic's script machinery, whose import costs each process about 90 ms.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini")))
    known = {revision.revision for revision in script.walk_revisions()}
    return known, set(script.get_heads())


def _revisions_in(sqlalchemy_url: str | URL) -> Optional[set[str]]:
    """The Alembic revisions recorded in a database, or ``None`` when it has no ``alembic_version``."""
    engine = create_engine(sqlalchemy_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")}
    finally:
        engine.dispose()


def _unknown_revision_message(found: set[str], heads: set[str]) -> str:
    return (f"schema revision {', '.join(sorted(found))} is unknown to this code (its newest is "
            f"{', '.join(sorted(heads))}): the backup comes from a newer or a different version of Mitreden. "
            "Run it with that version of the code.")


def _check_restored_revision(url: URL) -> None:
    """After a restore: say whether the restored schema fits this code.

    Older revisions are normal (a backup from before an update) and only need ``make migrate``.
    A revision this code does not know means the backup is from a newer version: the data is
    restored, but the app would not work on it, so the command ends with an error.
    """
    try:
        found = _revisions_in(url)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"Restored, but the schema revision could not be read: {exc}") from exc
    known, heads = _known_revisions()
    if not found:
        click.echo("Warning: the restored database records no Alembic revision; is this a Mitreden backup?",
                   err=True)
        return
    if found - known:
        raise click.ClickException("Restored, but its " + _unknown_revision_message(found, heads))
    if found != heads:
        click.echo(f"The restored database has schema revision {', '.join(sorted(found))}, older than this "
                   f"code's {', '.join(sorted(heads))}. Run `make migrate` (alembic upgrade head) before "
                   "starting the app.")
    else:
        click.echo(f"Schema revision {', '.join(sorted(found))}: up to date with this code.")


# --- SQLite ------------------------------------------------------------------------------


def _sqlite_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection: backing up must never create or change the file it reads."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def _sqlite_create(url: URL, target: Path) -> None:
    """Copy the live SQLite database into ``target`` with the backup API.

    The copy is written to a temporary file next to ``target`` and renamed at the end, so
    an interrupted backup never leaves a half-written file under the backup's name. The copy
    is switched from WAL to a rollback journal: it is then one self-contained file.
    """
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise click.ClickException(f"The database file {source_path} does not exist; nothing to back up.")
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)  # mkstemp made it 0600: a backup holds personal data.
    try:
        source = _sqlite_read_only(source_path)
        destination = sqlite3.connect(temporary)
        try:
            source.backup(destination)
            destination.execute("PRAGMA journal_mode=DELETE")
            if destination.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise click.ClickException("The copy failed SQLite's integrity check; nothing was written.")
        finally:
            destination.close()
            source.close()
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        raise click.ClickException(f"Backing up {source_path} failed: {exc}") from exc
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _sqlite_check_backup(backup: Path) -> None:
    """Refuse a file that is not a SQLite backup of a Mitreden database this code can run."""
    start = _file_start(backup)
    if start.startswith(PG_DUMP_MAGIC):
        raise click.ClickException(f"{backup} is a PostgreSQL backup (pg_dump), but DATABASE_URL is SQLite.")
    if start != SQLITE_MAGIC:
        raise click.ClickException(f"{backup} is not a SQLite database; nothing was restored.")
    try:
        connection = _sqlite_read_only(backup)
        try:
            has_table = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
            found = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")} \
                if has_table else None
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise click.ClickException(f"{backup} cannot be read as a SQLite database: {exc}") from exc
    if found is None:
        raise click.ClickException(f"{backup} has no alembic_version table: not a Mitreden backup; "
                                   "nothing was restored.")
    known, heads = _known_revisions()
    if found - known:
        raise click.ClickException(f"Nothing was restored: {backup} has " + _unknown_revision_message(found, heads))


def _sqlite_restore(url: URL, backup: Path) -> None:
    """Overwrite the live SQLite database with ``backup`` through the backup API.

    SQLite takes the database's write lock for the copy (waiting while the app writes), and
    connections that stay open re-read the changed pages afterwards. A WAL database stays in
    WAL mode.
    """
    _sqlite_check_backup(backup)
    target = _sqlite_path(url)
    if not target.parent.is_dir():
        raise click.ClickException(f"The folder {target.parent} of the database does not exist.")
    try:
        source = _sqlite_read_only(backup)
        destination = sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination)
        finally:
            destination.close()
            source.close()
    except sqlite3.Error as exc:
        raise click.ClickException(f"Restoring into {target} failed: {exc}") from exc


# --- PostgreSQL --------------------------------------------------------------------------


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client program; its error output becomes the message if it fails."""
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise click.ClickException(f"{what} could not be started: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise click.ClickException(f"{what} failed:\n{detail}")
    return result


def _postgresql_create(url: URL, target: Path) -> None:
    """``pg_dump`` the configured database into ``target`` (custom format, no owners or grants).

    Without owners and grants the backup restores into a database owned by any role.
    """
    pg_dump = _tool("pg_dump")
    libpq_url, env = _libpq(url)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    try:
        _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={temporary}",
              f"--dbname={libpq_url}"], env, "pg_dump")
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _postgresql_restore(url: URL, backup: Path, lock_timeout: float = 10, retries: int = 3) -> None:
    """``pg_restore`` ``backup`` over the configured database in one transaction.

    ``--clean --if-exists`` drops each object of the backup before recreating it;
    ``--single-transaction`` makes a failed restore change nothing. Dropping a table waits for
    every transaction that uses it: on a live site the restore would wait behind the app, or
    end in ``deadlock detected``. So each lock is waited for at most ``lock_timeout`` seconds
    and the restore is tried ``retries`` more times, then ends with a message that says to stop
    the app. (``SET lock_timeout`` cannot do it: every pg_dump archive starts with
    ``SET lock_timeout = 0``. :func:`_restore_watched` cancels a wait that lasts too long instead.)
    """
    start = _file_start(backup)
    if start == SQLITE_MAGIC:
        raise click.ClickException(f"{backup} is a SQLite backup, but DATABASE_URL is PostgreSQL.")
    if not start.startswith(PG_DUMP_MAGIC):
        raise click.ClickException(f"{backup} is not a pg_dump custom-format archive (made by "
                                   "`flask backup create`); nothing was restored.")
    pg_restore = _tool("pg_restore")
    libpq_url, env = _libpq(url)
    command = [pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
               "-d", libpq_url, str(backup)]
    for attempt in range(retries + 1):
        result, waited_too_long = _restore_watched(command, env, url, lock_timeout)
        if result.returncode == 0:
            break
        if not waited_too_long and not any(phrase in result.stderr for phrase in LOCK_FAILURES):
            detail = result.stderr.strip() or f"exit status {result.returncode}"
            raise click.ClickException(f"pg_restore failed:\n{detail}")
        if attempt == retries:
            raise click.ClickException(
                f"Nothing was restored: the database is in use. The app (or another connection) holds locks on "
                f"its tables, and the restore waited {lock_timeout:g} s for them {retries + 1} times. Stop the "
                "app (every instance) and run the restore again.")
        click.echo(f"The database is in use (a table is locked); nothing was changed. Trying again in "
                   f"{RETRY_WAIT:g} s ({attempt + 1} of {retries}). Stop the app before restoring.", err=True)
        time.sleep(RETRY_WAIT)
    if result.stderr.strip():
        click.echo(result.stderr.strip(), err=True)


def _restore_watched(command: list[str], env: dict[str, str], url: URL,
                     lock_timeout: float) -> tuple[subprocess.CompletedProcess, bool]:
    """Run ``pg_restore``; cancel its statement when it has waited for a lock longer than ``lock_timeout``.

    The restore's session is found by a unique ``application_name``; PostgreSQL's ``pg_locks.waitstart``
    says since when it waits. Returns the finished process and whether a wait was cancelled.
    """
    name = f"mitreden-restore-{secrets.token_hex(6)}"
    env = {**env, "PGAPPNAME": name}
    try:
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        raise click.ClickException(f"pg_restore could not be started: {exc}") from exc
    cancelled = threading.Event()
    done = threading.Event()

    def watch() -> None:
        libpq_url, _env = _libpq(url)
        try:
            with psycopg.connect(libpq_url, password=url.password, autocommit=True, connect_timeout=10) as connection:
                while not done.wait(0.2):
                    rows = connection.execute(
                        "SELECT pg_cancel_backend(a.pid) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                        "WHERE a.application_name = %s AND NOT l.granted "
                        "AND l.waitstart < clock_timestamp() - make_interval(secs => %s)",
                        (name, lock_timeout)).fetchall()
                    if rows:
                        cancelled.set()
        except psycopg.Error:  # the watcher is a help; pg_restore's own result still counts
            pass

    watcher = threading.Thread(target=watch, name="restore-lock-watch", daemon=True)
    watcher.start()
    try:
        stdout, stderr = process.communicate()
    finally:
        done.set()
        watcher.join(5)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), cancelled.is_set()


# --- Commands ----------------------------------------------------------------------------


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
def backup_create(path: Path, force: bool) -> None:
    """Write a consistent backup of the whole database to PATH.

    Safe while the app runs. SQLite: a SQLite database file (the backup API). PostgreSQL:
    a pg_dump custom-format archive. The file holds personal data and is made readable
    by its owner only.
    """
    url = _database_url()
    kind = _kind(url)
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder; give the backup's file name.")
    if path.exists() and not force:
        raise click.ClickException(f"{path} exists already; nothing was written. Pass --force to overwrite it.")
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist.")
    if kind == "sqlite":
        _sqlite_create(url, path)
    else:
        _postgresql_create(url, path)
    click.echo(f"Backup of {_describe(url)} written to {path}: {_size(path)}.")


def _content_version(url: URL) -> Optional[int]:
    """The number pages kept for logged-in readers are keyed by (``None`` before migration 0017)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT n FROM content_version WHERE id = 1").scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def _raise_content_version(url: URL, before: Optional[int]) -> None:
    """After a restore, the number goes past any it had before: the app's processes keep pages under those
    numbers that show what the restore took away (``webapp.contentversion``)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE content_version SET n = CASE WHEN n > :before THEN n ELSE :before END + 1"),
                               {"before": before or 0})
    except SQLAlchemyError:  # a backup from before 0017: `make migrate` makes the row (the message below says so)
        pass
    finally:
        engine.dispose()


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: replace all data without confirmation.")
@click.option("--lock-timeout", type=click.FloatRange(min=0.001), default=10.0, show_default=True,
              help="PostgreSQL: seconds to wait for a table the app still uses, per attempt.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="PostgreSQL: further attempts when the database is in use.")
def backup_restore(path: Path, yes: bool, lock_timeout: float = 10.0, retries: int = 3) -> None:
    """Replace ALL data in the database with the backup in PATH.

    Stop the app first. Everything written since the backup is lost. Without --yes the command
    asks first. Afterwards it checks the restored schema revision and says if `make migrate` is needed.
    """
    url = _database_url()
    kind = _kind(url)
    if not path.exists():
        raise click.ClickException(f"The backup file {path} does not exist; nothing was restored.")
    if not path.is_file():
        raise click.ClickException(f"{path} is not a file; nothing was restored.")
    if not yes:
        try:
            click.confirm(f"Replace ALL data in {_describe(url)} with {path}?", abort=True)
        except click.Abort:
            raise click.ClickException("Nothing was restored. Restoring replaces all data: confirm, "
                                       "or pass --yes.") from None
    before = _content_version(url)
    if kind == "sqlite":
        _sqlite_restore(url, path)
    else:
        _postgresql_restore(url, path, lock_timeout, retries)
    if kind == "postgresql":
        # This process's pooled connections may hold statements prepared against the dropped
        # tables; new connections start clean. (SQLite connections re-read changed pages.)
        engine = current_app.extensions.get("db_engine")
        if engine is not None:
            engine.dispose()
    _raise_content_version(url, before)
    click.echo(f"Restored {_describe(url)} from {path}.")
    _check_restored_revision(url)
