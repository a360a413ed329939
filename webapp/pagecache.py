"""A short-lived cache of reading pages for anonymous readers.

Most traffic in a consultation the press links to is people reading. A page an
anonymous reader gets is the same for every anonymous reader, so each process keeps
rendered pages for a few seconds:

- only GET/HEAD of reading pages, without a session cookie (logged-in readers, who
  may just have posted, always get a fresh page), and not for htmx requests;
- never a response that carries a CSRF token or sets a cookie;
- any database commit in this process empties its cache at once; ``TTL`` bounds how
  long a change made by another process or instance, or a phase that has just opened
  or closed, may take to show to anonymous readers.

The cache is WSGI middleware around the Flask app, so a hit costs a dictionary lookup
and no Flask request at all. Flask decides what may be stored (the view, the CSRF
token) and marks the request; the middleware stores the finished response: headers as
sent, body as compressed for the request's ``Accept-Encoding`` (which is part of the
key, with scheme, host, path and query, so no header of a request can poison another
reader's page). Revisits with ``If-None-Match`` get a 304 from the stored ETag.

Under load only one thread renders a page at a time: while it renders an expired
page, others get the previous version; while it renders a missing one, others wait
for it (no stampede of identical renders).

The query is part of the key only as far as the pages read it (``page``, ``start``,
``sort``, ``category``; see :data:`PARAMETERS`), normalised: ``?utm=<random>`` or a
60 KB query string get the page of the parameters the page knows, and the app sees the
normalised query too, so every variant is one entry and one render. What one entry
may cost is bounded (:data:`MAX_KEY_LENGTH`, :data:`MAX_BODY_BYTES`), and so is the
whole cache (:data:`MAX_ENTRIES`, :data:`MAX_TOTAL_BYTES`). The discussion pages redirect
a ``page`` past the last one, and a ``start`` that says nothing, to their one address
(``documents.views``), so the values left in the key are the pages that exist.

What still misses the cache (logged-in readers, htmx requests, a forged session cookie,
a page just expired) costs a render, and renders are limited per reader
(``PAGE_RENDER_RATE_LIMIT``, see :func:`_limit_renders`): per account when logged in, else
per client address. Hits never reach Flask, so a reader over the limit still gets every
page the cache holds (an expired one too, rather than the 429 page), and everyone else is
unaffected.
"""

from __future__ import annotations

import ipaddress
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import NamedTuple, Optional
from urllib.parse import parse_qsl, urlencode

from flask import Flask, Response, current_app, g, request, session
from flask_babel import format_timedelta
from flask_login import current_user
from sqlalchemy import event
from sqlmodel import Session
from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified, parse_cookie, remove_entity_headers

from . import ratelimits
from .errors import error_response, notice_in_place
from .htmx import wants_fragment
from .i18n import gettext as _

#: Seconds a page is kept (``PAGE_CACHE_SECONDS``; 0 switches the cache off).
TTL = 5.0
MAX_ENTRIES = 512
#: A page larger than this is served but not kept (the chapter with 1,000 comments is about 110 KB).
MAX_BODY_BYTES = 1024 * 1024
#: All kept pages together stay below this; the least recently stored go first.
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: Host, path and normalised query of a kept page stay below this many characters.
MAX_KEY_LENGTH = 1024
#: The query parameters reading pages read, and what each may be: anything else is dropped.
SORTS = frozenset({"newest", "oldest", "agreed", "discussed"})
_CATEGORY = re.compile(r"[A-Za-z0-9_-]{1,40}")
CACHEABLE = frozenset({"projects.index", "projects.detail", "projects.background", "documents.chapter",
                       "documents.paragraph", "pages.show"})
#: Set in the WSGI environ by Flask when the response may be stored.
MARK = "mitreden.page_cache"
#: Set by Flask when the reader's renders are used up (the answer is the 429 page).
LIMITED = "mitreden.renders_limited"

Key = tuple[str, str, str, str, str]


class Entry(NamedTuple):
    expires: float
    headers: list[tuple[str, str]]
    body: bytes
    etag: Optional[str]
    #: When it was stored (``time.monotonic()``): its ``Age`` when served again.
    stored: float


#: Every app's cache, so that apps on different databases (tests) never share pages.
_caches: "list[OrderedDict[Key, Entry]]" = []


def clear(*_args) -> None:
    """Forget every cached page (after any commit: something may have changed)."""
    for pages in _caches:
        pages.clear()


def page_number(value: str) -> Optional[str]:
    """A page number as the views read it (1 to 1,000,000), else ``None`` (the views ignore it too)."""
    if not value.isascii() or not value.isdigit() or len(value) > 7:
        return None
    number = int(value)
    return str(number) if 1 <= number <= 10**6 else None


def _keep(name: str, value: str) -> Optional[str]:
    if name in ("page", "start"):
        return page_number(value)
    if name == "sort":
        return value if value in SORTS else None
    if name == "category":
        return value if _CATEGORY.fullmatch(value) else None
    return None  # utm_*, fbclid, anything else: no page reads it


