"""Whatever is sent to the comment, report, registration and login forms, the answer is a page, never a 500,
and what a form refused leaves no trace in the database.

Inputs are drawn by hypothesis: any Unicode (control characters too), up to ~10,000 characters,
invalid UTF-8, missing and extra fields, a missing or forged CSRF token. ``@example`` pins inputs that
random drawing rarely finds. (No example database is kept: a failure is reported with its input.)
"""

from datetime import UTC
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from tests.factories import CommentFactory
from tests.support import PASSWORD, csrf_token, login, make_user
from webapp.accounts.forms import USERNAME_PATTERN
from webapp.accounts.models import normalise_key
from webapp.accounts.passwords import verify_password
from webapp.extensions import limiter
from webapp.models import Comment, Project, Report, User

SETTINGS = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}
#: Answers that refuse: nothing may have been stored.
REFUSED = {400, 403, 404, 405, 413, 422, 429}
KNOWN = {"csrf_token", "body", "category", "submission_key", "website", "username", "email", "password",
         "password_repeat", "accept_terms", "next", "reason", "explanation"}


def texts():
    """Short and long text in any script, control characters and all; now and then one piece repeated up to 10,000."""
    return st.one_of(
        st.text(max_size=200),
        st.builds(lambda piece, size: (piece * size)[:size], st.text(min_size=1, max_size=4), st.integers(3990, 10_000)),
        st.sampled_from(["", " \n\t ", "\x00", "\ufdfa" * 3, "<script>alert(1)</script>", "\u202e", "\r\n" * 30]),
    )


PLAIN = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=300)


def damaged(draw, fields: dict) -> dict:
    """Fields as a person fills them in, with up to two of them replaced by anything or left out."""
    for name in draw(st.sets(st.sampled_from(sorted(fields)), max_size=2)):
        replacement = draw(st.none() | texts())
        if replacement is None:
            del fields[name]
        else:
            fields[name] = replacement
    return fields


def extras():
    """Fields no form has."""
    return st.dictionaries(st.text(min_size=1, max_size=12).filter(lambda name: name not in KNOWN), texts(), max_size=3)


def encode(fields: dict, extra: dict, raw: bytes | None, token: str | None) -> bytes:
    """The form body as a browser sends it; ``raw`` goes in unchanged (it may be invalid UTF-8)."""
    pairs = [f"{quote(str(k))}={quote(str(v))}" for k, v in {**fields, **extra}.items()]
    if token is not None:
        pairs.append(f"csrf_token={quote(token)}")
    if raw is not None:
        pairs.append("body=" + quote_from_bytes(raw))
    return "&".join(pairs).encode("ascii")


def send(client, url, body: bytes, htmx: bool = False):
    headers = {"HX-Request": "true", "HX-Target": "discussion"} if htmx else {}
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded", headers=headers)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


TOKENS = st.sampled_from(["valid", "valid", "valid", "missing", "forged"])


def token_for(choice: str, valid: str):
    return {"valid": valid, "missing": None, "forged": "IjEyMyI.ZmFrZQ.c2lnbmF0dXJl"}[choice]


@pytest.fixture(scope="module")
def writer(app):
    """A participant logged in once, with a comment of their own; and the address of every form that writes a
    comment, with the comment it changes (for edit)."""
    from sqlmodel import Session

    client = app.test_client()
    user = make_user(app)
    login(client, user)
    base = "/de/projects/smart-city"
    page = f"{base}/chapters/nachhaltig"
    client.post(page + "/comments", data={"csrf_token": csrf_token(client.get(page)), "body": "Ausgangspunkt"})
    with Session(app.extensions["db_engine"]) as session:
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        mine = session.exec(select(Comment).where(Comment.author_id == user.id)).one()
        reply = session.exec(select(Comment).where(Comment.project_id == project.id,
                                                   Comment.parent_id.is_not(None))).first()
    return client, {
        "chapter": (f"{page}/comments", None),
        "paragraph": (f"{page}/paragraph-1/comments", None),
        "reply": (f"{base}/comments/{mine.id}/reply", None),
        "reply to a reply": (f"{base}/comments/{reply.id}/reply", None),
        "edit": (f"{base}/comments/{mine.id}/edit", mine.id),
        "closed phase": ("/de/projects/radverkehr/chapters/sicher-unterwegs/comments", None),
    }


