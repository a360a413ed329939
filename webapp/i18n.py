"""Language modes: German, English and simple German, each with its own URL prefix.

The mode is part of every page's address (``/de/...``, ``/en/...``, ``/einfach/...``)
so that each version can be shared and bookmarked. The mode picks the interface
catalog (through Flask-Babel) and the version of the authors' texts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, g, has_request_context, request, url_for
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from jinja2 import pass_context
from markupsafe import Markup
from werkzeug.routing import BaseConverter, ValidationError


@dataclass(frozen=True)
class LanguageMode:
    """One way of reading the site."""

    key: str  #: stored with authors' texts: "de", "en", "simple"
    prefix: str  #: first segment of the URL
    locale: str  #: the Babel locale of the interface catalog
    html_lang: str  #: value of ``lang`` attributes (simple German is German)
    native_name: str  #: the mode's name in its own language, for the switcher


MODES: dict[str, LanguageMode] = {
    mode.key: mode
    for mode in (
        LanguageMode("de", "de", "de", "de", "Deutsch"),
        # British English formats: "25 November 2026, 14:03", not the US "November 25, 2026, 2:03 PM".
        LanguageMode("en", "en", "en_GB", "en", "English"),
        LanguageMode("simple", "einfach", "de@simple", "de", "Einfache Sprache"),
    )
}
DEFAULT_MODE = MODES["de"]
#: Texts missing in a mode are shown in this one instead.
FALLBACK_KEY = "de"
_BY_PREFIX = {mode.prefix: mode for mode in MODES.values()}


class ModeConverter(BaseConverter):
    """Matches only known prefixes, so an unknown one is a plain 404.

    Building a URL takes a :class:`LanguageMode` (or one of the prefixes themselves) and
    refuses anything else: a mode's *key* is not its prefix ("simple" vs. "einfach"), and a
    link built from it would lead nowhere. Pass the mode object, or :func:`mode_for` a key.
    """

    regex = "(?:" + "|".join(_BY_PREFIX) + ")"

    def to_python(self, value: str) -> LanguageMode:
        try:
            return _BY_PREFIX[value]
        except KeyError:
            raise ValidationError() from None

    def to_url(self, value: LanguageMode | str) -> str:
        if isinstance(value, LanguageMode):
            return value.prefix
        if isinstance(value, str) and value in _BY_PREFIX:
            return value
        raise ValueError(f"{value!r} is not a language mode's URL prefix ({', '.join(_BY_PREFIX)}); "
                         "pass the LanguageMode, e.g. mode_for(key)")


def mode_for(key: str | None) -> LanguageMode:
    """The mode stored under ``key`` (e.g. an account's ``language``); the default for unknown keys."""
    return MODES.get(key or "", DEFAULT_MODE)


#: How German letters are written in an address ("Straße" → "strasse").
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slug_from(text: str, taken: Callable[[str], bool], fallback: str) -> str:
    """A free address made from ``text``: lower-case, umlauts spelled out, other letters without accents, words
    joined by hyphens, at most 60 characters; "-2", "-3" ... added while ``taken`` says so (``fallback`` when
    nothing is left of the text)."""
    plain = unicodedata.normalize("NFKD", text.lower().translate(_SPELLED_OUT)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-") or fallback
    slug, number = base, 1
    while taken(slug):
        number += 1
        slug = f"{base}-{number}"
    return slug


class SlugConverter(BaseConverter):
    """Lower-case ASCII slugs; anything else (odd Unicode, NUL, huge) never reaches the database."""

    regex = "[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?"


def current_mode() -> LanguageMode:
    """The mode of this request: from the URL, else a guess for pages outside any mode.

    A job or command has no request: the default mode (what it renders, mail, names its
    recipient's mode itself).
    """
    mode = g.get("mode")
    if mode is None:
        mode = guess_mode() if has_request_context() else DEFAULT_MODE
        g.mode = mode
    return mode


def guess_mode() -> LanguageMode:
    """For URLs without a valid prefix (errors, ``/``): the path's prefix or the browser's choice."""
    first = request.path.lstrip("/").split("/", 1)[0]
    if first in _BY_PREFIX:
        return _BY_PREFIX[first]
    best = request.accept_languages.best_match(["de", "en"], default="de")
    return MODES[best]


#: Query parameters a page reads that its other modes keep (which page of comments, in which order).
KEPT_PARAMETERS = ("page", "sort", "category")


def show_in_switcher(endpoint: str, **args) -> None:
    """Name the page the switcher leads to, where it is not the request's own address: after a
    form was sent to a POST-only address, the page the form belongs to (else: a 405, text lost)."""
    g.switcher_target = (endpoint, args)


def page_address() -> str | None:
    """The address of the page the reader is on, to come back to (e.g. after logging in): for htmx requests
    the page that sent them; after a form was sent to a POST-only address, the page the form belongs to
    (as the switcher names it); ``None`` when a POST-only address has none. Not checked: pass it through
    :func:`webapp.forms.safe_next` where it becomes a redirect."""
    current = request.headers.get("HX-Current-URL")
    if current:  # htmx: the page that sent the request
        parts = urlsplit(current)
        if parts.netloc and parts.netloc != request.host:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")
    target = g.get("switcher_target")
    if target:
        return url_for(target[0], **target[1])
    if request.method == "GET" or (request.url_rule is not None and "GET" in (request.url_rule.methods or ())):
        return request.full_path.rstrip("?")
    return None  # a POST-only address: no page to come back to


def switcher_links() -> list[tuple[LanguageMode, str]]:
    """This page in every mode: the same endpoint, arguments and kept parameters, another prefix."""
    target = g.get("switcher_target")
    if target:
        endpoint, args = target[0], {**target[1], "mode": None}
    else:
        endpoint, args = request.endpoint, dict(request.view_args or {})
        if "mode" not in args or (request.url_rule is not None and "GET" not in (request.url_rule.methods or ())):
            endpoint = None  # no page of its own in other modes (or a POST-only address): the home page
        args.update({key: request.args[key] for key in KEPT_PARAMETERS if request.args.get(key)})
    return [(mode, url_for(endpoint, **{**args, "mode": mode}) if endpoint else url_for("projects.index", mode=mode))
            for mode in MODES.values()]


def lang_if_other(language: str | None) -> Markup:
    """`` lang="…"`` for text in ``language`` (an html lang) where it differs from the page's; else nothing.

    For text whose language is not the page's own, such as a German comment on an English
    page: screen readers switch voice (WCAG 3.1.2, language of parts).
    """
    if not language or language == current_mode().html_lang:
        return Markup("")
    return Markup(' lang="%s"') % language


def _template_gettext(message: str) -> str:
    """The translation of ``message`` in the current locale (that of a mail under ``force_locale`` too)."""
    return get_translations().ugettext(message)


#: Words templates show, ready (Markup where autoescaping), by (locale, message, autoescape): ``_()`` without
#: keywords. Flask-Babel finds the catalogue anew for every word, and Jinja's own newstyle ``_()`` goes through
#: two more calls and a ``%`` (about 9 µs a word; 340 words are 3 ms of a staff page); this returns what they
#: return. Only the literal messages of templates come here (their number is that of the catalogue), and at
#: most this many.
_SHOWN: dict[tuple, str] = {}
MAX_WORDS = 20_000


def _current_locale():
    """Flask-Babel's locale of this context, forced or not, read where Flask-Babel keeps it (one lookup of ``g``
    instead of the three of ``get_locale()``); ``get_locale()`` where it has not been read yet."""
    try:
        kept = g._get_current_object().__dict__.get("_flask_babel")
    except RuntimeError:  # outside any context
        kept = None
    locale = getattr(kept, "babel_locale", None)
    return locale if locale is not None else get_locale()


#: The catalogue's words by (locale, message), as Flask-Babel's ``gettext`` finds them (14 µs a word: it looks up
#: the context, the domain, the locale and the catalogue anew each time; 1 µs here). Its messages are those of
#: the code, so their number is the catalogue's; at most :data:`MAX_WORDS`.
_WORDS: dict[tuple, str] = {}


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext`` (the translation in the current locale, then ``%`` with the keywords), with each
    locale's words kept: ``_()`` in the code."""
    key = (_current_locale(), string)
    word = _WORDS.get(key)
    if word is None:
        word = get_translations().ugettext(string)
        if len(_WORDS) < MAX_WORDS:
            _WORDS[key] = word
    return word % variables if variables else word


def lazy_gettext(string: str, **variables) -> LazyString:
    """:func:`gettext` when the text is used (labels defined at import time): ``_l()`` in the code."""
    return LazyString(gettext, string, **variables)


@pass_context
def _gettext_in_templates(__context, __string: str, **variables):
    """``_()`` and ``gettext()`` in templates as Jinja's newstyle gettext answers them (the translation, Markup
    when autoescaping, then ``%`` with the keywords), kept per locale when there are no keywords."""
    autoescape = __context.eval_ctx.autoescape
    if variables:
        word = _template_gettext(__string)
        return (Markup(word) if autoescape else word) % variables
    key = (_current_locale(), __string, autoescape)
    shown = _SHOWN.get(key)
    if shown is None:
        word = _template_gettext(__string)
        shown = (Markup(word) if autoescape else word) % variables
        if len(_SHOWN) < MAX_WORDS:
            _SHOWN[key] = shown
    return shown


def init_app(app: Flask) -> None:
    """Register converters, take the mode out of URLs and put it back into ``url_for``."""
    app.url_map.converters["mode"] = ModeConverter
    app.url_map.converters["slug"] = SlugConverter

    @app.url_value_preprocessor
    def _take_mode(_endpoint, values):
        if values and "mode" in values:
            g.mode = values["mode"]

    @app.url_defaults
    def _add_mode(endpoint, values):
        if "mode" not in values and app.url_map.is_endpoint_expecting(endpoint, "mode"):
            values["mode"] = current_mode()

    @app.context_processor
    def _mode_context():
        return {"mode": current_mode(), "modes": MODES, "switcher_links": switcher_links, "page_address": page_address}

    app.jinja_env.globals["lang_if_other"] = lang_if_other

    Babel(app, locale_selector=lambda: current_mode().locale)
    # As Flask-Babel installs them (newstyle: autoescaping, ``%(name)s`` from keywords); then ``_()`` and
    # ``gettext()`` kept (above). Plurals depend on the number and are looked up each time.
    app.jinja_env.install_gettext_callables(
        gettext=_template_gettext,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(gettext=_gettext_in_templates, _=_gettext_in_templates)
