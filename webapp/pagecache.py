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

Pages are stored after their ETag is set and before compression, so readers whose
browsers accept gzip or brotli share the entries. Under load only one thread renders a
page at a time: while it renders an expired page, others get the previous version; while
it renders a missing one, others wait for it (no stampede of identical renders).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Optional

from flask import Flask, Response, current_app, g, request
from sqlalchemy import event
from sqlmodel import Session

#: Seconds a page is kept (``PAGE_CACHE_SECONDS``; 0 switches the cache off).
TTL = 5.0
MAX_ENTRIES = 512
CACHEABLE = frozenset({"projects.index", "projects.detail", "projects.background", "documents.chapter",
                       "documents.paragraph", "pages.show"})

#: Every app's cache, so that apps on different databases (tests) never share pages.
_caches: "list[OrderedDict[str, tuple[float, bytes, dict[str, str]]]]" = []


def _pages() -> "OrderedDict[str, tuple[float, bytes, dict[str, str]]]":
    return current_app.extensions["page_cache"]


def clear(*_args) -> None:
    """Forget every cached page (after any commit: something may have changed)."""
    for pages in _caches:
        pages.clear()


def _cacheable() -> bool:
    return (current_app.config.get("PAGE_CACHE_SECONDS", TTL) > 0 and request.method in ("GET", "HEAD")
            and request.endpoint in CACHEABLE
            and "session" not in request.cookies and "HX-Request" not in request.headers)


_guard = threading.Lock()  # protects the per-page locks' table
_rendering: dict[str, threading.Lock] = {}


def _serve(entry) -> Response:
    g.page_from_cache = True
    return Response(entry[1], 200, headers=entry[2])


def _lookup() -> Optional[Response]:
    if not _cacheable():
        return None
    pages, key = _pages(), request.full_path
    entry = pages.get(key)
    if entry is not None and entry[0] >= time.monotonic():
        return _serve(entry)
    with _guard:
        lock = _rendering.setdefault(f"{id(pages)}:{key}", threading.Lock())
    if entry is not None:  # expired: one thread refreshes, the others get the previous version
        if not lock.acquire(blocking=False):
            return _serve(entry)
    elif not lock.acquire(timeout=10):  # missing: wait for the thread that renders it
        return None
    entry = pages.get(key)
    if entry is not None and entry[0] >= time.monotonic():  # rendered while we waited
        lock.release()
        return _serve(entry)
    g.page_render_lock = lock
    return None


def _release(_exc=None) -> None:
    lock = g.pop("page_render_lock", None)
    if lock is not None:
        lock.release()


def _store(response: Response) -> Response:
    if (_cacheable() and not g.get("page_from_cache") and response.status_code == 200
            and response.mimetype == "text/html" and "csrf_token" not in g and "Set-Cookie" not in response.headers
            and not response.is_streamed and "Content-Encoding" not in response.headers):
        headers = {name: response.headers[name] for name in ("Content-Type", "Vary", "ETag", "Cache-Control")
                   if name in response.headers}
        pages = _pages()
        seconds = current_app.config.get("PAGE_CACHE_SECONDS", TTL)
        pages[request.full_path] = (time.monotonic() + seconds, response.get_data(), headers)
        with _guard:
            while len(pages) > MAX_ENTRIES:
                pages.popitem(last=False)
    _release()
    return response


def init_app(app: Flask) -> None:
    """Serve cached pages before anything else runs; store new ones between ETag and compression.

    Call after ``assets.init_app``. Flask runs after_request hooks last-registered first, so
    ``_store`` goes just before the ETag hook in the list: it runs after it, and before
    the compression registered earlier.
    """
    pages: "OrderedDict[str, tuple[float, bytes, dict[str, str]]]" = OrderedDict()
    app.extensions["page_cache"] = pages
    _caches.append(pages)
    app.before_request_funcs.setdefault(None, []).insert(0, _lookup)
    hooks = app.after_request_funcs.setdefault(None, [])
    etag_hook = next(i for i, hook in enumerate(hooks) if hook.__name__ == "_conditional_pages")
    hooks.insert(etag_hook, _store)
    app.teardown_request(_release)  # a failed render must not keep others waiting
    if not event.contains(Session, "after_commit", clear):
        event.listen(Session, "after_commit", clear)