@st.composite
def comment_fields(draw):
    return damaged(draw, {
        "body": draw(PLAIN),
        "category": draw(st.sampled_from(["", "question", "suggestion", "criticism", "praise"])),
        "submission_key": draw(st.binary(min_size=8, max_size=8).map(bytes.hex)),
        "website": "",
    })


@pytest.mark.slow
@settings(max_examples=200, **SETTINGS)
@given(target=st.sampled_from(["chapter", "paragraph", "reply", "reply to a reply", "edit", "closed phase"]),
       fields=comment_fields(), extra=extras(), raw=st.none() | st.binary(max_size=100), token=TOKENS, htmx=st.booleans())
@example(target="chapter", fields={"body": "Ein Schlüssel, zu lang für seine Spalte", "submission_key": "k" * 65},
         extra={}, raw=None, token="valid", htmx=False)
@example(target="reply", fields={"body": "Ein Schlüssel mit NUL", "submission_key": "a\x00b"},
         extra={}, raw=None, token="valid", htmx=False)
@example(target="chapter", fields={"body": "Kategorie aus Zeilenumbrüchen", "category": "\r\n" * 30,
                                   "submission_key": "0123456789abcdef"}, extra={}, raw=None, token="valid", htmx=False)
def test_the_comment_form_answers_anything_without_a_server_error_and_stores_nothing_it_refuses(
        app, session, writer, target, fields, extra, raw, token, htmx):
    limiter.reset()  # "10 per minute" would otherwise answer every later example
    client, forms = writer
    url, edited = forms[target]
    session.expire_all()
    before = count(session, Comment)
    body_before = session.get(Comment, edited).body if edited else None
    if target.startswith("reply"):  # the reply form's fields carry its own prefix (unique ids on a page)
        prefix = f"reply-{url.rsplit('/', 2)[1]}-"
        fields = {prefix + key: value for key, value in fields.items()}
    response = send(client, url, encode(fields, extra, raw, token_for(token, csrf_token(client.get("/de/account/")))),
                    htmx)
    event(f"{target}: {response.status_code}")
    assert response.status_code < 500, (target, fields)
    session.expire_all()
    if response.status_code in REFUSED:
        assert count(session, Comment) == before
        if edited:
            assert session.get(Comment, edited).body == body_before
    else:
        assert count(session, Comment) <= before + 1


@settings(max_examples=60, **SETTINGS)
@given(comment_id=st.integers(min_value=-1, max_value=2 ** 80),
       action=st.sampled_from(["reply", "edit", "delete", "rating", "report"]))
@example(comment_id=2 ** 63, action="reply")
def test_a_comment_form_for_any_comment_number_answers_without_a_server_error(app, writer, comment_id, action):
    limiter.reset()
    client, _forms = writer
    token = csrf_token(client.get("/de/account/"))
    url = f"/de/projects/smart-city/comments/{comment_id}/{action}"
    for response in (client.get(url), client.post(url, data={"csrf_token": token, "body": "Hallo", "value": "agree"})):
        assert response.status_code < 500, (url, response.status_code)


@pytest.fixture(scope="module")
def reporter(app):
    """A participant logged in once, and someone else's comments to report: open, in a closed phase, deleted."""
    from datetime import datetime

    client = app.test_client()
    user = make_user(app)
    login(client, user)
    author = make_user(app)
    urls = {}
    for slug, chapter_slug, deleted in (("smart-city", "nachhaltig", False),
                                        ("radverkehr", "sicher-unterwegs", False),
                                        ("smart-city", "nachhaltig", True)):
        comment = CommentFactory(app=app, project=slug, chapter=chapter_slug, author=author, body="Gemeldet",
                                 deleted_at=datetime.now(UTC) if deleted else None)
        urls[(slug, deleted)] = f"/de/projects/{slug}/comments/{comment.id}/report"
    return client, user, list(urls.values())


@st.composite
def report_fields(draw):
    return damaged(draw, {
        "reason": draw(st.sampled_from(["insult", "spam", "personal_data", "off_topic", "other"])),
        "explanation": draw(st.sampled_from(["", "Bitte prüfen"]) | PLAIN),
        "website": "",
    })


@settings(max_examples=100, **SETTINGS)
@given(target=st.integers(0, 2), fields=report_fields(), extra=extras(), raw=st.none() | st.binary(max_size=100),
       token=TOKENS)
