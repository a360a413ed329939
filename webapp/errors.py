"""Localized error pages for every HTTP error and for anything unexpected.

No traceback ever reaches a reader: unexpected exceptions are logged and answered
with the localized 500 page.
"""

from __future__ import annotations

import json
import secrets

from flask import Flask, current_app, flash, g, make_response, redirect, request, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import DisconnectionError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound

from . import db
from .extensions import limiter
from .forms import safe_next
from .htmx import menu_out_of_band, render, wants_fragment
from .i18n import lazy_gettext as _l
from .i18n import page_address
from .ratelimits import retry_after, wait_message

#: Title and explanation per status; other codes fall back to the generic pair.
MESSAGES = {
    400: (_l("Bad request"), _l("The address or the form sent could not be understood.")),
    403: (_l("Not allowed"), _l("You are not allowed to do this here.")),
    404: (_l("Page not found"), _l("There is no page at this address. It may have been moved, or the address is mistyped.")),
    405: (_l("Method not allowed"), _l("This page cannot be used in the way the browser asked for.")),
    503: (_l("Temporarily unavailable"), _l("We cannot reach our database at the moment. Please try again in a minute; what you read or wrote is not lost on your side.")),
    429: (_l("Too many requests"), _l("You have sent too many requests in a short time. Please wait a moment and try again.")),
    413: (_l("Too much data"), _l("What was sent is too large. Please shorten it and try again.")),
    414: (_l("Address too long"), _l("The address of the page is too long.")),
    431: (_l("Request too large"), _l("The request sent too much additional data.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later. If it happens again, please tell us.")),
}
GENERIC = (_l("Request failed"), _l("The request could not be completed."))


def error_response(code: int, explanation: str | None = None):
    """The localized error page for ``code``; ``explanation`` says why, where the refusal knows it."""
    title, generic = MESSAGES.get(code, GENERIC if code < 500 else MESSAGES[500])
    explanation = explanation or generic
    return render("errors/error.html", status=code, code=code, title=title, explanation=explanation)


def _discard_session() -> None:
    """Drop the request's database session so nothing tries to use its broken connection."""
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close too
            pass


def _rate_limited():
    """429 with how long to wait, for limits without a page of their own."""
    limit = limiter.current_limit
    response = error_response(429)
    if limit is not None:
        response = render("errors/error.html", status=429, code=429, title=MESSAGES[429][0],
                          explanation=wait_message(limit.reset_at))
        response.headers["Retry-After"] = retry_after(limit.reset_at)
    return response


def page_of_request() -> str | None:
    """The page the reader is on (:func:`webapp.i18n.page_address`), if it is on this site."""
    return safe_next(page_address() or request.path)


def login_link(text=None) -> Markup:
    """A link to the login page that brings the reader back to the page they are on."""
    return Markup('<a href="{}">{}</a>').format(url_for("accounts.login", next=page_of_request()),
                                                 text or _l("Log in"))


def with_login_link(message: str) -> Markup:
    """``message`` followed by a login link back to this page (for notices shown as text)."""
    return Markup("{} {}").format(message, login_link())


def session_notice(status: int = 403):
    """For htmx: the session has ended (or the page is too old); said in place, and focused.

    Logged out (the session expired or ended elsewhere): a login link back to this page.
    Still logged in but the form's token expired: a link that reloads the page.
    """
    notice_id = f"notice-{secrets.token_hex(4)}"
    if current_user.is_authenticated:
        text = _l("This page has been open for too long, so nothing was saved. Please reload the page and try again.")
        link = Markup('<a href="{}">{}</a>').format(page_of_request() or request.path, _l("Reload the page"))
    else:
        text = _l("Your session has ended, so nothing was saved. Please log in again; you will come back to this page.")
        link = login_link()
    body = Markup('<div class="notice notice--not_yet notice--alert" id="{}" tabindex="-1"><p>{}</p><p>{}</p></div>'
                  ).format(notice_id, text, link)
    response = make_response(str(body) + menu_out_of_band(), status)
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"mitreden:focus": f"#{notice_id}"})
    return response


