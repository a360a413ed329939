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
    w = World(app, client, session, me, comment, reply, url, f"{url}/paragraph-1")
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
    "comment on chapter": lambda w: comment_at(w, w.chapter_url + "/comments"),
    "comment on paragraph": lambda w: comment_at(w, w.paragraph_url + "/comments"),
    "reply": lambda w: comment_at(w, w.on_comment("reply"), f"reply-{w.comment.id}-"),
    "reply to a reply": lambda w: comment_at(w, w.on_comment("reply", w.reply), f"reply-{w.reply.id}-"),
    "edit": edit,
    "delete": lambda w: (w.send(w.on_comment("delete")), w.reload(Comment, w.comment.id).is_deleted),
    "rate": rate, "report": report, "report a reply": lambda w: report(w, w.reply), "log out": log_out, "resend confirmation": resend, "change password": change_password,
    "change email": change_email, "mail language": mail_language,
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


# ============================================================================================================
# Staff routes: every role that matters for them, every state-changing staff route.
# Other packages add their rows to STAFF_EXPECTED / STAFF_ACTIONS and their endpoints to ENDPOINTS below.
# ============================================================================================================

STAFF_ROLES = ("anonymous", "participant", "moderator", "other moderator", "initiator", "other initiator", "admin")
#: (role given to make_user, the project it is about): "other" ones moderate/run the cycling project of another organisation.
STAFF_MAKE = {"participant": ("participant", "smart-city"), "moderator": ("moderator", "smart-city"),
              "other moderator": ("moderator", "radverkehr"), "initiator": ("initiator", "smart-city"),
              "other initiator": ("initiator", "radverkehr"), "admin": ("admin", "smart-city")}
MODERATES = (302, 403, 303, 403, 303, 403, 303)
#: The answer each role gets, in the order of STAFF_ROLES.
STAFF_EXPECTED = {
    #                                   anon part  mod  omod  init oinit admin
    "moderation: block":                MODERATES,
    "moderation: restore":              MODERATES,
    "moderation: review":               MODERATES,
    "moderation: highlight":            MODERATES,
    "moderation: unhighlight":          MODERATES,
    "moderation: answer":               MODERATES,
    "moderation: note":                 MODERATES,
    "moderation: bulk review":          MODERATES,
    # One's own choice of report mail: for those who moderate a project (mails go to moderators only).
    "moderation: report mail":          (302, 403, 303, 303, 403, 403, 403),
}

QUEUE_URL = "/de/staff/projects/smart-city/moderation"


@dataclass
class StaffWorld:
    app: object
    client: object
    session: object
    me: User | None
    comment: Comment
    token: object = None
    method: str = "POST"

    def send(self, url, **data):
        if self.token is not None:
            data["csrf_token"] = self.token
        if self.method == "GET":
            return self.client.get(url, query_string=data)
        return self.client.post(url, data=data)

    def act(self, action, **data):
        return self.send(f"{QUEUE_URL}/comments/{self.comment.id}/{action}", **data)

    def reload(self):
        self.session.expire_all()
        return self.session.get(Comment, self.comment.id)


def staff_world(app, client, session, role, **comment_state):
    """A fresh comment on the smart-city project (with ``comment_state``), and ``me`` in ``role``, signed in."""
    me = None
    if role != "anonymous":
        kind, project = STAFF_MAKE[role]
        me = make_user(app, role=kind, project=project)
        sign_in(client, me)
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if c.slug == CHAPTERS["smart-city"])
    comment = Comment(project_id=project.id, chapter_id=chapter.id, author_id=make_user(app).id, body=unique(),
                      **comment_state)
    session.add(comment)
    session.commit()
    w = StaffWorld(app, client, session, me, comment)
    w.token = csrf_token(client.get("/de/account/login"))
    return w


def _blocked_world(app, client, session, role):
    from webapp.clock import utcnow

    return staff_world(app, client, session, role, blocked_at=utcnow(), block_reason="spam")


def _highlighted_world(app, client, session, role):
    from webapp.clock import utcnow

    return staff_world(app, client, session, role, highlighted_at=utcnow())


def _answer(w):
    text = unique("Offiziell")
    return w.act("answer", **{"answer-text": text}), w.session.exec(
        select(Comment).where(Comment.body == text, Comment.official == True)).first() is not None  # noqa: E712


def _note(w):
    from webapp.models import ModeratorNote

    text = unique("Notiz")
    return w.act("note", **{"note-text": text}), w.session.exec(
        select(ModeratorNote).where(ModeratorNote.body == text)).first() is not None


