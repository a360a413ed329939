"""Mail: an outbox file in development, real SMTP in production, in the recipient's language.

Mail is stored in the outbox with the change that causes it and delivered by a job (see
tests/test_jobs.py for the queue itself): no request waits for a mail server.
"""

import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from tests.jobs_support import (  # noqa: F401
    age_outbox,
    outbox_rows,
    queued_app,
    settle_waiting_mail_except,
    smtp,
    work_off,
)
from tests.support import PASSWORD, csrf_token, login, mails_to, make_user, post_form, soup


def test_production_mail_goes_out_by_smtp_in_the_recipients_language(queued_app, smtp):
    from webapp import db, mail

    address = f"ana-{secrets.token_hex(4)}@example.org"
    with queued_app.test_request_context("/"):
        user = type("U", (), {"username": "Ana"})()
        with db.transaction():
            mail.send(address, "confirm", "en", user=user, link="https://mitreden.example.org/x")
    assert smtp.inbox.messages == []  # stored and queued: the worker sends it, not the request
    assert work_off(queued_app) == 1
    [envelope] = smtp.inbox.messages
    text = envelope.content.decode()
    assert envelope.rcpt_tos == [address]
    assert "Subject: Please confirm your email address" in text and "Hello Ana," in text
    assert "Content-Language: en" in text
    [row] = outbox_rows(queued_app, address)
    assert row.sent_at is not None and row.attempts == 1 and row.template == "confirm"


#: Staff mails, whose links need the recipient logged in or an invitation: each is sent, and its links
#: opened in every mode, where its flow is tested (role_added, invitation: tests/test_roles.py).
SENT_ELSEWHERE = {"role_added", "role_removed", "invitation"} | {  # tests/test_roles.py; tests/test_moderation.py (MODERATION_MAILS)
    "comment_blocked", "comment_restored", "comment_highlighted", "comment_answered", "report_received", "report_digest",
} | {"person_blocked", "person_unblocked", "person_block_over", "registration_blocked"} | {  # tests/test_person_blocks.py
    "comment_hidden", "comment_hidden_moderators",  # tests/test_discussion_rules.py
    "email_changed",  # sent when the new address is confirmed: tests/test_accounts.py
}


def _links(message) -> list[str]:
    """Every http(s) link in a mail's text."""
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
    templates = {path.stem for path in mail_folder.glob("*.txt")} - SENT_ELSEWHERE
    assert set(sent_templates) == templates, "every kind of mail is sent in this test"
    # Sent twice: "confirm" (registering, asking again); once each: every other template.
    assert len(mails) == len(sent_templates) == 1 + len(templates)
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


def register_request_reset_and_change_email(app):
    """The three forms that mail something, sent as a reader does; each must answer as usual."""
    from sqlmodel import Session, select

    from webapp.accounts.models import User

    client = app.test_client()
    email, new_email = (f"{secrets.token_hex(5)}@example.org" for _ in range(2))
    page = client.get("/de/account/register")
    response = client.post("/de/account/register", data={
        "csrf_token": csrf_token(page), "username": f"Smtp {secrets.token_hex(3)}", "email": email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})
    assert response.status_code == 303
    assert "E-Mail an" in soup(client.get(response.headers["Location"])).find(class_="flash").get_text()
    response = post_form(client, "/de/account/password/forgot", {"email": email}, page="/de/account/password/forgot")
    assert response.status_code == 200 and "Link" in soup(response).find("main").get_text()
    login(client, type("Newcomer", (), {"email": email}))
    response = post_form(client, "/de/account/email", {"email": new_email, "current_password": PASSWORD},
                         page="/de/account/email")
    assert response.status_code == 303 and response.headers["Location"] == "/de/account/"
    with Session(app.extensions["db_engine"]) as session:  # the state is stored whole, whatever the mail does
        user = session.exec(select(User).where(User.email == email)).one()
        assert user.pending_email == new_email and user.email_confirmed_at is None
    return client, email, new_email


@pytest.mark.parametrize("server", ["closed port", "never answers"])
def test_a_mail_server_that_is_down_or_hangs_breaks_no_request(queued_app, smtp, caplog, server):
    """With SMTP down, registering stored the account and then answered 500, and a change of address
    stored ``pending_email`` and then answered 500; a hanging server held each request for 20 s.
    Now no request talks to the mail server at all: each form answers as usual, its mail waits in
    the outbox, untried, until a worker runs the queue. The worker's failures are one line each in
    the log; once the server is back, the same mails go out, each once."""
    import socket

    smtp.stop()
    listener = None
    if server == "never answers":  # accepts connections (the backlog) but never says a word
        listener = socket.socket()
        listener.bind(("127.0.0.1", smtp.port))
        listener.listen(16)
    try:
        with caplog.at_level(logging.INFO, logger=queued_app.logger.name):
            client, email, new_email = register_request_reset_and_change_email(queued_app)
            rows = outbox_rows(queued_app, email) + outbox_rows(queued_app, new_email)
            assert len(rows) == 3 and all(row.attempts == 0 for row in rows)  # no request tried to send
            assert work_off(queued_app) == 3  # the worker tries, and fails
    finally:
        if listener is not None:
            listener.close()
    failures = [record for record in caplog.records if "not sent" in record.getMessage()]
    assert len(failures) == 3 and all(record.exc_info is None for record in failures)
    assert all("\n" not in record.getMessage() for record in failures)  # one line each, no traceback
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    rows = outbox_rows(queued_app, email) + outbox_rows(queued_app, new_email)
    assert all(row.sent_at is None and row.attempts == 1 and row.last_error for row in rows)

    smtp.start()  # the server is back; an hour later the sweeper finds the mails still waiting
    settle_waiting_mail_except(queued_app, (email, new_email))  # and no other test's
    for address in (email, new_email):
        age_outbox(queued_app, address, timedelta(hours=1))
    from webapp.mail.tasks import sweep

    with queued_app.app_context():
        assert sweep() == 3
    work_off(queued_app)
    assert sorted(r for envelope in smtp.inbox.messages for r in envelope.rcpt_tos) == sorted([email, email, new_email])
    links = [link for envelope in smtp.inbox.messages for link in re.findall(r"https?://\S+", envelope.content.decode())]
    assert links and all(link.startswith(queued_app.config["PUBLIC_BASE_URL"] + "/") for link in links)


@pytest.mark.parametrize(("text", "expected"), [
    ("Bitte sofort pruefen: https://evil.example/login", "Bitte sofort pruefen: [x]"),
    ("Siehe (www.evil.example) oder evil.example/login.", "Siehe [x] oder [x]"),
    ("Schreib an a@evil.example, ok?", "Schreib an [x] ok?"),
    ("HXXP nein, aber BANK.DE ja", "HXXP nein, aber [x] ja"),
    ("z.B. Nr. 5, d.h. Version 1.2 usw. Satzende.Neuer Satz", "z.B. Nr. 5, d.h. Version 1.2 usw. Satzende.Neuer Satz"),
])
def test_quoted_text_keeps_its_words_and_loses_its_links(text, expected):
    """A reader's text quoted in our mail: mail programs would make any address in it a link of ours."""
    from webapp.mail import quote

    lines, left_out = quote(text, "[x]")
    assert lines == [expected] and left_out == (expected != text)
