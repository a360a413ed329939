"""The README's nginx configuration in front of the app (issue 16): its micro-cache keeps what the app marks
public, anonymous reading pages, and never a page for a logged-in reader, a form or a POST."""

import secrets
import urllib.request

import pytest

from tests.served import Browser, gunicorn, nginx, own_database
from tests.support import PASSWORD, demo_app, make_user

CHAPTER = "/de/projects/smart-city/chapters/mobil"


def cache_status(base: str, path: str, cookies: Browser | None = None) -> tuple[str, str]:
    """What nginx's cache did for a GET of ``path`` (HIT, MISS, BYPASS, EXPIRED, ...; "" when it did not try) and
    the page."""
    opener = cookies.opener if cookies else urllib.request.build_opener()
    with opener.open(base + path, timeout=30) as response:
        return response.headers.get("X-Cache-Status", ""), response.read().decode()


@pytest.mark.slow
def test_nginx_keeps_anonymous_reading_pages_and_never_a_personal_one(tmp_path):
    with own_database("sqlite", tmp_path) as url:
        app = demo_app(url)
        user = make_user(app, name=f"Leserin {secrets.token_hex(3)}")
        app.extensions["db_engine"].dispose()
        with gunicorn(url, tmp_path, workers=1, PUBLIC_BASE_URL="http://beteiligung.example.org",
                      TRUSTED_PROXIES="127.0.0.1", PROXY_COUNT="1") as upstream, \
                nginx(upstream, cache_status_header=True) as base:
            # Anonymous: the first reader's page is kept, the next readers get it from nginx.
            assert cache_status(base, CHAPTER)[0] == "MISS"
            status, page = cache_status(base, CHAPTER)
            assert status == "HIT" and "Kapitel" in page
            # What the app tells nginx about the age of its stored pages stays between them.
            assert "X-Accel-Expires" not in urllib.request.urlopen(base + CHAPTER, timeout=30).headers
            # A form (the login page: a token, a cookie) is fetched for each reader.
            assert cache_status(base, "/de/account/login")[0] == "MISS"
            assert cache_status(base, "/de/account/login")[0] == "MISS"
            # Logged in: never from the cache, always their own page; their comment (a POST) is there at once.
            reader = Browser(base)
            assert reader.log_in(user.email, PASSWORD) == 303
            for _ in range(2):
                status, page = cache_status(base, CHAPTER, reader)
                assert status == "BYPASS" and user.username in page
            text = f"Über nginx geschrieben {secrets.token_hex(3)}"
            status, _body = reader.request(CHAPTER + "/comments", {"csrf_token": reader.token(CHAPTER), "body": text})
            assert status == 303
            status, page = cache_status(base, CHAPTER, reader)
            assert status == "BYPASS" and text in page
            # Anonymous readers meanwhile still get the kept page (for at most 5 seconds).
            assert cache_status(base, CHAPTER)[0] in ("HIT", "EXPIRED", "MISS", "UPDATING")
