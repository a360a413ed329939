"""Periodic account jobs, run by the worker that runs periodic jobs (``flask jobs worker``)."""

from __future__ import annotations

from flask import current_app

from .. import db, jobs
from .services import expire_unconfirmed


@jobs.periodic(jobs.crontab(hour="3", minute="30"))
def expire_unconfirmed_accounts() -> None:
    """Daily at 03:30 UTC: delete the accounts never confirmed within UNCONFIRMED_ACCOUNT_DAYS
    (what ``flask users expire-unconfirmed`` does by hand)."""
    with db.transaction():
        count = expire_unconfirmed()
    current_app.logger.info("Deleted %d account(s) not confirmed in time", count)
