"""Template filters: Markdown, and dates in the reader's locale and Europe/Berlin time."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from flask import Flask
from flask_babel import format_date, format_number, format_time, get_locale, get_timezone, to_user_timezone
from jinja2 import pass_eval_context
from markupsafe import Markup

from .i18n import gettext
from .markdown import render as render_markdown


def iso_local(value: datetime) -> str:
    """A timestamp as ISO 8601 in Berlin time with its offset, for ``<time datetime>``."""
    return to_user_timezone(value).isoformat(timespec="minutes")


def date_long(value: datetime) -> str:
    """The date in the reader's locale, e.g. "2. Januar 2027" / "2 January 2027"."""
    return format_date(value, "long")


def datetime_long(value: datetime) -> str:
    """Date and time in the reader's locale and Berlin time, e.g. "2. Januar 2027, 23:59 Uhr" or
    "2 January 2027, 23:59 (Berlin time)": readers abroad are told which clock it is."""
    return gettext("%(date)s, %(time)s (Berlin time)", date=format_date(value, "long"), time=format_time(value, "short"))


def datetime_text(value: datetime) -> str:
    """Date and time as plain text (for names of controls), formatted once per locale like the <time> elements."""
    return _datetime_text(value, str(get_locale()), str(get_timezone()))


@lru_cache(maxsize=8192)
def _datetime_text(value: datetime, _locale: str, _timezone: str) -> str:
    return datetime_long(value)


def time_element(value: datetime, with_time: bool = False) -> Markup:
    """A ``<time>`` element whose machine value carries the offset."""
    return _time_element(value, with_time, str(get_locale()), str(get_timezone()))


@lru_cache(maxsize=8192)
def _time_element(value: datetime, with_time: bool, _locale: str, _timezone: str) -> Markup:
    # Formatting a date costs about 0.1 ms and a discussion page shows a hundred of them:
    # each comment's date is formatted once per locale and kept.
    text = _datetime_text(value, _locale, _timezone) if with_time else date_long(value)  # a control's name has it too
    return Markup('<time datetime="{}">{}</time>').format(iso_local(value), text)


@pass_eval_context
def format_number_here(_eval_context, value) -> str:
    """A number in the reader's locale. Taking the evaluation context keeps Jinja from working out
    ``4000|format_number`` once at compile time, in whichever locale the first page had."""
    return format_number(value)


def full_stop(value) -> str:
    """``value`` as a sentence: a full stop added unless it ends in one (or in "!", "?", "…") already, so a
    label that is a sentence in simple German does not end in "..": "Grund: Er passt nicht zum Thema."."""
    text = str(value).rstrip()
    return text if not text or text[-1] in ".!?…" else text + "."


def init_app(app: Flask) -> None:
    """Register the filters and trim whitespace so pages stay small (the comments' own filters and globals come
    with their blueprint: infrastructure knows no domain)."""
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(
        markdown=render_markdown,
        iso_local=iso_local,
        date_long=date_long,
        datetime_long=datetime_long,
        datetime_text=datetime_text,
        time_element=time_element,
        format_number=format_number_here,
        full_stop=full_stop,
    )
