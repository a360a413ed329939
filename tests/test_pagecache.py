"""The short-lived page cache for anonymous readers: fast, and never wrong for anyone who writes."""

import secrets
import time
from types import SimpleNamespace

import pytest
from sqlmodel import select

from tests.factories import CommentFactory
from tests.support import QueryCounter, csrf_token, login, make_user, soup
from webapp.models import ProjectText

PAGE = "/de/projects/spielplaetze"


def test_anonymous_readers_get_the_cached_page_without_queries(app, client):
    client.get(PAGE)
    with QueryCounter(app) as queries:
        response = client.get(PAGE)
    assert response.status_code == 200 and queries.count == 0
    assert response.headers["Content-Security-Policy"] and response.headers["ETag"]
    again = client.get(PAGE, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_stored_page_says_how_old_it_is(app, client, monkeypatch):
    """``Age`` on every answer from the cache (none on a fresh render), and for nginx, which does not read it,
    ``X-Accel-Expires`` with the seconds left: a shared cache behind keeps the page only for what is left of
    its ``s-maxage``."""
    from webapp import pagecache

    app.wsgi_app.pages.clear()
    fresh = client.get(PAGE)
    assert "Age" not in fresh.headers and "s-maxage=5" in fresh.headers["Cache-Control"]
    later = SimpleNamespace(monotonic=lambda: time.monotonic() + 3.2, time=time.time)  # the cache's clock only
    monkeypatch.setattr(pagecache, "time", later)
    for headers in ({}, {"If-None-Match": fresh.headers["ETag"]}):
        answer = client.get(PAGE, headers=headers)
        assert answer.headers["Age"] == "3" and answer.headers["X-Accel-Expires"] == "1"  # nginx: 1 s left


def test_a_commit_clears_the_cache_at_once(app, client, session):
    client.get(PAGE)
    text = session.exec(select(ProjectText).where(ProjectText.language == "de",
                                                 ProjectText.title.like("Spielplatz%"))).one()
    original, text.teaser = text.teaser, f"Neuer Teaser {secrets.token_hex(3)}"
    session.add(text)
    session.commit()
    try:
        assert text.teaser in client.get(PAGE).get_data(as_text=True)
    finally:
        text.teaser = original
        session.add(text)
        session.commit()


def test_logged_in_readers_and_htmx_requests_bypass_the_cache(app, client):
    anonymous = app.test_client()
    anonymous.get("/de/projects/smart-city/chapters/offen")
    user = make_user(app)
    login(client, user)
    html = client.get("/de/projects/smart-city/chapters/offen").get_data(as_text=True)
    assert user.username in html and "csrf_token" in html
    fragment = anonymous.get("/de/projects/smart-city/chapters/offen",
                             headers={"HX-Request": "true", "HX-Target": "discussion"})
    assert fragment.get_data(as_text=True).startswith('<section id="discussion"')


def test_pages_with_a_form_token_are_never_cached(app):
    first, second = app.test_client(), app.test_client()
    token = csrf_token(first.get("/de/account/login"))
    assert token not in second.get("/de/account/login").get_data(as_text=True)
    assert soup(second.get("/de/account/login")).find("input", attrs={"name": "csrf_token"})


def test_each_encoding_gets_its_own_stored_answer(app, client):
    import gzip

    import brotli

    plain = client.get(PAGE).data
    for encoding, decode in (("gzip", gzip.decompress), ("br", brotli.decompress)):
        for _ in range(2):  # rendered, then from the cache
            with QueryCounter(app) as queries:
                response = client.get(PAGE, headers={"Accept-Encoding": encoding})
            assert response.headers["Content-Encoding"] == encoding and decode(response.data) == plain
        assert queries.count == 0
    assert client.get(PAGE).data == plain and "Content-Encoding" not in client.get(PAGE).headers


def test_a_cached_page_answers_head_and_conditional_requests(app, client):
    first = client.get(PAGE, headers={"Accept-Encoding": "gzip"})
    with QueryCounter(app) as queries:
        head = client.head(PAGE, headers={"Accept-Encoding": "gzip"})
        revisit = client.get(PAGE, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]})
        changed = client.get(PAGE, headers={"Accept-Encoding": "gzip", "If-None-Match": '"something-else"'})
    assert queries.count == 0
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Length"] == str(len(first.data))
    assert revisit.status_code == 304 and revisit.data == b"" and revisit.headers["ETag"] == first.headers["ETag"]
    assert "Content-Encoding" not in revisit.headers and revisit.headers["Content-Security-Policy"]
    assert changed.status_code == 200 and changed.data == first.data


