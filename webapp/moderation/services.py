"""Storing reports, once per reader and comment, and reading them back for the reader's data download."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_
from sqlalchemy import update as sa_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import col, select

from .. import db, permissions
from ..accounts.models import User
from ..clock import utcnow
from ..comments.models import Comment
from ..documents.models import Chapter, Paragraph
from ..i18n import lazy_gettext as _l
from . import autohide, notify, rules
from .models import ModeratorNote, Report


def has_reported(comment_id: int, user_id: int) -> bool:
    """Whether ``user_id`` has reported the comment already."""
    return db.session().exec(
        select(Report.id).where(Report.comment_id == comment_id, Report.reporter_id == user_id)
    ).first() is not None


@permissions.command
def report(actor: User, comment: Comment, reason: str, explanation: str = "") -> bool:
    """``actor`` reports the comment (in the caller's transaction). False when they had reported it already.

    Refused (:class:`~webapp.permissions.Refused`) unless :func:`.rules.may_report` allows it; whether this
    reader reported it before is not asked there but decided by the insert, as follows.

    The unique constraint decides, so the same form sent twice at the same moment stores one row:
    the insert runs in a savepoint, and a refused one leaves the caller's transaction as it was.
    The comment's report counters go up in the same statement for every reader (no lost update).
    """
    permissions.require(rules.may_report(actor, comment, already_reported=False))
    session = db.session()
    stored = Report(comment_id=comment.id, reporter_id=actor.id, reason=reason, explanation=explanation or "",
                    comment_text=comment.body)
    try:
        with db.savepoint():
            session.add(stored)
    except IntegrityError:  # reported a moment ago, e.g. a double click
        return False
    session.execute(sa_update(Comment).where(Comment.id == comment.id).values(
        report_count=Comment.report_count + 1, open_report_count=Comment.open_report_count + 1))
    session.refresh(comment, ["report_count", "open_report_count"])
    autohide.maybe_hide(comment)  # the project's automatic hiding, if it has one
    notify.report_received(comment, stored)  # moderators who want each report get a mail
    return True


@permissions.command
def choose_report_mail(actor: User, choice: str) -> None:
    """How reports reach ``actor`` by mail: "each", "digest" or "none" (refused for those who moderate nothing)."""
    permissions.require(permissions.may_get_report_mail(actor))
    if choice not in notify.CHOICES:
        raise ValueError(f"unknown report mail choice {choice!r}")
    if choice == "digest" and actor.report_mail != "digest":
        actor.report_digest_until = utcnow()  # what came before, came by mail or was not wanted
    actor.report_mail = choice
    db.session().add(actor)


def comments_of(project, comment_ids: list[int]) -> list[Comment]:
    """Those of ``comment_ids`` that are comments of ``project`` (one query; others are left out)."""
    if not comment_ids:
        return []
    return list(db.session().exec(select(Comment).where(col(Comment.id).in_(comment_ids),
                                                        Comment.project_id == project.id)).all())


def reported_open_by(user_id: int) -> list[int]:
    """The comments ``user_id`` has reported and no moderator has dealt with yet."""
    return list(db.session().exec(select(Report.comment_id).where(Report.reporter_id == user_id,
                                                                  col(Report.resolved_at).is_(None))).all())


def reports_by(user) -> list[dict]:
    """The reports ``user`` made, for the download of their own data."""
    rows = db.session().exec(select(Report).where(Report.reporter_id == user.id).order_by(Report.created_at)).all()
    return [
        {"comment_id": r.comment_id, "reason": r.reason, "explanation": r.explanation,
         "created_at": r.created_at.isoformat(), "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None}
        for r in rows
    ]


#: The queue's filters and their names: what each shows (all but "all" leave out comments deleted by their authors).
FILTERS = {"all": _l("All comments"), "needs_review": _l("Needs review"), "reported": _l("With reports"),
           "reviewed": _l("Reviewed"), "blocked": _l("Blocked"), "highlighted": _l("Highlighted")}
#: The queue's orders and their names; the first is the default.
SORTS = {"reports": _l("Most reports first"), "newest": _l("Newest first")}
QUEUE_PAGE_SIZE = 20


@dataclass
class QueuePage:
    """One page of the moderation queue, with everything its items show, loaded in a fixed number of queries."""

    comments: list[Comment]
    total: int
    page: int
    show: str
    sort: str
    parents: dict[int, Comment] = field(default_factory=dict)
    reasons: dict[int, list[tuple[str, int]]] = field(default_factory=dict)
    paragraphs: dict[int, object] = field(default_factory=dict)
    #: The chapters the comments are on, with their titles.
    chapters: dict[int, object] = field(default_factory=dict)
    notes: dict[int, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / QUEUE_PAGE_SIZE))


#: What waits for the moderators (``Comment.needs_review`` in Python): open reports, or hidden after reports; not a
#: comment they blocked, nor one its author deleted (its reports and state stay, as the record). The queue's filter,
#: its order and the staff overview's counts all ask this one condition.
NEEDS_REVIEW = and_(Comment.deleted_at.is_(None), Comment.blocked_at.is_(None),
                    or_(Comment.open_report_count > 0, Comment.hidden_at.is_not(None)))


def _queue_condition(project_id: int, show: str):
    live = Comment.deleted_at.is_(None)
    conditions = {
        "all": Comment.project_id == project_id,
        "needs_review": NEEDS_REVIEW,
        "reported": and_(live, Comment.report_count > 0),
        "reviewed": and_(live, Comment.reviewed_at.is_not(None), Comment.open_report_count == 0,
                         Comment.blocked_at.is_(None), Comment.hidden_at.is_(None)),
        "blocked": Comment.blocked_at.is_not(None),
        "highlighted": and_(live, Comment.highlighted_at.is_not(None)),
    }
    return and_(Comment.project_id == project_id, conditions[show])


def needs_review_counts(project_ids) -> dict[int, int]:
    """Per project, how many comments need review (open reports, or hidden after reports): one query, for the staff home."""
    ids = list(project_ids)
    if not ids:
        return {}
    return dict(db.session().exec(select(Comment.project_id, func.count()).where(
        col(Comment.project_id).in_(ids), NEEDS_REVIEW).group_by(Comment.project_id)).all())


def queue(project, show: str = "all", sort: str = "reports", page: int = 1) -> QueuePage:
    """A page of the project's comments for its moderators: open reports (and hidden ones) first."""
    session = db.session()
    show = show if show in FILTERS else "all"
    sort = sort if sort in SORTS else "reports"
    condition = _queue_condition(project.id, show)
    total = session.exec(select(func.count()).select_from(Comment).where(condition)).one()
    page = min(max(1, page), max(1, math.ceil(total / QUEUE_PAGE_SIZE)))
    needs_review = case((NEEDS_REVIEW, 0), else_=1)
    order = [needs_review] + ([Comment.report_count.desc(), Comment.created_at.desc()] if sort == "reports"
                              else [Comment.created_at.desc()]) + [Comment.id.desc()]
    # The page's ids are found by sorting only what the order needs; its 20 rows are then read whole (sorting
    # whole rows, texts and all, took 5.5 ms of PostgreSQL's time with 2,000 comments; this takes 2).
    page_ids = (select(Comment.id).where(condition).order_by(*order)
                .offset((page - 1) * QUEUE_PAGE_SIZE).limit(QUEUE_PAGE_SIZE))
    comments = list(session.exec(select(Comment).where(col(Comment.id).in_(page_ids.scalar_subquery()))
                                 .order_by(*order).options(selectinload(Comment.author))).all())
    result = QueuePage(comments, total, page, show, sort)
    ids = [c.id for c in comments]
    if not ids:
        return result
    parent_ids = sorted({c.parent_id for c in comments if c.parent_id})
    if parent_ids:
        result.parents = {c.id: c for c in session.exec(select(Comment).where(col(Comment.id).in_(parent_ids))
                                                        .options(selectinload(Comment.author))).all()}
    for comment_id, reason, count in session.exec(
            select(Report.comment_id, Report.reason, func.count()).where(col(Report.comment_id).in_(ids))
            .group_by(Report.comment_id, Report.reason).order_by(Report.comment_id, func.count().desc())).all():
        result.reasons.setdefault(comment_id, []).append((reason, count))
    result.chapters = {c.id: c for c in session.exec(select(Chapter).where(
        col(Chapter.id).in_(sorted({c.chapter_id for c in comments}))).options(selectinload(Chapter.texts))).all()}
    paragraph_ids = sorted({c.paragraph_id for c in comments if c.paragraph_id})
    if paragraph_ids:
        result.paragraphs = {p.id: p for p in session.exec(select(Paragraph).where(col(Paragraph.id).in_(paragraph_ids))
                                                           .options(selectinload(Paragraph.texts))).all()}
    result.notes = dict(session.exec(select(ModeratorNote.comment_id, func.count()).where(
        col(ModeratorNote.comment_id).in_(ids)).group_by(ModeratorNote.comment_id)).all())
    return result
