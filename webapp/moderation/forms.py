"""The report form: a reason (required) and, if the reader likes, what is wrong with the comment."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from ..forms import BaseForm, Honeypot, no_control_characters, normalise_prose
from .models import MAX_EXPLANATION, REASONS

REASON_LABELS = {
    "insult": _l("Insult, threat or discrimination"),
    "spam": _l("Advertising or spam"),
    "personal_data": _l("Personal data of others"),
    "off_topic": _l("Not about the topic"),
    "other": _l("Something else"),
}
_CHOOSE = _l("Please choose why you are reporting this comment.")


class ReportForm(BaseForm):
    # Our own validators instead of WTForms' choice check, so every message comes from our catalogs.
    reason = RadioField(_l("Why are you reporting this comment?"), validate_choice=False,
                        validators=[DataRequired(_CHOOSE), AnyOf(REASONS, message=_CHOOSE)])
    explanation = TextAreaField(
        _l("What is wrong with it? (optional)"),
        filters=[normalise_prose],
        validators=[
            Length(max=MAX_EXPLANATION,
                   message=_l("Your explanation is too long: please shorten it to %(max)d characters.")),
            no_control_characters,
        ],
        render_kw={"rows": 4},
    )
    website = Honeypot(_l("Website"))

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.reason.choices = [(key, REASON_LABELS[key]) for key in REASONS]
