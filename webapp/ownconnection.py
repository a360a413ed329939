"""Each thread's own database connection, for reads outside any transaction.

A pooled connection costs every request a liveness check and, in PostgreSQL, a ``BEGIN`` and a ``ROLLBACK``: three
round trips around its statements. A read that needs no transaction (the content version a kept page is checked
against; a page's counts read after its unit of work has committed) goes to this thread's own connection instead:
taken out of the pool once (``detach``), in autocommit, one round trip per statement. It is a SQLAlchemy
connection of the same engine, so the engine's events see its statements (the watchdog on PostgreSQL, the tests'
query counts).

Each statement is its own snapshot here, as each one is in PostgreSQL's default isolation (READ COMMITTED) inside a
transaction too. A connection that fails is closed and forgotten (the next use takes a new one); the engine's
``dispose()`` closes all of them.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import DBAPIError

#: engine -> thread -> its connection.
_connections: "weakref.WeakKeyDictionary[Engine, dict[int, Connection]]" = weakref.WeakKeyDictionary()


def connection(engine: Engine) -> Connection:
    """This thread's own connection to ``engine``'s database (made on first use)."""
    own = _connections.get(engine)
    if own is None:
        own = _connections.setdefault(engine, {})
        if not event.contains(engine, "engine_disposed", _close_all):
            event.listen(engine, "engine_disposed", _close_all)
    thread = threading.get_ident()
    made = own.get(thread)
    if made is None:
        made = engine.connect()
        made.detach()  # the pool forgets it: it is this thread's, until it fails or the engine is disposed
        # On the driver, after the detach: the pool's record of it would set the level back on the next
        # connection it makes in its place (SQLAlchemy's execution option registers that).
        engine.dialect.set_isolation_level(made.connection.dbapi_connection, "AUTOCOMMIT")
        own[thread] = made
    return made


def execute(engine: Engine, statement: Any, parameters: dict) -> Any:
    """``statement``'s result on this thread's own connection; a connection found gone (a restart) is replaced
    and the statement sent once more (a read: sending it again changes nothing)."""
    for attempt in (1, 2):
        own = connection(engine)
        try:
            return own.execute(statement, parameters)
        except DBAPIError as error:
            forget(engine)
            if attempt == 2 or not error.connection_invalidated:
                raise
        except BaseException:
            forget(engine)
            raise
    raise AssertionError("unreachable")


def forget(engine: Engine) -> None:
    """Close this thread's connection to ``engine`` (after an error): the next use makes a new one."""
    made = _connections.get(engine, {}).pop(threading.get_ident(), None)
    if made is not None:
        with contextlib.suppress(Exception):
            made.close()


def _close_all(engine: Engine) -> None:
    for made in list(_connections.pop(engine, {}).values()):
        with contextlib.suppress(Exception):
            made.close()
