"""One number that changes with every change a page could show: what logged-in readers' kept pages are keyed by.

The row ``content_version`` (one row, ``n``) is raised by one in every transaction that writes to any
other table, in that transaction, before its first write: a reader who reads the new number also sees
everything the transaction wrote (it becomes visible with the same commit), and a reader who read the old
one keeps a page that was true for it. Nothing has to remember to invalidate: the engine does it for every
INSERT, UPDATE and DELETE it sends, whoever sends it (a view, a CLI command, a job, a bulk statement), except
to the tables no page reads (:data:`UNREAD`: the audit log's entries, the mail outbox). A savepoint rolled
back takes its raise along, so the next write raises again.

The price: on PostgreSQL writing transactions queue for the row from their first write until their commit,
as they already do on SQLite's one writer. A consultation's writes (comments, ratings, moderation) take a few
milliseconds each.

The clock changes pages too (a phase opens or ends, a block runs out): :func:`next_change` is the first of
those moments after now, read once per version.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from typing import Any, Optional

from sqlalchemy import Engine, event, text
from sqlmodel import Field, SQLModel

from . import clock, ownconnection


class ContentVersion(SQLModel, table=True):
    __tablename__ = "content_version"

    id: int = Field(primary_key=True)
    n: int = 0


#: Tables no reading page shows: a write to them alone leaves every page as it was.
UNREAD = frozenset({"content_version", "audit_entry", "outbox_message", "alembic_version"})
_RAISE = "UPDATE content_version SET n = n + 1 WHERE id = 1"
_WRITE = re.compile(r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)', re.IGNORECASE)
_RAISED = "mitreden.content_version_raised"
_WRITTEN = "mitreden.tables_written"


#: An execution option for a write whose every change the loaded objects already hold (``comments.services.rate``
#: sets the counts its ``UPDATE ... RETURNING`` answers): it raises the version as any write, but marks no table
#: written, so the objects are not read again after the commit.
RESULT_KEPT = "mitreden_result_kept"


def _before_write(conn: Any, cursor: Any, statement: str, _parameters: Any, context: Any, _executemany: bool) -> None:
    """Note the table a write goes to; before the transaction's first write to a table a page reads, raise
    the version."""
    written = _WRITE.match(statement)
    options = context.execution_options if context is not None else {}
    if written is None:
        return
    table = written.group(1).lower()
    if not options.get(RESULT_KEPT):
        conn.info.setdefault(_WRITTEN, set()).add(table)
    if conn.info.get(_RAISED) or table in UNREAD:
        return
    cursor.execute(_RAISE)  # the same cursor, so the same transaction, just before the write
    conn.info[_RAISED] = True


def raise_now(connection: Any) -> None:
    """Raise the version now in ``connection``'s transaction, unless it has been: from here to the commit every
    other writing transaction waits for this one (``db.write_lock``)."""
    if not connection.info.get(_RAISED):
        connection.exec_driver_sql(_RAISE)  # to an unread table: _before_write leaves it alone
        connection.info[_RAISED] = True


def tables_written(connection: Any) -> frozenset[str]:
    """The tables the transaction open on ``connection`` has written to so far."""
    return frozenset(connection.info.get(_WRITTEN, ()))


def _forget(info: dict) -> None:
    """The transaction is over: what it raised and wrote is its own."""
    info.pop(_RAISED, None)
    info.pop(_WRITTEN, None)


def watch(engine: Engine) -> None:
    """Raise the version in each of ``engine``'s transactions that writes; forget that it did when the
    transaction ends, however it ends, or the savepoint it was raised in is rolled back (the tables noted
    stay: what is read again after the commit may be more than was kept, never less)."""
    event.listen(engine, "before_cursor_execute", _before_write)
    for name in ("commit", "rollback"):
        event.listen(engine, name, lambda conn: _forget(conn.info))
    event.listen(engine, "rollback_savepoint", lambda conn, _name, _context: conn.info.pop(_RAISED, None))
    # A connection detached from the pool (webapp.ownconnection) has no record.
    event.listen(engine.pool, "reset", lambda _dbapi, record, _state: record is not None and _forget(record.info))
    event.listen(engine.pool, "checkin", lambda _dbapi, record: record is not None and _forget(record.info))


def current(engine: Engine) -> Optional[int]:
    """The version now (``None`` where the row is missing, or the database is away: nothing is kept then).

    Read on this thread's own connection (:mod:`webapp.ownconnection`), on its driver: one round trip, 4 µs on
    SQLite, on every request for a kept page, where a pooled connection costs a liveness check and a rollback too
    (SQLAlchemy's statement events, and so the tests' query counts, don't see it).
    """
    try:
        cursor = ownconnection.connection(engine).connection.dbapi_connection.cursor()
        try:
            cursor.execute("SELECT n FROM content_version WHERE id = 1")
            row = cursor.fetchone()
        finally:
            cursor.close()
    except Exception:  # noqa: BLE001 - a connection gone (a restart): the next request takes a new one
        ownconnection.forget(engine)
        return None
    return row[0] if row is not None else None


_moments: dict[int, tuple[Any, list[datetime]]] = {}
_lock = threading.Lock()


def next_change(engine: Engine, version: int) -> Optional[datetime]:
    """The first moment after now at which the clock alone changes a page: a phase starts or ends, a
    block runs out (read once per version and engine)."""
    with _lock:
        known = _moments.get(version)
    if known is None or known[0] is not engine:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT starts_at FROM phase UNION SELECT ends_at FROM phase"
                " UNION SELECT ends_at FROM person_block WHERE ends_at IS NOT NULL AND ended_at IS NULL")).scalars()
            moments = sorted(_aware(moment) for moment in rows)
        with _lock:
            if len(_moments) > 64:
                _moments.clear()
            _moments[version] = known = (engine, moments)
    now = clock.utcnow()
    return next((moment for moment in known[1] if moment > now), None)


def _aware(moment: Any) -> datetime:
    """SQLite hands back text or naive datetimes; PostgreSQL aware ones. All are UTC."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
