"""The one place that decides: full page or htmx fragment.

An htmx request gets only the named block of the page template (rendered with
jinja2-fragments); everything else, including htmx's history-restore requests, gets
the whole page. Every HTML response varies on ``HX-Request`` so that no cache (and no
back button) ever serves a bare fragment as a page.

Fragments may carry an announcement for the page's polite live region (swapped in out
of band) and the element to move focus to after the swap (``mitreden:focus``, handled
by ``static/js/app.js``).
"""

from __future__ import annotations

import json
from typing import Any, Optional

from flask import Flask, Response, make_response, render_template
from flask_htmx import HTMX
from flask_login import current_user
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from .forms import BaseForm

htmx = HTMX()


def wants_fragment() -> bool:
    """True for htmx requests that will swap a part of the page."""
    return bool(htmx) and not htmx.history_restore_request


def menu_out_of_band() -> str:
    """For an htmx answer to a reader who is not logged in: the header's menu, swapped in out of band.

    The page around the swap was made while they were logged in (the session ended meanwhile): its
    header must not go on saying "Your account: ..." next to a notice that asks them to log in.
    """
    if current_user.is_authenticated:
        return ""
    return render_template("_main_menu_oob.html")


def render(template: str, block: Optional[str] = None, status: int = 200, *, announce: Optional[str] = None,
           focus: Optional[str] = None, retarget: Optional[str] = None, **context: Any) -> Response:
    """Render ``block`` of ``template`` for htmx requests, the whole page otherwise.

    Args:
        announce: for fragments, a message for the live region.
        focus: for fragments, a CSS selector of the element to focus after the swap.
        retarget: for fragments, swap into this element (outerHTML) instead of the
            request's own target, e.g. a form in error instead of the list it would update.
    """
    # Pages with a form in error say so in their title ("Fehler: ...").
    context.setdefault("has_errors", any(isinstance(v, BaseForm) and v.errors for v in context.values()))
    fragment = bool(block) and wants_fragment()
    context["fragment"] = fragment
    if fragment:
        body = render_block(template, block, **context) + menu_out_of_band()
        if announce:
            body += str(Markup('<div id="live-region" data-hx-swap-oob="innerHTML">{}</div>').format(announce))
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    if fragment and focus:
        response.headers["HX-Trigger-After-Settle"] = json.dumps({"mitreden:focus": focus})
    if fragment and retarget:
        response.headers["HX-Retarget"] = retarget
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def fragment(template: str, status: int = 200, *, announce: Optional[str] = None, focus: Optional[str] = None,
             **context: Any) -> Response:
    """A fragment-only template, for htmx answers whose plain-HTML twin is a redirect."""
    body = render_template(template, **context) + menu_out_of_band()
    if announce:
        body += str(Markup('<div id="live-region" data-hx-swap-oob="innerHTML">{}</div>').format(announce))
    response = make_response(body, status)
    if focus:
        response.headers["HX-Trigger-After-Settle"] = json.dumps({"mitreden:focus": focus})
    return response


def init_app(app: Flask) -> None:
    """Bind flask-htmx and add ``Vary: HX-Request`` to every HTML response."""
    htmx.init_app(app)

    @app.after_request
    def _vary_on_htmx(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response
