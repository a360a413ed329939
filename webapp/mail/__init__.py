"""Outgoing mail, written in the recipient's language mode, delivered through the outbox.

:func:`send` renders a mail and adds it as an :class:`~webapp.mail.models.OutboxMessage`
row to the current unit of work: it is stored together with the change that causes it (a
registration and its confirmation mail), or not at all. Once the transaction has committed,
the delivery job is queued (:mod:`webapp.jobs`); a worker sends it by SMTP (``SMTP_*``
settings) or, in development (``MAIL_BACKEND=outbox``), writes it as an ``.eml`` file to
``instance/outbox/`` and logs its subject. See :mod:`webapp.mail.tasks`.

No SMTP work happens inside a request: a request answers the same whether the mail server
is up, slow or down. A failed delivery is logged in one line and tried again later; no mail
is lost (the outbox sweeper queues rows whose job was lost or gave up).

Every mailed link is built by :func:`link` from ``PUBLIC_BASE_URL``, never from the
request's ``Host``: a forged host cannot make our mail point elsewhere.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate
from typing import Optional
from urllib.parse import urlsplit

from flask import current_app, g, render_template
from flask_babel import force_locale
from sqlmodel import col, select

from .. import db
from ..i18n import mode_for
from .models import OutboxMessage, new_key
from .tasks import deliver

__all__ = ["OutboxMessage", "link", "quote", "render", "send"]

#: What makes a word a link to a mail program: a scheme ("https://", "mailto:"), "www.", an
#: address, or a host name with a top-level domain ("evil.example/login", "bank.de").
_LINK_LIKE = re.compile(r"[a-z][a-z0-9+.-]*:/|www\.|mailto:|[^\s@]+@[^\s@]+\.[^\W\d_]{2,}", re.IGNORECASE)
#: A host name: labels with dots and a top-level domain in one case ("bank.de", "BANK.DE"; not the
#: missing space of "Satzende.Neuer Satz").
_HOST_LIKE = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)+([^\W\d_]{2,})(?:[:/?#]|$)")
#: Around a word: quotes, brackets and punctuation a link may be written in ("(https://…)", "„bank.de“").
_AROUND = "\"'„“”‚‘’«»‹›()[]{}<>,;:!?."


def quote(text: str, left_out: str) -> tuple[list[str], bool]:
    """Someone else's words for a mail, as lines to quote, with every link left out.

    A reader's text in a mail from us would carry our sender's trust: "Please check at once:
    https://evil.example/login" arrives in a genuine mail, and mail programs make the address
    a link. Each word that a mail program could make a link becomes ``left_out`` (e.g.
    "[link left out]"); the whole text stays on the page it came from.

    Returns the lines and whether anything was left out.
    """
    removed = False
    lines = []
    for line in text.splitlines():
        words = []
        for word in line.split(" "):
            core = word.strip(_AROUND)
            host = _HOST_LIKE.match(core)
            if core and (_LINK_LIKE.search(core) or (host and (host[1].islower() or host[1].isupper()))):
                word, removed = left_out, True
            words.append(word)
        lines.append(" ".join(words))
    return lines, removed


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


def render(to: str, template: str, language: str, key: str, *, reply_to: Optional[str] = None,
           **context) -> EmailMessage:
    """The message of ``templates/mail/{template}.txt`` (first line: the subject) in ``language``'s mode.

    ``reply_to``: where an answer to the mail goes (the organisation responsible), since ``MAIL_FROM``
    is a sender nobody reads.
    """
    mode = mode_for(language)
    with in_mode(mode), force_locale(mode.locale):
        text = render_template(f"mail/{template}.txt", mode=mode, **context)
    subject, _, body = text.partition("\n")
    message = EmailMessage()
    message["Subject"] = subject.strip()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False)
    # Derived from the outbox key: should a mail ever go out twice, mail programs see one message.
    message["Message-ID"] = f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@mitreden>"
    message.set_content(body.lstrip("\n"))
    message["Content-Language"] = mode.html_lang  # after set_content, which resets Content-* headers
    return message


@contextmanager
def in_mode(mode):
    """Render (and build links) in ``mode`` for the moment, whether or not a request is being served.

    A job has an app context but no request: the page's mode, which templates and ``url_for``
    read, would otherwise be guessed from a request that is not there. Inside a request the
    reader's own mode comes back afterwards.
    """
    missing = object()
    previous = g.get("mode", missing)
    g.mode = mode
    try:
        yield mode
    finally:
        if previous is missing:
            g.pop("mode", None)
        else:
            g.mode = previous


def send(to: str, template: str, language: str, *, dedupe_key: Optional[str] = None, reply_to: Optional[str] = None,
         **context) -> OutboxMessage:
    """Queue a mail to ``to``: render ``templates/mail/{template}.txt`` in ``language``'s mode and
    add it to the outbox, in the current transaction.

    Call it inside ``with db.transaction():`` (a service called by a view, CLI command or job
    that opened one): the mail is stored with the change that causes it and delivered once
    the transaction has committed, never if it rolls back. Nothing is sent inside the request.

    Args:
        to: the recipient's address.
        template: the mail's template name, e.g. "confirm".
        language: the recipient's mode key ("de", "en", "simple").
        dedupe_key: unique per mail (at most 200 characters), e.g. "digest:2026-12-01:user:17":
            a second mail with the same key is not stored again (the first row is returned).
            Default: a new random key.
        reply_to: where answers go (e.g. the organisation's contact address): our sender is no-reply.
        **context: the template's variables.

    Returns:
        The outbox row (not flushed yet).

    Raises:
        RuntimeError: outside a transaction (the mail would be queued before it is stored).
    """
    if not g.get("db_transaction_depth"):  # set by db.transaction()
        raise RuntimeError("mail.send() stores the mail with the unit of work: call it inside `with db.transaction():`.")
    session = db.session()
    if dedupe_key is not None:
        existing = session.exec(select(OutboxMessage).where(OutboxMessage.key == dedupe_key)).first()
        if existing is not None:
            return existing
    key = dedupe_key or new_key()
    message = render(to, template, language, key, reply_to=reply_to, **context)
    row = OutboxMessage(key=key, recipient=to, template=template, subject=message["Subject"][:255],
                        message=message.as_bytes())
    session.add(row)
    db.after_commit(lambda: _queue_delivery(key))
    return row


def stored(keys: set[str]) -> set[str]:
    """Which of these dedupe keys have a mail in the outbox already (one query), so that a job
    that runs often can leave out what it has sent before rather than render it again."""
    if not keys:
        return set()
    return set(db.session().exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(keys))).all())


def _queue_delivery(key: str) -> None:
    """Tell the job queue to deliver the stored mail ``key``; if the queue cannot be reached,
    one line in the log: the outbox sweeper queues it later."""
    try:
        deliver(key)
    except Exception as error:  # noqa: BLE001 - the mail is stored; the sweeper delivers it later
        current_app.logger.warning("Mail %s stored but not queued (%s: %s); the outbox sweeper will send it",
                                   key, error.__class__.__name__, error)