#: Each staff action: (how to set up its world, what to send and whether it happened).
STAFF_ACTIONS = {
    "moderation: block": (staff_world, lambda w: (w.act("block", **{"block-reason": "spam"}), w.reload().blocked_at is not None)),
    "moderation: restore": (_blocked_world, lambda w: (w.act("restore"), w.reload().blocked_at is None)),
    "moderation: review": (lambda *a: staff_world(*a, report_count=1, open_report_count=1),
                           lambda w: (w.act("review"), w.reload().open_report_count == 0)),
    "moderation: highlight": (staff_world, lambda w: (w.act("highlight"), w.reload().highlighted_at is not None)),
    "moderation: unhighlight": (_highlighted_world, lambda w: (w.act("unhighlight"), w.reload().highlighted_at is None)),
    "moderation: answer": (staff_world, _answer),
    "moderation: note": (staff_world, _note),
    "moderation: bulk review": (lambda *a: staff_world(*a, report_count=1, open_report_count=1),
                                lambda w: (w.send(f"{QUEUE_URL}/bulk", **{"bulk-comment": w.comment.id, "bulk-action": "review"}),
                                           w.reload().open_report_count == 0)),
    "moderation: report mail": (staff_world, lambda w: (w.send("/de/account/report-mail", **{"report-mail-report_mail": "each"}),
                                                        w.me is not None and w.session.get(User, w.me.id) is not None
                                                        and _fresh(w, User, w.me.id).report_mail == "each")),
}


def _fresh(w, model, key):
    w.session.expire_all()
    return w.session.get(model, key)


# ------------------------------------------------------------------------------------------------------------
# Roles and invitations (webapp/roles): their rows of the staff matrix, and the staff pages' GET answers.
# ------------------------------------------------------------------------------------------------------------
MODERATORS_URL = "/de/staff/projects/smart-city/moderators"
INITIATORS_URL = "/de/staff/organisations/eichbrunn/initiators"
#: Whoever may run the project (its initiators, administrators); only administrators for organisations.
RUNS_PROJECT = (302, 403, 403, 403, 303, 403, 303)
ADMINISTERS = (302, 403, 403, 403, 403, 403, 303)
STAFF_EXPECTED.update({
    #                                   anon part  mod  omod  init oinit admin
    "roles: add moderator":             RUNS_PROJECT,
    "roles: remove moderator":          RUNS_PROJECT,
    "roles: withdraw a moderator's invitation": RUNS_PROJECT,
    "roles: add initiator":             ADMINISTERS,
    "roles: remove initiator":          ADMINISTERS,
    "roles: withdraw an initiator's invitation": ADMINISTERS,
    "roles: invite a moderator again":  RUNS_PROJECT,
    "roles: invite an initiator again": ADMINISTERS,
    # The invitation's link: its addressee accepts (anonymous: registers with the invited address) ...
    "roles: accept one's invitation":   (303, 303, 303, 303, 303, 303, 303),
    # ... and no one else can, logged in or not.
    "roles: accept another's invitation": (403, 403, 403, 403, 403, 403, 403),
})


def _has_role(w, person_id, organisation=False):
    from webapp.roles.models import OrganisationMember, ProjectModerator

    w.session.expire_all()
    if organisation:
        return w.session.exec(select(OrganisationMember).where(OrganisationMember.user_id == person_id)).first() is not None
    project = w.session.exec(select(Project).where(Project.slug == "smart-city")).one()
    return w.session.exec(select(ProjectModerator).where(ProjectModerator.user_id == person_id,
                                                         ProjectModerator.project_id == project.id)).first() is not None


def _with_person(role, project="smart-city"):
    """A staff world with ``w.person``: someone in ``role`` (to be removed)."""
    def setup(app, client, session, me):
        w = staff_world(app, client, session, me)
        w.person = make_user(app, role=role, project=project)
        return w
    return setup


def _with_invitation(kind, to_me=False, expired=False):
    """A staff world with ``w.invitation``, open (or ``expired``), of ``kind`` ("moderator" or "initiator") to a
    new address, or to ``me``'s own (a new address for anonymous readers, who then register), and ``w.invited_path``."""
    from datetime import UTC, datetime, timedelta

    from webapp.roles.models import Invitation

    def setup(app, client, session, me):
        w = staff_world(app, client, session, me)
        addressee = w.me if to_me and w.me is not None else (None if to_me else make_user(app))
        address = addressee.email if addressee else f"{secrets.token_hex(5)}@example.org"
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        w.invitation = Invitation(email=address, email_key=normalise_key(address), role=kind, language="de",
                                  project_id=project.id if kind == "moderator" else None,
                                  organisation_id=project.organisation_id if kind == "initiator" else None)
        if expired:
            w.invitation.created_at = datetime.now(UTC) - timedelta(days=20)
        session.add(w.invitation)
        session.commit()
        w.addressee = addressee
        w.invited_path = "/de/invitation/" + token_for(app, "invitation", {"id": w.invitation.id,
                                                                            "email": w.invitation.email_key})
        return w
    return setup


