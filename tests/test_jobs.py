"""The job queue and the mail outbox (issue 10, part 3).

Mail is an outbox row stored with the change that causes it; a job delivers it. These tests
show what readers and operators rely on: an SMTP outage delays mail but loses none and shows
the reader nothing; a failed transaction leaves no mail; a doubled job sends once; a real
worker delivers from the real queue (a SQLite file, and Redis where CI names one); /health
says when mail is stuck.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlmodel import Session

from tests.jobs_support import (  # noqa: F401
    STORAGES,
    age_outbox,
    free_port,
    outbox_rows,
    queued_app,
    queued_config,
    run_due_retries,
    running_worker,
    settle_waiting_mail_except,
    smtp,
    wait_for_mail,
    work_off,
)
from tests.support import PASSWORD, csrf_token, mails_to, make_user, soup


def register(client, email: str):
    """Register through the form as a reader does; the page the reader ends on."""
    page = client.get("/de/account/register")
    response = client.post("/de/account/register", data={
        "csrf_token": csrf_token(page), "username": f"Queue {secrets.token_hex(3)}", "email": email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})
    assert response.status_code == 303
    return client.get(response.headers["Location"])


def test_an_smtp_outage_delays_mail_but_loses_none_and_shows_the_reader_no_error(queued_app, smtp, caplog):
    email = f"{secrets.token_hex(5)}@example.org"
    smtp.stop()  # the mail server is down
    with caplog.at_level(logging.INFO, logger=queued_app.logger.name):
        page = register(queued_app.test_client(), email)
        assert "E-Mail an" in soup(page).find(class_="flash").get_text()  # the normal success page
        assert work_off(queued_app) == 1  # the worker tries: the server is down
    [row] = outbox_rows(queued_app, email)
    assert row.sent_at is None and row.attempts == 1 and "Connection" in row.last_error
    assert [r for r in caplog.records if "not sent" in r.getMessage() and email in r.getMessage()]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    smtp.start()  # back; an hour later both the job's own retry and the outbox sweeper come for the mail
    settle_waiting_mail_except(queued_app, (email,))  # the sweeper is to find this mail, not other tests'
    age_outbox(queued_app, email, timedelta(hours=1))
    assert run_due_retries(queued_app, timedelta(hours=1)) == 1
    from webapp.mail.tasks import sweep

    with queued_app.app_context():
        assert sweep() == 1
    assert work_off(queued_app) == 2
    [envelope] = smtp.inbox.to(email)  # it arrives, once
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "Bitte bestätigen Sie Ihre E-Mail-Adresse" and message["To"] == email
    [row] = outbox_rows(queued_app, email)
    assert row.sent_at is not None and row.attempts == 2
    with queued_app.app_context():
        assert sweep() == 0  # nothing left for the sweeper


def test_the_outbox_row_and_the_change_commit_together(app, session):
    """A failure after the change (and its mail) inside the transaction leaves neither; a success stores both."""
    from webapp import db
    from webapp.accounts import services
    from webapp.accounts.models import User

    user = make_user(app)
    new_email = f"{secrets.token_hex(5)}@example.org"
    with app.test_request_context("/"):
        with pytest.raises(RuntimeError, match="after the mail"):
            with db.transaction():
                services.request_email_change(db.session().get(User, user.id), new_email)
                raise RuntimeError("something after the mail failed")
    assert session.get(User, user.id).pending_email is None
    assert outbox_rows(app, new_email) == [] and mails_to(app, new_email) == []

    with app.test_request_context("/"):
        with db.transaction():
            services.request_email_change(db.session().get(User, user.id), new_email)
    session.expire_all()
    assert session.get(User, user.id).pending_email == new_email
    [row] = outbox_rows(app, new_email)
    assert row.sent_at is not None and len(mails_to(app, new_email)) == 1  # (tests deliver at once)


def test_mail_outside_a_transaction_is_refused(app):
    """Queued before it is stored, a mail could go out for a change that never commits: refused."""
    from webapp import mail

    with app.test_request_context("/"), pytest.raises(RuntimeError, match="db.transaction"):
        mail.send("someone@example.org", "reset", "de", user=type("U", (), {"username": "X"})(), link="x")


def _queue_mail(app, address: str, **options):
    from webapp import db, mail

    with app.test_request_context("/"):
        with db.transaction():
            row = mail.send(address, "reset", "en", user=type("U", (), {"username": "Ana"})(),
                            link=mail.link("accounts.forgot_password", "en"), **options)
            return row.key


def test_a_doubled_delivery_job_sends_once(queued_app, smtp):
    from webapp import jobs
    from webapp.mail.tasks import deliver

    address = f"{secrets.token_hex(5)}@example.org"
    key = _queue_mail(queued_app, address)
    with queued_app.app_context():
        deliver(key)  # the same job a second time (a redelivered message, a sweeper that was too quick)
        assert jobs.pending() == 2
    assert work_off(queued_app) == 2
    assert len(smtp.inbox.to(address)) == 1

    other = f"{secrets.token_hex(5)}@example.org"  # a job that finds the row claimed by another leaves it
    key = _queue_mail(queued_app, other)
    from sqlmodel import select

    from webapp.mail.models import OutboxMessage

    with Session(queued_app.extensions["db_engine"]) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
        row.next_attempt_at = datetime.now(UTC) + timedelta(minutes=1)  # as the other job's claim does
        session.add(row)
        session.commit()
    work_off(queued_app)
    assert smtp.inbox.to(other) == [] and outbox_rows(queued_app, other)[0].attempts == 0
    age_outbox(queued_app, other, timedelta(minutes=5))  # that job died: its claim runs out
    settle_waiting_mail_except(queued_app, (other,))  # the sweeper is to find this mail, not other tests'
    with queued_app.app_context():
        from webapp.mail.tasks import sweep

        assert sweep() == 1
    work_off(queued_app)
    assert len(smtp.inbox.to(other)) == 1


def test_a_mail_with_a_dedupe_key_is_stored_once(app):
    address = f"{secrets.token_hex(5)}@example.org"
    key = f"digest:{secrets.token_hex(4)}"
    assert _queue_mail(app, address, dedupe_key=key) == key
    assert _queue_mail(app, address, dedupe_key=key) == key
    assert len(outbox_rows(app, address)) == 1 and len(mails_to(app, address)) == 1


def test_an_address_refused_for_good_is_not_tried_again(queued_app, smtp, caplog):
    """A 550 for the recipient is final: recorded and logged, no retry, and /health not held "stuck" by it."""
    address = f"nobody-{secrets.token_hex(4)}@example.org"

    async def refuse(_server, _session, _envelope, recipient, _options):
        return "550 No such user here" if recipient == address else "250 OK"

    smtp.inbox.handle_RCPT = refuse
    _queue_mail(queued_app, address)
    with caplog.at_level(logging.INFO, logger=queued_app.logger.name):
        work_off(queued_app)
    [row] = outbox_rows(queued_app, address)
    assert row.failed_at is not None and row.sent_at is None and "550" in row.last_error
    assert [r for r in caplog.records if "refused for good" in r.getMessage()]
    assert run_due_retries(queued_app, timedelta(days=1)) == 0
    age_outbox(queued_app, address, timedelta(days=1))
    settle_waiting_mail_except(queued_app, (address,))  # only this test's mail is the sweeper's to find
    from webapp.mail.tasks import sweep

    with queued_app.app_context():
        assert sweep() == 0
    assert queued_app.test_client().get("/health").get_json()["queue"] == "ok"


def test_a_job_queue_that_cannot_be_reached_loses_no_mail(app, smtp, tmp_path, caplog):
    """Redis down when a reader registers: the answer is the usual one, the mail stays in the
    outbox, and the sweeper delivers it once the queue works again."""
    from webapp import create_app

    down = create_app(queued_config(app, smtp.port, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))
    email = f"{secrets.token_hex(5)}@example.org"
    with caplog.at_level(logging.INFO, logger=down.logger.name):
        page = register(down.test_client(), email)
    assert "E-Mail an" in soup(page).find(class_="flash").get_text()
    assert [r for r in caplog.records if "not queued" in r.getMessage()]
    [row] = outbox_rows(down, email)
    assert row.sent_at is None and row.attempts == 0
    down.extensions["db_engine"].dispose()

    up = create_app(queued_config(app, smtp.port, JOBS_SQLITE_FILE=str(tmp_path / "jobs.db")))
    age_outbox(up, email, timedelta(minutes=5))
    settle_waiting_mail_except(up, (email,))  # the sweeper is to find this mail, not other tests'
    from webapp.mail.tasks import sweep

    with up.app_context():
        assert sweep() == 1
    work_off(up)
    assert len(smtp.inbox.to(email)) == 1
    up.extensions["db_engine"].dispose()


@pytest.mark.parametrize("storage", STORAGES)
def test_a_worker_delivers_from_the_real_queue(app, smtp, tmp_path, storage):
    """``flask jobs worker`` in a process of its own takes the job from the SQLite file (or Redis)
    and delivers the mail; Ctrl+C (SIGINT) stops it cleanly."""
    address = f"{secrets.token_hex(5)}@example.org"
    with running_worker(app, smtp, tmp_path, storage) as (queued, log):
        _queue_mail(queued, address)
        wait_for_mail(smtp, address, log)
    output = log.read_text()
    assert ("Redis" if storage == "redis" else "SQLite") in output and "periodic jobs on" in output
    assert len(smtp.inbox.to(address)) == 1
    [row] = outbox_rows(app, address)
    assert row.sent_at is not None and row.attempts == 1


def test_the_worker_refuses_immediate_mode(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker"])
    assert result.exit_code != 0 and "JOBS_IMMEDIATE" in result.output


def test_health_reports_a_stuck_queue_and_stays_in_service(app, client):
    """A mail waiting longer than QUEUE_STUCK_MINUTES (15): 200 with status "degraded" and queue "stuck"
    (the instance serves; a 503 would take the whole site out of the load balancer for late mail)."""
    from webapp.mail.models import OutboxMessage

    assert client.get("/health").get_json() == {"status": "ok", "database": "ok", "queue": "ok"}
    now = datetime.now(UTC)
    with Session(app.extensions["db_engine"]) as session:
        young = OutboxMessage(recipient="young@example.org", template="reset", subject="s", message=b"x",
                              created_at=now - timedelta(minutes=5), next_attempt_at=now)
        old = OutboxMessage(recipient="old@example.org", template="reset", subject="s", message=b"x",
                            created_at=now - timedelta(minutes=20), next_attempt_at=now)
        session.add_all([young, old])
        session.commit()
        try:
            response = client.get("/health")
            assert response.status_code == 200
            assert response.get_json() == {"status": "degraded", "database": "ok", "queue": "stuck"}
            old.sent_at = now
            session.add(old)
            session.commit()
            assert client.get("/health").get_json() == {"status": "ok", "database": "ok", "queue": "ok"}
        finally:
            session.delete(young)
            session.delete(old)
            session.commit()


def test_periodic_jobs_run_on_schedule_in_the_worker(app):
    """The worker imports every tasks module; the sweeper and the reports that waited every 5 minutes, the end of
    blocks hourly, expiry, pruning and the moderators' digest daily."""
    from webapp import jobs

    assert {"webapp.accounts.tasks", "webapp.mail.tasks", "webapp.moderation.tasks"} <= set(jobs.discover())
    runs: dict[str, int] = {}
    day = datetime(2026, 12, 1)
    for minute in range(24 * 60):
        for task in jobs.queue.read_periodic(day + timedelta(minutes=minute)):
            runs[task.name] = runs.get(task.name, 0) + 1
    assert runs == {"sweep_outbox": 288, "expire_unconfirmed_accounts": 1, "prune_outbox": 1, "moderation_digest": 1,
                    "tell_ended_blocks": 24, "report_mail_batches": 288}