@example(target=0, fields={"reason": "spam", "explanation": "x" * 1001}, extra={}, raw=None, token="valid")
@example(target=0, fields={"reason": "spam\x00", "explanation": ""}, extra={}, raw=None, token="valid")
def test_the_report_form_answers_anything_without_a_server_error_and_stores_nothing_it_refuses(
        app, session, reporter, target, fields, extra, raw, token):
    from sqlalchemy import delete

    limiter.reset()
    client, user, urls = reporter
    session.exec(delete(Report).where(Report.reporter_id == user.id))  # each example reports afresh
    session.commit()
    before = count(session, Report)
    body = encode(fields, extra, None, token_for(token, csrf_token(client.get("/de/account/"))))
    if raw is not None:  # anything, invalid UTF-8 too, as the explanation
        body += b"&explanation=" + quote_from_bytes(raw).encode("ascii")
    response = send(client, urls[target], body)
    event(f"report {target}: {response.status_code}")
    assert response.status_code < 500, (target, fields)
    session.expire_all()
    if response.status_code in REFUSED | {409}:
        assert count(session, Report) == before
    else:
        assert response.status_code == 303 and count(session, Report) <= before + 1


@st.composite
def registrations(draw):
    return damaged(draw, {
        "username": draw(st.from_regex(USERNAME_PATTERN, fullmatch=True)),
        "email": draw(st.emails()),
        "password": PASSWORD,
        "password_repeat": PASSWORD,
        "accept_terms": "y",
        "website": "",
    })


@settings(max_examples=100, **SETTINGS)
@given(fields=registrations(), extra=extras(), raw=st.none() | st.binary(max_size=60), token=TOKENS)
@example(fields={"username": "\ufdfa\ufdfa\ufdfa", "email": "fdfa-name@example.org", "password": PASSWORD,
                 "password_repeat": PASSWORD, "accept_terms": "y"}, extra={}, raw=None, token="valid")
@example(fields={"username": "Langer Schluessel", "email": "\ufdfa" * 20 + "@example.org", "password": PASSWORD,
                 "password_repeat": PASSWORD, "accept_terms": "y"}, extra={}, raw=None, token="valid")
def test_registration_answers_anything_without_a_server_error_and_a_refusal_creates_no_account(
        app, session, fields, extra, raw, token):
    limiter.reset()  # "10 per hour" per address
    client = app.test_client()
    valid = csrf_token(client.get("/de/account/register"))
    before = count(session, User)
    response = send(client, "/de/account/register", encode(fields, extra, raw, token_for(token, valid)))
    event(f"{response.status_code}")
    assert response.status_code < 500, fields
    if response.status_code in REFUSED:
        assert count(session, User) == before
    else:
        assert response.status_code == 303 and count(session, User) <= before + 1


@pytest.fixture(scope="module")
def member(app):
    return make_user(app)


@st.composite
def logins(draw):
    return damaged(draw, {"email": draw(st.sampled_from(["MEMBER", "MEMBER", "nobody@example.org"]) | st.emails()),
                          "password": PASSWORD, "next": draw(st.sampled_from(["", "/de/projects/smart-city"]) | texts())})


@settings(max_examples=60, **SETTINGS)
@given(fields=logins(), extra=extras(), token=TOKENS)
def test_login_answers_anything_without_a_server_error_and_only_the_right_password_logs_in(
        app, session, member, fields, extra, token):
    limiter.reset()  # 5 failures per account and 20 per address in 15 minutes
    client = app.test_client()
    valid = csrf_token(client.get("/de/account/login"))
    if fields.get("email") == "MEMBER":
        fields["email"] = member.email
    response = send(client, "/de/account/login", encode(fields, extra, None, token_for(token, valid)))
    event(f"{response.status_code}")
    assert response.status_code < 500
    logged_in = client.get("/de/account/").status_code == 200
    email = normalise_key(fields.get("email", "").strip())
    # PostgreSQL refuses NUL in a query parameter (the app never sends one: the form refuses it first).
    account = None if "\x00" in email else session.exec(select(User).where(User.email_key == email)).first()
    right = (token == "valid" and account is not None and "password" in fields
             and verify_password(account.password_hash, fields["password"]))
    assert logged_in == right == (response.status_code == 303)
    if right:
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and "\\" not in location
