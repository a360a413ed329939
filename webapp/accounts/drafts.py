"""Text someone wrote while their session ran out comes back after they log in again (WCAG 2.2.5).

A comment sent after the session ended is refused (the person is no longer logged in). The page
shows the text with a login form right there: the text travels with it as a field (``draft``,
nothing is stored on the server or in the cookie, so any length works). After a successful login
the page the form belongs to is shown with the text back in its comment (or reply) form, ready to
check and publish: the login answers with that page itself, since a redirect could not carry it.

Pages that take a draft register here (the comment views do, for the chapter, paragraph and
reply pages): this module knows no domain above the accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional
from urllib.parse import urlsplit

from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

#: endpoint -> render(view_args, text, category) -> the page with the text in its form.
_RECEIVERS: dict[str, Callable[[dict, str, Optional[str]], Response]] = {}


def receives_drafts(*endpoints: str):
    """Register a function that shows the page of ``endpoints`` with a draft in its form."""

    def register(render: Callable[[dict, str, Optional[str]], Response]):
        for endpoint in endpoints:
            _RECEIVERS[endpoint] = render
        return render

    return register


def give_back(target: Optional[str], text: Optional[str], category: Optional[str] = None) -> Optional[Response]:
    """The page at ``target`` (a path on this site) with ``text`` back in its form; ``None`` when there is no
    text, or ``target`` is not a page that takes one (the login then goes on as usual)."""
    if not text or not target:
        return None
    path = urlsplit(target).path
    try:
        endpoint, args = current_app.create_url_adapter(request).match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    render = _RECEIVERS.get(endpoint)
    if render is None:
        return None
    if "mode" in args:
        g.mode = args["mode"]  # the page's own mode (the login page's is the same, unless the address says not)
    return render(args, text, category)
