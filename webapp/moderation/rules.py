"""Who may report which comment, as small named predicates (in the style of comments.rules).

Reporting does not depend on the phase: a closed discussion stays readable, and an
offensive comment in it must still be reportable.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..comments import rules as comment_rules
from ..comments.models import Comment
from . import people

#: Why a report is not possible, in the reader's words.
REASONS = {
    "login": _l("Please log in to report a comment."),
    "unconfirmed": comment_rules.REASONS["unconfirmed"],
    "deleted": comment_rules.REASONS["deleted"],
    "hidden": comment_rules.REASONS["hidden"],
    "hidden_reports": comment_rules.REASONS["hidden_reports"],
    "own": _l("You cannot report your own comment."),
    "already_reported": _l("You have already reported this comment. The moderators will look at it."),
}


@dataclass(frozen=True)
class Decision(comment_rules.Decision):
    """A :class:`comments.rules.Decision` whose refusals are explained with the reasons above."""

    @property
    def message(self) -> str:
        if self.reason == "blocked":
            return super().message  # where, until when and why
        return str(REASONS.get(self.reason, ""))


ALLOWED = Decision(True)


def offers_report(user, comment: Comment) -> bool:
    """Whether the discussion shows a "Report" link: not on deleted comments nor on one's own.

    Logged-out readers see it too (it leads them to the login page). No query: templates call it per comment
    (a blocked reader's blocks are read once per request; the discussion tells them why they cannot take part).
    """
    if people.block_for(user, comment.project_id) is not None:
        return False
    return not comment.is_deleted and not comment.is_hidden and not (user.is_authenticated and comment.author_id == user.id)


def may_report(user, comment: Comment, already_reported: bool) -> Decision:
    """Logged in, confirmed, not blocked, someone else's comment that still exists, not reported by this reader yet."""
    if comment.is_deleted:
        return Decision(False, "deleted")
    if comment.is_hidden:
        return Decision(False, comment_rules.hidden_reason(comment))
    if not user.is_authenticated:
        return Decision(False, "login")
    if comment.author_id == user.id:
        return Decision(False, "own")
    if not user.is_confirmed:
        return Decision(False, "unconfirmed")
    block = people.block_for(user, comment.project_id)
    if block is not None:
        return Decision(False, "blocked", block)
    if already_reported:
        return Decision(False, "already_reported")
    return ALLOWED
