"""Who may change what: every state-changing route for every role, checked against one table.

Also: nothing changes without a valid CSRF token or by merely opening an address, POST-only
routes refuse GET, and neither ``next`` nor the language switcher leads off the site.
"""

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from sqlmodel import select

from tests.support import PASSWORD, csrf_token, login, mails_to, make_user, soup
from webapp.accounts import passwords
from webapp.accounts.models import normalise_key
from webapp.accounts.tokens import make_token
from webapp.models import Comment, Project, Rating, Report, User

ROLES = ("anonymous", "unconfirmed", "author", "other", "moderator", "admin")
CHAPTERS = {"smart-city": "nachhaltig", "radverkehr": "sicher-unterwegs"}

#: The answer each role gets, in the order of ROLES. "author" wrote the comment acted on (for account
#: routes: any confirmed participant). Per-project moderation does not exist yet: moderators and admins
#: have no rights over other people's comments. 302 is Flask-Login sending the reader to the login page.
#: Reporting does not depend on the phase: anyone confirmed may report someone else's comment.
EXPECTED = {
    #                                         anon unconf author other  mod admin
    ("smart-city", "comment on chapter"):     (403, 403, 303, 303, 303, 303),
    ("smart-city", "comment on paragraph"):   (403, 403, 303, 303, 303, 303),
    ("smart-city", "reply"):                  (403, 403, 303, 303, 303, 303),
    ("smart-city", "reply to a reply"):       (400, 400, 400, 400, 400, 400),
    ("smart-city", "edit"):                   (403, 403, 303, 403, 403, 403),
    ("smart-city", "delete"):                 (403, 403, 303, 403, 403, 403),
    ("smart-city", "rate"):                   (403, 403, 403, 303, 303, 303),  # not one's own
    ("smart-city", "report"):                 (403, 403, 403, 303, 303, 303),
    ("smart-city", "report a reply"):         (403, 403, 403, 303, 303, 303),
    ("radverkehr", "comment on chapter"):     (403, 403, 403, 403, 403, 403),
    ("radverkehr", "comment on paragraph"):   (403, 403, 403, 403, 403, 403),
    ("radverkehr", "reply"):                  (403, 403, 403, 403, 403, 403),
    ("radverkehr", "edit"):                   (403, 403, 403, 403, 403, 403),
    ("radverkehr", "delete"):                 (403, 403, 403, 403, 403, 403),
    ("radverkehr", "rate"):                   (403, 403, 403, 403, 403, 403),
    ("radverkehr", "report"):                 (403, 403, 403, 303, 303, 303),
    ("account", "log out"):                   (302, 303, 303, 303, 303, 303),
    ("account", "resend confirmation"):       (302, 303, 303, 303, 303, 303),
    ("account", "change password"):           (302, 303, 303, 303, 303, 303),
    ("account", "change email"):              (302, 303, 303, 303, 303, 303),
    ("account", "delete account"):            (302, 303, 303, 303, 303, 303),
    ("account", "confirm address"):           (303, 303, 303, 303, 303, 303),
    ("account", "register"):                  (303, 303, 303, 303, 303, 303),
    ("account", "log in"):                    (303, 303, 303, 303, 303, 303),
    ("account", "forgot password"):           (200, 200, 200, 200, 200, 200),
    ("account", "reset password"):            (303, 303, 303, 303, 303, 303),
}
#: Successful answers that change nothing on purpose.
HARMLESS = {("register", role) for role in ROLES[1:]} | {("resend confirmation", role) for role in ROLES[2:]}


@dataclass
class World:
    """One test's people and comments: ``me`` acts (not logged in when anonymous), the author wrote ``comment``."""

    app: object
    client: object
    session: object
    me: User
    comment: Comment
    reply: Comment
    chapter_url: str
    paragraph_url: str
    token: object = None
    method: str = "POST"

    def send(self, url, **data):
        if self.token is not None:
            data["csrf_token"] = self.token
        if self.method == "GET":
            return self.client.get(url, query_string=data)
        return self.client.post(url, data=data)

    def on_comment(self, action, comment=None):
        return f"{self.chapter_url.split('/chapters/')[0]}/comments/{(comment or self.comment).id}/{action}"

    def reload(self, model, key):
        self.session.expire_all()
        return self.session.get(model, key)

    def exists(self, model, *conditions):
        self.session.expire_all()
        return self.session.exec(select(model).where(*conditions)).first() is not None


@pytest.fixture(autouse=True)
def _one_hash_per_password(monkeypatch):
    """make_user hashes each password once (argon2 is slow on purpose; 300 accounts need not be)."""
    monkeypatch.setattr(passwords, "hash_password", lru_cache(maxsize=8)(passwords.hash_password))


def sign_in(client, user):
    """Logged in as Flask-Login records it, without the login form's argon2 check (the form is tested below)."""
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = user.get_id(), True