def test_scheme_and_host_are_part_of_the_key(app):
    """Behind a proxy, an https reader's page (with HSTS) is never served to an http one, nor the reverse,
    and a forged Host header cannot put a page into another host's cache."""
    app.config["PROXY_COUNT"] = 1
    from webapp import security

    wsgi = app.wsgi_app
    security.trust_proxies(app)
    try:
        client = app.test_client()
        secure = client.get(PAGE, headers={"X-Forwarded-Proto": "https"})
        plain = client.get(PAGE)
        assert "Strict-Transport-Security" in secure.headers and "Strict-Transport-Security" not in plain.headers
        assert client.get(PAGE, headers={"X-Forwarded-Proto": "https"}).headers["Strict-Transport-Security"]
        forged = client.get(PAGE, headers={"Host": "evil.example"})
        assert "evil.example" not in client.get(PAGE).get_data(as_text=True)
        assert forged.status_code in (200, 400, 404)  # 400 where the host is not a trusted one
    finally:
        app.wsgi_app = wsgi
        app.config["PROXY_COUNT"] = 0


def test_forms_and_missing_pages_are_not_held_back_or_stored(app, client):
    assert client.get("/de/projects/no-such-project").status_code == 404
    assert not any(key[2] == "/de/projects/no-such-project" for key in app.wsgi_app.pages)
    client.get("/de/account/login")
    assert not any(key[2] == "/de/account/login" for key in app.wsgi_app.pages)


# --- Cache busting (issue 9, item 5) ------------------------------------------------------------------

def test_random_tracking_parameters_cause_one_render_not_two_hundred(app, client):
    """``?utm=<random>`` used to make every request a miss: 200 renders, 200 entries."""
    cache = app.wsgi_app
    cache.pages.clear()
    before = cache.renders
    pages = [client.get(f"{PAGE}?utm={secrets.token_hex(8)}&fbclid={secrets.token_hex(4)}") for _ in range(200)]
    assert {response.status_code for response in pages} == {200}
    assert cache.renders - before <= 1
    assert [key[2:4] for key in cache.pages] == [(PAGE, "")]
    # The page served is the page of the known parameters: no random value shows up in it.
    assert "utm=" not in pages[-1].get_data(as_text=True)


def test_the_parameters_pages_read_are_kept_normalised(app, client):
    from webapp import pagecache
    from webapp.comments.services import SORTS

    assert pagecache.SORTS == set(SORTS)  # the cache knows every order the discussion offers
    assert pagecache.normalise_query("utm=1&sort=oldest&page=02&page=3&category=question&x=y") == \
        "category=question&page=2&sort=oldest"
    assert pagecache.normalise_query("page=1&sort=nonsense&start=-4&category=%3Cscript%3E") == ""
    chapter = "/de/projects/smart-city/chapters/offen"
    newest = client.get(chapter).get_data(as_text=True)
    oldest = client.get(chapter + "?sort=oldest&utm=a").get_data(as_text=True)
    assert client.get(chapter + "?utm=b&sort=oldest").get_data(as_text=True) == oldest
    keys = {key[3] for key in app.wsgi_app.pages if key[2] == chapter}
    assert keys == {"", "sort=oldest"} and newest != oldest


