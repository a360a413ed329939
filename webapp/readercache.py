"""Reading pages kept for each logged-in reader until anything on them changes.

The page cache (:mod:`webapp.pagecache`) serves anonymous readers; a logged-in reader's page carries their
name, their own comments and ratings and their form token, so it is kept for them alone:

- the key is the reader's whole session (their account and session token, their form token's secret,
  anything else a page could read from it), the address with its query, the htmx headers, the browser's
  languages, and :mod:`webapp.contentversion`'s number: any write anywhere makes a new number, so a kept page
  is never served once a comment, a rating, a moderation action, a block, a role or a text has changed;
- a page is kept until the clock changes it (a phase starts or ends, a block runs out:
  :func:`contentversion.next_change`), and at most ``READER_PAGE_SECONDS`` (300; 0 switches this off);
- only a reading page (:data:`pagecache.CACHEABLE`), answered 200 as HTML, whose request left the session
  as it found it (a message shown once, a new form token: not kept), and no page while messages wait;
- the form token is kept as a placeholder and put in on the way out, as the fragments do; each form's
  submission key too, a new one each time (two tabs of one kept page are two forms, two comments);
- each process keeps at most ``READER_PAGE_CACHE_MB`` megabytes (32), least recently used out first.

A kept page costs a read of the version and a lookup; the render limit does not count it (it renders
nothing). What a reader sees first after a change is rendered, with the comments' fragments kept
(:mod:`webapp.comments.fragments`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple, Optional

from flask import Flask, Response, current_app, g, request, session

from . import clock, contentversion, db, fragmentcache, pagecache

SECONDS = 300
MEGABYTES = 32
_KEY = "reader_page_key"


class Kept(NamedTuple):
    until: datetime
    status: int
    headers: list[tuple[str, str]]
    body: str
    with_token: bool


def _key() -> Optional[tuple]:
    """This request's key, or ``None`` when its page is not one to keep."""
    if (request.method != "GET" or request.endpoint not in pagecache.CACHEABLE or "_user_id" not in session
            or "_flashes" in session or len(request.query_string) > pagecache.MAX_KEY_LENGTH):
        return None
    version = contentversion.current(db.engine())
    if version is None:
        return None
    htmx = tuple((name, value) for name, value in request.headers.items() if name.lower().startswith("hx-"))
    return (version, repr(sorted(session.items())), request.host, request.path, request.query_string, htmx,
            request.headers.get("Accept-Language", "")[:200])


def _serve_kept() -> Optional[Response]:
    """Before anything else: the kept page, when there is one and it still holds."""
    if not current_app.config.get("READER_PAGE_SECONDS", SECONDS):
        return None
    key = _key()
    if key is None:
        return None
    kept = current_app.extensions["reader_pages"].get(key)
    if kept is not None and kept.until > clock.utcnow():
        body = fragmentcache.with_keys(fragmentcache.with_token(kept.body) if kept.with_token else kept.body)
        return Response(body, kept.status, kept.headers)
    g.setdefault(_KEY, key)
    return None


def _keep(response: Response) -> Response:
    """After the view, before any other hook adds to its answer: keep it, when it may be kept."""
    key = g.pop(_KEY, None)
    if (key is None or response.status_code != 200 or response.mimetype != "text/html" or response.is_streamed
            or session.modified or "Set-Cookie" in response.headers):
        return response
    body = fragmentcache.without_keys(response.get_data(as_text=True))
    with_token = "csrf_token" in g
    if with_token:
        body = fragmentcache.without_token(body)
    now = clock.utcnow()
    until = now + timedelta(seconds=current_app.config.get("READER_PAGE_SECONDS", SECONDS))
    moment = contentversion.next_change(db.engine(), key[0])
    current_app.extensions["reader_pages"].put(key, Kept(min(until, moment) if moment else until, response.status_code,
                                                         [(name, value) for name, value in response.headers.to_wsgi_list()
                                                          if name.lower() != "content-length"], body, with_token))
    return response


def init_app(app: Flask) -> None:
    """Serve kept pages before every other hook (so the render limit counts none of them), keep pages after
    the view before every other hook (Flask runs those in reverse: call this last in the app factory)."""
    megabytes = float(app.config.get("READER_PAGE_CACHE_MB", MEGABYTES))
    app.extensions["reader_pages"] = fragmentcache.Bounded(int(megabytes * 1024 * 1024), size=lambda kept: len(kept.body))
    app.before_request_funcs.setdefault(None, []).insert(0, _serve_kept)
    app.after_request(_keep)
