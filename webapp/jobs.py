"""The job queue: the one module that binds huey to the app.

Work that must not happen inside a request (delivering mail) or that runs on a schedule
(expiring unconfirmed accounts, sweeping the mail outbox) is a *job*. A view or service
queues it; a separate process, ``flask jobs worker``, runs it.

Where jobs wait is chosen per app from its configuration (see :func:`storage_for`):

- ``REDIS_URL`` set: Redis (what production with several app instances uses);
- otherwise: a SQLite file in the instance folder (``instance/jobs.db``), no server needed;
- ``JOBS_IMMEDIATE`` (on by default when ``TESTING``): no queue at all, a job runs at once
  where it is queued. Tests that need the real storage turn it off.

Jobs are plain functions decorated here; each runs inside an app context of its own (a
fresh ``g``, so a fresh database session). In a worker the app is created once per process
(``create_app()``, or the one the ``flask`` command made) and an app context is pushed for
every job. Another module adds its own jobs like this::

    from webapp import jobs

    @jobs.task(retries=3, retry_delay=60)
    def rebuild_counts(project_id: int) -> None:
        ...

    @jobs.periodic(jobs.crontab(hour="7", minute="0"))   # every day at 07:00 UTC
    def moderation_digest() -> None:
        with db.transaction():
            ...

    rebuild_counts(5)   # queues it (after the commit: ``db.after_commit(lambda: rebuild_counts(5))``)

Put such jobs in a module named ``tasks.py`` inside a package of ``webapp`` (e.g.
``webapp/moderation/tasks.py``): the worker imports every one of them at start
(:func:`discover`), so their periodic jobs are scheduled and their jobs can be run. Times
of ``crontab`` are UTC. Only the worker started without ``--no-periodic`` schedules
periodic jobs: run exactly one such worker.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import pkgutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, has_app_context
from flask.cli import AppGroup
from huey import Huey, crontab  # noqa: F401  (crontab: for other modules' periodic jobs)
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from redis import ConnectionPool

#: The queue's name: keys in Redis, rows in the SQLite file.
NAME = "mitreden"
#: Longest pause (seconds) between two looks into a SQLite queue when it is idle (Redis waits blocking).
MAX_POLL_DELAY = 2.0


def storage_for(app: Flask) -> tuple[Any, bool]:
    """The storage where ``app``'s jobs wait, and whether jobs run at once instead (immediate mode)."""
    config = app.config
    immediate = bool(config.get("JOBS_IMMEDIATE", config.get("TESTING", False)))
    name = config.get("JOBS_QUEUE_NAME", NAME)
    if immediate:
        return MemoryStorage(name), True
    if config.get("REDIS_URL"):
        # Bounded waits: a Redis that is down costs a request a logged warning, never a hang
        # (the outbox sweeper queues the job again later). The read timeout is above the
        # consumer's 1-second blocking pop.
        pool = ConnectionPool.from_url(config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5)
        return RedisStorage(name, connection_pool=pool), False
    path = Path(config.get("JOBS_SQLITE_FILE") or Path(app.instance_path) / "jobs.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteStorage(name, filename=str(path)), False


class _Binding:
    """An app's queue storage, made on first use."""

    def __init__(self, app: Flask) -> None:
        self.storage, self.immediate = storage_for(app)


class AppQueue(Huey):
    """A huey whose storage belongs to the app at hand.

    Jobs are registered once, at import, on this one object; the storage they are queued in
    is the current app's (inside an app context) or the bound app's (:func:`bind`: a worker's
    threads, which have no app context). So tests can run apps with different storages in one
    process, and a worker needs nothing but its app.
    """

    def __init__(self, name: str) -> None:
        self._bound: Flask | None = None
        self._lock = threading.Lock()
        super().__init__(name, results=False, utc=True)

    def create_storage(self):  # huey's constructor asks; the storage comes from the app instead
        return None

    def app(self) -> Flask:
        """The app whose storage is used: the current one, else the bound one, else a new one."""
        if has_app_context():
            return current_app._get_current_object()  # type: ignore[attr-defined]
        if self._bound is None:
            with self._lock:
                if self._bound is None:
                    # Here, not at the top: the package imports this module while it is half made (webapp/__init__.py
                    # -> cli, and -> health -> mail -> mail.tasks), before create_app is defined.
                    from . import create_app

                    self._bound = create_app()
        return self._bound

    def _binding(self) -> _Binding:
        app = self.app()
        binding = app.extensions.get("jobs")
        if binding is None:
            with self._lock:
                binding = app.extensions.get("jobs")
                if binding is None:
                    binding = app.extensions["jobs"] = _Binding(app)
        return binding

    @property
    def storage(self):
        return self._binding().storage

    @storage.setter
    def storage(self, _value) -> None:
        pass  # see create_storage

    @property
    def _immediate(self) -> bool:
        return self._binding().immediate

    @_immediate.setter
    def _immediate(self, _value) -> None:
        pass  # the app's configuration decides (JOBS_IMMEDIATE)


#: The queue every job of the app is registered with.
queue = AppQueue(NAME)


def bind(app: Flask) -> None:
    """Make ``app`` the one that jobs run in (and whose storage is used) outside an app context.

    ``flask jobs worker`` binds the app the ``flask`` command created; without a binding the
    first job creates one with ``create_app()``.
    """
    queue._bound = app


def _in_app_context(func: Callable) -> Callable:
    """``func`` run inside a fresh app context: its own ``g`` and database session, closed afterwards."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        with queue.app().app_context():
            return func(*args, **kwargs)

    return run


def task(**options) -> Callable:
    """Decorator: make ``func`` a job. Calling it queues it; ``func.call_local(...)`` runs it here.

    Options are huey's (``retries``, ``retry_delay``, ``retry_backoff``, ``priority``,
    ``expires``, ``context``). The job runs in an app context of its own.
    """

    def decorator(func: Callable):
        return queue.task(**options)(_in_app_context(func))

    return decorator


def periodic(validate_datetime: Callable, **options) -> Callable:
    """Decorator: run ``func`` as a job whenever ``validate_datetime`` (e.g. ``crontab(hour="7")``,
    in UTC) says so, in the one worker that runs periodic jobs. Options as for :func:`task`."""

    def decorator(func: Callable):
        return queue.periodic_task(validate_datetime, **options)(_in_app_context(func))

    return decorator


def discover() -> list[str]:
    """Import every ``webapp.<package>.tasks`` module, so that all jobs (and periodic jobs) are
    registered before a worker starts. Returns the modules' names."""
    # Here, as create_app in AppQueue.app: at the top it would close the circle webapp -> cli -> jobs -> webapp at
    # import time, which only a bare import of the half-made package survives.
    import webapp

    found = []
    for module in pkgutil.iter_modules(webapp.__path__):
        name = f"webapp.{module.name}.tasks"
        if module.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
            found.append(name)
    return found


def pending() -> int:
    """Jobs waiting in the current app's queue (not counting those scheduled for later)."""
    return queue.pending_count()


jobs_cli = AppGroup("jobs", help="The job queue (mail delivery, periodic jobs).")


@jobs_cli.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time (threads).")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Schedule the periodic jobs. With several workers, exactly one may do so.")
def worker(workers: int, periodic: bool) -> None:
    """Run the jobs: deliver mail, expire unconfirmed accounts, sweep the outbox. Ctrl+C stops it
    (a job that runs is finished first)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if queue.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: jobs run where they are queued, there is nothing to work on.")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for logger in (logging.getLogger("huey"), app.logger):
        logger.setLevel(logging.INFO)
    logging.getLogger("huey").addHandler(handler)
    bind(app)
    modules = discover()
    storage = "Redis" if app.config.get("REDIS_URL") else f"SQLite ({queue.storage.filename})"
    click.echo(f"Job queue in {storage}; jobs of {', '.join(modules)}; periodic jobs {'on' if periodic else 'off'}.")
    queue.create_consumer(workers=workers, periodic=periodic, worker_type="thread", max_delay=MAX_POLL_DELAY).run()