def test_a_60_kb_query_string_is_not_stored(app, client):
    cache = app.wsgi_app
    cache.pages.clear()
    huge = "q=" + "x" * 60_000
    for query in (huge, "page=" + "9" * 60_000, "category=" + "a" * 60_000, huge + "&sort=oldest"):
        assert client.get(f"{PAGE}?{query}").status_code == 200
    assert all(len("".join(key)) < 1100 for key in cache.pages)
    assert {key[3] for key in cache.pages} <= {"", "sort=oldest"}


def test_the_cache_stays_bounded(app, client, monkeypatch):
    from webapp import pagecache

    cache = app.wsgi_app
    cache.pages.clear()
    monkeypatch.setattr(pagecache, "MAX_ENTRIES", 5)
    for chapter in ("offen", "teilhabe", "mobil"):  # twelve legitimate variants
        for sort in pagecache.SORTS:
            assert client.get(f"/de/projects/smart-city/chapters/{chapter}?sort={sort}").status_code == 200
    assert len(cache.pages) == 5
    first = client.get(PAGE)
    monkeypatch.setattr(pagecache, "MAX_BODY_BYTES", len(first.data) - 1)
    cache.pages.clear()
    assert client.get(PAGE).status_code == 200 and not cache.pages  # too large to keep, served all the same
    monkeypatch.setattr(pagecache, "MAX_BODY_BYTES", 1024 * 1024)
    monkeypatch.setattr(pagecache, "MAX_TOTAL_BYTES", 2 * len(first.data) + 10)
    for path in (PAGE, PAGE + "?sort=oldest", PAGE + "?sort=agreed", PAGE + "?sort=discussed"):
        client.get(path)
    assert 1 <= len(cache.pages) <= 2 and sum(len(e.body) for e in cache.pages.values()) <= pagecache.MAX_TOTAL_BYTES


def test_query_parameters_of_other_pages_are_left_alone(app, client):
    """The login page reads ``next``: the cache must not strip it (it never caches the login page)."""
    from urllib.parse import quote

    html = client.get("/de/account/login?next=" + quote("/de/projects/smart-city")).get_data(as_text=True)
    assert 'value="/de/projects/smart-city"' in html


def test_an_unknown_category_redirects_to_the_page_without_it(client):
    """Random categories would each be a page to render (and to keep): there is one address per page."""
    response = client.get("/de/projects/smart-city/chapters/teilhabe?category=x7f3q&sort=oldest")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/de/projects/smart-city/chapters/teilhabe?sort=oldest")
    assert client.get("/de/projects/smart-city/chapters/teilhabe?category=").status_code == 200  # "all categories"


# --- One address per page, and a limit on what still misses (security report 2026-12-06, N6) ---------

@pytest.fixture(scope="module")
def long_discussion(app):
    """A paragraph's discussion with two pages of comments; its address and how many pages it has."""
    import math

    from sqlmodel import Session

    from webapp.comments.services import PAGE_SIZE
    from webapp.models import Comment, Project, User

    with Session(app.extensions["db_engine"]) as session:
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        chapter = next(c for c in project.document.chapters if c.slug == "gemeinsam")
        paragraph = chapter.paragraphs[-1]
        author = session.exec(select(User)).first()
        for n in range(PAGE_SIZE + 1):
            CommentFactory(session=session, paragraph=paragraph, author=author, body=f"Seitenweise {n}")
        top_level = session.exec(select(Comment).where(Comment.paragraph_id == paragraph.id,
                                                       Comment.parent_id.is_(None))).all()
        return f"/de/projects/smart-city/chapters/gemeinsam/paragraph-{len(chapter.paragraphs)}", \
            math.ceil(len(top_level) / PAGE_SIZE)


