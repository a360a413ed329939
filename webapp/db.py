"""The database engine and a session per request.

SQLModel has no Flask integration of its own; this module is the small one we need:
one engine per app, one session per request, closed when the request ends.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine


def make_engine(url: str, busy_timeout: float = 15) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout (seconds)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    """Create the app's engine and close each request's session at teardown."""
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"], app.config.get("SQLITE_BUSY_TIMEOUT", 15))

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db_engine"]


def session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(engine())
    return g.db_session
