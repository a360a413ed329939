"""Comment forms: the text rules are the same for comments, replies and edits."""

from __future__ import annotations

import re
import secrets

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm, Honeypot, no_control_characters, normalise_prose
from ..i18n import lazy_gettext as _l
from .models import CATEGORIES, CATEGORY_LABELS, MAX_LENGTH

#: What our forms put in submission_key (secrets.token_urlsafe); anything else is ignored.
_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


class CommentForm(BaseForm):
    body = TextAreaField(
        _l("Your comment"),
        filters=[normalise_prose],
        validators=[
            DataRequired(_l("Please write your comment.")),
            Length(max=MAX_LENGTH, message=_l("Your comment is too long: please shorten it to %(max)d characters.")),
            no_control_characters,
        ],
        render_kw={"rows": 6},
    )
    # Stripped first: a category of only white space is "none" (Optional() lets it through unchecked, and it must
    # not reach the column; hypothesis sent 30 line breaks, a 500 on PostgreSQL).
    category = SelectField(_l("Category (optional)"), choices=[], validators=[Optional()], validate_choice=True,
                           filters=[lambda value: value.strip() if isinstance(value, str) else value])
    #: One key per rendered form: sending the same form twice stores one comment.
    submission_key = HiddenField(filters=[lambda key: key if key and _KEY.fullmatch(key) else None])
    website = Honeypot(_l("Website"))

    def __init__(self, categories: list[str] = (), **kwargs):
        super().__init__(**kwargs)
        if categories:
            self.category.choices = [("", _l("No category"))] + [(key, CATEGORY_LABELS[key]) for key in categories
                                                                 if key in CATEGORIES]
        else:
            del self.category
        if not self.submission_key.data:
            self.submission_key.data = secrets.token_urlsafe(16)


class ReplyForm(CommentForm):
    body = TextAreaField(
        _l("Your reply"),
        filters=[normalise_prose],
        validators=[DataRequired(_l("Please write your reply.")), *CommentForm.body.kwargs["validators"][1:]],
        render_kw={"rows": 4},
    )

    def __init__(self, parent_id: int, **kwargs):
        # Its own prefix: the inline reply form shares a page with the comment form and other
        # reply forms, and every field, hint, error and summary id must be unique on a page.
        super().__init__(categories=(), prefix=f"reply-{parent_id}", **kwargs)


class RatingForm(BaseForm):
    """Agree or disagree: the pressed button's ``value`` says which."""


class DeleteForm(BaseForm):
    """A button only."""