def test_the_daily_job_deletes_unconfirmed_accounts_in_time(app, session):
    from sqlalchemy import update

    from webapp.accounts.models import User
    from webapp.accounts.tasks import expire_unconfirmed_accounts

    old, young = make_user(app, confirmed=False), make_user(app, confirmed=False)
    session.exec(update(User).where(User.id == old.id).values(created_at=datetime.now(UTC) - timedelta(days=8)))
    session.commit()
    with app.app_context():
        expire_unconfirmed_accounts.call_local()
    session.expire_all()
    assert session.get(User, old.id) is None and session.get(User, young.id) is not None


def test_sent_mail_is_pruned_after_a_week(app):
    """Outbox rows hold addresses and links: a week after sending they go; unsent ones stay."""
    from webapp.mail.models import OutboxMessage
    from webapp.mail.tasks import prune_outbox

    now = datetime.now(UTC)
    rows = {name: OutboxMessage(recipient=f"{name}@example.org", template="reset", subject="s", message=b"x",
                                created_at=now - age, next_attempt_at=now - age, sent_at=now - age if sent else None)
            for name, age, sent in (("old-sent", timedelta(days=8), True), ("new-sent", timedelta(days=1), True),
                                    ("old-unsent", timedelta(days=8), False))}
    with Session(app.extensions["db_engine"]) as session:
        session.add_all(rows.values())
        session.commit()
        ids = {name: row.id for name, row in rows.items()}
        with app.app_context():
            prune_outbox.call_local()
        session.expunge_all()
        left = {name for name, id_ in ids.items() if session.get(OutboxMessage, id_) is not None}
        assert left == {"new-sent", "old-unsent"}
        for name in left:
            session.delete(session.get(OutboxMessage, ids[name]))
        session.commit()
