"""Security headers on every response (OWASP ASVS level 2 as the yardstick).

One small module instead of a library: the policy is strict and short. No inline
scripts, styles or event handlers exist in our templates, and htmx is configured to
need none (no indicator styles, no eval), so the Content-Security-Policy allows our
own origin only.
"""

from __future__ import annotations

import ipaddress

from flask import Flask, Response, request, session
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the headers to every response."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        if response.mimetype in ("text/html", "application/json") and ("_user_id" in session
                                                                        or current_user.is_authenticated):
            # A personal page (a name in the header, one's own forms and data) is never stored: on a
            # shared computer, Back after logging out must not show it again. (The session tells without
            # loading the account: a kept page, webapp.readercache, loads none.)
            response.cache_control.no_store = True
        return response


class TrustedProxyFix:
    """ProxyFix for requests whose immediate peer (``REMOTE_ADDR``) is one of our load balancers.

    Anyone else who reaches the node directly may send X-Forwarded-* headers too: for them the
    headers are removed, so the address a rate limit counts and the scheme stay their own.
    """

    def __init__(self, app, proxies: int, trusted: list[str]) -> None:
        self.app = app
        self.fixed = ProxyFix(app, x_for=proxies, x_proto=proxies, x_host=proxies)
        self.networks = [ipaddress.ip_network(item, strict=False) for item in trusted]

    def trusts(self, address: str) -> bool:
        try:
            peer = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
        return any(peer in network for network in self.networks)

    def __call__(self, environ: dict, start_response):
        if self.trusts(environ.get("REMOTE_ADDR", "")):
            return self.fixed(environ, start_response)
        for name in [key for key in environ if key.startswith(("HTTP_X_FORWARDED_", "HTTP_FORWARDED"))]:
            del environ[name]
        return self.app(environ, start_response)


def trust_proxies(app: Flask) -> None:
    """Behind ``PROXY_COUNT`` load balancers at ``TRUSTED_PROXIES``, take the client's address (for rate
    limits), scheme (for HSTS and secure cookies) and host from their X-Forwarded-* headers; from no one else.

    Call last: the outermost layer, so that everything inside it (the page cache too) sees them.
    """
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, proxies,  # type: ignore[method-assign]
                                       app.config.get("TRUSTED_PROXIES") or ["127.0.0.1", "::1"])
