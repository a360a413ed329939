"""The authoring forms: a new project, a project's texts in the three modes, and the buttons."""

from __future__ import annotations

import re
from typing import Any, Optional

from wtforms import StringField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..forms import BaseForm, no_control_characters, normalise_prose
from ..i18n import FALLBACK_KEY
from ..i18n import lazy_gettext as _l
from .services import MODE_KEYS, TEXT_FIELDS

#: An address as the site's URLs take it (``webapp.i18n.SlugConverter``): lower-case letters, digits, hyphens.
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?\Z")
#: The longest description or background (a long text: about 30 printed pages).
MAX_LONG_TEXT = 100_000
#: The longest value of each text field.
MAX_LENGTH = {"title": 200, "teaser": 500, "description": MAX_LONG_TEXT, "background": MAX_LONG_TEXT, "image_alt": 500}
#: Each field's label, by (field, mode key).
LABELS = {
    ("title", "de"): _l("Title in German"),
    ("title", "en"): _l("Title in English"),
    ("title", "simple"): _l("Title in simple German"),
    ("teaser", "de"): _l("Teaser in German"),
    ("teaser", "en"): _l("Teaser in English"),
    ("teaser", "simple"): _l("Teaser in simple German"),
    ("description", "de"): _l("Description in German"),
    ("description", "en"): _l("Description in English"),
    ("description", "simple"): _l("Description in simple German"),
    ("background", "de"): _l("Background in German"),
    ("background", "en"): _l("Background in English"),
    ("background", "simple"): _l("Background in simple German"),
    ("image_alt", "de"): _l("Alternative text of the image in German"),
    ("image_alt", "en"): _l("Alternative text of the image in English"),
    ("image_alt", "simple"): _l("Alternative text of the image in simple German"),
}
#: What a mode's texts cannot be without, once any of its fields is filled in: the message, by (field, mode key).
REQUIRED = {
    ("title", "de"): _l("Please enter a title in German."),
    ("teaser", "de"): _l("Please enter a teaser in German: one or two sentences that say what the project is about."),
    ("title", "en"): _l("English texts need a title too: please enter one, or empty all English fields."),
    ("teaser", "en"): _l("English texts need a teaser too: please enter one, or empty all English fields."),
    ("title", "simple"): _l("Texts in simple German need a title too: please enter one, or empty all their fields."),
    ("teaser", "simple"): _l("Texts in simple German need a teaser too: please enter one, or empty all their fields."),
}


def _too_long(limit: int):
    return Length(max=limit, message=_l("The text is too long: please shorten it to %(max)d characters."))


def _text(name: str, label):
    kind = StringField if name in ("title", "image_alt") else TextAreaField
    rows = {"teaser": 3, "description": 12, "background": 12}.get(name)
    return kind(label, filters=[normalise_prose], validators=[_too_long(MAX_LENGTH[name]), no_control_characters],
                render_kw={"rows": rows} if rows else {})


class ButtonForm(BaseForm):
    """A form that is only a button (publish, unpublish): its token."""


class NewProjectForm(BaseForm):
    """A new project: its German title and teaser, and its address."""

    title = _text("title", LABELS["title", "de"])
    teaser = _text("teaser", LABELS["teaser", "de"])
    slug = StringField(_l("Web address"), filters=[lambda v: (v or "").strip().lower()])

    def validate_title(self, field):
        if not field.data:
            raise ValidationError(REQUIRED["title", "de"])

    def validate_teaser(self, field):
        if not field.data:
            raise ValidationError(REQUIRED["teaser", "de"])

    def validate_slug(self, field):
        if field.data and not SLUG.match(field.data):
            raise ValidationError(_l("Please use only lower-case letters a to z, digits and hyphens (at most 80), "
                                     "and begin and end with a letter or digit, for example: radwege-2027."))


class ProjectTextsForm(BaseForm):
    """A project's texts, each field in German, English and simple German (``title_de``, ``title_en``, ...)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for key in MODE_KEYS:
            if self.values(key) is None and key != FALLBACK_KEY:
                continue
            for name in ("title", "teaser"):
                field = self[f"{name}_{key}"]
                if not field.data and not field.errors:
                    field.errors = [*field.errors, REQUIRED[name, key]]
                    valid = False
        return valid

    def values(self, key: str) -> Optional[dict[str, Any]]:
        """The texts entered in mode ``key`` by field name, or ``None`` when all of them are empty."""
        values = {name: self[f"{name}_{key}"].data or "" for name in TEXT_FIELDS}
        return values if any(values.values()) else None

    def texts(self) -> dict[str, Optional[dict[str, Any]]]:
        """What :func:`webapp.authoring.services.save_texts` stores: each mode's values, or ``None``."""
        return {key: self.values(key) for key in MODE_KEYS}


for _name in TEXT_FIELDS:
    for _key in MODE_KEYS:
        setattr(ProjectTextsForm, f"{_name}_{_key}", _text(_name, LABELS[_name, _key]))
