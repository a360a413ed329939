"""Who may say where a request came from, and what happens to requests beyond gunicorn's limits.

Issue 9, items 15 and 17: ``PROXY_COUNT=1`` used to believe X-Forwarded-* from any client that
reached a node directly, and gunicorn believed X-Forwarded-Proto from 127.0.0.1 even with
``PROXY_COUNT=0``; an over-long request line or header got gunicorn's English page without our
security headers.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
from flask import request

from tests.served import gunicorn, own_database

FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}


@pytest.fixture()
def proxied_app(database_url):
    """The app with PROXY_COUNT=1 and TRUSTED_PROXIES=10.0.0.1, and a page that shows what it believes."""
    from webapp import create_app

    application = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "proxy-" + "x" * 40,
                              "PROXY_COUNT": 1, "TRUSTED_PROXIES": ["10.0.0.1"]})
    application.add_url_rule("/whoami", "whoami", lambda: f"{request.remote_addr} {request.scheme} {request.host}")
    yield application
    application.extensions["db_engine"].dispose()


def test_forwarded_headers_from_a_client_that_reaches_the_node_directly_are_ignored(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/whoami", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert response.get_data(as_text=True) == "127.0.0.1 http localhost"
    assert "Strict-Transport-Security" not in client.get("/de/", headers=FORWARDED,
                                                         environ_base={"REMOTE_ADDR": "192.0.2.7"}).headers


def test_forwarded_headers_from_the_load_balancer_are_believed(proxied_app):
    client = proxied_app.test_client()
    response = client.get("/whoami", headers={**FORWARDED, "X-Forwarded-Host": "localhost"},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.get_data(as_text=True) == "203.0.113.9 https localhost"


def test_trusted_proxies_setting(monkeypatch):
    from webapp.config import ConfigError, trusted_proxies

    assert trusted_proxies({}) == ["127.0.0.1", "::1"]
    assert trusted_proxies({"TRUSTED_PROXIES": "10.0.0.1, 10.1.0.0/16"}) == ["10.0.0.1/32", "10.1.0.0/16"]
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        trusted_proxies({"TRUSTED_PROXIES": "the load balancer"})
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):  # production with a proxy, but which one?
        trusted_proxies({"MITREDEN_ENV": "production", "PROXY_COUNT": "1"})


def test_gunicorn_is_told_the_same_proxies():
    from webapp.serving import forwarded_allow_ips

    assert forwarded_allow_ips({"PROXY_COUNT": "0", "TRUSTED_PROXIES": "10.0.0.1"}) == ""
    assert forwarded_allow_ips({"PROXY_COUNT": "1", "TRUSTED_PROXIES": "10.0.0.1"}) == "10.0.0.1/32"


def _raw(base: str, request_bytes: bytes) -> tuple[int, dict, str]:
    """Send raw bytes to the server; the status, headers and body of its answer."""
    address = urlsplit(base)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(request_bytes)
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One gunicorn as the production command starts it (PROXY_COUNT=0), on a SQLite database of its own."""
    folder = tmp_path_factory.mktemp("served")
    with own_database("sqlite", folder) as url, gunicorn(url, folder, workers=1, PROXY_COUNT="0") as base:
        yield base


def test_gunicorn_with_proxy_count_0_does_not_believe_x_forwarded_proto(served):
    """Before: gunicorn's default --forwarded-allow-ips=127.0.0.1 made this request https (HSTS sent)."""
    port = urlsplit(served).port
    status, headers, _body = _raw(served, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                          b"X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n" % port)
    assert status == 200 and "strict-transport-security" not in headers


def test_an_over_long_request_line_gets_our_localized_414(served):
    """Before: gunicorn's English "Bad Request ... Request Line is too large" without our headers."""
    port = urlsplit(served).port
    status, headers, body = _raw(served, b"GET /de/?q=" + b"a" * 9 * 1024 + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                                 b"Connection: close\r\n\r\n" % port)
    assert status == 414
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers["x-content-type-options"]
    assert "<h1" in body and "Adresse zu lang" in body and 'lang="de"' in body
    assert int(headers["content-length"]) == len(body.encode())


def test_over_large_headers_get_our_localized_431(served):
    port = urlsplit(served).port
    status, headers, body = _raw(served, b"GET /de/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Big: " % port
                                 + b"b" * 10 * 1024 + b"\r\nConnection: close\r\n\r\n")
    assert status == 431 and headers["content-security-policy"] and "<h1" in body and "Traceback" not in body
