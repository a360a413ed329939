"""``/health``: is this instance able to serve? Load balancers and monitoring ask it.

It answers within ``HEALTH_TIMEOUT`` seconds (default 2) whatever the database does: the
check runs in a thread of its own, and a check that has not finished by then (a server
that accepts connections but says nothing) is a 503. While such a check still hangs, the
next requests get a 503 at once instead of starting another one.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text

from . import db

bp = Blueprint("health", __name__)
#: Seconds /health waits for the database before it answers 503.
TIMEOUT = 2.0


class _Check(threading.Thread):
    """``SELECT 1`` on the app's engine; ``ok`` says whether it answered."""

    def __init__(self, engine) -> None:
        super().__init__(name="health-check", daemon=True)
        self.engine = engine
        self.ok = False

    def run(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            self.ok = True
        except Exception:  # noqa: BLE001 - any failure means: not healthy
            self.ok = False


@bp.get("/health")
def health():
    """200 when the database answers within the bound, 503 otherwise; never cached."""
    running = current_app.extensions.get("health_check")
    if running is not None and running.is_alive():
        ok = False  # the last check still waits for the database: that is the answer
    else:
        check = current_app.extensions["health_check"] = _Check(db.engine())
        check.start()
        check.join(current_app.config.get("HEALTH_TIMEOUT", TIMEOUT))
        ok = not check.is_alive() and check.ok
    if ok:
        response = jsonify(status="ok", database="ok")
    else:
        response = jsonify(status="unavailable", database="unreachable")
        response.status_code = 503
        response.headers["Retry-After"] = "10"
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
