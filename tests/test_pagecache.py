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
