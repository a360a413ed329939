"""Account routes (webapp/accounts) for every role, and neither ``next`` nor the language switcher leads off the site.

Nothing changes without a valid CSRF token or by merely opening an address.
"""

import re
import secrets
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from tests.authorization.support import (
    CSRF_TOKENS,
    ROLES,
    answers_as_expected,
    cases,
    refused_without_csrf,
    token_for,
    unchanged_by_opening,
    unique,
)
from tests.support import PASSWORD, csrf_token, login, mails_to, make_user, soup
from webapp.accounts.models import normalise_key
from webapp.models import User

#: The answer each role gets, in the order of ROLES ("author": any confirmed participant). 302 is
#: Flask-Login sending the reader to the login page.
EXPECTED = {
    #                                         anon unconf author other  mod admin
    ("account", "log out"):                   (302, 303, 303, 303, 303, 303),
    ("account", "resend confirmation"):       (302, 303, 303, 303, 303, 303),
    ("account", "change password"):           (302, 303, 303, 303, 303, 303),
    ("account", "change email"):              (302, 303, 303, 303, 303, 303),
    ("account", "mail language"):             (302, 303, 303, 303, 303, 303),
    ("account", "delete account"):            (302, 303, 303, 303, 303, 303),
    ("account", "confirm address"):           (303, 303, 303, 303, 303, 303),
    ("account", "register"):                  (303, 303, 303, 303, 303, 303),
    ("account", "log in"):                    (303, 303, 303, 303, 303, 303),
    ("account", "forgot password"):           (200, 200, 200, 200, 200, 200),
    ("account", "reset password"):            (303, 303, 303, 303, 303, 303),
}
#: Successful answers that change nothing on purpose.
HARMLESS = {("register", role) for role in ROLES[1:]} | {("resend confirmation", role) for role in ROLES[2:]}

# Each action sends its request and says whether what it asks for has happened.
NEW_PASSWORD = "a completely new passphrase"


def log_out(w):
    before = w.me.session_token
    return w.send("/de/account/logout"), w.reload(User, w.me.id).session_token != before


def resend(w):
    before = len(mails_to(w.app, w.me.email))
    response = w.send("/de/account/confirm/resend", next="/de/")
    return response, len(mails_to(w.app, w.me.email)) > before


def change_password(w):
    response = w.send("/de/account/password", current_password=PASSWORD, password=NEW_PASSWORD,
                      password_repeat=NEW_PASSWORD)
    return response, w.reload(User, w.me.id).password_hash != w.me.password_hash


def change_email(w):
    new = f"{secrets.token_hex(5)}@example.org"
    response = w.send("/de/account/email", email=new, current_password=PASSWORD)
    return response, w.reload(User, w.me.id).pending_email == new


def mail_language(w):
    chosen = "en" if w.me.language != "en" else "de"
    return w.send("/de/account/mail-language", **{"mail-language": chosen}), w.reload(User, w.me.id).language == chosen


def confirm(w):
    newcomer = make_user(w.app, confirmed=False)
    token = token_for(w.app, "confirm", {"u": newcomer.id, "e": normalise_key(newcomer.email)})
    return w.send(f"/de/account/confirm/{token}"), w.reload(User, newcomer.id).is_confirmed


def register(w):
    email = f"{secrets.token_hex(5)}@example.org"
    response = w.send("/de/account/register", username=unique("Neu"), email=email, password=PASSWORD,
                      password_repeat=PASSWORD, accept_terms="y")
    return response, w.exists(User, User.email_key == email)


def log_in(w):
    target = make_user(w.app)
    response = w.send("/de/account/login", email=target.email, password=PASSWORD)
    return response, target.username in soup(w.client.get("/de/")).find("header").get_text()


def forgot(w):
    target = make_user(w.app)
    return w.send("/de/account/password/forgot", email=target.email), bool(mails_to(w.app, target.email))


def reset(w):
    target = make_user(w.app)
    token = token_for(w.app, "reset", {"u": target.id, "h": target.password_hash[-16:]})
    response = w.send(f"/de/account/password/reset/{token}", password=NEW_PASSWORD, password_repeat=NEW_PASSWORD)
    return response, w.reload(User, target.id).password_hash != target.password_hash


ACTIONS = {
    "log out": log_out, "resend confirmation": resend, "change password": change_password,
    "change email": change_email, "mail language": mail_language,
    "delete account": lambda w: (w.send("/de/account/delete", current_password=PASSWORD),
                                 w.reload(User, w.me.id) is None),
    "confirm address": confirm, "register": register, "log in": log_in, "forgot password": forgot,
    "reset password": reset,
}
#: A role for whom each action succeeds (for the CSRF and GET checks); "author" if not named.
ABLE = {"resend confirmation": "unconfirmed", "confirm address": "anonymous", "register": "anonymous",
        "log in": "anonymous", "forgot password": "anonymous", "reset password": "anonymous"}
