"""Rendered pieces of HTML, kept under a key that names everything they show.

A discussion page shows up to 120 comments, and rendering one costs about 0.4 ms: the
discussion keeps each comment's HTML (:mod:`webapp.comments.fragments`). What this module
knows is only how to keep strings:

- a key names the fragment's whole content (the row's state as the page shows it, the
  reader's bits, the language, the build), so nothing is ever invalidated: a change makes
  a new key at once, for every reader and process, and the old entry ages out;
- in each process a least-recently-used store of at most ``FRAGMENT_CACHE_MB`` megabytes
  (64; 0 switches the cache off);
- with ``REDIS_URL`` also in Redis, shared by every worker and instance, each entry for
  ``FRAGMENT_CACHE_SECONDS``: what a process lacks is read in one ``MGET`` per page and
  written in one pipeline, never one round trip per fragment. Redis being away costs a
  logged warning and a render, never an error page.

The build (a digest of the templates, the translations and this code) is part of every
Redis key: a new release never shows the last release's HTML.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from flask import Flask, current_app
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from redis import Redis

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
#: Megabytes of fragments each process keeps (a comment is about 2 KB, a page's list of them 200 KB).
MEGABYTES = 64
#: How long Redis keeps a fragment nobody asked for again.
SECONDS = 24 * 3600


@lru_cache(maxsize=1)
def build() -> str:
    """A digest of what HTML is made of here: templates, compiled translations and the Python code."""
    digest = hashlib.blake2b(digest_size=8)
    for folder, pattern in ((ROOT / "templates", "**/*.html"), (ROOT / "translations", "**/*.mo"),
                            (ROOT / "webapp", "**/*.py")):
        for path in sorted(folder.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Bounded:
    """Values kept in this process, least recently used out first once they exceed ``limit`` together, each
    counted as ``size(value)`` (characters of HTML, near enough bytes); one larger than ``limit`` is not kept.
    Safe across threads."""

    def __init__(self, limit: int, size: Callable[[Any], int] = len) -> None:
        self.limit = limit
        self._size_of = size
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, Any]:
        found = {}
        with self._lock:
            for key in keys:
                value = self._kept.get(key)
                if value is not None:
                    self._kept.move_to_end(key)
                    found[key] = value
        return found

    def get(self, key: Hashable) -> Any:
        return self.get_many((key,)).get(key)

    def put_many(self, values: dict[Hashable, Any]) -> None:
        with self._lock:
            for key, value in values.items():
                size = self._size_of(value)
                old = self._kept.pop(key, None)
                if old is not None:
                    self._size -= self._size_of(old)
                if size > self.limit:
                    continue
                self._size += size
                self._kept[key] = value
            while self._size > self.limit and self._kept:
                self._size -= self._size_of(self._kept.popitem(last=False)[1])

    def put(self, key: Hashable, value: Any) -> None:
        self.put_many({key: value})

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = 0


#: Where a reader's form token stands in kept HTML (never in escaped text: it starts with "<").
TOKEN = "<!--csrf-token-->"


def without_token(html: str) -> str:
    """``html`` to keep: this reader's form token replaced by :data:`TOKEN`."""
    return html.replace(generate_csrf(), TOKEN)


def with_token(html: str) -> str:
    """Kept ``html`` to send: :data:`TOKEN` replaced by this reader's form token."""
    return html.replace(TOKEN, generate_csrf())


#: Where a form's submission key stands in kept HTML: each form sent is stored once by its key
#: (``comments.services.create``), so no two pages served may share one; each gets a new key on the way out.
SUBMISSION_KEY = "<!--submission-key-->"
_SUBMISSION_KEY_VALUE = re.compile(r'(<input [^>]*name="(?:[\w-]+-)?submission_key"[^>]*value=")[A-Za-z0-9_-]*"')


def without_keys(html: str) -> str:
    """``html`` to keep: every form's submission key replaced by :data:`SUBMISSION_KEY`."""
    return _SUBMISSION_KEY_VALUE.sub(lambda match: match.group(1) + SUBMISSION_KEY + '"', html)


def with_keys(html: str) -> str:
    """Kept ``html`` to send: a new submission key for every form in it."""
    if SUBMISSION_KEY not in html:
        return html
    return re.sub(re.escape(SUBMISSION_KEY), lambda _match: secrets.token_urlsafe(16), html)


