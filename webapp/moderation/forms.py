"""The report form: a reason (required) and, if the reader likes, what is wrong with the comment."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from ..forms import BaseForm, Honeypot, no_control_characters, normalise_prose
from ..i18n import lazy_gettext as _l
from .models import BLOCK_REASON_LABELS, BLOCK_REASONS, MAX_EXPLANATION, REASON_LABELS, REASONS

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


_BLOCK_REASON = _l("Please choose why the comment is blocked.")


class BlockForm(BaseForm):
    """Block a comment: a reason from the list (required) and, if the moderator likes, words of their own."""

    reason = RadioField(_l("Why is the comment blocked?"), validate_choice=False,
                        validators=[DataRequired(_BLOCK_REASON), AnyOf(BLOCK_REASONS, message=_BLOCK_REASON)])
    text = TextAreaField(
        _l("Explanation for the author and readers (optional)"),
        filters=[normalise_prose],
        validators=[Length(max=MAX_EXPLANATION,
                           message=_l("The explanation is too long: please shorten it to %(max)d characters.")),
                    no_control_characters],
        render_kw={"rows": 3},
    )

    def __init__(self, **kwargs):
        super().__init__(prefix="block-", **kwargs)
        self.reason.choices = [(key, BLOCK_REASON_LABELS[key]) for key in BLOCK_REASONS]


class AnswerForm(BaseForm):
    """An official answer for the project team."""

    text = TextAreaField(
        _l("Official answer of the project team"),
        filters=[normalise_prose],
        validators=[DataRequired(_l("Please write the answer.")),
                    Length(max=4000, message=_l("The answer is too long: please shorten it to %(max)d characters.")),
                    no_control_characters],
        render_kw={"rows": 5},
    )

    def __init__(self, **kwargs):
        super().__init__(prefix="answer-", **kwargs)


class NoteForm(BaseForm):
    """A private note for the project's staff."""

    text = TextAreaField(
        _l("Private note for the moderators"),
        filters=[normalise_prose],
        validators=[DataRequired(_l("Please write the note.")),
                    Length(max=4000, message=_l("The note is too long: please shorten it to %(max)d characters.")),
                    no_control_characters],
        render_kw={"rows": 3},
    )

    def __init__(self, **kwargs):
        super().__init__(prefix="note-", **kwargs)


class ActionForm(BaseForm):
    """The actions that need no words (restore, mark reviewed, highlight): the CSRF token only."""


_CHOOSE_ACTION = _l("Please choose what to do with the selected comments.")
_CHOOSE_COMMENTS = _l("Please select at least one comment.")


class BulkForm(BaseForm):
    """One action for several comments of the queue, chosen with checkboxes (or all of the page at once).

    ``shown`` is the page's comments as the moderator saw them (hidden fields): "all comments on
    this page" means those, not whatever the page would show by the time the form arrives.
    """

    comment = SelectMultipleField(_l("Selected comments"), coerce=int, validate_choice=False)
    all = BooleanField(_l("All comments on this page"))
    shown = SelectMultipleField(coerce=int, validate_choice=False)
    action = SelectField(_l("Action for the selected comments"), validate_choice=False,
                         validators=[DataRequired(_CHOOSE_ACTION), AnyOf(("review", "block", "restore"), message=_CHOOSE_ACTION)])
    reason = SelectField(_l("Reason, when blocking"), validate_choice=False)
    text = TextAreaField(
        _l("Explanation for the authors and readers, when blocking (optional)"),
        filters=[normalise_prose],
        validators=[Length(max=MAX_EXPLANATION,
                           message=_l("The explanation is too long: please shorten it to %(max)d characters.")),
                    no_control_characters],
        render_kw={"rows": 3},
    )

    def __init__(self, **kwargs):
        super().__init__(prefix="bulk-", **kwargs)
        self.action.choices = [("", _l("Choose an action")), ("review", _l("Mark as reviewed")),
                               ("block", _l("Block")), ("restore", _l("Restore"))]
        self.reason.choices = [("", _l("Choose a reason"))] + [(key, BLOCK_REASON_LABELS[key]) for key in BLOCK_REASONS]

    @property
    def selected(self) -> list[int]:
        """The comments to act on: those ticked, and the page's when "all on this page" is ticked; each once."""
        chosen = list(self.comment.data or []) + (list(self.shown.data or []) if self.all.data else [])
        return list(dict.fromkeys(chosen))

    def validate_comment(self, field):
        if not self.selected:
            raise ValidationError(_CHOOSE_COMMENTS)

    def validate_reason(self, field):
        if self.action.data == "block" and field.data not in BLOCK_REASONS:
            raise ValidationError(_BLOCK_REASON)


_CHOOSE_MAIL = _l("Please choose when you want mail about reports.")


class ReportMailForm(BaseForm):
    """A moderator's choice of mail about reports."""

    report_mail = RadioField(_l("Mail about reported comments"), validate_choice=False,
                             validators=[DataRequired(_CHOOSE_MAIL), AnyOf(("each", "digest", "none"), message=_CHOOSE_MAIL)])

    def __init__(self, **kwargs):
        super().__init__(prefix="report-mail-", **kwargs)
        self.report_mail.choices = [
            ("each", _l("A mail for each reported comment (more reports of it within 10 minutes in one mail)")),
            ("digest", _l("One mail a day with the day's reports")),
            ("none", _l("No mail: I look into the moderation queue myself")),
        ]
