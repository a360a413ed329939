"""Localized error pages for every HTTP error and for anything unexpected.

No traceback ever reaches a reader: unexpected exceptions are logged and answered
with the localized 500 page.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

from .htmx import render

#: Title and explanation per status; other codes fall back to the generic pair.
MESSAGES = {
    400: (_l("Bad request"), _l("The address or the form sent could not be understood.")),
    403: (_l("Not allowed"), _l("You are not allowed to do this here.")),
    404: (_l("Page not found"), _l("There is no page at this address. It may have been moved, or the address is mistyped.")),
    405: (_l("Method not allowed"), _l("This page cannot be used in the way the browser asked for.")),
    413: (_l("Too much data"), _l("What was sent is too large. Please shorten it and try again.")),
    414: (_l("Address too long"), _l("The address of the page is too long.")),
    431: (_l("Request too large"), _l("The request sent too much additional data.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later. If it happens again, please tell us.")),
}
GENERIC = (_l("Request failed"), _l("The request could not be completed."))


def error_response(code: int):
    """The localized error page for ``code``."""
    title, explanation = MESSAGES.get(code, GENERIC if code < 500 else MESSAGES[500])
    return render("errors/error.html", status=code, code=code, title=title, explanation=explanation)


def init_app(app: Flask) -> None:
    """Answer every HTTP error and every unexpected exception with a localized page."""

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        response = error_response(exc.code or 500)
        if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http_error(exc)
        app.logger.exception("Unhandled exception", exc_info=exc)
        return error_response(InternalServerError.code)