class FragmentCache:
    """One app's fragments: in this process, and in Redis when the app has ``REDIS_URL``."""

    def __init__(self, megabytes: float, redis_url: Optional[str], seconds: int) -> None:
        self.limit = int(megabytes * 1024 * 1024)  # characters, near enough bytes for HTML
        self.seconds = seconds
        self._kept: Bounded = Bounded(self.limit)
        self._redis = None
        if redis_url and self.limit:
            self._redis = Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
            # Read once at start-up, not on a reader's request: every file the HTML is made of.
            self._prefix = "mitreden:fragment:" + build() + ":"

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def get_many(self, keys: Iterable[Hashable]) -> dict[Hashable, str]:
        """The fragments kept under ``keys`` (those it has): this process's first, the rest from Redis in one go."""
        keys = list(keys)
        found = self._kept.get_many(keys)
        missing = [key for key in keys if key not in found]
        if missing and self._redis is not None:
            try:
                values = self._redis.mget([self._redis_key(key) for key in missing])
            except Exception as error:  # noqa: BLE001 - any Redis trouble: render instead
                log.warning("Fragment cache: Redis not reachable (%s); rendering", error)
                return found
            shared = {key: value.decode() for key, value in zip(missing, values, strict=True) if value is not None}
            self._kept.put_many(shared)
            found.update(shared)
        return found

    def put_many(self, fragments: dict[Hashable, str]) -> None:
        """Keep ``fragments`` here, and in Redis for the other processes (one pipeline)."""
        if not fragments or not self.enabled:
            return
        self._kept.put_many(fragments)
        if self._redis is not None:
            try:
                with self._redis.pipeline(transaction=False) as pipe:
                    for key, html in fragments.items():
                        pipe.set(self._redis_key(key), html.encode(), ex=self.seconds)
                    pipe.execute()
            except Exception as error:  # noqa: BLE001 - any Redis trouble: the next page renders again
                log.warning("Fragment cache: Redis not reachable (%s); not shared", error)

    def clear(self) -> None:
        """Forget what this process keeps (Redis entries age out)."""
        self._kept.clear()

    def _redis_key(self, key: Hashable) -> str:
        return self._prefix + hashlib.blake2b(repr(key).encode(), digest_size=16).hexdigest()


class Pieces:
    """The pieces of one page that a template macro makes, each kept under a key that names all it shows
    (``keys``: the piece's name on the page → its key), fetched in one go and kept in one go after the page."""

    def __init__(self, keys: dict[Hashable, Hashable]) -> None:
        self.cache = cache()
        self.keys = keys if self.cache.enabled else {}
        self.kept = self.cache.get_many(self.keys.values()) if self.keys else {}
        self._new: dict[Hashable, str] = {}

    def render(self, name: Hashable, macro: Callable[..., Markup], *args: Any) -> Markup:
        """The piece ``name``: kept, or made by ``macro(*args)`` and kept."""
        key = self.keys.get(name)
        if key is None:
            return macro(*args)
        return self.kept_or_made(key, lambda: macro(*args))

    def kept_or_made(self, key: Hashable, make: Callable[[], Markup], holds_token: bool = False) -> Markup:
        """The HTML kept under ``key``, else ``make()``'s, kept at the end of the page; ``holds_token``: it holds
        this reader's form token, kept as :data:`TOKEN`."""
        html = self.kept.get(key)
        if html is None:
            html = str(make())
            self._new[key] = without_token(html) if holds_token else html
            return Markup(html)
        return Markup(with_token(html) if holds_token else html)

    def keep(self) -> None:
        """Keep what this page made (after the page: one write to Redis)."""
        self.cache.put_many(self._new)
        self._new = {}


def cache() -> FragmentCache:
    """The current app's fragment cache."""
    return current_app.extensions["fragment_cache"]


def init_app(app: Flask) -> None:
    megabytes = float(app.config.get("FRAGMENT_CACHE_MB", MEGABYTES))
    app.extensions["fragment_cache"] = FragmentCache(megabytes, app.config.get("REDIS_URL"),
                                                     int(app.config.get("FRAGMENT_CACHE_SECONDS", SECONDS)))
