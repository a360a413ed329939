"""Rate limits count in Redis when ``REDIS_URL`` is set, so every app instance sees the same count.

Two separate processes stand for two app instances; the Redis server is the one our
machines run (``REDIS_URL``, default ``redis://127.0.0.1:6379/15``), as in CI.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")

INSTANCE = """
import json, os, sys
from webapp import create_app
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "x" * 40, "WTF_CSRF_ENABLED": False,
                  "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3]})
client = app.test_client()
codes = [client.post("/de/account/login", data={"email": sys.argv[4], "password": "not the password!"}).status_code
         for _ in range(int(sys.argv[5]))]
print(json.dumps(codes))
"""


def instance(database_url, prefix, email, attempts, tmp_path):
    env = {**os.environ, "MITREDEN_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", INSTANCE, database_url, REDIS_URL, prefix, email, str(attempts)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_login_limit_counts_across_two_app_instances(database_url, tmp_path):
    prefix = f"mitreden-test-{secrets.token_hex(4)}"
    email = f"{secrets.token_hex(4)}@example.org"
    assert instance(database_url, prefix, email, 5, tmp_path) == [422] * 5
    assert instance(database_url, prefix, email, 1, tmp_path) == [429]  # the other instance knows
    assert instance(database_url, prefix, f"other-{email}", 1, tmp_path) == [422]  # per account, not global


# Issue 9: limits that stop attackers, not the people they attack, and never answer 500.

import logging  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402
from itsdangerous import TimestampSigner, URLSafeTimedSerializer  # noqa: E402

from tests.support import PASSWORD, csrf_token, login, mails_to, make_user, soup  # noqa: E402

CHAPTER = "/de/projects/smart-city/chapters/nachhaltig"


def login_from(client, address, email, password):
    """A login attempt from the client address ``address``."""
    token = csrf_token(client.get("/de/account/login", environ_base={"REMOTE_ADDR": address}))
    return client.post("/de/account/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address})


def change_email(client, new_email, prefix="de"):
    token = csrf_token(client.get(f"/{prefix}/account/email"))
    return client.post(f"/{prefix}/account/email",
                       data={"email": new_email, "current_password": PASSWORD, "csrf_token": token})


def test_changing_the_email_address_is_limited_per_account_and_keeps_the_input(app, client):
    """Item 3: 30 changes in 14 seconds, each mailing an address of the attacker's choice, went through."""
    login(client, make_user(app))
    answers = [change_email(client, f"new-{number}-{secrets.token_hex(4)}@example.org") for number in range(31)]
    codes = [answer.status_code for answer in answers]
    assert codes[0] == 303 and codes[-1] == 429
    assert codes.count(303) <= 10
    last = answers[-1]
    assert int(last.headers["Retry-After"]) > 0
    html = soup(last)
    assert "Bitte warten Sie" in html.get_text() or "Minuten" in html.get_text()
    assert html.find(id="email")["value"].startswith("new-30-")  # what was typed is still there
    english = soup(change_email(client, "typed@example.org", prefix="en"))
    assert "Too many attempts" in english.get_text() and english.find(id="email")["value"] == "typed@example.org"
    simple = change_email(client, "typed@example.org", prefix="einfach")
    assert simple.status_code == 429 and "Too many attempts" not in soup(simple).get_text()


def test_a_taken_address_gets_the_same_answer_as_a_free_one_and_its_owner_is_told(app, client):
    """Item 3: "There is already an account with this email address" told anyone which addresses have one."""
    owner = make_user(app, language="en")
    login(client, make_user(app))

    def answer(new_email):
        response = change_email(client, new_email)
        page = client.get(response.headers["Location"]) if response.status_code == 303 else response
        text = re.sub(r"\s+", " ", soup(page).get_text()).replace(new_email, "ADDRESS")
        return response.status_code, response.headers.get("Location"), text

    free = f"free-{secrets.token_hex(4)}@example.org"
    assert answer(free) == answer(owner.email)
    assert "/account/confirm/" in mails_to(app, free)[-1].get_content()  # the free address gets its link
    notes = mails_to(app, owner.email)
    assert len(notes) == 1 and "/account/confirm/" not in notes[0].get_content()  # the owner a note, no link
    assert "Someone tried to use your email address" == notes[0]["Subject"]  # in the owner's language
    # "Send the email again" sends the owner the note again, never a link that could take their address
    token = csrf_token(client.get("/de/account/"))
    assert client.post("/de/account/confirm/resend", data={"csrf_token": token}).status_code == 303
    assert [m for m in mails_to(app, owner.email) if "/account/confirm/" in m.get_content()] == []


