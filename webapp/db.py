"""The database engine and a session per request.

SQLModel has no Flask integration of its own; this module is the small one we need:
one engine per app, one session per request, closed when the request ends.

A PostgreSQL server that stops answering must not hang the site: every wait on it is
bounded. Connecting (``DB_CONNECT_TIMEOUT``), each statement on the server
(``DB_STATEMENT_TIMEOUT_MS``), waiting for a pooled connection (``DB_POOL_TIMEOUT``), and
a dead peer is noticed by TCP keepalives and ``tcp_user_timeout``. A server that accepts
a statement and then says nothing at all (frozen, or a network that swallows packets but
keeps the connection) is caught by :class:`Watchdog`, which cuts a connection whose
statement or liveness check has run past the statement timeout plus a grace period; the
request then gets the localized 503 page (:mod:`webapp.errors`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Optional

from flask import Flask, current_app, g
from psycopg import pq
from sqlalchemy import bindparam, event, exists, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, create_engine

from . import contentversion, ownconnection
from .config import SQLITE_SYNCHRONOUS


class NotFound(LookupError):
    """What a service raises when the thing asked for is not there (no project with that address,
    no such chapter in it): services neither abort nor choose status codes; the web layer answers
    it with the localized 404 page (:mod:`webapp.errors`), a CLI command or a job with its message.
    """


#: Defaults of the bounds (overridden by ``DB_CONNECT_TIMEOUT``, ``DB_STATEMENT_TIMEOUT_MS``, ``DB_POOL_TIMEOUT``).
CONNECT_TIMEOUT = 5
STATEMENT_TIMEOUT_MS = 15_000
POOL_TIMEOUT = 10
#: Seconds the watchdog gives the server beyond its own statement timeout before it cuts the connection.
GRACE = 2.0


class Watchdog:
    """Cuts PostgreSQL connections that wait on the server longer than ``limit`` seconds.

    Watching costs a dictionary entry per statement; one daemon thread looks every quarter
    second. Cutting shuts the connection's socket down, so the waiting thread gets an error
    (the pool then drops the connection) instead of waiting for ever.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._watched: dict[int, tuple[float, Any]] = {}
        self._started = False
        self._lock = threading.Lock()

    def watch(self, connection: Any) -> None:
        self._watched[id(connection)] = (time.monotonic() + self.limit, connection)
        if not self._started:
            with self._lock:
                if not self._started:
                    threading.Thread(target=self._run, name="db-watchdog", daemon=True).start()
                    self._started = True

    def done(self, connection: Any) -> None:
        self._watched.pop(id(connection), None)

    def _run(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            for key, (deadline, connection) in list(self._watched.items()):
                if deadline < now and self._watched.pop(key, None) is not None:
                    self.cut(connection)

    @staticmethod
    def cut(connection: Any) -> None:
        """Shut the connection's socket down (psycopg 3); the blocked read fails at once."""
        try:
            fd = connection.pgconn.socket
            with socket.socket(fileno=os.dup(fd)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except Exception:  # noqa: BLE001 - closed meanwhile, or not a socket any more
            pass


def _postgresql_engine(url: str, connect_timeout: float, statement_timeout_ms: int, pool_timeout: float) -> Engine:
    """A PostgreSQL engine whose every wait on the server is bounded (see the module's text)."""
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, round(connect_timeout)),  # libpq's unit: whole seconds
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
        # Data sent but not acknowledged for this long (a host gone): the connection fails.
        "tcp_user_timeout": int((connect_timeout + statement_timeout_ms / 1000 + GRACE) * 1000),
    }
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    engine = create_engine(url, pool_timeout=pool_timeout, connect_args=connect_args)
    watchdog = Watchdog((statement_timeout_ms / 1000 if statement_timeout_ms else 30.0) + GRACE)
    engine.extensions_watchdog = watchdog  # type: ignore[attr-defined]  (tests look at it)

    @event.listens_for(engine, "before_cursor_execute")
    def _watch(conn, _cursor, _statement, _parameters, _context, _executemany):
        watchdog.watch(conn.connection.dbapi_connection)

    @event.listens_for(engine, "after_cursor_execute")
    def _unwatch(conn, _cursor, _statement, _parameters, _context, _executemany):
        watchdog.done(conn.connection.dbapi_connection)

    @event.listens_for(engine, "handle_error")
    def _unwatch_failed(context):
        if context.connection is not None and not context.connection.closed:
            try:
                watchdog.done(context.connection.connection.dbapi_connection)
            except Exception:  # noqa: BLE001 - invalidated meanwhile
                pass

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection, _record, _proxy):
        """The pool's liveness check, watched like a statement: a silent server is not waited for."""
        watchdog.watch(dbapi_connection)
        try:
            # Straight to libpq: one round trip, and no transaction begun (psycopg's own execute would begin
            # one, and ending it again took a second round trip on every request).
            answer = dbapi_connection.pgconn.exec_(b"SELECT 1")
            if answer.status != pq.ExecStatus.TUPLES_OK:
                raise OSError(dbapi_connection.pgconn.get_error_message().decode(errors="replace")
                              or f"liveness check: {answer.status.name}")
        except Exception as exc:  # the pool drops this connection and tries a new one
            raise DisconnectionError(str(exc)) from exc
        finally:
            watchdog.done(dbapi_connection)

    return engine


