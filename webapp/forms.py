"""What every form shares: localized messages, control-character checks, a day typed the German way, safe redirects.

Every validator gets its message from our catalogs (WTForms' own translations have no
simple German). CSRF failures are reported with our own words, see ``error_messages``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime
from typing import Optional
from urllib.parse import urlsplit

from babel import support
from flask import has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from .i18n import lazy_gettext as _l

#: Characters no one types: C0/C1 controls except tab and newline, and lone surrogates.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


@functools.cache
def _wtforms_words(locale: str) -> support.Translations:
    """WTForms' own catalog for ``locale``, read once (Flask-WTF reads the file again in every request that builds a
    form: 0.2 ms of each comment published)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class BaseForm(FlaskForm):
    """A form whose CSRF failure reads as "the form expired", with the input kept."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form):
            """WTForms' words in the page's language (what Flask-WTF gives, kept per locale)."""
            locale = get_locale() if has_request_context() else None
            return _wtforms_words(str(locale)) if locale is not None else None

    def refuse(self, message: str, field=None) -> None:
        """A refusal of the whole form (say, a rate limit): shown like an error, first in the summary, which
        links to ``field`` (where the text is kept), and "Error:" in the page's title."""
        self.form_errors.append(message)
        self.__dict__.setdefault("_refusal_targets", {})[message] = field.id if field is not None else ""

    def error_messages(self) -> list[tuple[str, str]]:
        """(field id, message) for each refusal of the form (:meth:`refuse`), then each field with errors, in field order."""
        targets = self.__dict__.get("_refusal_targets", {})
        messages = [(targets.get(message, ""), str(message)) for message in self.form_errors]
        for field in self:
            if field.errors:
                if field.type == "CSRFTokenField":  # also a prefixed form's "block-csrf_token": never a link to it
                    messages.append(("", str(_l("This form has expired. Please check your input and send it again."))))
                else:
                    messages.append((field.id, str(field.errors[0])))
        return messages


def _stays_empty(_form, field) -> None:
    if field.data:
        raise ValidationError(_l("Please empty the field “Leave this field empty” and send the form again. "
                                 "It is there to keep out automated messages."))


class Honeypot(StringField):
    """A field people never see or fill in; a value most likely means a bot.

    Text browsers do show it, so a person may fill it in: the form then comes back with an
    error that says so (with everything else kept), rather than pretending to succeed.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, [*(validators or []), _stays_empty], **kwargs)


class DayField(DateField):
    """A calendar day, typed as people write it: ``24.12.2026``, ``24.12.26`` or ``2026-12-24``.

    It renders as ``type="date"`` with the ISO value a date picker needs (and sends); where there
    is no picker (text browsers, some phones), the box takes the German way of writing a date too.
    Name the format in the field's hint, up front, with :meth:`example`.

    A value that is no date leaves ``data`` empty and :attr:`unreadable` true, without an error of
    its own: the form words it in our catalogs (WTForms' message is English only), and only
    where the date matters (e.g. when "until a date" is chosen).
    """

    #: What is read, in this order; the first is what the field shows (the ISO form pickers need).
    FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("format", list(self.FORMATS))
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0]:
            return
        text = "".join(valuelist[0].split()).rstrip(".")  # "24. 12. 2026" and "24.12.2026." too
        for pattern in self.FORMATS:
            try:
                self.data = datetime.strptime(text, pattern).date()
                return
            except ValueError:
                continue

    @property
    def unreadable(self) -> bool:
        """Something was typed, and it is no date in any of :data:`FORMATS`."""
        return bool(self.raw_data and self.raw_data[0].strip()) and self.data is None

    @staticmethod
    def example(today: date) -> str:
        """A date to show the format with: the last day of next year (always ahead, day before month)."""
        return date(today.year + 1, 12, 31).strftime("%d.%m.%Y")


class ClockField(StringField):
    """A time of day, typed as people write it: ``14:30``, ``14.30``, ``9`` or ``9 Uhr``.

    It renders as ``type="time"`` (a picker where there is one); as for :class:`DayField`, a value that is
    no time leaves ``data`` empty and :attr:`unreadable` true, for the form to word in our catalogs.
    """

    FORMATS = ("%H:%M", "%H.%M", "%H")

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("type", "time")
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0]:
            return
        text = "".join(valuelist[0].lower().split()).removesuffix("uhr")
        for pattern in self.FORMATS:
            try:
                self.data = datetime.strptime(text, pattern).time()
                return
            except ValueError:
                continue

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""

    @property
    def unreadable(self) -> bool:
        """Something was typed, and it is no time of day."""
        return bool(self.raw_data and self.raw_data[0].strip()) and self.data is None


def no_control_characters(_form, field) -> None:
    """Refuse control characters; the text comes back with each shown as "�" so it can be found."""
    if field.data and _CONTROL.search(field.data):
        field.data = _CONTROL.sub("\ufffd", field.data)
        raise ValidationError(_l("Please remove the invisible control characters from the text."))


def normalise_text(value: Optional[str]) -> Optional[str]:
    """Unify line breaks and Unicode composition; strip surrounding space."""
    if value is None:
        return None
    return unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()


#: Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): a right-to-left override
#: turns "x\u202etxt.exe" into what reads as "xexe.txt". Text people write never needs them (the page
#: isolates every comment already); the marks U+200E, U+200F and U+061C stay: they only set a
#: direction at one place and are used in right-to-left writing.
_BIDI_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def normalise_prose(value: Optional[str]) -> Optional[str]:
    """``normalise_text`` for what people write (comments, replies, report explanations, discussion rules):
    bidi controls are dropped too.

    Usernames are not filtered this way: they refuse such characters instead,
    so a name never silently becomes another one.
    """
    if value is None:
        return None
    return normalise_text(_BIDI_CONTROLS.sub("", value))


def safe_next(target: Optional[str]) -> Optional[str]:
    """``target`` if it is a path on this site, else ``None`` (no open redirects, no header injection)."""
    if not target or len(target) > 2000 or "\\" in target or _CONTROL.search(target) or any(c in target for c in "\r\n\t"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
