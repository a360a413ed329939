"""Outgoing mail, written in the recipient's language mode.

In development each message is written as an ``.eml`` file to ``instance/outbox/`` and
its subject logged; in production it goes out by SMTP (``SMTP_*`` settings).
"""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template, url_for
from flask_babel import force_locale

from .i18n import mode_for


def link(endpoint: str, language: str, **values) -> str:
    """The absolute address of ``endpoint`` in the recipient's mode, for a mail.

    Every link we mail is built here, so where mailed links point is decided in one place.
    ``language`` is a mode's key (an account's ``language``: "de", "en", "simple"); the URL
    gets that mode's prefix ("/einfach/" for "simple"), never the key itself.
    """
    return url_for(endpoint, mode=mode_for(language), _external=True, **values)


def send(to: str, template: str, language: str, **context) -> EmailMessage:
    """Render ``templates/mail/{template}.txt`` (first line: subject) in ``language`` and send it."""
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
    if current_app.config["MAIL_BACKEND"] == "smtp":
        _send_smtp(message)
    else:
        _write_outbox(message)
    return message


def _write_outbox(message: EmailMessage) -> None:
    outbox = Path(current_app.config["OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / f"{formatdate(usegmt=True)[5:25].replace(' ', '-').replace(':', '')}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(message.as_bytes())
    current_app.logger.info("Mail to %s written to %s: %s", message["To"], path, message["Subject"])


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
