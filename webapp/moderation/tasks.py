"""Periodic moderation jobs, run by the worker that runs periodic jobs (``flask jobs worker``)."""

from __future__ import annotations

from flask import current_app

from .. import db, jobs
from ..clock import utcnow
from ..conduct.blocks import tell_ended
from .notify import send_digests, send_report_batches


@jobs.periodic(jobs.crontab(hour="6", minute="0"))
def moderation_digest() -> None:
    """Daily at 06:00 UTC (07:00 or 08:00 in Berlin): each moderator who chose the digest gets the reports
    made since their last one (a missed day comes in the next)."""
    with db.transaction():
        count = send_digests(utcnow())
    current_app.logger.info("Moderation digest sent to %d moderator(s)", count)


@jobs.periodic(jobs.crontab(minute="*/5"))
def report_mail_batches() -> None:
    """Every 5 minutes: reports that came while a moderator's mail about the same comment was less than
    10 minutes old go out together now (moderators who want a mail for each reported comment)."""
    with db.transaction():
        count = send_report_batches(utcnow())
    if count:
        current_app.logger.info("Sent %d mail(s) with reports that waited", count)


@jobs.periodic(jobs.crontab(minute="20"))
def tell_ended_blocks() -> None:
    """Hourly: people whose block ran out by itself are told that they can take part again."""
    with db.transaction():
        count = tell_ended(utcnow())
    if count:
        current_app.logger.info("Told %d person(s) that their block has ended", count)
