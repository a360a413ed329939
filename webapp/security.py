"""Security headers on every response (OWASP ASVS level 2 as the yardstick).

One small module instead of a library: the policy is strict and short. No inline
scripts, styles or event handlers exist in our templates, and htmx is configured to
need none (no indicator styles, no eval), so the Content-Security-Policy allows our
own origin only.
"""

from __future__ import annotations

from flask import Flask, Response, request
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
        if response.mimetype in ("text/html", "application/json") and current_user.is_authenticated:
            # A personal page (a name in the header, one's own forms and data) is never stored: on a
            # shared computer, Back after logging out must not show it again.
            response.cache_control.no_store = True
        return response


def trust_proxies(app: Flask) -> None:
    """Behind ``PROXY_COUNT`` load balancers, take the client's address (for rate limits), scheme
    (for HSTS and secure cookies) and host from their X-Forwarded-* headers.

    Call last: the outermost layer, so that everything inside it (the page cache too) sees them.
    """
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
