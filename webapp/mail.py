"""Outgoing mail, written in the recipient's language mode.

In development each message is written as an ``.eml`` file to ``instance/outbox/`` and
its subject logged; in production it goes out by SMTP (``SMTP_*`` settings).

No SMTP work happens inside a request: :func:`send` renders the message and hands it to
:func:`deliver`, which queues it for a small sender thread in this process. A request
therefore answers the same whether the mail server is up, slow or down; a failed delivery
is logged in one line. :func:`deliver` is the one function the job queue will replace.

Every mailed link is built by :func:`link` from ``PUBLIC_BASE_URL``, never from the
request's ``Host``: a forged host cannot make our mail point elsewhere.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import smtplib
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale

from .i18n import mode_for


def link(endpoint: str, language: str, **values) -> str:
    """The absolute address of ``endpoint`` in the recipient's mode, for a mail.

    Every link we mail is built here, so where mailed links point is decided in one place.
    ``language`` is a mode's key (an account's ``language``: "de", "en", "simple"); the URL
    gets that mode's prefix ("/einfach/" for "simple"), never the key itself.

    The address starts with ``PUBLIC_BASE_URL`` whatever request (if any) is being served:
    it is built by a URL adapter bound to that address, not to the request's host.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = urlsplit(app.config["PUBLIC_BASE_URL"])
    values = {**values, "mode": mode_for(language)}
    app.inject_url_defaults(endpoint, values)
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def send(to: str, template: str, language: str, **context) -> EmailMessage:
    """Render ``templates/mail/{template}.txt`` (first line: subject) in ``language`` and hand it to
    :func:`deliver`. Call it after committing: delivery may happen before or after the answer."""
    mode = mode_for(language)
    with force_locale(mode.locale):
        text = render_template(f"mail/{template}.txt", mode=mode, **context)
    subject, _, body = text.partition("\n")
    message = EmailMessage()
    message["Subject"] = subject.strip()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="mitreden")
    message.set_content(body.lstrip("\n"))
    message["Content-Language"] = mode.html_lang  # after set_content, which resets Content-* headers
    deliver(message)
    return message


def deliver(message: EmailMessage) -> None:
    """Deliver ``message`` without making anyone wait for it or fail because of it.

    SMTP: queued for this process's sender thread (``SMTP_TIMEOUT`` per attempt; a failure is
    logged, the reader's request has long been answered). Outbox (development): written at
    once, as it needs no network. Never raises.
    """
    config = current_app.config
    logger = current_app.logger
    if config["MAIL_BACKEND"] != "smtp":
        try:
            _write_outbox(message, Path(config["OUTBOX_DIR"]), logger)
        except OSError as error:
            logger.warning("Mail to %s not written to the outbox: %s", message["To"], error)
        return
    settings = {key: config[key] for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD",
                                             "SMTP_STARTTLS", "SMTP_TIMEOUT")}
    _sender().put((message, settings, logger))


def wait_until_sent(timeout: float = 30.0) -> bool:
    """Wait until the sender has tried every queued message (tests; shutting down). True if it has."""
    deadline = time.monotonic() + timeout
    while _queue.unfinished_tasks:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


#: Messages waiting for the sender thread: (message, SMTP settings, logger).
_queue: "queue.Queue[tuple[EmailMessage, dict, logging.Logger]]" = queue.Queue()
_started_in: int | None = None  # the process whose sender thread runs (gunicorn forks workers)
_start_lock = threading.Lock()


def _sender() -> "queue.Queue[tuple[EmailMessage, dict, logging.Logger]]":
    """The queue, with its sender thread running in this process."""
    global _queue, _started_in
    if _started_in != os.getpid():
        with _start_lock:
            if _started_in != os.getpid():
                if _started_in is not None:  # a forked child: the parent's thread and queue are not ours
                    _queue = queue.Queue()
                threading.Thread(target=_run, name="mitreden-mail", daemon=True).start()
                _started_in = os.getpid()
    return _queue


def _run() -> None:
    while True:
        message, settings, logger = _queue.get()
        try:
            _send_smtp(message, settings)
            logger.info("Mail to %s sent: %s", message["To"], message["Subject"])
        except Exception as error:  # noqa: BLE001 - any failure: one line in the log, the sender goes on
            logger.warning("Mail to %s not sent (%s: %s): %s", message["To"], error.__class__.__name__,
                           error, message["Subject"])
        finally:
            _queue.task_done()


@atexit.register
def _drain_on_exit() -> None:
    """A worker that is stopped sends what it has queued first (for a few seconds at most)."""
    if _started_in == os.getpid():
        wait_until_sent(10)


def _write_outbox(message: EmailMessage, outbox: Path, logger: logging.Logger) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{formatdate(usegmt=True)[5:25].replace(' ', '-').replace(':', '')}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(message.as_bytes())
    logger.info("Mail to %s written to %s: %s", message["To"], path, message["Subject"])


def _send_smtp(message: EmailMessage, settings: dict) -> None:
    with smtplib.SMTP(settings["SMTP_HOST"], settings["SMTP_PORT"], timeout=settings["SMTP_TIMEOUT"]) as smtp:
        if settings["SMTP_STARTTLS"]:
            smtp.starttls()
        if settings["SMTP_USER"]:
            smtp.login(settings["SMTP_USER"], settings["SMTP_PASSWORD"])
        smtp.send_message(message)
