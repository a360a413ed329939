"""Rate limits that tell people how long to wait, and keep what they typed.

Flask-Limiter calls ``on_breach`` before the view runs; :func:`form_again` builds a
callback that re-renders the page with the submitted form and a message saying how long
to wait (HTTP 429, with ``Retry-After``).
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Callable

from flask import Response
from flask_babel import format_timedelta, gettext as _


def wait_message(reset_at: float) -> str:
    """"Please wait 4 minutes" in the reader's language."""
    seconds = max(1, math.ceil(reset_at - time.time()))
    return _("Too many attempts. Please wait %(time)s and try again.",
             time=format_timedelta(timedelta(seconds=seconds), threshold=1.1))


def retry_after(reset_at: float) -> str:
    return str(max(1, math.ceil(reset_at - time.time())))


def form_again(render_page: Callable[[str], Response]) -> Callable:
    """An ``on_breach`` callback: ``render_page(message)`` makes the page with the submitted form."""

    def on_breach(limit) -> Response:
        response = render_page(wait_message(limit.reset_at))
        response.status_code = 429
        response.headers["Retry-After"] = retry_after(limit.reset_at)
        return response

    return on_breach
