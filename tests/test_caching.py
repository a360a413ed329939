"""Revisits are cheap: hashed static addresses cached for a year, compressed text, 304s for pages."""

import re

from tests.support import login, make_user


def asset_urls(client):
    html = client.get("/de/projects/smart-city/chapters/offen").get_data(as_text=True)
    return re.findall(r'(?:href|src)="(/assets/[0-9a-f]{12}/[^"]+)"', html)


def test_static_files_have_hashed_addresses_cached_for_a_year(client):
    urls = asset_urls(client)
    assert {u.rsplit("/", 1)[-1] for u in urls} >= {"site.css", "app.js", "htmx.min.js", "favicon.svg"}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
    outdated = re.sub(r"/assets/[0-9a-f]{12}/", "/assets/000000000000/", urls[0])
    assert client.get(outdated).status_code == 404


def test_text_is_compressed_for_readers(client):
    css = [u for u in asset_urls(client) if u.endswith(".css")][0]
    for encoding in ("br", "gzip"):
        response = client.get(css, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
    page = client.get("/de/projects/smart-city/chapters/offen", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in page.headers["Vary"]


def test_responses_with_a_csrf_token_are_never_compressed(app, client):
    """BREACH: no secret is compressed next to text an attacker may control."""
    login(client, make_user(app))
    page = client.get("/de/projects/smart-city/chapters/offen", headers={"Accept-Encoding": "gzip, br"})
    assert "csrf_token" in page.get_data(as_text=True) and "Content-Encoding" not in page.headers
    assert "Content-Encoding" not in client.get("/de/account/login", headers={"Accept-Encoding": "gzip"}).headers


def test_a_revisit_of_a_reading_page_costs_a_304(client):
    for encoding in ("", "gzip"):
        first = client.get("/de/projects/smart-city", headers={"Accept-Encoding": encoding})
        assert first.headers["ETag"] and first.cache_control.max_age == 0
        again = client.get("/de/projects/smart-city",
                           headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_shared_caches_may_keep_a_reading_page_only_as_anonymous_readers_get_it(app, client):
    """Anonymous reading pages: browsers revalidate (max-age=0), shared caches such as nginx's micro-cache may
    keep them ``PAGE_CACHE_SECONDS``. A page with a form, an htmx answer and anything for a logged-in reader:
    no shared cache may keep them."""
    page = client.get("/de/projects/smart-city/chapters/offen")
    assert page.headers["Cache-Control"] == "public, max-age=0, s-maxage=5"
    form = client.get("/de/account/login")
    assert "s-maxage" not in form.headers["Cache-Control"] and "no-cache" in form.headers["Cache-Control"]
    fragment = client.get("/de/projects/smart-city/chapters/offen", headers={"HX-Request": "true"})
    assert "s-maxage" not in fragment.headers["Cache-Control"]
    login(client, make_user(app))
    mine = client.get("/de/projects/smart-city/chapters/offen")
    assert "s-maxage" not in mine.headers["Cache-Control"] and "no-store" in mine.headers["Cache-Control"]
    assert "private" in mine.headers["Cache-Control"]