def notice_in_place(text: str, status: int, target: str):
    """For htmx: ``text`` as a notice that replaces ``target`` (e.g. the pager whose "More comments"
    was pressed), focused, and so announced."""
    notice_id = f"notice-{secrets.token_hex(4)}"
    body = Markup('<div class="notice notice--not_yet notice--alert" id="{}" tabindex="-1"><p>{}</p></div>'
                  ).format(notice_id, text)
    response = make_response(str(body), status)
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = "outerHTML"
    response.headers["HX-Trigger-After-Settle"] = json.dumps({"mitreden:focus": f"#{notice_id}"})
    return response


def keeps_input(view):
    """Mark a form view: when its CSRF token is missing or expired, the view itself answers.

    The form then fails its own CSRF check and is shown again with everything typed and
    the message that it expired, instead of a bare 400 page that loses the text.
    """
    view.keeps_input = True  # decorators above it copy the mark (functools.wraps)
    return view


def back_when_expired(page):
    """Mark the view of a form that is only a button (remove, withdraw, end a block): when its token has
    expired, the person goes back to ``page(**view_args)`` (the address of the page the button is on) with
    the message that nothing was done and they may press it again, instead of a bare 400 page."""

    def mark(view):
        view.expired_page = page  # decorators above it copy the mark (functools.wraps)
        return view

    return mark


#: What a button-only form says when its token has expired.
EXPIRED_BUTTON = _l("This page had been open for too long, so nothing was changed. Please press the button again.")


def init_app(app: Flask) -> None:
    """Answer every HTTP error and every unexpected exception with a localized page."""

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        view = current_app.view_functions.get(request.endpoint or "")
        if request.method == "POST" and getattr(view, "keeps_input", False) and not g.get("csrf_redispatched"):
            g.csrf_redispatched = True
            try:
                return view(**(request.view_args or {}))
            except Exception as error:  # e.g. its rate limit applies, the project went away, a refusal: raised
                return current_app.handle_user_exception(error)  # inside this handler, it would escape as a 500
        if wants_fragment():  # said in place; a bare 400 would not be swapped, and nothing would happen
            return session_notice()
        page = getattr(view, "expired_page", None)
        if request.method == "POST" and page is not None and current_user.is_authenticated:
            try:
                target = page(**{k: v for k, v in (request.view_args or {}).items() if k != "mode"})
            except Exception as error:  # answered as if raised by a view (not found, a refusal)
                return current_app.handle_user_exception(error)
            flash(str(EXPIRED_BUTTON), "outcome")
            return redirect(target + "#outcome", 303)
        return error_response(400)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.response is not None:  # made already, e.g. a rate-limited form shown again
            return exc.response
        if isinstance(exc, RateLimitExceeded):
            return _rate_limited()
        response = error_response(exc.code or 500)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(db.NotFound)
    def _not_found(exc: db.NotFound):
        """A service found nothing at this address (e.g. no such project): the 404 page."""
        return _http_error(NotFound())

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    def _database_unavailable(exc: Exception):
        """Database unreachable or locked: a localized 503 with a retry hint; the pool recovers by itself."""
        app.logger.warning("Database unavailable: %s", exc.__class__.__name__)
        _discard_session()
        g._login_user = AnonymousUserMixin()  # the page must not ask the database who is logged in
        try:
            response = error_response(503)
        except Exception:  # the page itself needs nothing from the database, but be safe
            response = current_app.response_class("503 Service Unavailable", status=503, mimetype="text/plain")
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http_error(exc)
        app.logger.exception("Unhandled exception", exc_info=exc)
        _discard_session()  # it may be in a failed transaction
        g._login_user = AnonymousUserMixin()  # and the page must not ask it who is logged in
        return error_response(InternalServerError.code)
