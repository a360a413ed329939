"""Faults: an unreachable or locked database gives a localized 503 with a retry hint,
never a traceback, and the app recovers by itself when the database is back.

The PostgreSQL fault is real: the app reaches its own database through a TCP proxy
that the test owns, and the test cuts and restores that connection.
"""

import secrets
import socket
import sqlite3
import threading

import psycopg
import pytest
from alembic import command

from tests.support import alembic_config, soup

SERVER = "postgresql://postgres@127.0.0.1:5432"


class Proxy:
    """A TCP forwarder to PostgreSQL on a fixed local port that can be cut and restored."""

    def __init__(self, target=("127.0.0.1", 5432)):
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.listener = None
        self.connections = []

    def start(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        """The database host goes away: no new connections, open ones break."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        except OSError:
            pass
        self.listener.close()
        for connection in self.connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            except OSError:
                pass
        self.connections = []


@pytest.fixture()
def postgres_via_proxy(tmp_path):
    """A fresh, migrated PostgreSQL database of this test's own, reached through a Proxy."""
    name = f"mitreden_fault_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    proxy = Proxy()
    proxy.start()
    command.upgrade(alembic_config(f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}"), "head")
    try:
        yield proxy, f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}"
    finally:
        try:
            proxy.cut()
        except OSError:
            pass
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_unreachable_postgresql_gives_503_and_the_app_recovers(postgres_via_proxy):
    from webapp import create_app

    proxy, url = postgres_via_proxy
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x" * 40})
    client = app.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/de/imprint").status_code == 200  # (pages read before may be served from the page cache)

    proxy.cut()
    for path in ("/de/", "/en/projects/smart-city"):
        response = client.get(path)
        assert response.status_code == 503, path
        body = response.get_data(as_text=True)
        assert int(response.headers["Retry-After"]) > 0
        assert "Traceback" not in body and "psycopg" not in body
    assert soup(client.get("/de/")).h1.get_text() == "Vorübergehend nicht erreichbar"
    assert client.get("/health").status_code == 503

    proxy.start()  # the database is back
    assert client.get("/health").status_code == 200
    assert client.get("/de/").status_code == 200
    app.extensions["db_engine"].dispose()


def test_a_locked_sqlite_database_gives_503_not_a_traceback(tmp_path):
    from tests.support import csrf_token, demo_app, login, make_user

    url = f"sqlite:///{tmp_path / 'locked.db'}"
    command.upgrade(alembic_config(url), "head")
    app = demo_app(url, SQLITE_BUSY_TIMEOUT=0.2)
    client = app.test_client()
    login(client, make_user(app))
    token = csrf_token(client.get("/de/projects/smart-city/chapters/offen"))
    blocker = sqlite3.connect(tmp_path / "locked.db")
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        response = client.post("/de/projects/smart-city/chapters/offen/comments",
                               data={"csrf_token": token, "body": "Während der Sperre"})
        assert response.status_code == 503
        assert "Retry-After" in response.headers and "Traceback" not in response.get_data(as_text=True)
    finally:
        blocker.rollback()
        blocker.close()
    response = client.post("/de/projects/smart-city/chapters/offen/comments",
                           data={"csrf_token": token, "body": "Nach der Sperre"})
    assert response.status_code == 303


# --- A database that stops answering (issue 9, item 6) ------------------------------------------------

class Silent:
    """A "PostgreSQL server" that accepts connections and never says a word (a hung server, a
    network that swallows packets): the sockets stay open, nothing is ever read or answered."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self):
        for s in [self.listener, *self.accepted]:
            try:
                s.close()
            except OSError:
                pass


class Freezer(Proxy):
    """A Proxy that can freeze: open connections stay open but nothing passes any more, and new
    connections are accepted and never answered (the PostgreSQL server hangs)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frozen = threading.Event()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.connections.append(client)
            if self.frozen.is_set():
                continue  # accepted, never answered
            upstream = socket.create_connection(self.target)
            self.connections.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                if self.frozen.is_set():
                    self.frozen_until_cut()
                    return
                sink.sendall(data)
        except OSError:
            pass

    def frozen_until_cut(self):
        while self.listener.fileno() != -1:
            threading.Event().wait(0.1)


BOUNDS = {"DB_CONNECT_TIMEOUT": 2, "DB_STATEMENT_TIMEOUT_MS": 1000, "HEALTH_TIMEOUT": 1}


def _timed(client, path):
    import time

    started = time.monotonic()
    response = client.get(path)
    return response, time.monotonic() - started


def test_a_silent_postgresql_gives_a_quick_503_not_a_hang():
    """Before: no connect timeout; every request (and /health) waited for ever on a server that says nothing."""
    from webapp import create_app

    silent = Silent()
    app = create_app({"DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{silent.port}/nothing",
                      "SECRET_KEY": "x" * 40, **BOUNDS})
    client = app.test_client()
    try:
        response, seconds = _timed(client, "/de/")
        assert response.status_code == 503 and seconds < 10, seconds
        assert soup(response).h1.get_text() == "Vorübergehend nicht erreichbar"
        assert response.headers["Retry-After"] and response.headers["Content-Security-Policy"]
        assert soup(client.get("/einfach/")).h1.get_text() != "Temporarily unavailable"  # localized in every mode
        response, seconds = _timed(client, "/health")
        assert response.status_code == 503 and seconds < 2, seconds
        response, seconds = _timed(client, "/health")  # while the first check still hangs: at once
        assert response.status_code == 503 and seconds < 0.5, seconds
    finally:
        app.extensions["db_engine"].dispose()
        silent.close()


@pytest.fixture()
def postgres_via_freezer():
    name = f"mitreden_fault_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    proxy = Freezer()
    proxy.start()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}"
    command.upgrade(alembic_config(url), "head")
    try:
        yield proxy, url
    finally:
        proxy.cut()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_postgresql_that_hangs_mid_way_gives_503_and_cached_pages_are_still_served(postgres_via_freezer):
    """Before: pooled connections waited for ever on the frozen server; every thread hung, /health too."""
    from tests.support import demo_app

    proxy, url = postgres_via_freezer
    app = demo_app(url, **BOUNDS)
    client = app.test_client()
    cached = client.get("/de/projects/smart-city")
    assert cached.status_code == 200 and client.get("/health").status_code == 200

    proxy.frozen.set()
    response, seconds = _timed(client, "/de/projects/smart-city")  # a cached page: no database needed
    assert response.status_code == 200 and response.data == cached.data and seconds < 0.5
    response, seconds = _timed(client, "/en/projects/smart-city/chapters/offen")
    assert response.status_code == 503 and seconds < 12, seconds
    assert soup(response).h1.get_text() == "Temporarily unavailable"
    response, seconds = _timed(client, "/health")
    assert response.status_code == 503 and seconds < 2, seconds
    app.extensions["db_engine"].dispose()


def test_a_connection_the_server_ended_is_replaced_before_a_request_uses_it(postgres_via_freezer):
    """PostgreSQL restarted, or ended a pooled connection: the pool's liveness check at checkout (one round trip,
    straight to libpq, no transaction begun) sees it and takes a new connection; the reader gets the page."""
    from tests.support import demo_app

    _proxy, url = postgres_via_freezer
    app = demo_app(url, PAGE_CACHE_SECONDS=0, **BOUNDS)
    client = app.test_client()
    try:
        assert client.get("/de/projects/smart-city/chapters/offen").status_code == 200
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
                                  (name,)).fetchone()[0]
        assert ended >= 1
        assert client.get("/de/projects/smart-city/chapters/offen").status_code == 200
        with app.extensions["db_engine"].connect() as connection:  # a checked-out connection is in no transaction
            assert connection.connection.driver_connection.info.transaction_status.name == "IDLE"
    finally:
        app.extensions["db_engine"].dispose()
