"""The authorization matrix's shared worlds, roles and checks (the test modules hold the rows).

Participants' and accounts' rows use :data:`ROLES` and :func:`world`; the staff's rows use
:data:`STAFF_ROLES` and :func:`staff_world`. Each check is one test case's body, run by the
modules on their own rows.
"""

import secrets
from dataclasses import dataclass

from sqlmodel import select

from tests.factories import CommentFactory
from tests.support import csrf_token, make_user, soup
from webapp.accounts.tokens import make_token
from webapp.models import Comment, Paragraph, Phase, User

ROLES = ("anonymous", "unconfirmed", "author", "other", "moderator", "admin")
CHAPTERS = {"smart-city": "nachhaltig", "radverkehr": "sicher-unterwegs"}


class _Sends:
    """Sends a form as the world's ``method`` with its ``token`` (``None``: no token at all)."""

    def send(self, url, **data):
        if self.token is not None:
            data["csrf_token"] = self.token
        if self.method == "GET":
            return self.client.get(url, query_string=data)
        return self.client.post(url, data=data)


@dataclass
class World(_Sends):
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

    def on_comment(self, action, comment=None):
        return f"{self.chapter_url.split('/chapters/')[0]}/comments/{(comment or self.comment).id}/{action}"

    def reload(self, model, key):
        self.session.expire_all()
        return self.session.get(model, key)

    def exists(self, model, *conditions):
        self.session.expire_all()
        return self.session.exec(select(model).where(*conditions)).first() is not None


def sign_in(client, user):
    """Logged in as Flask-Login records it, without the login form's argon2 check (the form is tested in test_accounts)."""
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = user.get_id(), True


def world(app, client, session, role, slug="smart-city"):
    author = make_user(app)
    me = author if role == "author" else make_user(app, confirmed=role != "unconfirmed",
                                                   role=role if role in ("moderator", "admin") else "participant")
    if role != "anonymous":
        sign_in(client, me)
    comment = CommentFactory(session=session, project=slug, chapter=CHAPTERS[slug], author=author, body=unique(),
                             reply_count=1)
    reply = CommentFactory(session=session, parent=comment, author=author, body=unique())
    url = f"/de/projects/{slug}/chapters/{CHAPTERS[slug]}"
    w = World(app, client, session, me, comment, reply, url, f"{url}/paragraph-1")
    w.token = csrf_token(client.get("/de/account/login"))
    return w


def token_for(app, purpose, payload):
    with app.app_context():
        return make_token(purpose, payload)


def unique(text="Text"):
    return f"{text} {secrets.token_hex(4)}"


def fresh(w, model, key):
    w.session.expire_all()
    return w.session.get(model, key)


# ------------------------------------------------------------------------------------------------------------
# Participants' and accounts' rows: ``expected`` maps (place, action) to the answer of each role of ROLES;
# ``actions`` maps an action to a function of a World that sends its request and says whether what it asks
# for has happened; ``able`` names a role for whom an action succeeds (default "author").
# ------------------------------------------------------------------------------------------------------------
def cases(expected):
    """(place, action, role) for each row of ``expected`` and each role."""
    return [(place, action, role) for (place, action) in expected for role in ROLES]


def answers_as_expected(app, client, session, expected, actions, place, action, role, harmless=frozenset()):
    """``role`` gets the row's answer, and only allowed requests change anything (``harmless``: (action, role)
    pairs whose success changes nothing on purpose)."""
    w = world(app, client, session, role, place if place != "account" else "smart-city")
    answer = expected[place, action][ROLES.index(role)]
    response, changed = actions[action](w)
    assert response.status_code == answer, response.get_data(as_text=True)[:300]
    if answer == 302:
        assert "/de/account/login" in response.headers["Location"]
    assert changed == (answer in (200, 303) and (action, role) not in harmless)


CSRF_TOKENS = ["missing", "empty", "forged", "another session's"]


def refused_without_csrf(app, client, session, actions, able, action, token):
    w = world(app, client, session, able.get(action, "author"))
    w.token = {"missing": None, "empty": "", "forged": "IjEyMyI.ZmFrZQ.c2lnbmF0dXJl",
               "another session's": csrf_token(app.test_client().get("/de/account/login"))}[token]
    response, changed = actions[action](w)
    assert not changed and 400 <= response.status_code < 500


def unchanged_by_opening(app, client, session, actions, able, action):
    """Links can be opened by prefetchers, previews and crawlers: only a POST may change state."""
    w = world(app, client, session, able.get(action, "author"))
    w.method = "GET"
    response, changed = actions[action](w)
    assert not changed and response.status_code < 500


