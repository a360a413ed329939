"""Whatever people type comes back as text: no script, no event handler, no dangerous link, no bidi spill.

One corpus goes through every field that is shown again: comments, replies, reports, usernames and
the authors' Markdown texts.
"""

import re
import secrets
import unicodedata

import pytest
from bs4 import BeautifulSoup, NavigableString
from sqlmodel import select

from tests.factories import CommentFactory
from tests.support import PASSWORD, ROOT, accessible_name, csrf_token, login, make_user, soup
from webapp.markdown import render
from webapp.models import ChapterText, Comment, Project, ProjectText, User

CORPUS = [
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<img src=x onerror=alert(1)>",
    "<body onload=alert(1)>", "<input autofocus onfocus=alert(1)>", '" onfocus="alert(1)" autofocus="',
    "' onmouseover='alert(1)' x='", '"><script>alert(1)</script>', "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>", '<a href="javascript:alert(1)">click</a>', "javascript:alert(1)",
    "[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))", "[click](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<javascript:alert(1)>",
    "<a href='data:text/html,<script>alert(1)</script>'>x</a>", "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<img src=x onerror=alert(1)", "<<script>script>alert(1)<</script>/script>", "<!--<script>alert(1)//-->",
    "<![CDATA[<script>alert(1)</script>]]>", "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;", "{{ 7*7 }} {% raw %} ${7*7}",
    'https://example.org/"onmouseover="alert(1)', "https://example.org/<script>alert(1)</script>",
    "\u202eevil.exe\u202c txt", "\u2067\u05d0\u05d1\u2069 \u200f\u200e \u202b \u202d \u2066 \u2068 \u061c",
    "zero\u200bwidth\u200c\u200d\ufeffjoin\u2060", "A" * 3000, "x" * 200 + "<script>alert(1)</script>" + "y" * 200,
]
IDS = [f"{i:02d}-{ascii(p)[1:25]}" for i, p in enumerate(CORPUS)]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "srcdoc"}
FOREIGN = {"iframe", "object", "embed", "svg", "math", "style", "base", "frame", "frameset", "img", "input"}
CHAPTER = "/de/projects/smart-city/chapters/nachhaltig"


def assert_harmless(page) -> None:
    """Only our own scripts (files of this site, in the head), no event handlers, no script or data URLs,
    no elements a payload brings along. (Tests then compare the payload with the parsed text: that only
    matches when every character came through as text, since markup would have become elements.)"""
    tree = BeautifulSoup(page if isinstance(page, str) else page.get_data(as_text=True), "html.parser")
    for script in tree.find_all("script"):
        src = script.get("src", "")
        assert src.startswith("/") and not src.startswith("//") and not script.get_text().strip(), script
        assert script.parent.name == "head", script
    for element in tree.find_all(True):
        assert element.name not in FOREIGN or (element.name == "input" and element.get("type") != "image"), element
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), element
            if name.lower() in URL_ATTRIBUTES:
                value = re.sub(r"[\x00-\x20]", "", value if isinstance(value, str) else " ".join(value)).lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), element


def flat(text: str) -> str:
    return " ".join(text.split())


def stored(payload: str) -> str:
    """What the comment form keeps of a text: without bidi embeddings, overrides and isolates, NFC, trimmed."""
    return unicodedata.normalize("NFC", re.sub("[\u202a-\u202e\u2066-\u2069]", "", payload)).strip()


@pytest.fixture(scope="module")
def writer(app):
    """A participant logged in once for the whole module (the form is what these tests look at)."""
    client = app.test_client()
    login(client, make_user(app))
    return client


def post(client, url, body, headers=None, prefix=""):
    token = csrf_token(client.get(CHAPTER))
    return client.post(url, data={"csrf_token": token, prefix + "body": body,
                                  prefix + "submission_key": secrets.token_hex(8)}, headers=headers or {})


def newest(session, body, parent_id=None):
    session.expire_all()
    return session.exec(select(Comment).where(Comment.body == body, Comment.parent_id == parent_id)
                        .order_by(Comment.id.desc())).first()


