"""The authoring forms: a new project, a project's texts in the three modes, and the buttons."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Optional

from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, Length, ValidationError
from wtforms.validators import Optional as MayBeEmpty  # typing.Optional is used here too

from ..clock import BERLIN, berlin_moment, berlin_today
from ..forms import BaseForm, ClockField, DayField, no_control_characters, normalise_prose
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


class TextsInModes(BaseForm):
    """A form with an author's texts in the three modes: a field "<column>_<mode key>" for each of ``columns``, the
    columns of the text rows (``ProjectText``, ``PhaseText``, ...) that :func:`webapp.localized.write_texts` stores."""

    columns: tuple[str, ...] = ()

    def values(self, key: str) -> Optional[dict[str, str]]:
        """The texts entered in mode ``key`` by column, or ``None`` when all of them are empty."""
        values = {name: self[f"{name}_{key}"].data or "" for name in self.columns}
        return values if any(values.values()) else None

    def texts(self) -> dict[str, Optional[dict[str, str]]]:
        """Each mode's texts by column, ``None`` for a mode left empty: what ``write_texts`` stores."""
        return {key: self.values(key) for key in MODE_KEYS}

    @classmethod
    def filled(cls, rows, **data):
        """The form filled with the text ``rows`` as stored (and ``data`` for its other fields)."""
        return cls(data={**{f"{name}_{row.language}": getattr(row, name) or "" for row in rows for name in cls.columns},
                         **data})


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


class ProjectTextsForm(TextsInModes):
    """A project's texts, each field in German, English and simple German (``title_de``, ``title_en``, ...)."""

    columns = TEXT_FIELDS

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


for _name in TEXT_FIELDS:
    for _key in MODE_KEYS:
        setattr(ProjectTextsForm, f"{_name}_{_key}", _text(_name, LABELS[_name, _key]))


#: What readers can do in each kind of phase, as the phase form offers it.
PHASE_KIND_CHOICES = (
    ("information", _l("Information: readers read the project; they cannot comment yet")),
    ("commenting", _l("Commenting: readers can comment, reply and rate")),
    ("results", _l("Results: the discussion is closed; readers read what became of it")),
)
PHASE_REQUIRED = {
    "de": _l("Please enter a title in German."),
    "en": _l("An English description needs an English title too: please enter one, or empty both."),
    "simple": _l("A description in simple German needs a title in simple German too: please enter one, or empty both."),
}


class PhaseForm(TextsInModes):
    """A phase: what readers can do, its first and last moment (Berlin time), its title and description per mode."""

    columns = ("title", "description")
    kind = RadioField(_l("What readers can do"), choices=[SelectChoice(value, label) for value, label in PHASE_KIND_CHOICES],
                      validate_choice=False)
    starts_on = DayField(_l("First day"))
    starts_time = ClockField(_l("Starts at (time)"), default=time(0, 0))
    ends_on = DayField(_l("Last day"))
    ends_time = ClockField(_l("Ends at (time)"), default=time(23, 59))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.kind.data not in dict(PHASE_KIND_CHOICES):
            self.kind.errors = [*self.kind.errors, _l("Please choose what readers can do in this phase.")]
            valid = False
        for day, clock, missing in ((self.starts_on, self.starts_time, _l("Please enter the phase's first day.")),
                                    (self.ends_on, self.ends_time, _l("Please enter the phase's last day."))):
            if day.unreadable:
                day.errors = [*day.errors, _l("Please enter the date as day, month and year, for example %(example)s.",
                                              example=self.day_example())]
                valid = False
            elif day.data is None and not day.errors:
                day.errors = [*day.errors, missing]
                valid = False
            if clock.unreadable:
                clock.errors = [*clock.errors, _l("Please enter the time as hours and minutes, for example 18:00.")]
                valid = False
        starts, ends = self.moment("starts"), self.moment("ends")
        if starts and ends and ends <= starts and not self.ends_time.unreadable and not self.starts_time.unreadable:
            self.ends_on.errors = [*self.ends_on.errors, _l("The end must come after the start.")]
            valid = False
        for key in MODE_KEYS:
            title, description = self[f"title_{key}"], self[f"description_{key}"]
            if (key == FALLBACK_KEY or description.data) and not title.data and not title.errors:
                title.errors = [*title.errors, PHASE_REQUIRED[key]]
                valid = False
        return valid

    @staticmethod
    def day_example() -> str:
        """A day to show how to write one (the last of next year)."""
        return DayField.example(berlin_today())

    def moment(self, which: str) -> Optional[datetime]:
        """The phase's start or end ("starts", "ends") as entered, aware (Berlin time), or ``None``; an end is the
        last second of its minute (the demo's phases end at 23:59:59)."""
        day, clock = self[f"{which}_on"].data, self[f"{which}_time"].data
        if day is None:
            return None
        if which == "starts":
            return berlin_moment(day, clock or time(0, 0))
        return berlin_moment(day, clock or time(23, 59)) + timedelta(seconds=59)  # to the end of that minute

    @classmethod
    def of(cls, phase) -> "PhaseForm":
        """The form filled with ``phase`` as it is, in Berlin time."""
        starts, ends = phase.starts_at.astimezone(BERLIN), phase.ends_at.astimezone(BERLIN)
        return cls.filled(phase.texts, kind=phase.kind, starts_on=starts.date(),
                          starts_time=starts.time().replace(second=0), ends_on=ends.date(),
                          ends_time=ends.time().replace(second=0, microsecond=0))


