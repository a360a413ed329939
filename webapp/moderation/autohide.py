"""Automatic hiding: a comment reported by enough people is hidden until a moderator decides.

Automatic hiding is off unless the project sets ``auto_hide_after`` (its moderation settings, in
:mod:`webapp.conduct.rules`): once that many different people with confirmed accounts have reported a
comment and no moderator has dealt with those reports yet, the comment is hidden until a moderator decides
(:func:`maybe_hide`, called by ``services.report``, and by :func:`hide_what_reached` for the reports already
there when the threshold is set: conduct's settings page asks it through
:func:`webapp.conduct.rules.apply_new_threshold`, which the app factory connects). Official answers and the
staff's comments are never hidden automatically; the moderators and the author are told by mail.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy import update as sa_update
from sqlmodel import col, select

from .. import audit, clock, db
from ..accounts.models import User
from ..comments.models import Comment
from ..conduct.rules import settings_for
from ..permissions import staff_badges
from . import notify
from .models import Report


def counting_reports(comment_ids) -> dict[int, int]:
    """Per comment, the open reports that count towards automatic hiding (one query).

    Only reports of people whose account still exists and is confirmed count, one per person (a
    report is unique per reader and comment): reports of deleted accounts stop counting, so
    registering, reporting and deleting the account over and over hides nothing (security report N2).
    """
    ids = list(comment_ids)
    if not ids:
        return {}
    return dict(db.session().exec(
        select(Report.comment_id, func.count(Report.id)).join(User, User.id == Report.reporter_id)
        .where(col(Report.comment_id).in_(ids), col(Report.resolved_at).is_(None),
               col(User.email_confirmed_at).is_not(None))
        .group_by(Report.comment_id)).all())


def never_hidden_automatically(comment) -> bool:
    """Official answers and comments of the project's staff are hidden only by a moderator's decision."""
    return comment.official or (comment.author_id is not None and comment.author_id in staff_badges(comment.project_id))


def maybe_hide(comment, project=None) -> bool:
    """Hide ``comment`` if the reports that count (:func:`counting_reports`) have reached the project's
    ``auto_hide_after``; True if it did. The moderators who want each report and the comment's author are
    told by mail, in their modes.

    Called by ``services.report`` right after a report is stored, and for every comment of the project when
    the threshold is set (:func:`hide_what_reached`). Open reports are those no moderator has dealt with yet,
    so a comment a moderator reviewed is hidden again only once that many people report it anew. A comment
    already hidden, blocked or deleted is left alone, and official answers and staff comments are never
    hidden automatically. The conditional update makes two reports at the same moment hide it once, with one
    audit entry (actor: the system). The caller commits.
    """
    limit = settings_for(project.id if project is not None else comment.project_id).auto_hide_after
    if not limit or comment.open_report_count < limit:
        return False
    if comment.hidden_at is not None or comment.blocked_at is not None or comment.deleted_at is not None:
        return False
    if never_hidden_automatically(comment):
        return False
    reports = counting_reports([comment.id]).get(comment.id, 0)
    if reports < limit:
        return False
    session = db.session()
    now = clock.utcnow()
    result = session.execute(sa_update(Comment).where(
        Comment.id == comment.id, col(Comment.hidden_at).is_(None), col(Comment.blocked_at).is_(None),
        col(Comment.deleted_at).is_(None)).values(hidden_at=now))
    if result.rowcount != 1:
        return False
    session.refresh(comment, ["hidden_at"])
    audit.record(None, "comment.auto_hide", "comment", comment.id, project_id=comment.project_id,
                 reports=reports, limit=limit)
    notify.hidden_automatically(comment, reports)
    return True


def hide_what_reached(project) -> int:
    """With a new threshold: hide the project's comments whose counting open reports have reached it already
    (staff and citizens reports: a threshold set after the reports came must not leave them visible). How many."""
    limit = settings_for(project.id).auto_hide_after
    if not limit:
        return 0
    candidates = db.session().exec(select(Comment).where(
        Comment.project_id == project.id, Comment.open_report_count >= limit, col(Comment.hidden_at).is_(None),
        col(Comment.blocked_at).is_(None), col(Comment.deleted_at).is_(None))).all()
    return sum(1 for comment in candidates if maybe_hide(comment, project))


def show_what_no_longer_counts(comment_ids) -> int:
    """After reporters' accounts were deleted: comments hidden automatically whose counting reports are now
    below the threshold are shown again (the system's audit entry says why). How many."""
    ids = list(comment_ids)
    if not ids:
        return 0
    session = db.session()
    hidden = session.exec(select(Comment).where(col(Comment.id).in_(ids), col(Comment.hidden_at).is_not(None),
                                                col(Comment.blocked_at).is_(None))).all()
    counts = counting_reports(c.id for c in hidden)
    shown = 0
    for comment in hidden:
        limit = settings_for(comment.project_id).auto_hide_after
        if limit and counts.get(comment.id, 0) >= limit:
            continue
        comment.hidden_at = None
        session.add(comment)
        audit.record(None, "comment.auto_show", "comment", comment.id, project_id=comment.project_id,
                     reports=counts.get(comment.id, 0), limit=limit)
        shown += 1
    return shown
