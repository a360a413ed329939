"""Where our mail points and which hosts we answer for (issue 9, item 1: reset-link poisoning).

Mailed links were built from the request's ``Host`` (or ``X-Forwarded-Host`` behind a proxy): a
forgot-password request sent with ``Host: evil.example`` made the genuine reset mail point to the
attacker's host, and the token it harvested reset the victim's password. Werkzeug's slash redirect
(``GET /de`` → ``http://evil.example/de/``) shared the cause. Now every mailed link starts with
``PUBLIC_BASE_URL``, and requests naming a host that is not ours get the localized 400 page.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.support import PASSWORD, csrf_token, make_user, outbox, soup

BASE = {"production": "https://beteiligung.example.org", "development": "http://mitreden.test:5000"}
#: A second name of the site, allowed through TRUSTED_HOSTS, and the name local browsers use.
ALIAS = {"production": "www.beteiligung.example.org", "development": "localhost"}
FOREIGN = "evil.example"


@pytest.fixture()
def make(app, database_url, monkeypatch, tmp_path):
    """An app configured from the environment as an operator would, mails into its own outbox."""
    from webapp import create_app

    made = []

    def make(kind: str, proxies: int = 0, **overrides):
        if kind == "production":
            monkeypatch.setenv("MITREDEN_ENV", "production")
            monkeypatch.setenv("PASSWORD_HASHING", "standard")
        else:
            monkeypatch.delenv("MITREDEN_ENV", raising=False)
        monkeypatch.setenv("SECRET_KEY", "hosts-" + "h" * 40)
        monkeypatch.setenv("TRUSTED_PROXIES", "127.0.0.1")  # the test client is the proxy
        monkeypatch.setenv("PUBLIC_BASE_URL", BASE[kind])
        monkeypatch.setenv("TRUSTED_HOSTS", "www.beteiligung.example.org")
        application = create_app({"DATABASE_URL": database_url, "TESTING": True,
                                  "MAIL_BACKEND": "outbox", "OUTBOX_DIR": str(tmp_path / f"outbox-{len(made)}"),
                                  "PROXY_COUNT": proxies, **overrides})
        made.append(application)
        return application

    yield make
    for application in made:
        application.extensions["db_engine"].dispose()


class Reader:
    """A test client that names the host it asks for, by ``Host`` or by ``X-Forwarded-Host``."""

    def __init__(self, app, kind: str):
        self.client = app.test_client()
        self.scheme = "https" if kind == "production" else "http"  # production's cookies are Secure
        self.genuine = BASE[kind].split("://", 1)[1]

    def get(self, path, host=None, header="Host"):
        return self.client.get(path, **self._to(host, header))

    def post(self, path, data, host=None, header="Host"):
        page = self.get(path, host, header)  # the form as the site shows it on that name
        if page.status_code == 400:  # a name that is refused: the form as shown on ours
            page = self.get(path)
        return self.client.post(path, data={"csrf_token": csrf_token(page), **data}, **self._to(host, header))

    def _to(self, host, header):
        if header == "Host" or host is None:
            return {"base_url": f"{self.scheme}://{host or self.genuine}"}
        return {"base_url": f"{self.scheme}://{self.genuine}", "headers": {header: host}}


def links_in(app) -> list[str]:
    return [link for message in outbox(app) for link in re.findall(r"https?://[^\s<>\"']+", message.get_content())]


def assert_refused(response):
    """The localized 400 page, naming no foreign host and sending no one there."""
    assert response.status_code == 400
    html = soup(response)
    assert html.find("h1").get_text() == "Ungültige Anfrage" and html.html["lang"] == "de"
    assert FOREIGN not in response.get_data(as_text=True) and FOREIGN not in response.headers.get("Location", "")


@pytest.mark.parametrize("header", ["Host", "X-Forwarded-Host"])
@pytest.mark.parametrize("request_kind", ["GET /de/", "GET /de (the slash redirect)", "POST forgot password"])
def test_a_foreign_host_gets_a_localized_400_in_production(make, header, request_kind):
    app = make("production", proxies=1 if header == "X-Forwarded-Host" else 0)
    reader = Reader(app, "production")
    if request_kind == "GET /de/":
        response = reader.get("/de/", host=FOREIGN, header=header)
    elif request_kind.startswith("GET /de "):
        response = reader.get("/de", host=FOREIGN, header=header)
    else:
        user = make_user(app)
        response = reader.post("/de/account/password/forgot", {"email": user.email}, host=FOREIGN, header=header)
    assert_refused(response)
    assert not outbox(app)
    # Our own names are answered as before; the slash redirect stays on the name asked for.
    assert reader.get("/de/").status_code == 200
    assert reader.get("/de/", host=ALIAS["production"], header=header).status_code == 200
    redirect = reader.get("/de", host=ALIAS["production"], header=header)
    assert redirect.status_code == 308 and redirect.headers["Location"] == f"https://{ALIAS['production']}/de/"


@pytest.mark.parametrize("kind", ["development", "production"])
@pytest.mark.parametrize("asked_for", ["an alias", "a foreign Host", "a foreign X-Forwarded-Host",
                                       "a foreign Host, with the host check off"])
def test_no_mail_names_another_host(make, kind, asked_for):
    """Register (a new address and one that has an account), ask for a reset and change the address,
    each asking for another host than the public one: every link in every mail starts with the
    public base URL; a foreign host is refused before anything is stored or sent."""
    from webapp.accounts.models import User

    header = "X-Forwarded-Host" if "X-Forwarded-Host" in asked_for else "Host"
    overrides = {"TRUSTED_HOSTS": None} if "check off" in asked_for else {}
    app = make(kind, proxies=1 if header == "X-Forwarded-Host" else 0, **overrides)
    reader = Reader(app, kind)
    host = ALIAS[kind] if asked_for == "an alias" else FOREIGN
    refused = host == FOREIGN and "check off" not in asked_for

    owner = make_user(app)
    new_email, other_email = (f"{secrets.token_hex(5)}@example.org" for _ in range(2))
    answers = [
        reader.post("/de/account/register", {"username": f"Host {secrets.token_hex(3)}", "email": address,
                                             "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"},
                    host=host, header=header)
        for address in (new_email, owner.email)]
    answers.append(reader.post("/de/account/password/forgot", {"email": owner.email}, host=host, header=header))
    login = reader.post("/de/account/login", {"email": owner.email, "password": PASSWORD},
                        **({} if refused else {"host": host, "header": header}))
    assert login.status_code == 303
    answers.append(reader.post("/de/account/email", {"email": other_email, "current_password": PASSWORD},
                               host=host, header=header))

    if refused:
        for response in answers:
            assert_refused(response)
        assert not outbox(app)
        with Session(app.extensions["db_engine"]) as session:
            assert session.get(User, owner.id).pending_email is None
        return
    assert [response.status_code for response in answers] == [303, 303, 200, 303]
    subjects = sorted(message["Subject"] for message in outbox(app))
    assert len(subjects) == 4, subjects  # confirm, the owner's note, reset, confirm the new address
    links = links_in(app)
    assert len(links) >= 5
    for link in links:
        assert link.startswith(BASE[kind] + "/de/"), link
        assert FOREIGN not in link and ALIAS[kind] not in link


def test_mailed_links_need_no_request(make):
    """Jobs will mail without a request: the links are the same as inside one."""
    from webapp import mail

    app = make("production")
    with app.app_context():
        outside = mail.link("accounts.reset_password", "simple", token="abc")
    with app.test_request_context("/de/", base_url=f"http://{FOREIGN}"):
        inside = mail.link("accounts.reset_password", "simple", token="abc")
    assert outside == inside == "https://beteiligung.example.org/einfach/account/password/reset/abc"


def test_the_readme_names_the_settings_and_passes_no_client_host(app):
    readme = (Path(app.root_path).parent / "README.md").read_text()
    assert "`PUBLIC_BASE_URL`" in readme and "`TRUSTED_HOSTS`" in readme
    nginx = re.search(r"```nginx\n(.*?)```", readme, re.S).group(1)
    assert "$host" not in nginx and "$http_host" not in nginx
