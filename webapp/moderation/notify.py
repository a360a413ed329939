"""Telling the moderators about reports: a mail for each, or one digest a day (each moderator chooses).

The choice is ``User.report_mail`` ("each", "digest" — the default — or "none"), set on the
account page. Mails go to the project's moderators (not to every initiator or administrator,
who would otherwise get every project's reports); each links to the very comment in the
moderation queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from .. import db, mail
from ..accounts.models import User
from ..comments.models import Comment
from ..projects.models import Project
from ..roles.models import ProjectModerator
from .forms import REASON_LABELS
from .models import Report

#: The choices of ``User.report_mail``.
CHOICES = ("each", "digest", "none")


def _moderators(project_id: int, choice: str):
    return select(User).join(ProjectModerator, ProjectModerator.user_id == User.id).where(
        ProjectModerator.project_id == project_id, User.report_mail == choice, col(User.email_confirmed_at).is_not(None))


def report_received(comment: Comment, report: Report) -> int:
    """Mail every moderator of the comment's project who wants each report (in the caller's transaction)."""
    session = db.session()
    recipients = [u for u in session.exec(_moderators(comment.project_id, "each")).all() if u.id != report.reporter_id]
    if not recipients:
        return 0
    project = session.get(Project, comment.project_id)
    for user in recipients:
        mail.send(user.email, "report_received", user.language, user=user, project=project, comment=comment,
                  reason=REASON_LABELS[report.reason], explanation=report.explanation,
                  count=comment.report_count,
                  link=mail.link("moderation.item", user.language, slug=project.slug, comment_id=comment.id),
                  dedupe_key=f"report:{report.id}:{user.id}")
    return len(recipients)


def send_digests(since: datetime, until: datetime) -> int:
    """One mail per moderator who chose the digest and has new reports from ``since`` to ``until``.

    Lists per project the comments reported in that time (with their number of reports), each
    linked to its page in the queue. Keyed by the day, so running twice sends once. How many went out.
    """
    session = db.session()
    reported = session.exec(
        select(Comment.project_id, Report.comment_id, func.count())
        .join(Comment, Comment.id == Report.comment_id)
        .where(Report.created_at >= since, Report.created_at < until)
        .group_by(Comment.project_id, Report.comment_id)).all()
    if not reported:
        return 0
    by_project: dict[int, dict[int, int]] = {}
    for project_id, comment_id, count in reported:
        by_project.setdefault(project_id, {})[comment_id] = count
    projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(list(by_project)))).all()}
    comments = {c.id: c for c in session.exec(select(Comment).where(
        col(Comment.id).in_([i for counts in by_project.values() for i in counts]))).all()}
    readers: dict[int, tuple[User, list[int]]] = {}
    for user, project_id in session.exec(
            select(User, ProjectModerator.project_id).join(ProjectModerator, ProjectModerator.user_id == User.id)
            .where(col(ProjectModerator.project_id).in_(list(by_project)), User.report_mail == "digest",
                   col(User.email_confirmed_at).is_not(None))).all():
        readers.setdefault(user.id, (user, []))[1].append(project_id)
    day = until.date().isoformat()
    for user, project_ids in readers.values():
        sections = []
        for project_id in sorted(project_ids):
            project = projects[project_id]
            items = [(comments[cid], count, mail.link("moderation.item", user.language, slug=project.slug, comment_id=cid))
                     for cid, count in sorted(by_project[project_id].items())]
            sections.append((project, items, mail.link("moderation.queue", user.language, slug=project.slug)))
        mail.send(user.email, "report_digest", user.language, user=user, sections=sections,
                  total=sum(len(items) for _p, items, _l in sections),
                  settings=mail.link("accounts.overview", user.language), dedupe_key=f"digest:{day}:{user.id}")
    return len(readers)


def yesterday(now: datetime) -> tuple[datetime, datetime]:
    """The 24 hours before ``now`` (the digest's window)."""
    return now - timedelta(days=1), now
