"""Who may do what with comments, as small named predicates used by commands, views and templates.

Each answers with a :class:`webapp.permissions.Decision`; a refusal carries the reason the reader is
shown (:data:`webapp.permissions.REASONS`), a "blocked" one the block itself.

Whether a person is kept from taking part (blocked) is not participation's to know: the rooms above
connect their restrictions (:func:`restrict_with`; the app factory connects conduct's person blocks), and
the predicates ask :func:`restriction_for`. Participation imports none of them.
"""

from __future__ import annotations

from typing import Optional

from flask_login import current_user

from .. import permissions
from ..hook import Hook
from ..phases.services import Timeline
from .models import Comment

#: What keeps ``user`` from taking part in project ``project_id`` now, ``restriction_for(user, project_id)``: a block,
#: or ``None`` (with ``project_id`` empty only what holds on the whole site counts). Conduct's
#: :func:`webapp.conduct.blocks.block_for`, connected by the app factory (``restrict_with``); unconnected it refuses
#: rather than answer "not blocked".
restriction_for = Hook("comments' restriction hook")
restrict_with = restriction_for.connect


def hidden_reason(comment: Comment, editing: bool = False) -> str:
    """The refusal's reason for a comment readers do not see: blocked by a moderator, or hidden after reports
    until one decides (each is told as what it is)."""
    reason = "hidden" if comment.is_blocked else "hidden_reports"
    return reason + "_edit" if editing else reason


def refused(reason: str, block=None) -> permissions.Decision:
    """A refusal to take part in the discussion (its "log in" says so): ``reason`` is a key of
    :data:`webapp.permissions.REASONS`."""
    return permissions.Decision(False, reason, about="discussion", block=block)


ALLOWED = permissions.ALLOWED


def not_blocked(user, project_id: Optional[int]) -> permissions.Decision:
    """Refused while ``user`` is blocked from project ``project_id`` or from the whole site.

    The person's blocks are read once per request (:func:`webapp.conduct.blocks.blocks_of`),
    so asking on every comment of a page costs no query.
    """
    block = restriction_for(user, project_id)
    return refused("blocked", block) if block is not None else ALLOWED


def block_here(project_id: Optional[int]):
    """The block that keeps the current reader from taking part in project ``project_id``, or ``None`` (for templates:
    a blocked person is not invited to comment)."""
    return restriction_for(current_user, project_id)


def may_comment(user, timeline: Timeline, project_id: Optional[int] = None) -> permissions.Decision:
    """Logged in, confirmed, not blocked, and the active phase allows commenting.

    ``project_id``: the project the timeline belongs to; by default read from its phases
    (a timeline that allows commenting has one).
    """
    if not timeline.allows("comment"):
        return refused("phase")
    if not user.is_authenticated:
        return refused("login")
    if not user.is_confirmed:
        return refused("unconfirmed")
    return not_blocked(user, project_id if project_id is not None else timeline.phases[0].project_id)


def may_reply(user, comment: Comment, timeline: Timeline) -> permissions.Decision:
    if comment.parent_id is not None:
        return refused("reply_to_reply")
    if comment.is_deleted:
        return refused("deleted")
    if comment.is_hidden:
        return refused(hidden_reason(comment))
    return may_comment(user, timeline, comment.project_id)


def may_delete(user, comment: Comment, timeline: Timeline) -> permissions.Decision:
    """One's own, not yet deleted, while the phase allows commenting.

    A person blocked from taking part may still take back what they wrote, and so may the author of a
    comment the moderators blocked or that is hidden after reports: it becomes the usual placeholder, its
    moderation record (state, reason, reports, audit entries) stays.
    """
    if comment.is_deleted:
        return refused("deleted")
    if not timeline.allows("comment"):
        return refused("phase")
    if not user.is_authenticated:
        return refused("login")
    if comment.author_id != user.id:
        return refused("author")
    return ALLOWED


def may_edit(user, comment: Comment, timeline: Timeline) -> permissions.Decision:
    """As :func:`may_delete`, and neither the person nor the comment blocked (nor the comment hidden after
    reports): editing would be a way round the block, or change what the moderators are reviewing."""
    decision = may_delete(user, comment, timeline)
    if decision and comment.is_hidden:
        return refused(hidden_reason(comment, editing=True))
    return not_blocked(user, comment.project_id) if decision else decision


def may_rate(user, comment: Comment, timeline: Timeline) -> permissions.Decision:
    """Someone else's comment, not deleted nor removed, while one may comment."""
    if comment.is_deleted:
        return refused("deleted")
    if comment.is_hidden:
        return refused(hidden_reason(comment))
    decision = may_comment(user, timeline, comment.project_id)
    if decision and comment.author_id == user.id:
        return refused("own")
    return decision
