"""Mail: an outbox file in development, real SMTP in production, in the recipient's language."""

import secrets
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support import PASSWORD, csrf_token, mails_to, outbox, post_form


class Inbox:
    """A real SMTP server on a free local port that keeps what it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(envelope)
        return "250 Message accepted"


def test_production_mail_goes_out_by_smtp_in_the_recipients_language(app):
    from webapp import mail

    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks itself by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    before = len(outbox(app))
    saved = {key: app.config[key] for key in ("MAIL_BACKEND", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS")}
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=port,
                      SMTP_STARTTLS=False)
    try:
        with app.test_request_context("/"):
            user = type("U", (), {"username": "Ana"})()
            mail.send("ana@example.org", "confirm", "en", user=user, link="https://mitreden.example.org/x")
    finally:
        app.config.update(saved)
        controller.stop()
    assert len(inbox.messages) == 1 and len(outbox(app)) == before  # nothing written locally
    envelope = inbox.messages[0]
    text = envelope.content.decode()
    assert envelope.rcpt_tos == ["ana@example.org"]
    assert "Subject: Please confirm your email address" in text and "Hello Ana," in text
    assert "Content-Language: en" in text


def _links(message) -> list[str]:
    """Every http(s) link in a mail's text."""
    import re

    return re.findall(r"https?://[^\s<>\"']+", message.get_content())


@pytest.mark.parametrize("prefix", ["de", "en", "einfach"])
def test_every_link_in_every_mail_opens_in_every_mode(app, prefix, monkeypatch):
    """Register, ask again, change the address and reset the password in one mode: each mailed link opens.

    Caught the simple-language links that went to /simple/... (a 404) instead of /einfach/....
    Every mail template must be sent here, so a new kind of mail is covered once it exists.
    """
    from urllib.parse import urlsplit

    from webapp import mail

    sent_templates = []
    real_send = mail.send

    def recording_send(to, template, language, **context):
        sent_templates.append(template)
        return real_send(to, template, language, **context)

    monkeypatch.setattr(mail, "send", recording_send)
    client = app.test_client()
    email, new_email = (f"{secrets.token_hex(5)}@example.org" for _ in range(2))
    page = client.get(f"/{prefix}/account/register")
    response = client.post(f"/{prefix}/account/register", data={
        "csrf_token": csrf_token(page), "username": f"Links {secrets.token_hex(3)}", "email": email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})
    assert response.status_code == 303
    token = csrf_token(client.get(f"/{prefix}/account/"))
    assert client.post(f"/{prefix}/account/confirm/resend", data={"csrf_token": token}).status_code == 303
    assert post_form(client, f"/{prefix}/account/email", {"email": new_email, "current_password": PASSWORD},
                     page=f"/{prefix}/account/email").status_code == 303
    assert post_form(client, f"/{prefix}/account/password/forgot", {"email": email},
                     page=f"/{prefix}/account/password/forgot").status_code == 200

    mails = mails_to(app, email) + mails_to(app, new_email)
    templates = {path.stem for path in (Path(app.root_path).parent / "templates" / "mail").glob("*.txt")}
    assert set(sent_templates) == templates, "every kind of mail is sent in this test"
    assert len(mails) == len(sent_templates) == 4
    reader = app.test_client()  # a reader opening the link, not logged in
    for message in mails:
        links = _links(message)
        assert links, f"no link in {message['Subject']!r}"
        for url in links:
            parts = urlsplit(url)
            assert parts.path.startswith(f"/{prefix}/"), url
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            assert reader.get(target).status_code == 200, f"{url} in {message['Subject']!r}"


def test_a_mode_key_never_becomes_an_address(app):
    """The converter takes modes (or their prefixes) and refuses anything else, such as the key "simple"."""
    from flask import url_for

    from webapp.i18n import MODES, mode_for

    with app.test_request_context("/de/"):
        assert url_for("projects.index", mode=MODES["simple"]) == "/einfach/"
        assert url_for("projects.index", mode=mode_for("simple")) == "/einfach/"
        assert url_for("projects.index", mode="en") == "/en/"
        for wrong in ("simple", "fr", ""):
            with pytest.raises(ValueError):
                url_for("projects.index", mode=wrong)
