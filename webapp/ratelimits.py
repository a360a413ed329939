"""Rate limits that tell people how long to wait, and keep what they typed.

Flask-Limiter calls ``on_breach`` before the view runs; :func:`form_again` builds a
callback that re-renders the page with the submitted form and a message saying how long
to wait (HTTP 429, with ``Retry-After``).

:func:`within`, :func:`count`, :func:`reset_at` and :func:`take` are for limits a view decides on
itself (the login brake needs to know whether the password was right). They use the
limiter's storage (Redis or memory, with the same in-memory fallback) and, like the
limiter, fail open with a logged warning when the storage cannot be reached.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Optional

from flask import Response, current_app
from flask_babel import format_timedelta
from limits import parse, parse_many

from .extensions import limiter
from .i18n import gettext as _


def wait_message(reset_at: float) -> str:
    """"Please wait 4 minutes" in the reader's language."""
    seconds = max(1, math.ceil(reset_at - time.time()))
    return _("Too many attempts. Please wait %(time)s and try again.",
             time=format_timedelta(timedelta(seconds=seconds), threshold=1.1))


def retry_after(reset_at: float) -> str:
    return str(max(1, math.ceil(reset_at - time.time())))


def refuse(render_page: Callable[[str], Response], reset_at: float) -> Response:
    """``render_page(message)`` as a 429 that says how long to wait."""
    response = render_page(wait_message(reset_at))
    response.status_code = 429
    response.headers["Retry-After"] = retry_after(reset_at)
    return response


def form_again(render_page: Callable[[str], Response]) -> Callable:
    """An ``on_breach`` callback: ``render_page(message)`` makes the page with the submitted form."""

    def on_breach(limit) -> Response:
        return refuse(render_page, limit.reset_at)

    return on_breach


def _arguments(key: str) -> list[str]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return [prefix, "view", key] if prefix else ["view", key]


def _storage_failed(error: Exception) -> None:
    current_app.logger.warning("Rate limit storage unreachable (%s): not counting this request",
                               error.__class__.__name__)


def within(limit: str, key: str) -> bool:
    """True while ``key`` has room left under ``limit`` (Flask-Limiter notation); counts nothing."""
    try:
        return limiter.limiter.test(parse(limit), *_arguments(key))
    except Exception as error:  # noqa: BLE001 - storage down: fail open, as the limiter does
        _storage_failed(error)
        return True


def count(limit: str, key: str) -> None:
    """Count one hit of ``key`` against ``limit``."""
    try:
        limiter.limiter.hit(parse(limit), *_arguments(key))
    except Exception as error:  # noqa: BLE001
        _storage_failed(error)


def reset_at(limit: str, key: str) -> float:
    """When ``key``'s window under ``limit`` ends (a Unix time)."""
    try:
        return limiter.limiter.get_window_stats(parse(limit), *_arguments(key)).reset_time
    except Exception as error:  # noqa: BLE001
        _storage_failed(error)
        return time.time() + 60


def take(limit: str, key: str) -> Optional[float]:
    """Count one hit of ``key`` against each rate of ``limit`` ("120 per minute;2000 per hour").

    Returns ``None`` while every rate has room, else when the exhausted one's window ends (a
    Unix time) for the reader's "please wait". Storage down: counts nothing, refuses nothing.
    """
    refused_until = None
    try:
        for item in parse_many(limit):
            if not limiter.limiter.hit(item, *_arguments(key)):
                reset = limiter.limiter.get_window_stats(item, *_arguments(key)).reset_time
                refused_until = max(refused_until or 0.0, reset)
    except Exception as error:  # noqa: BLE001
        _storage_failed(error)
        return None
    return refused_until
