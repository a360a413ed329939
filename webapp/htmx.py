"""The one place that decides: full page or htmx fragment.

An htmx request gets only the named block of the page template (rendered with
jinja2-fragments); everything else, including htmx's history-restore requests, gets
the whole page. Every HTML response varies on ``HX-Request`` so that no cache (and no
back button) ever serves a bare fragment as a page.
"""

from __future__ import annotations

from typing import Any, Optional

from flask import Flask, Response, make_response, render_template
from flask_htmx import HTMX
from jinja2_fragments.flask import render_block

htmx = HTMX()


def wants_fragment() -> bool:
    """True for htmx requests that will swap a part of the page."""
    return bool(htmx) and not htmx.history_restore_request


def render(template: str, block: Optional[str] = None, status: int = 200, **context: Any) -> Response:
    """Render ``block`` of ``template`` for htmx requests, the whole page otherwise."""
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    return make_response(body, status)


def init_app(app: Flask) -> None:
    """Bind flask-htmx and add ``Vary: HX-Request`` to every HTML response."""
    htmx.init_app(app)

    @app.after_request
    def _vary_on_htmx(response: Response) -> Response:
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response
