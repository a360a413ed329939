"""Mail delivery jobs: deliver one outbox row, sweep up rows whose job was lost, prune sent rows.

Delivery is safe to run twice, or for a row whose job was lost:

- A job first *claims* its row in one UPDATE that only matches an unsent row that is due
  (``next_attempt_at`` passed); the claim moves ``next_attempt_at`` past the time one
  delivery can take. A second job for the same row (a doubled job, the sweeper's) finds it
  sent or claimed and does nothing.
- On success ``sent_at`` is set; on failure the error is recorded, ``next_attempt_at`` set
  to 1, 2, 4, ... minutes later (at most an hour), and the job tries again then, up to
  :data:`JOB_ATTEMPTS` times. After that, or when a job was lost (a worker killed mid-way, a
  queue that was down when the mail was stored), :func:`sweep_outbox` queues the row again
  once it is overdue. So a mail is late while the mail server is down, never lost.
- Only a refusal of the address itself (5xx for the recipient) is final: ``failed_at``.

If the server accepted a mail and the worker died before it marked the row sent, the mail
is sent again: at least once, never "maybe not". Its Message-ID stays the same.
"""

from __future__ import annotations

import smtplib
import uuid
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate
from pathlib import Path

from flask import current_app
from huey.exceptions import RetryTask
from sqlalchemy import delete, update
from sqlmodel import col, select

from .. import db, jobs
from ..clock import utcnow
from .models import OutboxMessage

#: Delivery tries by one job (with growing pauses) before it leaves the row to the sweeper.
JOB_ATTEMPTS = 5
#: The pause after the first failure (seconds); doubled after each further one, up to MAX_RETRY_DELAY.
RETRY_DELAY = 60
MAX_RETRY_DELAY = 3600
#: A job's claim on a row lasts this long beyond the SMTP timeouts of one delivery.
CLAIM_SECONDS = 60
#: Clocks of the machines that store and deliver may differ this much.
CLOCK_SKEW = timedelta(seconds=5)
#: A row overdue by this much has lost its job: the sweeper queues it again.
SWEEP_GRACE = timedelta(minutes=2)
#: Rows the sweeper queues per run (the rest follow in the next runs).
SWEEP_BATCH = 500
#: Sent rows are kept this long (they hold addresses and links), then deleted.
KEEP_SENT = timedelta(days=7)


def retry_delay(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed delivery: 60, 120, 240, ... at most 3600."""
    return min(RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


@jobs.task()
def deliver(key: str) -> None:
    """Send the outbox row ``key`` unless it is sent, refused for good, or claimed by another job."""
    config = current_app.config
    session = db.session()
    now = utcnow()
    claim = update(OutboxMessage).where(
        col(OutboxMessage.key) == key, col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None),
        col(OutboxMessage.next_attempt_at) <= now + CLOCK_SKEW,
    ).values(next_attempt_at=now + timedelta(seconds=3 * config["SMTP_TIMEOUT"] + CLAIM_SECONDS),
             attempts=OutboxMessage.attempts + 1)
    claimed = session.exec(claim).rowcount  # type: ignore[call-overload]
    session.commit()
    if not claimed:
        return
    row = session.exec(select(OutboxMessage).where(OutboxMessage.key == key)).one()
    message = BytesParser(policy=policy.default).parsebytes(row.message)
    try:
        _send(message, config)
    except Exception as error:  # noqa: BLE001 - any failure: recorded, one line in the log, tried again
        _failed(session, row, error)
        return
    session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row.id)  # type: ignore[call-overload]
                 .values(sent_at=utcnow(), last_error=None))
    session.commit()
    current_app.logger.info("Mail to %s sent: %s", row.recipient, row.subject)


def _failed(session, row: OutboxMessage, error: Exception) -> None:
    """Record the failure; ask huey to try again after the pause while this job has tries left."""
    final = isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _text in error.recipients.values())
    delay = retry_delay(row.attempts)
    values: dict = {"last_error": f"{error.__class__.__name__}: {error}"[:1000]}
    if final:
        values["failed_at"] = utcnow()
    else:
        values["next_attempt_at"] = utcnow() + timedelta(seconds=delay)
    session.exec(update(OutboxMessage).where(col(OutboxMessage.id) == row.id).values(**values))  # type: ignore[call-overload]
    session.commit()
    what = "refused for good" if final else f"attempt {row.attempts}, next in {delay // 60} min"
    current_app.logger.warning("Mail to %s not sent (%s: %s; %s): %s", row.recipient, error.__class__.__name__,
                               str(error).replace("\n", " "), what, row.subject)
    if not final and row.attempts < JOB_ATTEMPTS:
        raise RetryTask(delay=delay)


def sweep() -> int:
    """Queue delivery of every unsent row that is overdue (its job was lost or gave up); how many."""
    session = db.session()
    overdue = session.exec(select(OutboxMessage.key).where(
        col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None),
        col(OutboxMessage.next_attempt_at) <= utcnow() - SWEEP_GRACE,
    ).order_by(col(OutboxMessage.created_at)).limit(SWEEP_BATCH)).all()
    session.close()
    for key in overdue:
        deliver(key)
    if overdue:
        current_app.logger.info("Outbox sweeper queued %d overdue mail(s)", len(overdue))
    return len(overdue)


@jobs.periodic(jobs.crontab(minute="*/5"))
def sweep_outbox() -> None:
    """Every five minutes: mail whose delivery job was lost is queued again."""
    sweep()


@jobs.periodic(jobs.crontab(hour="4", minute="20"))
def prune_outbox() -> None:
    """Daily: delete outbox rows sent more than KEEP_SENT ago (they hold addresses and links)."""
    with db.transaction() as session:
        session.exec(delete(OutboxMessage).where(col(OutboxMessage.sent_at) < utcnow() - KEEP_SENT))  # type: ignore[call-overload]


def _send(message: EmailMessage, config) -> None:
    """Hand ``message`` to the configured backend: SMTP, or an .eml file in the outbox folder."""
    if config["MAIL_BACKEND"] != "smtp":
        _write_outbox(message, Path(config["OUTBOX_DIR"]))
        return
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def _write_outbox(message: EmailMessage, outbox: Path) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{formatdate(usegmt=True)[5:25].replace(' ', '-').replace(':', '')}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(message.as_bytes())
    current_app.logger.info("Mail to %s written to %s: %s", message["To"], path, message["Subject"])
