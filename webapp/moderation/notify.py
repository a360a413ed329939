"""Telling the moderators about reports: a mail for each, or one digest a day (each moderator chooses).

The choice is ``User.report_mail`` ("each", "digest" — the default — or "none"), set on the
account page. Mails go to the project's moderators (not to every initiator or administrator,
who would otherwise get every project's reports); each links to the very comment in the
moderation queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


def hidden_automatically(comment: Comment, reports: int) -> int:
    """A comment was hidden after reports: the project's moderators who want each report are told at once (the
    others see it in their digest or queue), and so is its author, in their mode (citizens report 7). How many
    mails (in the caller's transaction)."""
    session = db.session()
    project = session.get(Project, comment.project_id)
    moment = comment.hidden_at.isoformat() if comment.hidden_at else ""
    sent = 0
    for user in session.exec(_moderators(comment.project_id, "each")).all():
        mail.send(user.email, "comment_hidden_moderators", user.language, user=user, project=project, comment=comment,
                  count=reports, link=mail.link("moderation.item", user.language, slug=project.slug, comment_id=comment.id),
                  dedupe_key=f"auto-hide:{comment.id}:{moment}:{user.id}")
        sent += 1
    author = session.get(User, comment.author_id) if comment.author_id else None
    if author is not None and author.is_confirmed:
        mail.send(author.email, "comment_hidden", author.language, user=author, project=project, comment=comment,
                  link=mail.link("comments.permalink", author.language, slug=project.slug, comment_id=comment.id),
                  rules_link=mail.link("moderation.rules", author.language, slug=project.slug),
                  reply_to=project.organisation.email or None, dedupe_key=f"auto-hide:{comment.id}:{moment}:author")
        sent += 1
    return sent


#: How far back a first digest reaches (a moderator who has never had one).
FIRST_DIGEST = timedelta(days=1)
#: How far back any digest reaches, however long the worker was down: older reports wait in the queue.
LONGEST_DIGEST = timedelta(days=14)


def send_digests(until: datetime) -> int:
    """One mail per moderator who chose the digest and has reports they have not had in one yet.

    Each moderator's digest lists, per project they moderate, the comments reported since their
    last digest (``User.report_digest_until``; a day back for a first one, at most
    :data:`LONGEST_DIGEST`) up to ``until``, with their number of reports, each linked to its page
    in the queue. So a worker that was down at the digest's hour loses nothing: the next run
    lists what was missed. Running twice sends once (nothing new, and the mail is keyed by the
    day). Returns how many mails went out.
    """
    session = db.session()
    readers: dict[int, tuple[User, list[int]]] = {}
    for user, project_id in session.exec(
            select(User, ProjectModerator.project_id).join(ProjectModerator, ProjectModerator.user_id == User.id)
            .where(User.report_mail == "digest", col(User.email_confirmed_at).is_not(None))).all():
        readers.setdefault(user.id, (user, []))[1].append(project_id)
    if not readers:
        return 0
    since = {user.id: max(user.report_digest_until or until - FIRST_DIGEST, until - LONGEST_DIGEST)
             for user, _ids in readers.values()}
    reports = session.exec(
        select(Comment.project_id, Report.comment_id, Report.created_at)
        .join(Comment, Comment.id == Report.comment_id)
        .where(Report.created_at >= min(since.values()), Report.created_at < until,
               col(Comment.project_id).in_({i for _u, ids in readers.values() for i in ids}))).all()
    comments = {c.id: c for c in session.exec(select(Comment).where(
        col(Comment.id).in_({comment_id for _p, comment_id, _t in reports}))).all()} if reports else {}
    projects = {p.id: p for p in session.exec(select(Project).where(
        col(Project.id).in_({project_id for project_id, _c, _t in reports}))).all()} if reports else {}
    day = until.date().isoformat()
    sent = 0
    for user, project_ids in readers.values():
        counts: dict[int, dict[int, int]] = {}
        for project_id, comment_id, created_at in reports:
            if project_id in project_ids and created_at >= since[user.id]:
                per_project = counts.setdefault(project_id, {})
                per_project[comment_id] = per_project.get(comment_id, 0) + 1
        user.report_digest_until = until
        session.add(user)
        if not counts:
            continue
        sections = []
        for project_id in sorted(counts):
            project = projects[project_id]
            items = [(comments[cid], count, mail.link("moderation.item", user.language, slug=project.slug, comment_id=cid))
                     for cid, count in sorted(counts[project_id].items())]
            sections.append((project, items, mail.link("moderation.queue", user.language, slug=project.slug)))
        mail.send(user.email, "report_digest", user.language, user=user, sections=sections,
                  total=sum(len(items) for _p, items, _l in sections),
                  settings=mail.link("accounts.overview", user.language), dedupe_key=f"digest:{day}:{user.id}")
        sent += 1
    return sent
