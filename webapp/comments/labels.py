"""The words every comment repeats, translated once per page.

A translation looked up in a template costs about 10 µs, and a discussion page shows up
to 120 comments with eight such words each: the discussion looks them up once.
"""

from __future__ import annotations

from types import SimpleNamespace

from flask_babel import gettext as _


def comment_labels() -> SimpleNamespace:
    """The labels of a comment's actions in the reader's language."""
    return SimpleNamespace(
        reply=_("Reply"), edit=_("Edit"), delete=_("Delete"), your_comment=_("your comment"),
        link=_("Link"), to_this_comment=_("to this comment"), report=_("Report"), this_comment=_("this comment"),
        agree=_("Agree"), disagree=_("Disagree"),
    )