def test_an_attacker_cannot_lock_a_moderator_out(app, client):
    """Item 4: five wrong passwords from anywhere made the owner's correct password answer 429 for 15 minutes."""
    moderator = make_user(app, role="moderator")
    attacker = app.test_client()
    codes = [login_from(attacker, "203.0.113.7", moderator.email, "guess number one").status_code for _ in range(8)]
    assert codes == [422] * 5 + [429] * 3  # the attacker's own address is stopped
    for number in range(10):  # and a few more addresses, five failures each
        for _ in range(5):
            login_from(attacker, f"198.51.100.{number}", moderator.email, "another wrong guess")
    assert login_from(client, "192.0.2.10", moderator.email, PASSWORD).status_code == 303  # the owner gets in
    assert login_from(attacker, "203.0.113.7", moderator.email, PASSWORD).status_code == 429  # the attacker's not


def test_a_brute_force_over_many_addresses_hits_the_per_account_brake(app, client):
    """Item 4: with the limit per account and address, each new address would get five fresh guesses."""
    user = make_user(app)
    attacker = app.test_client()
    assert {login_from(attacker, f"10.9.{n // 250}.{n % 250}", user.email, "wrong guess").status_code
            for n in range(50)} == {422}
    refused = login_from(attacker, "10.9.200.1", user.email, "wrong guess")  # a fresh address, under the brake
    assert refused.status_code == 429 and soup(refused).find(id="email")["value"] == user.email
    assert int(refused.headers["Retry-After"]) > 0
    # one guess per address: an address that failed waits even with the right password ...
    assert login_from(attacker, "10.9.0.1", user.email, PASSWORD).status_code == 429
    assert login_from(attacker, "10.9.200.1", user.email, PASSWORD).status_code == 429
    # ... while the owner, from an address that has not failed, logs in
    assert login_from(client, "192.0.2.44", user.email, PASSWORD).status_code == 303


def expired_token(client, app) -> str:
    """A CSRF token of this session, signed two hours ago (Flask-WTF accepts one hour)."""
    csrf_token(client.get("/de/account/login"))  # the session holds a raw token now
    with client.session_transaction() as session:
        raw = session["csrf_token"]

    class TwoHoursAgo(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - 7200

    serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=TwoHoursAgo)
    return serializer.dumps(raw)


def no_traceback(caplog):
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("token", ["missing", "expired"])
def test_a_rate_limited_login_with_a_bad_token_answers_429_without_a_traceback(app, client, caplog, token):
    """Item 13: the limit raised inside the CSRF error handler: 500 and a traceback in the log, each time."""
    user = make_user(app)
    for _ in range(5):
        login_from(client, "127.0.0.1", user.email, "wrong password here")
    data = {"email": user.email, "password": PASSWORD}
    if token == "expired":
        data["csrf_token"] = expired_token(client, app)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.post("/de/account/login", data=data)
    assert response.status_code == 429
    assert soup(response).find(id="email")["value"] == user.email
    no_traceback(caplog)


@pytest.mark.parametrize("token", ["missing", "expired"])
def test_a_rate_limited_comment_with_a_bad_token_answers_429_without_a_traceback(app, client, caplog, monkeypatch,
                                                                                  token):
    """Item 13, for comments: the text comes back with how long to wait, and the log has no traceback."""
    monkeypatch.setitem(app.config, "COMMENT_RATE_LIMIT", "1 per hour")
    login(client, make_user(app))
    first = client.post(CHAPTER + "/comments", data={"body": f"Erster {secrets.token_hex(4)}",
                                                     "csrf_token": csrf_token(client.get(CHAPTER)),
                                                     "submission_key": secrets.token_hex(8)})
    assert first.status_code == 303
    text = f"Zweiter Kommentar {secrets.token_hex(4)}"
    data = {"body": text, "submission_key": secrets.token_hex(8)}
    if token == "expired":
        data["csrf_token"] = expired_token(client, app)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.post(CHAPTER + "/comments", data=data)
    assert response.status_code == 429
    assert text in soup(response).find("textarea").get_text()
    no_traceback(caplog)
