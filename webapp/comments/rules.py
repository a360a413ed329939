"""Who may do what with comments, as small named predicates used by views and templates.

Each answers with a :class:`Decision`; a refusal carries the reason the reader is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from ..phases.services import Timeline
from .models import Comment

#: Why something is not possible, in the reader's words.
REASONS = {
    "phase": _l("The current phase does not allow comments."),
    "login": _l("Please log in to take part in the discussion."),
    "unconfirmed": _l("Please confirm your email address first. We have sent you a link."),
    "author": _l("You can only change your own comments."),
    "deleted": _l("This comment has been deleted."),
    "reply_to_reply": _l("You can only reply to a comment, not to a reply."),
    "own": _l("You cannot rate your own comment."),
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        return str(REASONS.get(self.reason, ""))


ALLOWED = Decision(True)


def may_comment(user, timeline: Timeline) -> Decision:
    """Logged in, confirmed, and the active phase allows commenting."""
    if not timeline.allows("comment"):
        return Decision(False, "phase")
    if not user.is_authenticated:
        return Decision(False, "login")
    if not user.is_confirmed:
        return Decision(False, "unconfirmed")
    return ALLOWED


def may_reply(user, comment: Comment, timeline: Timeline) -> Decision:
    if comment.parent_id is not None:
        return Decision(False, "reply_to_reply")
    if comment.is_deleted:
        return Decision(False, "deleted")
    return may_comment(user, timeline)


def may_change(user, comment: Comment, timeline: Timeline) -> Decision:
    """Edit or delete: one's own, not yet deleted, while the phase allows commenting."""
    if comment.is_deleted:
        return Decision(False, "deleted")
    if not timeline.allows("comment"):
        return Decision(False, "phase")
    if not user.is_authenticated:
        return Decision(False, "login")
    if comment.author_id != user.id:
        return Decision(False, "author")
    return ALLOWED


def may_rate(user, comment: Comment, timeline: Timeline) -> Decision:
    """Someone else's comment, not deleted, while one may comment."""
    if comment.is_deleted:
        return Decision(False, "deleted")
    decision = may_comment(user, timeline)
    if decision and comment.author_id == user.id:
        return Decision(False, "own")
    return decision