def world(app, client, session, role, slug="smart-city"):
    author = make_user(app)
    me = author if role == "author" else make_user(app, confirmed=role != "unconfirmed",
                                                   role=role if role in ("moderator", "admin") else "participant")
    if role != "anonymous":
        sign_in(client, me)
    project = session.exec(select(Project).where(Project.slug == slug)).one()
    chapter = next(c for c in project.document.chapters if c.slug == CHAPTERS[slug])
    comment = Comment(project_id=project.id, chapter_id=chapter.id, author_id=author.id, body=unique(), reply_count=1)
    session.add(comment)
    session.flush()
    session.add(reply := Comment(project_id=project.id, chapter_id=chapter.id, parent_id=comment.id,
                                 author_id=author.id, body=unique()))
    session.commit()
    url = f"/de/projects/{slug}/chapters/{chapter.slug}"
    w = World(app, client, session, me, comment, reply, url, f"{url}/paragraphs/{chapter.paragraphs[0].id}")
    w.token = csrf_token(client.get("/de/account/login"))
    return w


def token_for(app, purpose, payload):
    with app.app_context():
        return make_token(purpose, payload)


def unique(text="Text"):
    return f"{text} {secrets.token_hex(4)}"


# Each action sends its request and says whether what it asks for has happened.
NEW_PASSWORD = "a completely new passphrase"


def comment_at(w, url, prefix=""):
    """``prefix``: the form's own (a reply form's fields are named ``reply-<id>-...``)."""
    body = unique()
    response = w.send(url, **{prefix + "body": body, prefix + "submission_key": secrets.token_hex(8)})
    return response, w.exists(Comment, Comment.body == body)


def edit(w):
    body = unique("Geändert")
    return w.send(w.on_comment("edit"), body=body), w.reload(Comment, w.comment.id).body == body


def rate(w):
    return w.send(w.on_comment("rating"), value="agree"), w.exists(Rating, Rating.comment_id == w.comment.id)


def report(w, comment=None):
    comment = comment or w.comment
    response = w.send(w.on_comment("report", comment), reason="insult", explanation=unique())
    return response, w.exists(Report, Report.comment_id == comment.id)


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
    "comment on chapter": lambda w: comment_at(w, w.chapter_url + "/comments"),
    "comment on paragraph": lambda w: comment_at(w, w.paragraph_url + "/comments"),
    "reply": lambda w: comment_at(w, w.on_comment("reply"), f"reply-{w.comment.id}-"),
    "reply to a reply": lambda w: comment_at(w, w.on_comment("reply", w.reply), f"reply-{w.reply.id}-"),
    "edit": edit,
    "delete": lambda w: (w.send(w.on_comment("delete")), w.reload(Comment, w.comment.id).is_deleted),
    "rate": rate, "report": report, "report a reply": lambda w: report(w, w.reply), "log out": log_out, "resend confirmation": resend, "change password": change_password,
    "change email": change_email,
    "delete account": lambda w: (w.send("/de/account/delete", current_password=PASSWORD),
                                 w.reload(User, w.me.id) is None),
    "confirm address": confirm, "register": register, "log in": log_in, "forgot password": forgot,
    "reset password": reset,
}
#: A role for whom each action succeeds (for the CSRF and GET checks).
ABLE = {"report": "other", "report a reply": "other", "resend confirmation": "unconfirmed", "confirm address": "anonymous", "register": "anonymous",
        "log in": "anonymous", "forgot password": "anonymous", "reset password": "anonymous"}


@pytest.mark.parametrize(("place", "action", "role"),
                         [(place, action, role) for (place, action) in EXPECTED for role in ROLES])
def test_each_role_gets_the_expected_answer_and_only_allowed_requests_change_anything(
        app, client, session, place, action, role):
    w = world(app, client, session, role, place if place != "account" else "smart-city")
    expected = EXPECTED[place, action][ROLES.index(role)]
    response, changed = ACTIONS[action](w)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected == 302:
        assert "/de/account/login" in response.headers["Location"]
    assert changed == (expected in (200, 303) and (action, role) not in HARMLESS)


@pytest.mark.parametrize("token", ["missing", "empty", "forged", "another session's"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_without_a_valid_csrf_token_nothing_changes(app, client, session, action, token):
    w = world(app, client, session, ABLE.get(action, "author"))
    w.token = {"missing": None, "empty": "", "forged": "IjEyMyI.ZmFrZQ.c2lnbmF0dXJl",
               "another session's": csrf_token(app.test_client().get("/de/account/login"))}[token]
    response, changed = ACTIONS[action](w)
    assert not changed and 400 <= response.status_code < 500


@pytest.mark.parametrize("action", list(ACTIONS))
def test_opening_an_address_changes_nothing(app, client, session, action):
    """Links can be opened by prefetchers, previews and crawlers: only a POST may change state."""
    w = world(app, client, session, ABLE.get(action, "author"))
    w.method = "GET"
    response, changed = ACTIONS[action](w)
    assert not changed and response.status_code < 500


@pytest.mark.parametrize("path", ["{chapter}/comments", "{paragraph}/comments", "{comment}", "/de/account/logout"])
def test_post_only_routes_refuse_get(app, client, session, path):
    """(``/de/account/confirm/resend`` is POST-only too, but its GET is the confirm page of the token "resend".)"""
    w = world(app, client, session, "author")
    response = client.get(path.format(chapter=w.chapter_url, paragraph=w.paragraph_url, comment=w.on_comment("rating")))
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


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
