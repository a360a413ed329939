"""Who may do what with comments, as small named predicates used by views and templates.

Each answers with a :class:`Decision`; a refusal carries the reason the reader is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from flask_babel import lazy_gettext as _l

from .. import permissions
from ..moderation import people
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
    "blocked": _l("You have been blocked from taking part."),  # said in full with the block (Decision.message)
    # Where the comment is quoted, the quote says that it is blocked or hidden: these say what that means.
    "hidden": _l("A comment blocked by the moderators can no longer be answered, rated or reported."),
    "hidden_reports": _l("Until the moderators have reviewed it, a hidden comment cannot be answered, rated or "
                         "reported."),
    "hidden_edit": _l("A comment blocked by the moderators can no longer be changed. You can still delete it."),
    "hidden_reports_edit": _l("Until the moderators have reviewed it, a hidden comment cannot be changed. You can "
                              "still delete it."),
}


def hidden_reason(comment: Comment, editing: bool = False) -> str:
    """The refusal's reason for a comment readers do not see: blocked by a moderator, or hidden after reports
    until one decides (each is told as what it is)."""
    reason = "hidden" if comment.is_blocked else "hidden_reports"
    return reason + "_edit" if editing else reason


@dataclass(frozen=True)
class Decision(permissions.Decision):
    """The permissions' Decision, its refusals explained with the reasons above.

    A "blocked" refusal carries the :class:`~webapp.moderation.people.PersonBlock`: its message
    says where, until when and why.
    """

    block: Any = field(default=None, compare=False)

    @property
    def message(self) -> str:
        if self.reason == "blocked" and self.block is not None:
            return people.refusal(self.block)
        return str(REASONS.get(self.reason, ""))


ALLOWED = Decision(True)


def not_blocked(user, project_id: Optional[int]) -> Decision:
    """Refused while ``user`` is blocked from project ``project_id`` or from the whole site.

    The person's blocks are read once per request (:func:`webapp.moderation.people.blocks_of`),
    so asking on every comment of a page costs no query.
    """
    block = people.block_for(user, project_id)
    return Decision(False, "blocked", block) if block is not None else ALLOWED


def block_here(project_id: Optional[int]):
    """The block that keeps the current reader from taking part in project ``project_id``, or ``None`` (for templates:
    a blocked person is not invited to comment)."""
    from flask_login import current_user

    return people.block_for(current_user, project_id)


def may_comment(user, timeline: Timeline, project_id: Optional[int] = None) -> Decision:
    """Logged in, confirmed, not blocked, and the active phase allows commenting.

    ``project_id``: the project the timeline belongs to; by default read from its phases
    (a timeline that allows commenting has one).
    """
    if not timeline.allows("comment"):
        return Decision(False, "phase")
    if not user.is_authenticated:
        return Decision(False, "login")
    if not user.is_confirmed:
        return Decision(False, "unconfirmed")
    return not_blocked(user, project_id if project_id is not None else timeline.phases[0].project_id)


def may_reply(user, comment: Comment, timeline: Timeline) -> Decision:
    if comment.parent_id is not None:
        return Decision(False, "reply_to_reply")
    if comment.is_deleted:
        return Decision(False, "deleted")
    if comment.is_hidden:
        return Decision(False, hidden_reason(comment))
    return may_comment(user, timeline, comment.project_id)


def may_delete(user, comment: Comment, timeline: Timeline) -> Decision:
    """One's own, not yet deleted, while the phase allows commenting.

    A person blocked from taking part may still take back what they wrote, and so may the author of a
    comment the moderators blocked or that is hidden after reports: it becomes the usual placeholder, its
    moderation record (state, reason, reports, audit entries) stays.
    """
    if comment.is_deleted:
        return Decision(False, "deleted")
    if not timeline.allows("comment"):
        return Decision(False, "phase")
    if not user.is_authenticated:
        return Decision(False, "login")
    if comment.author_id != user.id:
        return Decision(False, "author")
    return ALLOWED


def may_edit(user, comment: Comment, timeline: Timeline) -> Decision:
    """As :func:`may_delete`, and neither the person nor the comment blocked (nor the comment hidden after
    reports): editing would be a way round the block, or change what the moderators are reviewing."""
    decision = may_delete(user, comment, timeline)
    if decision and comment.is_hidden:
        return Decision(False, hidden_reason(comment, editing=True))
    return not_blocked(user, comment.project_id) if decision else decision


def may_rate(user, comment: Comment, timeline: Timeline) -> Decision:
    """Someone else's comment, not deleted nor removed, while one may comment."""
    if comment.is_deleted:
        return Decision(False, "deleted")
    if comment.is_hidden:
        return Decision(False, hidden_reason(comment))
    decision = may_comment(user, timeline, comment.project_id)
    if decision and comment.author_id == user.id:
        return Decision(False, "own")
    return decision