for _key in MODE_KEYS:
    setattr(PhaseForm, f"title_{_key}", StringField(
        LABELS["title", _key], filters=[normalise_prose],
        validators=[_too_long(200), no_control_characters]))
    setattr(PhaseForm, f"description_{_key}", TextAreaField(
        LABELS["description", _key], filters=[normalise_prose],
        validators=[_too_long(2000), no_control_characters], render_kw={"rows": 4}))


class ChapterForm(TextsInModes):
    """A chapter's title in the three modes (German needed)."""

    columns = ("title",)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.title_de.data and not self.title_de.errors:
            self.title_de.errors = [*self.title_de.errors, REQUIRED["title", "de"]]
            valid = False
        return valid


for _key in MODE_KEYS:
    setattr(ChapterForm, f"title_{_key}", StringField(
        LABELS["title", _key], filters=[normalise_prose], validators=[_too_long(200), no_control_characters]))


PARAGRAPH_LABELS = {
    ("heading", "de"): _l("Heading in German (optional)"),
    ("heading", "en"): _l("Heading in English (optional)"),
    ("heading", "simple"): _l("Heading in simple German (optional)"),
    ("body", "de"): _l("Text in German"),
    ("body", "en"): _l("Text in English"),
    ("body", "simple"): _l("Text in simple German"),
}
PARAGRAPH_REQUIRED = {
    "de": _l("Please write the paragraph's text in German."),
    "en": _l("The English heading needs an English text too: please write it, or empty the heading."),
    "simple": _l("The heading in simple German needs a text in simple German too: please write it, or empty the "
                 "heading."),
}
#: The longest text of one paragraph.
MAX_PARAGRAPH = 20_000


class ParagraphForm(TextsInModes):
    """A paragraph's optional heading and its Markdown text in the three modes (German text needed)."""

    columns = ("heading", "body")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for key in MODE_KEYS:
            heading, body = self[f"heading_{key}"], self[f"body_{key}"]
            if (key == FALLBACK_KEY or heading.data) and not body.data and not body.errors:
                body.errors = [*body.errors, PARAGRAPH_REQUIRED[key]]
                valid = False
        return valid


for _key in MODE_KEYS:
    setattr(ParagraphForm, f"heading_{_key}", StringField(
        PARAGRAPH_LABELS["heading", _key], filters=[normalise_prose], validators=[_too_long(300), no_control_characters]))
for _key in MODE_KEYS:
    setattr(ParagraphForm, f"body_{_key}", TextAreaField(
        PARAGRAPH_LABELS["body", _key], filters=[normalise_prose],
        validators=[_too_long(MAX_PARAGRAPH), no_control_characters], render_kw={"rows": 10}))


class OrganisationForm(BaseForm):
    """An organisation's name and the contact that project pages and mails about its projects name."""

    name = StringField(_l("Name"), filters=[normalise_prose], validators=[_too_long(200), no_control_characters])
    # The address check the accounts use (email-validator, through WTForms), for an address that may be left empty.
    email = StringField(_l("Email address for questions"), filters=[lambda v: (v or "").strip()],
                        validators=[MayBeEmpty(), _too_long(254),
                                    Email(_l("Please enter an email address like name@example.org."),
                                          check_deliverability=False)],
                        render_kw={"type": "email", "autocomplete": "off"})
    phone = StringField(_l("Phone"), filters=[normalise_prose], validators=[_too_long(50), no_control_characters],
                        render_kw={"type": "tel"})
    website = StringField(_l("Website"), filters=[lambda v: (v or "").strip()], validators=[_too_long(500)],
                          render_kw={"type": "url"})
    address = TextAreaField(_l("Postal address"), filters=[normalise_prose],
                            validators=[_too_long(1000), no_control_characters], render_kw={"rows": 4})

    def validate_name(self, field):
        if not field.data:
            raise ValidationError(_l("Please enter the organisation's name."))

    def validate_website(self, field):
        if field.data and not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", field.data):
            raise ValidationError(_l("Please enter the website's full address, starting with https://."))

    def values(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ("name", "email", "phone", "website", "address")}
