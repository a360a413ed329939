"""Storing reports, once per reader and comment, and reading them back for the reader's data download."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from .. import db
from ..comments.models import Comment
from .models import Report


def has_reported(comment_id: int, user_id: int) -> bool:
    """Whether ``user_id`` has reported the comment already."""
    return db.session().exec(
        select(Report.id).where(Report.comment_id == comment_id, Report.reporter_id == user_id)
    ).first() is not None


def report(comment: Comment, reporter_id: int, reason: str, explanation: str = "") -> bool:
    """Store a report. False when this reader had reported the comment already (nothing new is stored).

    The unique constraint decides, so the same form sent twice at the same moment stores one row.
    """
    session = db.session()
    session.add(Report(comment_id=comment.id, reporter_id=reporter_id, reason=reason, explanation=explanation or "",
                       comment_text=comment.body))
    try:
        session.commit()
    except IntegrityError:  # reported a moment ago, e.g. a double click
        session.rollback()
        return False
    return True


def reports_by(user) -> list[dict]:
    """The reports ``user`` made, for the download of their own data."""
    rows = db.session().exec(select(Report).where(Report.reporter_id == user.id).order_by(Report.created_at)).all()
    return [
        {"comment_id": r.comment_id, "reason": r.reason, "explanation": r.explanation,
         "created_at": r.created_at.isoformat(), "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None}
        for r in rows
    ]