#: The state-changing endpoints of this module's rows (tests/authorization/test_routes.py).
ENDPOINTS = {
    "accounts.change_email": ["change email"], "accounts.change_password": ["change password"],
    "accounts.mail_language": ["mail language"],
    "accounts.confirm": ["confirm address"], "accounts.delete": ["delete account"],
    "accounts.forgot_password": ["forgot password"], "accounts.login": ["log in"], "accounts.logout": ["log out"],
    "accounts.register": ["register"], "accounts.resend_confirmation": ["resend confirmation"],
    "accounts.reset_password": ["reset password"],
}


@pytest.mark.parametrize(("place", "action", "role"), cases(EXPECTED))
def test_each_role_gets_the_expected_answer_and_only_allowed_requests_change_anything(
        app, client, session, place, action, role):
    answers_as_expected(app, client, session, EXPECTED, ACTIONS, place, action, role, HARMLESS)


@pytest.mark.parametrize("token", CSRF_TOKENS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_without_a_valid_csrf_token_nothing_changes(app, client, session, action, token):
    refused_without_csrf(app, client, session, ACTIONS, ABLE, action, token)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_opening_an_address_changes_nothing(app, client, session, action):
    unchanged_by_opening(app, client, session, ACTIONS, ABLE, action)


def stays_on_site(location):
    """Where a browser would go from ``location``: it reads "\\" as "/" and drops tabs, newlines, leading blanks."""
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/").lstrip("".join(map(chr, range(33))))
    target = urlsplit(urljoin("http://localhost/de/account/login", cleaned))
    return target.scheme == "http" and target.netloc == "localhost"


OFFSITE = ["https://evil.example/", "//evil.example/", "///evil.example", "////evil.example", "/\\evil.example",
           "\\\\evil.example", "\\/evil.example", "/\t/evil.example", " //evil.example", "http:evil.example",
           "https:/evil.example", "HTTPS://EVIL.EXAMPLE", "//evil.example@localhost/", "javascript:alert(1)",
           "data:text/html,<script>alert(1)</script>", "/%0d%0aLocation: https://evil.example", "\x00//evil.example",
           "ｈｔｔｐｓ://evil.example", "/\u2215\u2215evil.example", "%2F%2Fevil.example", "http://localhost@evil.example/"]


@pytest.mark.parametrize("target", OFFSITE)
def test_login_never_sends_the_reader_off_site(app, client, target):
    user = make_user(app)
    for query, form in (("", target), (target, None)):
        token = csrf_token(client.get("/de/account/login", query_string={"next": target}))
        data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
        if form is not None:
            data["next"] = form
        response = client.post("/de/account/login", query_string={"next": query} if query else None, data=data)
        assert response.status_code == 303 and stays_on_site(response.headers["Location"])
        client.post("/de/account/logout", data={"csrf_token": csrf_token(client.get("/de/account/"))})


@pytest.mark.parametrize("target", OFFSITE[:12])
def test_register_and_resend_never_send_the_reader_off_site(app, client, target):
    token = csrf_token(client.get("/de/account/register"))
    email = f"{secrets.token_hex(5)}@example.org"
    response = client.post("/de/account/register", query_string={"next": target}, data={
        "csrf_token": token, "username": unique("Neu"), "email": email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})
    assert response.status_code == 303 and stays_on_site(response.headers["Location"])
    login(client, type("Newcomer", (), {"email": email}))  # registering logs no one in
    token = csrf_token(client.get("/de/account/"))
    response = client.post("/de/account/confirm/resend", data={"csrf_token": token, "next": target})
    assert response.status_code == 303 and stays_on_site(response.headers["Location"])


@pytest.mark.parametrize("path", [
    "/de/?next=//evil.example", "/de/projects/smart-city?next=https://evil.example&x=%2F%2Fevil.example",
    "/en/projects/smart-city/chapters/gemeinsam?page=//evil.example&sort=%22%3E%3Cscript%3E",
    "/de/account/login?next=https://evil.example", "/de/account/register?next=//evil.example",
    "//evil.example/de/", "/de//evil.example", "/de/%2F%2Fevil.example", "/\\evil.example/de/", "/de/projects//smart-city",
    "//de/projects/smart-city", "/einfach/projects/smart-city/chapters/gemeinsam/..%2F..%2F..%2F%2Fevil.example",
])
def test_language_switcher_and_header_links_stay_on_site(client, path):
    response = client.get("/", environ_overrides={"PATH_INFO": path.split("?")[0]},
                          query_string=path.split("?", 1)[1] if "?" in path else None)
    if response.status_code in (301, 302, 303, 307, 308):
        assert stays_on_site(response.headers["Location"])
        return
    html = soup(response)
    assert len(html.select("nav.languages a")) == 3
    for anchor in html.find("header").find_all("a"):
        assert stays_on_site(anchor["href"]), anchor["href"]
        for value in parse_qs(urlsplit(anchor["href"]).query).get("next", []):
            assert stays_on_site(value), anchor["href"]