# ------------------------------------------------------------------------------------------------------------
# Staff routes and pages: every role that matters for them.
# ------------------------------------------------------------------------------------------------------------
STAFF_ROLES = ("anonymous", "participant", "moderator", "other moderator", "initiator", "other initiator", "admin")
#: (role given to make_user, the project it is about): "other" ones moderate/run the cycling project of another organisation.
STAFF_MAKE = {"participant": ("participant", "smart-city"), "moderator": ("moderator", "smart-city"),
              "other moderator": ("moderator", "radverkehr"), "initiator": ("initiator", "smart-city"),
              "other initiator": ("initiator", "radverkehr"), "admin": ("admin", "smart-city")}
#: The answers to the roles of STAFF_ROLES for whoever may moderate the project; ...
MODERATES = (302, 403, 303, 403, 303, 403, 303)
#: ... whoever may run the project (its initiators, administrators); only administrators for organisations.
RUNS_PROJECT = (302, 403, 403, 403, 303, 403, 303)
ADMINISTERS = (302, 403, 403, 403, 403, 403, 303)

QUEUE_URL = "/de/staff/projects/smart-city/moderation"
MODERATORS_URL = "/de/staff/projects/smart-city/moderators"
INITIATORS_URL = "/de/staff/organisations/eichbrunn/initiators"
PEOPLE_URL = "/de/staff/projects/smart-city/people"
SETTINGS_URL = "/de/staff/projects/smart-city/moderation/settings"


@dataclass
class StaffWorld(_Sends):
    app: object
    client: object
    session: object
    me: User | None
    comment: Comment
    token: object = None
    method: str = "POST"

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
    comment = CommentFactory(session=session, chapter=CHAPTERS["smart-city"], body=unique(), **comment_state)
    w = StaffWorld(app, client, session, me, comment)
    w.token = csrf_token(client.get("/de/account/login"))
    return w


def staff_cases(staff_expected):
    """(action, role) for each row of ``staff_expected`` and each staff role."""
    return [(action, role) for action in staff_expected for role in STAFF_ROLES]


def staff_answers_as_expected(app, client, session, staff_expected, staff_actions, action, role):
    """``staff_actions[action]``: (how to set up its world, what to send and whether it happened)."""
    setup, run = staff_actions[action]
    w = setup(app, client, session, role)
    answer = staff_expected[action][STAFF_ROLES.index(role)]
    response, changed = run(w)
    assert response.status_code == answer, response.get_data(as_text=True)[:300]
    if answer == 302:
        assert "/de/account/login" in response.headers["Location"]
    assert changed == (answer in (200, 303))


def staff_action_needs_csrf_and_post(app, client, session, staff_actions, action):
    setup, run = staff_actions[action]
    w = setup(app, client, session, "admin")
    w.token = None
    response, changed = run(w)
    # Refused; a button-only form leads back to its page, which says that nothing changed (staff report M2).
    went_back = response.status_code == 303 and response.headers["Location"].endswith("#outcome")
    assert not changed and (400 <= response.status_code < 500 or went_back)
    w.token, w.method = csrf_token(client.get("/de/account/login")), "GET"
    response, changed = run(w)
    assert not changed and response.status_code < 500


# ------------------------------------------------------------------------------------------------------------
# Pages (GET): a page matrix maps (url, heading) to the answer of each role of STAFF_ROLES. Both may name the
# staff world's comment ``{comment}`` (its id), its author ``{author}`` (id) and ``{author_name}``, and the
# first phase of its project ``{phase}``, its chapter ``{chapter}`` and that chapter's first ``{paragraph}`` (ids).
# ------------------------------------------------------------------------------------------------------------
#: Stand-ins for the placeholders, for finding a page's route without a world (tests/authorization/test_routes.py).
SAMPLE_NAMES = {"comment": 1, "author": 1, "author_name": "Name", "phase": 1, "chapter": 1, "paragraph": 1}


def page_cases(pages):
    """(page, role) for each row of the page matrix ``pages`` and each staff role."""
    return [(page, role) for page in pages for role in STAFF_ROLES]


def opened_as(app, client, session, role, url, heading, expected):
    """``url`` opened in ``role``: the expected status, the login page for 302, the heading for 200."""
    w = staff_world(app, client, session, role)
    names = {"comment": w.comment.id, "author": w.comment.author_id,
             "author_name": session.get(User, w.comment.author_id).username,
             "phase": session.exec(select(Phase.id).where(Phase.project_id == w.comment.project_id)
                                   .order_by(Phase.starts_at)).first(),
             "chapter": w.comment.chapter_id,
             "paragraph": session.exec(select(Paragraph.id).where(Paragraph.chapter_id == w.comment.chapter_id)
                                       .order_by(Paragraph.position)).first()}
    response = client.get(url.format(**names))
    assert response.status_code == expected
    if expected == 302:
        assert "/de/account/login" in response.headers["Location"]
    elif expected == 200:
        assert soup(response).find("h1").get_text(" ", strip=True).startswith(heading.format(**names))
    return response
