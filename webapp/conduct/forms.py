"""Forms of the staff pages for blocking people and for a project's discussion rules and settings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Optional

from flask_babel import ngettext
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from .. import clock
from ..forms import BaseForm, DayField, no_control_characters, normalise_prose
from ..i18n import lazy_gettext as _l
from .blocks import MAX_REASON
from .rules import AUTO_HIDE_CHOICES, MAX_RULES

#: Whose calendar a chosen end date belongs to (the site's readers are in Germany, like its dates).
#: How far ahead an end date may lie.
MAX_YEARS = 5
DURATIONS = ("7", "30", "date", "forever")
SCOPES = ("project", "site")

_CHOOSE_DURATION = _l("Please choose how long the block lasts.")
_CHOOSE_SCOPE = _l("Please choose where the person is blocked.")


class BlockPersonForm(BaseForm):
    """Block a person: where (administrators only may choose the whole site), how long, and why (required)."""

    scope = RadioField(_l("Where is the person blocked?"), default="project", validate_choice=False,
                       validators=[DataRequired(_CHOOSE_SCOPE), AnyOf(SCOPES, message=_CHOOSE_SCOPE)])
    duration = RadioField(_l("How long?"), validate_choice=False,
                          validators=[DataRequired(_CHOOSE_DURATION), AnyOf(DURATIONS, message=_CHOOSE_DURATION)])
    until = DayField(_l("Last day of the block"))
    reason = TextAreaField(
        _l("Reason"),
        filters=[normalise_prose],
        validators=[DataRequired(_l("Please give the reason. The person is told it.")),
                    Length(max=MAX_REASON,
                           message=_l("The reason is too long: please shorten it to %(max)d characters.")),
                    no_control_characters],
        render_kw={"rows": 4},
    )

    def __init__(self, site_allowed: bool, **kwargs):
        super().__init__(**kwargs)
        self.duration.choices = [("7", _l("7 days")), ("30", _l("30 days")), ("date", _l("Until a date")),
                                 ("forever", _l("With no end date"))]
        if site_allowed:
            self.scope.choices = [("project", _l("In this project")), ("site", _l("On the whole website"))]
        else:
            del self.scope  # only administrators block site-wide: others are not offered the choice

    def validate_until(self, field):
        """A date is needed for "until a date", after today and within ``MAX_YEARS`` years."""
        if self.duration.data != "date":
            return
        today = self.today()
        if field.data is None:
            if field.unreadable:
                raise ValidationError(_l("Please enter the date as day, month and year, for example %(example)s.",
                                         example=field.example(today)))
            raise ValidationError(_l("Please enter the last day of the block."))
        if field.data <= today:
            raise ValidationError(_l("The last day of the block must be after today."))
        if field.data > today.replace(year=today.year + MAX_YEARS):
            raise ValidationError(_l("The last day of the block can be at most %(years)d years from now.",
                                     years=MAX_YEARS))

    @staticmethod
    def today() -> date:
        """Today in Berlin, the calendar the chosen day belongs to."""
        return clock.berlin_today()

    @property
    def site_wide(self) -> bool:
        return "scope" in self and self.scope.data == "site"

    def ends_at(self) -> Optional[datetime]:
        """When the chosen block ends (aware UTC), ``None`` for no end: N days from now, or the end of the chosen day in Berlin."""
        choice = self.duration.data
        if choice == "forever":
            return None
        if choice == "date":
            return end_of_day(self.until.data)
        return clock.utcnow() + timedelta(days=int(choice))


def end_of_day(day: date) -> datetime:
    """The last minute of ``day`` in Berlin, in UTC: a block "until 31 March" holds all of that day."""
    return clock.berlin_moment(day, time(23, 59))


class EndBlockForm(BaseForm):
    """End a block early: the CSRF token only."""


def _rules_field(label):
    return TextAreaField(label, filters=[normalise_prose], validators=[
        Length(max=MAX_RULES, message=_l("The text is too long: please shorten it to %(max)d characters.")),
        no_control_characters], render_kw={"rows": 12})


class SettingsForm(BaseForm):
    """A project's discussion rules per mode, and its automatic hiding."""

    rules_de = _rules_field(_l("Discussion rules in German"))
    rules_en = _rules_field(_l("Discussion rules in English"))
    rules_simple = _rules_field(_l("Discussion rules in simple German"))
    auto_hide_after = SelectField(_l("Hide reported comments automatically"), validate_choice=False)

    def __init__(self, current: Optional[int] = None, **kwargs):
        super().__init__(**kwargs)
        numbers = sorted({*AUTO_HIDE_CHOICES, *([current] if current else [])})
        self.auto_hide_after.choices = [("", _l("Never: the moderators decide on every report"))] + [
            (str(n), ngettext("Once %(num)d person has reported a comment",
                              "Once %(num)d different people have reported a comment", n)) for n in numbers]
        self._allowed = {"", *(str(n) for n in numbers)}

    def validate_auto_hide_after(self, field):
        if (field.data or "") not in self._allowed:
            raise ValidationError(_l("Please choose one of the offered numbers."))

    @property
    def auto_hide(self) -> Optional[int]:
        return int(self.auto_hide_after.data) if self.auto_hide_after.data else None

    def texts(self) -> dict[str, str]:
        """The rules as entered, by mode key."""
        return {"de": self.rules_de.data or "", "en": self.rules_en.data or "", "simple": self.rules_simple.data or ""}
