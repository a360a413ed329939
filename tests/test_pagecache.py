"""The short-lived page cache for anonymous readers: fast, and never wrong for anyone who writes."""

import secrets

from sqlmodel import select

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
    for page in range(1, 12):  # eleven legitimate variants
        client.get(f"/de/projects/smart-city/chapters/offen?page={page}")
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