#: The parameters, in the order they appear in a normalised query.
PARAMETERS = ("category", "page", "sort", "start")


def normalise_query(query: str) -> str:
    """The query as the reading pages see it: known parameters with valid values, once each, sorted.

    >>> normalise_query("utm_source=x&sort=oldest&page=02&page=3&sort=nonsense")
    'page=2&sort=oldest'
    """
    kept: dict[str, str] = {}
    for name, value in parse_qsl(query[:MAX_KEY_LENGTH * 4], keep_blank_values=False):
        if name in PARAMETERS and name not in kept:
            value = _keep(name, value)
            if value is not None:
                kept[name] = value
    if kept.get("page") == "1":
        del kept["page"]  # the first page, as without the parameter
    return urlencode(sorted(kept.items()))


class PageCache:
    """The middleware: serves fresh entries, renders misses one at a time, stores marked responses."""

    def __init__(self, app: Flask) -> None:
        self.wsgi_app = app.wsgi_app
        self.config = app.config
        self.url_map = app.url_map
        self.pages: "OrderedDict[Key, Entry]" = OrderedDict()
        self._guard = threading.Lock()  # protects the per-page locks' table
        self._rendering: dict[Key, threading.Lock] = {}
        #: How many times the app was run for a reading page, and how many answers came from the cache.
        self.renders = 0
        self.hits = 0
        _caches.append(self.pages)

    def _key(self, environ: dict) -> Optional[Key]:
        if self.config.get("PAGE_CACHE_SECONDS", TTL) <= 0 or environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return None
        if "HTTP_HX_REQUEST" in environ or "HTTP_IF_MATCH" in environ:
            return None
        cookies = environ.get("HTTP_COOKIE")
        if cookies and self.config["SESSION_COOKIE_NAME"] in parse_cookie(cookies):
            return None
        query = environ.get("QUERY_STRING", "")
        if query:
            # Only reading pages are cached, and they read only PARAMETERS: the app gets the
            # normalised query, so whatever else a link carries makes no other page or entry.
            if not self._reading_page(environ):
                return None
            query = environ["QUERY_STRING"] = normalise_query(query)
        host, path = environ.get("HTTP_HOST", ""), environ.get("PATH_INFO", "")
        if len(host) + len(path) + len(query) > MAX_KEY_LENGTH:
            return None
        return (environ["wsgi.url_scheme"], host, path, query, environ.get("HTTP_ACCEPT_ENCODING", "")[:200])

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        entry = self.pages.get(key)
        if entry is not None and entry.expires >= time.monotonic():
            return self._serve(entry, environ, start_response)
        if entry is None and not self._reading_page(environ):  # a form, a file, a 404: nothing to wait for
            return self.wsgi_app(environ, start_response)
        with self._guard:
            lock = self._rendering.setdefault(key, threading.Lock())
        if entry is not None:  # expired: one thread refreshes, the others get the previous version
            if not lock.acquire(blocking=False):
                return self._serve(entry, environ, start_response)
        elif not lock.acquire(timeout=10):  # missing: wait for the thread that renders it
            return self.wsgi_app(environ, start_response)
        try:
            entry = self.pages.get(key)
            if entry is not None and entry.expires >= time.monotonic():  # rendered while we waited
                return self._serve(entry, environ, start_response)
            return self._render(key, environ, start_response, stale=entry)
        finally:
            lock.release()
            with self._guard:
                if not lock.locked():
                    self._rendering.pop(key, None)

    def _reading_page(self, environ: dict) -> bool:
        try:
            endpoint, _args = self.url_map.bind_to_environ(environ).match()
        except HTTPException:  # not found, a redirect, ...: Flask answers it
            return False
        return endpoint in CACHEABLE

    def _render(self, key: Key, environ: dict, start_response: Callable, stale: Optional[Entry] = None
                ) -> Iterable[bytes]:
        """Run the app, keep its whole answer, store it if Flask marked it, pass it on.

        When the reader's renders are used up (:func:`_limit_renders`) and an expired version of the
        page is still here, they get that version rather than the 429 page.
        """
        sent: list = []

        def capture(status, headers, exc_info=None):
            sent[:] = [status, headers, exc_info]
            return lambda data: sent.append(data)  # the legacy write(); unused by Flask

        self.renders += 1
        chunks = self.wsgi_app(environ, capture)
        try:
            body = b"".join([*sent[3:], *chunks])
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers, exc_info = sent[:3]
        if stale is not None and environ.get(LIMITED) and environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            return self._serve(stale, environ, start_response)
        seconds = environ.get(MARK)
        if (seconds and environ["REQUEST_METHOD"] == "GET" and status.startswith("200 ")
                and len(body) <= MAX_BODY_BYTES
                and not any(name.lower() == "set-cookie" for name, _value in headers)):
            etag = next((value for name, value in headers if name.lower() == "etag"), None)
            # The server adds the date of each answer; a stored one would be stale.
            kept = [(name, value) for name, value in headers if name.lower() != "date"]
            now = time.monotonic()
            self.pages[key] = Entry(now + seconds, kept, body, etag, now)
            self.pages.move_to_end(key)
            self._shrink()
        start_response(status, headers, exc_info)
        return [body]

    def _shrink(self) -> None:
        """Drop the least recently stored pages until the cache is within its bounds."""
        try:
            while len(self.pages) > MAX_ENTRIES or (
                    len(self.pages) > 1 and sum(len(e.body) for e in list(self.pages.values())) > MAX_TOTAL_BYTES):
                self.pages.popitem(last=False)
        except (KeyError, RuntimeError):  # emptied by a commit in another thread meanwhile
            pass

    def _serve(self, entry: Entry, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """A stored answer, saying how old it is, so that a shared cache behind us keeps it only for what is left
        of its ``s-maxage``: ``Age`` (HTTP's way), and ``X-Accel-Expires`` with the seconds left for nginx, whose
        cache does not read ``Age`` (1.22: a page stored at 4 s old was still served at 6.5 s) and which passes
        the header on to nobody. An expired page served while another thread renders it: 0, not to be kept."""
        self.hits += 1
        now = time.monotonic()
        told = [("Age", str(int(now - entry.stored))), ("X-Accel-Expires", str(max(0, int(entry.expires - now))))]
        if entry.etag and not is_resource_modified(environ, etag=entry.etag):
            headers = Headers(entry.headers)
            remove_entity_headers(headers)
            start_response("304 Not Modified", [*headers.to_wsgi_list(), *told])
            return []
        start_response("200 OK", [*entry.headers, *told])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [entry.body]


def _mark(response: Response) -> Response:
    """Tell the middleware this response may be stored: a reading page, no form token.

    And where it is the page every anonymous reader gets (no session, no cookie set, not htmx's fragment), tell
    shared caches (nginx's micro-cache, see the README) they may keep it as long as we do; browsers revalidate
    it each time, cheaply, by ETag. Everything else is ``no-cache`` (webapp.assets)."""
    if (request.endpoint in CACHEABLE and response.status_code == 200 and response.mimetype == "text/html"
            and "csrf_token" not in g and not response.is_streamed):
        seconds = request.environ[MARK] = current_app.config.get("PAGE_CACHE_SECONDS", TTL)
        if (seconds > 0 and current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
                and not session.modified and "HX-Request" not in request.headers):
            response.cache_control.public = True
            response.cache_control.max_age = 0
            response.cache_control.s_maxage = int(seconds)
    return response


def reader_key() -> str:
    """Whose renders count together: the account when logged in, else the client's address
    (an IPv6 client's /64 network: one connection's addresses, which it may change at will)."""
    if current_user.is_authenticated:
        return f"account:{current_user.id}"
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"address:{address[:60]}"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"address:{ip.ipv4_mapped}"
        return f"network:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"address:{ip}"


def _limit_renders() -> Optional[Response]:
    """A reading page that reached Flask missed the cache: count it, and answer 429 over the limit.

    The limit (``PAGE_RENDER_RATE_LIMIT``, e.g. "120 per minute") is far above what a person
    reads; it stops one client from making the server render page after page (cache busting).
    The 429 page says how long to wait, in the reader's language; for htmx's "More comments"
    the same words replace the pager, focused.
    """
    limit = current_app.config.get("PAGE_RENDER_RATE_LIMIT")
    if request.endpoint not in CACHEABLE or not limit:
        return None
    refused_until = ratelimits.take(limit, f"render:{reader_key()}")
    if refused_until is None:
        return None
    request.environ[LIMITED] = True  # the cache serves an expired version instead, where it has one
    current_app.logger.info("Page renders limited for %s", reader_key())
    message = _too_many_pages(refused_until)
    response = notice_in_place(message, 429, "#comment-pages") if wants_fragment() else error_response(429, message)
    response.headers["Retry-After"] = ratelimits.retry_after(refused_until)
    return response


def _too_many_pages(reset_at: float) -> str:
    seconds = max(1, math.ceil(reset_at - time.time()))
    return _("Very many pages were requested from your connection in a short time. "
             "Please wait %(time)s, then reload this page.",
             time=format_timedelta(timedelta(seconds=seconds), threshold=1.1))


def init_app(app: Flask) -> None:
    """Wrap the app in the cache; mark cacheable responses; limit misses; empty the cache on every commit."""
    app.after_request(_mark)
    app.before_request(_limit_renders)
    app.wsgi_app = PageCache(app)  # type: ignore[method-assign]
    if not event.contains(Session, "after_commit", clear):
        event.listen(Session, "after_commit", clear)