def make_engine(url: str, busy_timeout: float = 15, *, connect_timeout: float = CONNECT_TIMEOUT,
                statement_timeout_ms: int = STATEMENT_TIMEOUT_MS, pool_timeout: float = POOL_TIMEOUT,
                sqlite_synchronous: str = "NORMAL") -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout (seconds) and ``sqlite_synchronous``
    (``SQLITE_SYNCHRONOUS``: NORMAL, SQLite's advice for WAL, writes the log to disk at checkpoints, not at every
    commit: never a damaged database, but a power cut may take the last commits back; FULL: every commit on disk
    first, 0.5 to 1 ms more each); PostgreSQL a connect, statement and pool timeout, keepalives and a watchdog."""
    if url.startswith("sqlite"):
        if sqlite_synchronous not in SQLITE_SYNCHRONOUS:  # a word never goes into SQL unchecked
            raise ValueError(f"sqlite_synchronous must be one of {SQLITE_SYNCHRONOUS}, not {sqlite_synchronous!r}")
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.close()

        return engine
    return _postgresql_engine(url, connect_timeout, statement_timeout_ms, pool_timeout)


def init_app(app: Flask) -> None:
    """Create the app's engine and close each request's session at teardown."""
    app.extensions["db_engine"] = make_engine(
        app.config["DATABASE_URL"], app.config.get("SQLITE_BUSY_TIMEOUT", 15),
        connect_timeout=app.config.get("DB_CONNECT_TIMEOUT", CONNECT_TIMEOUT),
        statement_timeout_ms=app.config.get("DB_STATEMENT_TIMEOUT_MS", STATEMENT_TIMEOUT_MS),
        pool_timeout=app.config.get("DB_POOL_TIMEOUT", POOL_TIMEOUT),
        sqlite_synchronous=app.config.get("SQLITE_SYNCHRONOUS", "NORMAL"))
    contentversion.watch(app.extensions["db_engine"])

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            _end_reading(session)
            session.close()


def _end_reading(session: Session) -> None:
    """On PostgreSQL, a transaction that only read ends with a ``COMMIT`` rather than the ``ROLLBACK`` of ``close()``:
    the same round trip, and psycopg keeps the statements it has prepared on the connection (a rollback makes it
    forget them all and send ``DEALLOCATE ALL``, so the statements every page asks were planned again and again).

    The ``COMMIT`` goes to the driver: ``close()`` then finds no transaction there to roll back, and the session
    sends no "after commit" (the page cache's sign that something changed: nothing did). A transaction that wrote
    anything (its tables noted by :mod:`webapp.contentversion`), or holds anything not written yet, is rolled back
    by ``close()`` as before."""
    if session.get_bind().dialect.name != "postgresql" or not session.in_transaction() or _pending(session):
        return
    try:
        connection = session.connection()
        if not contentversion.tables_written(connection):
            connection.connection.dbapi_connection.commit()
    except Exception:  # noqa: BLE001 - the connection is gone: close() rolls back what is left
        current_app.logger.warning("Ending a reading transaction failed", exc_info=True)


def _pending(session: Session) -> bool:
    """Whether the session holds changes not written yet."""
    return bool(session.new or session.dirty or session.deleted)


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db_engine"]


def session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        # What a commit did not write stays loaded (see transaction()): the project a view loaded before
        # it stored a comment is not loaded again, query by query, to show the page after it.
        g.db_session = Session(engine(), expire_on_commit=False)
    return g.db_session


@contextmanager
def transaction() -> Iterator[Session]:
    """The one place a unit of work commits: everything done inside is stored together, or nothing.

    Views, CLI commands and jobs open it; services only change rows (``session().add``), write
    their audit entries and queue their mail, and never commit. On an exception the session
    is rolled back and the exception goes on. Work registered with :func:`after_commit` runs
    once the commit has succeeded (e.g. telling the job queue to deliver the mail just stored).
    Nested use joins the outer transaction: only the outermost one commits.
    """
    current = session()
    depth = g.get("db_transaction_depth", 0)
    g.db_transaction_depth = depth + 1
    try:
        yield current
        if depth == 0:
            current.flush()
            written = contentversion.tables_written(current.connection()) if current.in_transaction() else frozenset()
            current.commit()
            _expire_written(current, written)
    except BaseException:
        if depth == 0:
            current.info.pop(_STORED_AS_LOADED, None)
            current.rollback()
            g.pop("db_after_commit", None)
        raise
    finally:
        g.db_transaction_depth = depth
    if depth == 0:
        for callback in g.pop("db_after_commit", []):
            try:
                callback()
            except Exception:  # noqa: BLE001 - what was committed stands; the sweeper catches up
                current_app.logger.exception("After-commit work failed")


def write_lock() -> None:
    """From here to the commit, this unit of work is the only one writing: for a check that must see every write
    committed before it and stay true until the commit (is this comment stored already? then the insert).

    Every writing transaction raises the content version before its first write and holds that row until it ends
    (:mod:`webapp.contentversion`; on SQLite the database's one write lock): raising it now, before the check, is
    the lock, and costs no statement of its own (the write raises it anyway)."""
    contentversion.raise_now(session().connection())


def read(statement: Any, parameters: dict) -> Any:
    """Run a prebuilt ``statement`` (built once, with bind parameters): its result rows. For the statements every
    page asks (roles, counts): building a statement and the ORM's part of running it cost about 0.15 ms each time,
    the database a few µs.

    In the request's transaction, after the session's pending changes are written (as the ORM's own queries do);
    where none is open (after the unit of work's commit: the counts and newest comments its answer shows) on the
    thread's own connection (:mod:`webapp.ownconnection`): one round trip, where beginning a transaction again
    costs a liveness check, a ``BEGIN`` and a ``ROLLBACK`` more on PostgreSQL."""
    current = session()
    if not current.in_transaction() and not _pending(current):
        return ownconnection.execute(engine(), statement, parameters)
    current.flush()  # nothing to do, and at once, unless something is pending
    return current.connection().execute(statement, parameters)


#: Where a unit of work lists the objects it stored exactly as they are loaded (:func:`stored_as_loaded`).
_STORED_AS_LOADED = "mitreden.stored_as_loaded"


def stored_as_loaded(obj: object) -> None:
    """Say that ``obj``, inserted by this unit of work, is in the database exactly as it is loaded (its values are
    all set here: no server default, trigger or later statement of the transaction changes it), so the commit
    keeps it instead of having it read again: ``comments.services.create`` for the new comment the answer shows."""
    session().info.setdefault(_STORED_AS_LOADED, []).append(obj)


def _expire_written(session: Session, written: frozenset[str]) -> None:
    """After a commit: what may have changed is loaded again when next read, what cannot have is kept.

    Every loaded object of a table the transaction wrote to (by the ORM, a bulk statement or plain SQL,
    ``contentversion.tables_written``), and every object with a relationship to such a table, is expired;
    the rest (the project, its texts, phases and chapters when a comment was stored) stays as this request
    read it.
    """
    kept = {id(obj) for obj in session.info.pop(_STORED_AS_LOADED, ())}
    if not written:
        return
    for obj in list(session.identity_map.values()):
        state = sa_inspect(obj)
        if state.was_deleted or id(obj) in kept:  # deleted by this transaction: its last values stay readable
            continue
        mapper = state.mapper
        if any(table.name in written for table in mapper.tables) or any(
                relationship.target.name in written for relationship in mapper.relationships):
            # Every attribute named: no cascade, which would expire what this transaction deleted too.
            session.expire(obj, mapper.attrs.keys())


def insert_unless_there(model: type, unless: Any = None, extra: Optional[dict] = None, returning: tuple = (),
                        **values: Any) -> Optional[Any]:
    """Insert a row of ``model`` unless one with the same unique values is there already (``ON CONFLICT DO
    NOTHING``, on SQLite and PostgreSQL alike): the new row's primary key, ``None`` when it was there. A race lost
    this way is an answer, not an error, so the caller's transaction needs no savepoint for it (two round trips
    fewer on PostgreSQL).

    ``unless``: a condition built once (with bind parameters named as ``model``'s columns, whose values are the
    row's, and as ``extra``'s keys) under which the row is not inserted either: the look for a row stored already
    and the insert in one statement (``INSERT ... SELECT ... WHERE NOT EXISTS``). ``returning``: expressions built
    once, answered beside the key (the whole row then: key first)."""
    table = model.__table__
    dialect = engine().dialect.name
    key = (table.name, dialect, tuple(values), unless, returning)
    statement = _INSERTS.get(key)
    if statement is None:  # built once per table, database, columns given and condition, with parameters
        insert = postgresql_insert(table) if dialect == "postgresql" else sqlite_insert(table)
        if unless is None:
            statement = insert.values({name: bindparam(name) for name in values})
        else:
            row = select(*(bindparam(name, type_=table.c[name].type).label(name) for name in values))
            statement = insert.from_select(list(values), row.where(~exists().where(unless)))
        # RETURNING says whether a row went in (psycopg's rowcount does not, with SQLAlchemy's implicit RETURNING).
        statement = _INSERTS[key] = statement.on_conflict_do_nothing().returning(*table.primary_key.columns, *returning)
    row = session().execute(statement, {**values, **(extra or {})}).first()
    return row if returning or row is None else row[0]


#: :func:`insert_unless_there`'s statements by table, database and columns.
_INSERTS: dict[tuple, Any] = {}


def add_inserted(obj: Any, key: Any) -> None:
    """Put ``obj``, a new object whose row :func:`insert_unless_there` stored under ``key`` with exactly its values,
    into the session as that row, loaded: without the ORM's own INSERT (its unit of work costs about 1 ms); kept
    after the commit too (:func:`stored_as_loaded`)."""
    obj.id = key
    make_transient_to_detached(obj)
    session().add(obj)
    stored_as_loaded(obj)


@contextmanager
def savepoint() -> Iterator[Session]:
    """A step of the caller's transaction that may fail alone (a SAVEPOINT): services use it where a
    unique constraint decides a race (a double submit, a double click), so a lost race undoes only
    that step, never what the caller's transaction did before it. The exception goes on.

    SQLite's driver opens its transaction only at the first INSERT/UPDATE/DELETE; a SAVEPOINT
    issued before that would open one of its own, which its release commits, out of reach of the
    caller's rollback. So on SQLite the transaction is begun first (IMMEDIATE: a write follows).
    """
    current = session()
    if engine().dialect.name == "sqlite":
        driver = current.connection().connection.driver_connection
        if not driver.in_transaction:
            driver.execute("BEGIN IMMEDIATE")
    with current.begin_nested():
        yield current


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed (at once outside one).

    A failure in it is logged, never raised: what was committed stands.
    """
    if not g.get("db_transaction_depth"):
        callback()
        return
    g.setdefault("db_after_commit", []).append(callback)
