"""Fixtures for mail and the job queue: a real SMTP server, an app whose jobs wait in a real queue.

``queued_app`` is the test app's twin with the queue as production has it (a SQLite file
here, immediate mode off), sending by SMTP to ``smtp``'s server. Nothing is delivered until
a test runs the queue (:func:`work_off`, as a worker does, in this thread) or starts a worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller


class Inbox:
    """What a real SMTP server received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [envelope for envelope in self.messages if address in envelope.rcpt_tos]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on a fixed free port that can be stopped and started again (an outage)."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture()
def smtp():
    """A running SMTP server of the test's own; always stopped afterwards."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def queued_config(app, smtp_port: int, **overrides) -> dict:
    """The test app's configuration with the real queue and SMTP delivery (a SQLite queue unless
    ``overrides`` name ``REDIS_URL``, whatever the environment says)."""
    return {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"], "TESTING": True,
            "JOBS_IMMEDIATE": False, "REDIS_URL": "", "MAIL_BACKEND": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_port,
            "SMTP_STARTTLS": False, "SMTP_TIMEOUT": 1.5, **overrides}


@pytest.fixture()
def queued_app(app, smtp, tmp_path):
    """The app with its jobs in a SQLite-file queue of the test's own, mailing to ``smtp``."""
    from webapp import create_app

    queued = create_app(queued_config(app, smtp.port, JOBS_SQLITE_FILE=str(tmp_path / "jobs.db")))
    yield queued
    queued.extensions["db_engine"].dispose()


def work_off(app) -> int:
    """Run every job waiting in ``app``'s queue here, as a worker does; how many ran.

    Jobs a failure scheduled for later (retries) stay scheduled: see :func:`run_due_retries`.
    """
    from webapp import jobs

    ran = 0
    with app.app_context():
        while (task := jobs.queue.dequeue()) is not None:
            jobs.queue.execute(task)
            ran += 1
    return ran


def run_due_retries(app, later: timedelta) -> int:
    """Queue the jobs scheduled to run within ``later`` (retries after a failure), as the worker's
    scheduler does once their time has come; how many."""
    from huey.utils import utcnow as huey_now

    from webapp import jobs

    with app.app_context():
        due = jobs.queue.read_schedule(huey_now() + later)
        for task in due:
            jobs.queue.enqueue(task)
    return len(due)


def outbox_rows(app, recipient: str) -> list:
    """The outbox rows to ``recipient``, oldest first."""
    from sqlmodel import Session, col, select

    from webapp.mail.models import OutboxMessage

    with Session(app.extensions["db_engine"]) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.recipient == recipient)
                                 .order_by(col(OutboxMessage.id))).all())


def settle_waiting_mail_except(app, recipients: tuple[str, ...]) -> int:
    """Mark every unsent mail to anyone but ``recipients`` as given up (``failed_at``): what earlier tests left
    waiting in the shared database, so that a sweep finds exactly the test's own mails, in any order of tests."""
    from sqlalchemy import update
    from sqlmodel import Session, col

    from webapp.clock import utcnow
    from webapp.mail.models import OutboxMessage

    with Session(app.extensions["db_engine"]) as session:
        settled = session.execute(update(OutboxMessage).where(
            col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None),
            col(OutboxMessage.recipient).not_in(recipients)).values(failed_at=utcnow())).rowcount
        session.commit()
    return settled


def age_outbox(app, recipient: str, by: timedelta) -> None:
    """Move the rows to ``recipient`` into the past by ``by``, as if that much time had gone by."""
    from sqlmodel import Session, col, select

    from webapp.mail.models import OutboxMessage

    with Session(app.extensions["db_engine"]) as session:
        for row in session.exec(select(OutboxMessage).where(col(OutboxMessage.recipient) == recipient)).all():
            row.created_at -= by
            row.next_attempt_at -= by
            session.add(row)
        session.commit()


#: Redis where the run names one (CI's PostgreSQL pass sets REDIS_URL): collected then, not skipped otherwise.
STORAGES = ["sqlite"] + (["redis"] if os.environ.get("REDIS_URL") else [])
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def running_worker(app, smtp, tmp_path, storage: str):
    """``flask jobs worker`` in a process of its own, on ``app``'s database, its queue in a SQLite file
    (or Redis for ``storage == "redis"``), mailing to ``smtp``. Yields ``(queued, log)``: an app that
    queues into the worker's storage, and the worker's log file. Stopped with Ctrl+C (SIGINT) at the
    end; the worker must then exit cleanly."""
    from webapp import create_app, jobs

    instance = tmp_path / "instance"
    environment = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    environment.update(FLASK_APP="webapp", MITREDEN_INSTANCE=str(instance), DATABASE_URL=app.config["DATABASE_URL"],
                       SECRET_KEY=app.config["SECRET_KEY"], MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1",
                       SMTP_PORT=str(smtp.port), SMTP_STARTTLS="false")
    if storage == "redis":
        environment["REDIS_URL"] = os.environ["REDIS_URL"]
        overrides = {"REDIS_URL": os.environ["REDIS_URL"]}
    else:
        overrides = {"JOBS_SQLITE_FILE": str(instance / "jobs.db")}  # where the worker's instance keeps it
    queued = create_app(queued_config(app, smtp.port, **overrides))
    if storage == "redis":
        with queued.app_context():
            jobs.queue.flush()  # nothing left from an earlier run
    log = tmp_path / "worker.log"
    with open(log, "wb") as output:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "--workers", "1"],
                                  cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield queued, log
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        queued.extensions["db_engine"].dispose()
    assert worker.returncode == 0, log.read_text()


def wait_for_mail(smtp, address: str, log, count: int = 1, seconds: float = 60) -> list:
    """The mails to ``address`` once ``count`` have arrived (a busy machine may start a worker slowly);
    fails with the worker's log if they do not come in time."""
    deadline = time.monotonic() + seconds
    while len(smtp.inbox.to(address)) < count:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    return smtp.inbox.to(address)