@pytest.mark.parametrize("payload", CORPUS, ids=IDS)
def test_comment_and_reply_text_is_shown_as_text_wherever_it_appears(session, writer, payload):
    assert post(writer, CHAPTER + "/comments", payload).status_code == 303
    comment = newest(session, stored(payload))
    reply_url = f"/de/projects/smart-city/comments/{comment.id}/reply"
    fragment = post(writer, reply_url, payload, headers={"HX-Request": "true", "HX-Target": "discussion"},
                    prefix=f"reply-{comment.id}-")
    assert fragment.status_code == 200
    assert_harmless(fragment)
    reply = newest(session, stored(payload), comment.id)
    page = writer.get(CHAPTER)
    assert_harmless(page)
    for shown in (comment, reply):
        body = soup(page).find("article", id=f"comment-{shown.id}").find(class_="comment__body")
        assert flat(body.get_text()) == flat(stored(payload))
    for url in (reply_url, f"/de/projects/smart-city/comments/{comment.id}/delete"):
        response = writer.get(url)
        assert_harmless(response)
        assert flat(soup(response).find("blockquote").get_text()) == flat(stored(payload))
    assert soup(writer.get(f"/de/projects/smart-city/comments/{comment.id}/edit")).find("textarea").get_text().strip() \
        == stored(payload)
    refused = post(writer, CHAPTER + "/comments", payload + "\x00")  # kept in the form with the error
    assert refused.status_code == 422
    assert_harmless(refused)
    assert stored(payload) in soup(refused).find("textarea", id="body").get_text()
    closed = post(writer, "/de/projects/radverkehr/chapters/sicher-unterwegs/comments", payload)
    assert closed.status_code == 403
    assert_harmless(closed)
    assert soup(closed).find("textarea", id="kept-text").get_text() == stored(payload)


@pytest.fixture(scope="module")
def reporter(app):
    """Another participant, logged in once, who reports the reported writer's comments."""
    client = app.test_client()
    login(client, make_user(app))
    return client


@pytest.fixture(scope="module")
def reported_writer(app):
    """A participant of its own whose comments are reported: the same text by the writer above, in any order
    within a minute, is then the writer's own new comment, not this one (the double-submit guard is per author)."""
    client = app.test_client()
    login(client, make_user(app))
    return client


@pytest.mark.parametrize("payload", CORPUS, ids=IDS)
def test_a_reported_comment_and_the_reports_explanation_are_shown_as_text(session, reported_writer, reporter, payload):
    assert post(reported_writer, CHAPTER + "/comments", payload).status_code == 303
    comment = newest(session, stored(payload))
    url = f"/de/projects/smart-city/comments/{comment.id}/report"
    page = reporter.get(url)
    assert_harmless(page)
    assert flat(soup(page).find("blockquote").get_text()) == flat(stored(payload))
    explanation = payload[:1000]
    data = {"csrf_token": csrf_token(page), "explanation": explanation}
    refused = reporter.post(url, data=data)  # no reason chosen: shown again with the text
    assert refused.status_code == 422
    assert_harmless(refused)
    assert soup(refused).find("textarea", id="explanation").get_text().strip() == stored(explanation)
    assert reporter.post(url, data={**data, "reason": "spam"}).status_code == 303
    again = reporter.post(url, data={**data, "reason": "spam"})  # reported already: the text comes back read-only
    assert again.status_code == 409
    assert_harmless(again)
    assert soup(again).find("textarea", id="kept-text").get_text().strip() == stored(explanation)


@pytest.mark.parametrize("payload", CORPUS, ids=IDS)
def test_registration_refuses_names_with_markup_or_invisible_characters(app, client, session, payload):
    email = f"{secrets.token_hex(5)}@example.org"
    token = csrf_token(client.get("/de/account/register"))
    response = client.post("/de/account/register", data={
        "csrf_token": token, "username": payload, "email": email, "password": PASSWORD,
        "password_repeat": PASSWORD, "accept_terms": "y"})
    assert response.status_code == 422 and soup(response).find(id="username-error")
    assert_harmless(response)
    session.expire_all()
    assert session.exec(select(User).where(User.email_key == email)).first() is None


