"""Who may report which comment, as small named predicates (in the style of comments.rules).

Reporting does not depend on the phase: a closed discussion stays readable, and an
offensive comment in it must still be reportable.
"""

from __future__ import annotations

from .. import permissions
from ..comments import rules as comment_rules
from ..comments.models import Comment
from ..conduct.blocks import block_for


def refused(reason: str, block=None) -> permissions.Decision:
    """A refusal to report (its "log in" and "own" say so): ``reason`` is a key of :data:`webapp.permissions.REASONS`."""
    return permissions.Decision(False, reason, about="report", block=block)


ALLOWED = permissions.ALLOWED


def offers_report(user, comment: Comment) -> bool:
    """Whether the discussion shows a "Report" link: not on deleted comments nor on one's own.

    Logged-out readers see it too (it leads them to the login page). No query: templates call it per comment
    (a blocked reader's blocks are read once per request; the discussion tells them why they cannot take part).
    """
    if block_for(user, comment.project_id) is not None:
        return False
    return not comment.is_deleted and not comment.is_hidden and not (user.is_authenticated and comment.author_id == user.id)


def may_report(user, comment: Comment, already_reported: bool) -> permissions.Decision:
    """Logged in, confirmed, not blocked, someone else's comment that still exists, not reported by this reader yet."""
    if comment.is_deleted:
        return refused("deleted")
    if comment.is_hidden:
        return refused(comment_rules.hidden_reason(comment))
    if not user.is_authenticated:
        return refused("login")
    if comment.author_id == user.id:
        return refused("own")
    if not user.is_confirmed:
        return refused("unconfirmed")
    block = block_for(user, comment.project_id)
    if block is not None:
        return refused("blocked", block)
    if already_reported:
        return refused("already_reported")
    return ALLOWED