def _add(url, organisation=False):
    def run(w):
        person = make_user(w.app)
        return w.send(url, email=person.email), _has_role(w, person.id, organisation)
    return run


def _withdrawn(w):
    w.session.expire_all()
    return w.session.get(type(w.invitation), w.invitation.id).withdrawn_at is not None


def _invited_again(w):
    """Whether a new invitation went out to the expired one's address, or (it has an account now) the role."""
    from webapp.roles.models import Invitation

    w.session.expire_all()
    again = len(w.session.exec(select(Invitation).where(Invitation.email_key == w.invitation.email_key)).all()) > 1
    return again or (w.addressee is not None and _has_role(w, w.addressee.id, w.invitation.role == "initiator"))


def _accept(w):
    if w.addressee is None:  # nobody logged in: register with the invited address
        response = w.send(w.invited_path, username=unique("Eingeladen"), password=PASSWORD, password_repeat=PASSWORD,
                          accept_terms="y")
        user = w.session.exec(select(User).where(User.email_key == w.invitation.email_key)).first()
        return response, user is not None and _has_role(w, user.id)
    return w.send(w.invited_path), _has_role(w, w.addressee.id)


STAFF_ACTIONS.update({
    "roles: add moderator": (staff_world, _add(MODERATORS_URL)),
    "roles: remove moderator": (_with_person("moderator"), lambda w: (
        w.send(f"{MODERATORS_URL}/{w.person.id}/remove"), not _has_role(w, w.person.id))),
    "roles: withdraw a moderator's invitation": (_with_invitation("moderator"), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/withdraw"), _withdrawn(w))),
    "roles: add initiator": (staff_world, _add(INITIATORS_URL, organisation=True)),
    "roles: remove initiator": (_with_person("initiator"), lambda w: (
        w.send(f"{INITIATORS_URL}/{w.person.id}/remove"), not _has_role(w, w.person.id, organisation=True))),
    "roles: withdraw an initiator's invitation": (_with_invitation("initiator"), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/withdraw"), _withdrawn(w))),
    "roles: invite a moderator again": (_with_invitation("moderator", expired=True), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/again"), _invited_again(w))),
    "roles: invite an initiator again": (_with_invitation("initiator", expired=True), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/again"), _invited_again(w))),
    "roles: accept one's invitation": (_with_invitation("moderator", to_me=True), _accept),
    "roles: accept another's invitation": (_with_invitation("moderator"), _accept),
})
ROLE_ENDPOINTS = {
    "roles.moderators": ["roles: add moderator"], "roles.remove_moderator": ["roles: remove moderator"],
    "roles.initiators": ["roles: add initiator"], "roles.remove_initiator": ["roles: remove initiator"],
    "roles.withdraw_invitation": ["roles: withdraw a moderator's invitation", "roles: withdraw an initiator's invitation"],
    "roles.invite_again": ["roles: invite a moderator again", "roles: invite an initiator again"],
    "roles.invitation": ["roles: accept one's invitation", "roles: accept another's invitation"],
}
#: The staff's pages (GET), and what each role gets; 200 shows the page's heading.
STAFF_PAGES = {
    #                                                anon part  mod  omod  init oinit admin
    ("/de/staff/", "Verwaltung"):                   (302, 403, 200, 200, 200, 200, 200),
    (MODERATORS_URL, "Moderierende"):            (302, 403, 403, 403, 200, 403, 200),
    (INITIATORS_URL, "Projektteam"):                (302, 403, 403, 403, 403, 403, 200),
    ("/de/staff/projects/smart-city/audit", "Protokoll"): (302, 403, 403, 403, 200, 403, 200),
    (INITIATORS_URL.rsplit("/", 1)[0] + "/audit", "Protokoll"): (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/audit", "Protokoll der ganzen Website"): (302, 403, 403, 403, 403, 403, 200),
}


def opened_as(app, client, session, role, url, heading, expected):
    """``url`` opened in ``role``: the expected status, the login page for 302, the heading for 200."""
    staff_world(app, client, session, role)
    response = client.get(url)
    assert response.status_code == expected
    if expected == 302:
        assert "/de/account/login" in response.headers["Location"]
    elif expected == 200:
        assert soup(response).find("h1").get_text(" ", strip=True).startswith(heading)
    return response


@pytest.mark.parametrize(("page", "role"), [(page, role) for page in STAFF_PAGES for role in STAFF_ROLES])
def test_each_role_gets_the_expected_answer_on_staff_pages(app, client, session, page, role):
    (url, heading), expected = page, STAFF_PAGES[page][STAFF_ROLES.index(role)]
    response = opened_as(app, client, session, role, url, heading, expected)
    if expected not in (200, 302):  # the refusal says why
        from webapp.permissions import REASONS

        with app.test_request_context("/de/"):
            reasons = {str(reason) for reason in REASONS.values()}
        assert soup(response).select_one("main .lead").get_text(strip=True) in reasons
# ------------------------------------------------------------------------------------------------------------

# ------------------------------------------------------------------------------------------------------------
# Blocking people, discussion rules and moderation settings (webapp/moderation/people.py, discussion_rules.py,
# conduct.py): their rows of the staff matrix, their pages' GET answers, and the blocked participant.
# ------------------------------------------------------------------------------------------------------------
PEOPLE_URL = "/de/staff/projects/smart-city/people"
SETTINGS_URL = "/de/staff/projects/smart-city/moderation/settings"
STAFF_EXPECTED.update({
    #                                   anon part  mod  omod  init oinit admin
    "people: block a person":           MODERATES,
    "people: block a person site-wide": ADMINISTERS,
    "people: end a block":              MODERATES,
    "people: end a site-wide block":    ADMINISTERS,
    "moderation: settings":             RUNS_PROJECT,
})


def _person_blocks(w, **conditions):
    from webapp.models import PersonBlock

    w.session.expire_all()
    return w.session.exec(select(PersonBlock).where(PersonBlock.user_id == w.comment.author_id,
                                                    *[getattr(PersonBlock, k) == v for k, v in conditions.items()])).all()


def _block(scope):
    def run(w):
        response = w.send(f"{PEOPLE_URL}/{w.comment.author_id}/block", scope=scope, duration="7", reason=unique("Grund"))
        site_wide = [b for b in _person_blocks(w) if b.project_id is None]
        return response, bool(site_wide) if scope == "site" else bool(_person_blocks(w))
    return run


def _with_block(site_wide=False):
    """A staff world whose comment's author is blocked (from smart-city, or from the whole site)."""
    def setup(app, client, session, role):
        from webapp.models import PersonBlock

        w = staff_world(app, client, session, role)
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        w.block = PersonBlock(user_id=w.comment.author_id, project_id=None if site_wide else project.id, reason="Grund")
        session.add(w.block)
        session.commit()
        return w
    return setup


def _end(w):
    response = w.send(f"{PEOPLE_URL}/blocks/{w.block.id}/end")
    w.session.expire_all()
    return response, w.session.get(type(w.block), w.block.id).ended_at is not None


def _settings(w):
    """New German rules for smart-city; the demo's default text comes back afterwards (other tests read it)."""
    from webapp.models import DiscussionRules

    text = unique("Regeln")
    response = w.send(SETTINGS_URL, rules_de=text, rules_en="", rules_simple="", auto_hide_after="")
    w.session.expire_all()
    row = w.session.exec(select(DiscussionRules).where(DiscussionRules.body == text)).first()
    if row is not None:
        w.session.delete(row)
        w.session.commit()
    return response, row is not None


STAFF_ACTIONS.update({
    "people: block a person": (staff_world, _block("project")),
    "people: block a person site-wide": (staff_world, _block("site")),
    "people: end a block": (_with_block(), _end),
    "people: end a site-wide block": (_with_block(site_wide=True), _end),
    "moderation: settings": (staff_world, _settings),
})
CONDUCT_ENDPOINTS = {
    "moderation.block_person": ["people: block a person", "people: block a person site-wide"],
    "moderation.unblock": ["people: end a block", "people: end a site-wide block"],
    "moderation.settings": ["moderation: settings"],
}
#: The pages (GET) and what each role gets; 200 shows the page's heading.
CONDUCT_PAGES = {
    #                                                         anon part  mod  omod  init oinit admin
    (f"{PEOPLE_URL}/blocked", "Gesperrte Personen"):         (302, 403, 200, 403, 200, 403, 200),
    (SETTINGS_URL, "Einstellungen der Moderation"):           (302, 403, 403, 403, 200, 403, 200),
    ("/de/projects/smart-city/rules", "Diskussionsregeln"):  (200, 200, 200, 200, 200, 200, 200),
}


@pytest.mark.parametrize(("page", "role"), [(page, role) for page in CONDUCT_PAGES for role in STAFF_ROLES])
def test_each_role_gets_the_expected_answer_on_the_blocking_and_rules_pages(app, client, session, page, role):
    (url, heading), expected = page, CONDUCT_PAGES[page][STAFF_ROLES.index(role)]
    opened_as(app, client, session, role, url, heading, expected)


#: A blocked participant ("other": not the author) is refused everything that takes part, and nothing changes.
BLOCKED_REFUSED = ("comment on chapter", "comment on paragraph", "reply", "rate", "report", "report a reply")


@pytest.mark.parametrize("scope", ["project", "site"])
@pytest.mark.parametrize("action", BLOCKED_REFUSED)
def test_a_blocked_participant_is_refused_and_nothing_changes(app, client, session, action, scope):
    from webapp.models import PersonBlock

    w = world(app, client, session, "other")
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    session.add(PersonBlock(user_id=w.me.id, project_id=project.id if scope == "project" else None, reason="Grund X"))
    session.commit()
    response, changed = ACTIONS[action](w)
    assert response.status_code == 403 and not changed
    assert "Grund X" in response.get_data(as_text=True)
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "role"), [(action, role) for action in STAFF_EXPECTED for role in STAFF_ROLES])
def test_each_role_gets_the_expected_answer_on_staff_routes(app, client, session, action, role):
    setup, run = STAFF_ACTIONS[action]
    w = setup(app, client, session, role)
    expected = STAFF_EXPECTED[action][STAFF_ROLES.index(role)]
    response, changed = run(w)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    if expected == 302:
        assert "/de/account/login" in response.headers["Location"]
    assert changed == (expected in (200, 303))


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
def test_staff_actions_need_a_valid_csrf_token_and_a_post(app, client, session, action):
    setup, run = STAFF_ACTIONS[action]
    w = setup(app, client, session, "admin")
    w.token = None
    response, changed = run(w)
    # Refused; a button-only form leads back to its page, which says that nothing changed (staff report M2).
    went_back = response.status_code == 303 and response.headers["Location"].endswith("#outcome")
    assert not changed and (400 <= response.status_code < 500 or went_back)
    w.token, w.method = csrf_token(client.get("/de/account/login")), "GET"
    response, changed = run(w)
    assert not changed and response.status_code < 500


#: Every state-changing endpoint and the rows of the matrices that cover it. A new POST route fails
#: test_every_state_changing_route_is_in_the_matrix until it is added here with its rows.
ENDPOINTS = {
    "accounts.change_email": ["change email"], "accounts.change_password": ["change password"],
    "accounts.mail_language": ["mail language"],
    "accounts.confirm": ["confirm address"], "accounts.delete": ["delete account"],
    "accounts.forgot_password": ["forgot password"], "accounts.login": ["log in"], "accounts.logout": ["log out"],
    "accounts.register": ["register"], "accounts.resend_confirmation": ["resend confirmation"],
    "accounts.reset_password": ["reset password"],
    "comments.create_on_chapter": ["comment on chapter"], "comments.create_on_paragraph": ["comment on paragraph"],
    "comments.delete": ["delete"], "comments.edit": ["edit"], "comments.rate": ["rate"],
    "comments.reply": ["reply", "reply to a reply"], "moderation.report": ["report", "report a reply"],
    "moderation.act": ["moderation: block", "moderation: restore", "moderation: review", "moderation: highlight",
                       "moderation: unhighlight", "moderation: answer", "moderation: note"],
    "moderation.bulk": ["moderation: bulk review"], "moderation.report_mail": ["moderation: report mail"],
}


def test_every_state_changing_route_is_in_the_matrix(app):
    rows = set(ACTIONS) | set(STAFF_ACTIONS)
    missing, unknown = [], []
    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            if rule.endpoint not in ENDPOINTS:
                missing.append(f"{rule.endpoint} {rule.rule}")
            else:
                unknown += [row for row in ENDPOINTS[rule.endpoint] if row not in rows]
    assert not missing, "state-changing routes missing from the authorization matrix:\n" + "\n".join(missing)
    assert not unknown, f"ENDPOINTS names rows that no matrix has: {unknown}"


ENDPOINTS.update(ROLE_ENDPOINTS)  # roles and invitations (their rows are in the block above the staff tests)
ENDPOINTS.update(CONDUCT_ENDPOINTS)  # blocking people and the moderation settings (their block is above too)
