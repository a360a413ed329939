"""What the production server (gunicorn, ``make serve``) needs from us besides the app.

- **Forwarded headers.** gunicorn itself takes the scheme from ``X-Forwarded-Proto`` when the
  peer is in ``--forwarded-allow-ips`` (by default 127.0.0.1, whatever ``PROXY_COUNT`` says).
  We pass the same list the app trusts: ``TRUSTED_PROXIES`` when ``PROXY_COUNT`` > 0, else none.
- **Requests gunicorn refuses before the app sees them.** A request line longer than 8,190
  bytes (gunicorn's maximum) or headers beyond its limits are answered by gunicorn with an
  English page without our headers. :class:`ThreadWorker` answers them with our localized
  414 and 431 pages instead, security headers included, rendered by the app.

``python -m webapp.serving`` prints the gunicorn options (``make serve`` and the tests use them).
"""

from __future__ import annotations

import os
import sys
from http import HTTPStatus
from urllib.parse import urlsplit

from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.util import write_nonblock
from gunicorn.workers import gthread
from werkzeug.test import EnvironBuilder

from . import errors
from .config import trusted_proxies

#: gunicorn's own maxima (a request line of at most 8,190 bytes; 100 header fields of 8,190 bytes each).
LIMIT_REQUEST_LINE = 8190
LIMIT_REQUEST_FIELD_SIZE = 8190
LIMIT_REQUEST_FIELDS = 100


def forwarded_allow_ips(environ=os.environ) -> str:
    """The peers gunicorn may believe X-Forwarded-Proto from: none unless ``PROXY_COUNT`` > 0."""
    if int(environ.get("PROXY_COUNT", "0") or 0) <= 0:
        return ""
    return ",".join(trusted_proxies(environ))


def options(environ=os.environ) -> list[str]:
    """gunicorn's command-line options for production (each one word: ``--name=value``)."""
    return [
        "--worker-class=webapp.serving.ThreadWorker",
        f"--forwarded-allow-ips={forwarded_allow_ips(environ)}",
        f"--limit-request-line={LIMIT_REQUEST_LINE}",
        f"--limit-request-field_size={LIMIT_REQUEST_FIELD_SIZE}",
        f"--limit-request-fields={LIMIT_REQUEST_FIELDS}",
    ]


def error_answer(app, status: int) -> bytes:
    """The app's localized error page for ``status`` as a whole HTTP/1.1 answer that closes the connection."""
    base = urlsplit(app.config.get("PUBLIC_BASE_URL") or "http://localhost")
    environ = EnvironBuilder(path="/de/", base_url=f"{base.scheme}://{base.netloc}").get_environ()
    with app.request_context(environ):
        response = app.process_response(app.make_response(errors.error_response(status)))
        body = response.get_data()
    head = [f"HTTP/1.1 {response.status_code} {HTTPStatus(response.status_code).phrase}"]
    head += [f"{name}: {value}" for name, value in response.headers.items()
             if name.lower() not in ("content-length", "connection", "set-cookie", "vary")]
    head += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(head).encode("latin-1") + body


class ThreadWorker(gthread.ThreadWorker):
    """gunicorn's threaded worker, answering requests over its limits with our pages."""

    STATUS = ((LimitRequestLine, 414), (LimitRequestHeaders, 431))

    def handle_error(self, req, client, addr, exc):
        status = next((code for kind, code in self.STATUS if isinstance(exc, kind)), None)
        app = getattr(self, "wsgi", None)
        if status is None or not hasattr(app, "request_context"):
            return super().handle_error(req, client, addr, exc)
        try:
            answer = error_answer(app, status)
        except Exception:  # noqa: BLE001 - never worse than gunicorn's own page
            return super().handle_error(req, client, addr, exc)
        self.log.warning("Invalid request from ip=%s: %s (answered %s)", (addr or ("",))[0], exc, status)
        try:
            write_nonblock(client, answer)
        except Exception:  # noqa: BLE001 - the client may have gone
            self.log.debug("Failed to send error message.")


if __name__ == "__main__":
    from .config import ConfigError

    try:
        sys.stdout.write(" ".join(options()) + "\n")
    except ConfigError as error:  # the app refuses to start with the same message
        sys.exit(f"Error: {error}")
