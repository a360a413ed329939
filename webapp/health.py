"""``/health``: is this instance able to serve? Load balancers and monitoring ask it.

It answers within ``HEALTH_TIMEOUT`` seconds (default 2) whatever the database does: the
check runs in a thread of its own, and a check that has not finished by then (a server
that accepts connections but says nothing) is a 503. While such a check still hangs, the
next requests get a 503 at once instead of starting another one.

It also reports the job queue: ``"queue": "stuck"`` when a mail in the outbox has waited
longer than ``QUEUE_STUCK_MINUTES`` (default 15), i.e. no worker delivers, or the mail
server has refused it for that long. That answer is a 200 with ``"status": "degraded"``,
not a 503: this instance still serves pages, and as every instance shares the one outbox,
a 503 would make the load balancer take the whole site down because mail is late.
Monitoring should alert on ``degraded``.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlmodel import col, select

from . import db
from .clock import utcnow
from .mail.models import OutboxMessage

bp = Blueprint("health", __name__)
#: Seconds /health waits for the database before it answers 503.
TIMEOUT = 2.0


class _Check(threading.Thread):
    """``SELECT 1`` on the app's engine; ``ok`` says whether it answered. Then the outbox:
    ``queue`` is "ok", "stuck" (an unsent mail older than ``stuck_after``) or "unknown"."""

    def __init__(self, engine, stuck_after: timedelta) -> None:
        super().__init__(name="health-check", daemon=True)
        self.engine = engine
        self.stuck_after = stuck_after
        self.ok = False
        self.queue = "unknown"

    def run(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                self.ok = True
                self.queue = "stuck" if _oldest_unsent_is_older(connection, self.stuck_after) else "ok"
        except Exception:  # noqa: BLE001 - any failure means: not healthy (or the queue's state unknown)
            pass


def _oldest_unsent_is_older(connection, age: timedelta) -> bool:
    """Whether a mail waits in the outbox (unsent, not refused for good) since longer than ``age``."""
    waiting = select(OutboxMessage.id).where(
        col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None),
        col(OutboxMessage.created_at) < utcnow() - age).limit(1)
    return connection.execute(waiting).first() is not None


@bp.get("/health")
def health():
    """200 when the database answers within the bound ("degraded" if the mail queue is stuck),
    503 otherwise; never cached."""
    running = current_app.extensions.get("health_check")
    if running is not None and running.is_alive():
        ok = False  # the last check still waits for the database: that is the answer
    else:
        stuck_after = timedelta(minutes=current_app.config.get("QUEUE_STUCK_MINUTES", 15))
        check = current_app.extensions["health_check"] = _Check(db.engine(), stuck_after)
        check.start()
        check.join(current_app.config.get("HEALTH_TIMEOUT", TIMEOUT))
        ok = not check.is_alive() and check.ok
    if ok:
        response = jsonify(status="ok" if check.queue == "ok" else "degraded", database="ok", queue=check.queue)
    else:
        response = jsonify(status="unavailable", database="unreachable", queue="unknown")
        response.status_code = 503
        response.headers["Retry-After"] = "10"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
