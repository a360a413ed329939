"""Mail: an outbox file in development, real SMTP in production, in the recipient's language."""

import secrets
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from tests.support import PASSWORD, csrf_token, login, mails_to, make_user, outbox, post_form


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
        assert mail.wait_until_sent(15)  # the sender thread delivers it, not the request
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
    """Register, register again, ask again, change the address and reset the password in one mode:
    each mailed link opens and starts with the public base URL.

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
    page = client.get(f"/{prefix}/account/register")  # the same address again: its owner gets a note
    assert client.post(f"/{prefix}/account/register", data={
        "csrf_token": csrf_token(page), "username": f"Again {secrets.token_hex(3)}", "email": email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"}).status_code == 303
    login(client, type("Newcomer", (), {"email": email}))  # registering logs no one in
    token = csrf_token(client.get(f"/{prefix}/account/"))
    assert client.post(f"/{prefix}/account/confirm/resend", data={"csrf_token": token}).status_code == 303
    assert post_form(client, f"/{prefix}/account/email", {"email": new_email, "current_password": PASSWORD},
                     page=f"/{prefix}/account/email").status_code == 303
    assert post_form(client, f"/{prefix}/account/password/forgot", {"email": email},
                     page=f"/{prefix}/account/password/forgot").status_code == 200

    mail_folder = Path(app.root_path).parent / "templates" / "mail"
    if (mail_folder / "email_taken.txt").exists():  # moving to an address that has an account: its owner is told
        owner = make_user(app, language={"de": "de", "en": "en", "einfach": "simple"}[prefix])
        assert post_form(client, f"/{prefix}/account/email", {"email": owner.email, "current_password": PASSWORD},
                         page=f"/{prefix}/account/email").status_code == 303
        email_taken = mails_to(app, owner.email)
    else:
        email_taken = []
    mails = mails_to(app, email) + mails_to(app, new_email) + email_taken
    templates = {path.stem for path in mail_folder.glob("*.txt")}
    assert set(sent_templates) == templates, "every kind of mail is sent in this test"
    assert len(mails) == len(sent_templates) == 4 + len(templates - {"confirm", "reset"})
    reader = app.test_client()  # a reader opening the link, not logged in
    for message in mails:
        links = _links(message)
        assert links or message in email_taken, f"no link in {message['Subject']!r}"  # that note needs none
        for url in links:
            parts = urlsplit(url)
            assert url.startswith(app.config["PUBLIC_BASE_URL"] + "/"), url
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def smtp_config(app):
    """Production's mail settings (SMTP) on the shared app, put back afterwards."""
    keys = ("MAIL_BACKEND", "SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_TIMEOUT")
    saved = {key: app.config[key] for key in keys}
    app.config.update(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_STARTTLS=False, SMTP_TIMEOUT=1.5)
    yield app.config
    from webapp import mail

    mail.wait_until_sent(30)  # nothing of this test is delivered into the next one
    app.config.update(saved)


def register_request_reset_and_change_email(app):
    """The three forms that mail something, sent as a reader does; each must answer as usual, at once."""
    import time

    from sqlmodel import Session, select

    from tests.support import soup
    from webapp.accounts.models import User

    client = app.test_client()
    email, new_email = (f"{secrets.token_hex(5)}@example.org" for _ in range(2))
    timings = []

    def timed(response_of):
        started = time.monotonic()
        response = response_of()
        timings.append(time.monotonic() - started)
        return response

    page = client.get("/de/account/register")
    response = timed(lambda: client.post("/de/account/register", data={
        "csrf_token": csrf_token(page), "username": f"Smtp {secrets.token_hex(3)}", "email": email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"}))
    assert response.status_code == 303
    assert "E-Mail an" in soup(client.get(response.headers["Location"])).find(class_="flash").get_text()
    response = timed(lambda: post_form(client, "/de/account/password/forgot", {"email": email},
                                       page="/de/account/password/forgot"))
    assert response.status_code == 200 and "Link" in soup(response).find("main").get_text()
    login(client, type("Newcomer", (), {"email": email}))
    response = timed(lambda: post_form(client, "/de/account/email", {"email": new_email, "current_password": PASSWORD},
                                       page="/de/account/email"))
    assert response.status_code == 303 and response.headers["Location"] == "/de/account/"
    with Session(app.extensions["db_engine"]) as session:  # the state is stored whole, whatever the mail did
        user = session.exec(select(User).where(User.email == email)).one()
        assert user.pending_email == new_email and user.email_confirmed_at is None
    return client, email, new_email, timings


@pytest.mark.parametrize("server", ["closed port", "never answers"])
def test_a_mail_server_that_is_down_or_hangs_breaks_no_request(app, smtp_config, caplog, server):
    """With SMTP down, registering stored the account and then answered 500, and a change of address
    stored ``pending_email`` and then answered 500; a hanging server held each request for 20 s.
    Now each form answers as usual at once, the state is whole, the failure is one line in the log;
    once the server is back, asking again delivers the mail."""
    import logging

    from webapp import mail

    port = free_port()
    listener = None
    if server == "never answers":  # accepts connections (the backlog) but never says a word
        listener = socket.socket()
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
    smtp_config["SMTP_PORT"] = port
    try:
        with caplog.at_level(logging.INFO, logger=app.logger.name):
            client, email, new_email, timings = register_request_reset_and_change_email(app)
            assert max(timings) < 1.0, timings  # argon2 and the page; no mail server waited for
            assert mail.wait_until_sent(30)
    finally:
        if listener is not None:
            listener.close()
    failures = [record for record in caplog.records if "not sent" in record.getMessage()]
    assert len(failures) == 3 and all(record.exc_info is None for record in failures)
    assert all("\n" not in record.getMessage() for record in failures)  # one line each, no traceback
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]

    inbox = Inbox()  # the server is back: asking again delivers
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    smtp_config["SMTP_PORT"] = controller.port
    try:
        token = csrf_token(client.get("/de/account/"))
        assert client.post("/de/account/confirm/resend", data={"csrf_token": token}).status_code == 303
        assert post_form(client, "/de/account/password/forgot", {"email": email},
                         page="/de/account/password/forgot").status_code == 200
        assert mail.wait_until_sent(30)
    finally:
        controller.stop()
    assert sorted(recipient for envelope in inbox.messages for recipient in envelope.rcpt_tos) == sorted([new_email, email])
    links = [link for envelope in inbox.messages
             for link in __import__("re").findall(r"https?://\S+", envelope.content.decode())]
    assert links and all(link.startswith(app.config["PUBLIC_BASE_URL"] + "/") for link in links)