def sign_in(client, user):
    """Logged in as Flask-Login records it (the login form is tested elsewhere; argon2 is slow on purpose)."""
    with client.session_transaction() as cookie:
        cookie["_user_id"] = user.get_id()
        cookie["_fresh"] = True


def commented_by(app, session, user):
    """A comment by ``user`` on the chapter with a reply by someone else; returns the comment."""
    comment = CommentFactory(session=session, chapter="nachhaltig", author=user, body=f"Von {secrets.token_hex(4)}",
                             reply_count=1)
    CommentFactory(session=session, parent=comment, body=f"Antwort {secrets.token_hex(4)}")  # by a new account
    return comment


@pytest.mark.parametrize("payload", CORPUS, ids=IDS)
def test_names_that_reach_the_database_are_shown_as_text(app, client, session, payload):
    """The form refuses such names, but accounts also come from imports and older rules: escape them anyway."""
    name = f"{payload[:34]} {secrets.token_hex(2)}"  # the column holds 40; unique despite case-folding
    user = make_user(app, name=name)
    comment = commented_by(app, session, user)
    sign_in(client, user)
    page = client.get(CHAPTER)
    assert_harmless(page)
    html = soup(page)
    assert html.find("header").find(class_="username").get_text() == name
    article = html.find("article", id=f"comment-{comment.id}")
    assert article.find(class_="comment__author").get_text() == name
    assert " ".join(name.split()) in accessible_name(article.find("a", href=re.compile(r"/reply$")))
    assert " ".join(name.split()) in accessible_name(article)
    assert name.strip() in article.find_parent("li").find("ol", class_="replies")["aria-label"]
    reply_page = client.get(f"/de/projects/smart-city/comments/{comment.id}/reply")
    assert_harmless(reply_page)
    assert soup(reply_page).find("figcaption").get_text().startswith(name)
    overview = client.get("/de/account/")
    assert_harmless(overview)
    assert name in [dd.get_text() for dd in soup(overview).find_all("dd")]


ISOLATING_CSS = re.compile(r"([^{}]+)\{[^}]*unicode-bidi:\s*(?:isolate|plaintext|isolate-override)", re.IGNORECASE)


def isolated(node, boundary) -> bool:
    """``node``'s text cannot reorder what is around it: it sits in a <bdi>, under ``dir``, or in a class
    the stylesheet isolates (``unicode-bidi: isolate`` or ``plaintext``), inside ``boundary``."""
    css = (ROOT / "static" / "css" / "site.css").read_text(encoding="utf-8")
    classes = {c for selectors in ISOLATING_CSS.findall(css) for c in re.findall(r"\.([\w-]+)", selectors)}
    element = node.parent if isinstance(node, NavigableString) else node
    while element is not None and element is not boundary:
        if element.name == "bdi" or element.get("dir") or classes & set(element.get("class") or []):
            return True
        element = element.parent
    return False


def test_bidi_controls_in_a_comment_do_not_leak_out_of_it(session, writer):
    """An unclosed right-to-left override (U+202E) or isolate must stay inside the comment text."""
    text = f"Kommentar {secrets.token_hex(4)} \u202e gnirts ten\u2067"
    post(writer, CHAPTER + "/comments", text)
    comment = newest(session, stored(text))
    article = soup(writer.get(CHAPTER)).find("article", id=f"comment-{comment.id}")
    quoted = soup(writer.get(f"/de/projects/smart-city/comments/{comment.id}/reply")).find("figure")
    places = {"comment text": (article.find(class_="comment__body"), article),
              "quoted comment text": (quoted.find("blockquote"), quoted)}
    assert [where for where, (node, boundary) in places.items() if not isolated(node, boundary)] == []