def test_a_page_past_the_last_leads_to_the_last_page(app, client, long_discussion):
    url, pages = long_discussion
    for query in ("page=999999", f"page={pages + 1}", "page=7&sort=oldest"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 303, query
        location = response.headers["Location"]
        assert location.startswith(url) and f"page={pages}" in location, location
        assert ("sort=oldest" in location) == ("sort=" in query)
        assert client.get(location).status_code == 200
    assert client.get(f"{url}?page={pages}").status_code == 200  # the last page itself: no detour
    reader = app.test_client()
    login(reader, make_user(app))  # logged in: the query is not normalised by the cache, the page does it
    for query in ("page=1", "page=0", "page=x", "page=%C2%B2", "page=" + "9" * 30):
        response = reader.get(f"{url}?{query}")
        assert response.status_code == 303 and response.headers["Location"].endswith(url), query


def test_start_is_kept_only_where_more_comments_needs_it(client, long_discussion):
    """``start`` says which pages htmx has on screen already; on a page of its own it would make a wrong pager."""
    url, pages = long_discussion
    more = {"HX-Request": "true", "HX-Target": "comment-list"}
    for query in (f"start=1&page={pages}", "start=123456", f"start={pages}&page={pages}"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 303 and "start" not in response.headers["Location"], query
    appended = client.get(f"{url}?page={pages}&start=1", headers=more)
    assert appended.status_code == 200 and "Seitenweise" in appended.get_data(as_text=True)
    unknown = client.get(f"{url}?page={pages}&start={pages + 5}", headers=more)
    assert unknown.status_code == 303 and unknown.headers["Location"].endswith(f"{url}?page={pages}")


def test_random_page_and_start_values_render_each_page_once(app, client, long_discussion):
    """The report's bypass: ``?start=<random>&page=<random>`` made every request a render (19 a second)."""
    import random

    url, pages = long_discussion
    cache = app.wsgi_app
    cache.pages.clear()
    before = cache.renders
    for _ in range(60):
        response = client.get(f"{url}?start={random.randint(1, 10**6)}&page={random.randint(1, 10**6)}")
        assert response.status_code == 303
        assert client.get(response.headers["Location"]).status_code == 200
    assert cache.renders - before <= 60 + pages  # the cheap redirects, plus one render per page that exists
    assert {key[3] for key in cache.pages if key[2] == url} <= {"", *(f"page={n}" for n in range(2, pages + 1))}


MANY_PAGES = {"de": "Sehr viele Seiten", "en": "Very many pages", "einfach": "sehr viele Seiten-Aufrufe"}


@pytest.mark.parametrize("prefix", MANY_PAGES)
def test_renders_are_limited_per_reader_and_cached_pages_still_come(app, monkeypatch, long_discussion, prefix):
    """What misses the cache (htmx, a forged session cookie, a logged-in reader) is limited per client;
    the cache still serves that client, and another client is not affected."""
    url, pages = long_discussion
    url = url.replace("/de/", f"/{prefix}/")
    monkeypatch.setitem(app.config, "PAGE_RENDER_RATE_LIMIT", "5 per minute")
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 200  # rendered once (counted), then in the cache
    bypass = app.test_client()
    uncached = {"HX-Request": "true", "HX-History-Restore-Request": "true"}  # a full page, never cached
    assert [bypass.get(url, headers=uncached).status_code for _ in range(4)] == [200] * 4
    refused = bypass.get(url, headers=uncached)
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    page = soup(refused)
    assert MANY_PAGES[prefix] in page.find("main").get_text() and page.find("h1")
    more = bypass.get(f"{url}?page={pages}&start=1", headers={"HX-Request": "true", "HX-Target": "comment-list"})
    assert more.status_code == 429 and more.headers["HX-Retarget"] == "#comment-pages"
    assert MANY_PAGES[prefix] in more.get_data(as_text=True) and "mitreden:focus" in more.headers["HX-Trigger-After-Settle"]
    assert anonymous.get(url).status_code == 200  # the same address: the cached page, as for every reader
    cache = app.wsgi_app
    for key, entry in list(cache.pages.items()):
        cache.pages[key] = entry._replace(expires=0)  # the page has expired: it would be a render
    stale = anonymous.get(url)
    assert stale.status_code == 200 and MANY_PAGES[prefix] not in stale.get_data(as_text=True)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert elsewhere.get(url, headers=uncached).status_code == 200
