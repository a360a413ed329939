"""Mail: an outbox file in development, real SMTP in production, in the recipient's language."""

import socket

from aiosmtpd.controller import Controller

from tests.support import outbox


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
