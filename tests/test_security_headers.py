"""Every response carries the security headers; the policy allows our own origin only."""

from tests.support import login, make_user


def test_every_kind_of_response_has_the_headers(app, client):
    login(client, make_user(app))
    for url in ("/de/", "/de/projects/smart-city/chapters/gemeinsam", "/static/css/site.css", "/de/nowhere",
                "/de/account/"):
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response.headers["Permissions-Policy"]
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_hsts_over_https(client):
    assert "max-age=" in client.get("/de/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_session_cookie_is_httponly_and_samesite(app, client):
    login(client, make_user(app))
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