@pytest.mark.parametrize("name", ["\u05e9\u05e8\u05d4 \u05db\u05d4\u05df", "\u202eevil.exe"],
                         ids=["hebrew-name-the-form-accepts", "rlo-override"])
def test_a_username_cannot_reorder_the_text_around_it(app, client, session, name):
    """"שרה כהן, 3. März" must not come out as "3 ,שרה כהן. März": each name is isolated where it is shown."""
    # unique, and ending in the name's own direction; digits only: a name is written in one script
    name = f"{secrets.randbelow(10**6):06d} {name}"
    if "\u202e" in name:
        user = make_user(app, name=name)  # the form refuses it; an import might not
    else:
        email = f"{secrets.token_hex(5)}@example.org"
        response = client.post("/de/account/register", data={
            "csrf_token": csrf_token(client.get("/de/account/register")), "username": name, "email": email,
            "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})
        assert response.status_code == 303
        user = session.exec(select(User).where(User.email_key == email)).one()
    comment = commented_by(app, session, user)
    sign_in(client, user)
    html = soup(client.get(CHAPTER))
    article = html.find("article", id=f"comment-{comment.id}")
    figure = soup(client.get(f"/de/projects/smart-city/comments/{comment.id}/reply")).find("figure")
    places = {"header": (html.find("header").find(string=re.compile(re.escape(name))), html.find("header")),
              "comment author": (article.find(class_="comment__author").find(string=True), article),
              "quoted comment's caption": (figure.find("figcaption").find(string=re.compile(re.escape(name))), figure)}
    assert [where for where, (node, boundary) in places.items() if not isolated(node, boundary)] == []


@pytest.mark.parametrize("payload", CORPUS, ids=IDS)
def test_markdown_renders_the_corpus_harmlessly(payload):
    html = str(render(payload))
    assert_harmless(html)
    if not set(payload) & set("&*_[]`\\"):  # no Markdown syntax: the text comes out as typed
        assert flat(BeautifulSoup(html, "html.parser").get_text()) == flat(payload)


@pytest.mark.parametrize("payload", CORPUS, ids=IDS)
def test_authors_texts_are_shown_harmlessly_on_every_page(client, session, payload):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    text = session.exec(select(ProjectText).where(ProjectText.project_id == project.id,
                                                  ProjectText.language == "de")).one()
    chapter = next(c for c in project.document.chapters if c.slug == "nachhaltig")
    title = session.exec(select(ChapterText).where(ChapterText.chapter_id == chapter.id,
                                                   ChapterText.language == "de")).one()
    paragraph = next(t for t in chapter.paragraphs[0].texts if t.language == "de")
    fields = [(text, "title"), (text, "teaser"), (text, "description"), (text, "background"), (title, "title"),
              (paragraph, "heading"), (paragraph, "body")]
    limits = {"title": 200, "teaser": 500, "heading": 300}  # the columns' lengths
    originals = [getattr(row, field) for row, field in fields]
    try:
        for row, field in fields:
            setattr(row, field, payload[:limits.get(field, len(payload))])
            session.add(row)
        session.commit()
        pages = {url: client.get(url) for url in (
            "/de/", "/de/projects/smart-city", "/de/projects/smart-city/background", CHAPTER,
            f"{CHAPTER}/paragraph-1")}
        for url, response in pages.items():  # Markdown decodes entities: "&lt;" may rightly come out as "&lt;"
            assert response.status_code == 200, url
            assert_harmless(response)
        project_page = soup(pages["/de/projects/smart-city"])
        assert project_page.h1.get_text() == payload[:200]
        assert project_page.find("p", class_="lead").get_text() == payload[:500]
        chapter_page = soup(pages[CHAPTER])
        assert chapter_page.h1.get_text() == payload[:200]
        assert chapter_page.find(id="paragraph-1").h2.get_text() == payload[:300]
    finally:
        for (row, field), value in zip(fields, originals, strict=True):
            setattr(row, field, value)
            session.add(row)
        session.commit()
