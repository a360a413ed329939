"""Telling the moderators about reports: a mail per reported comment, or one digest a day (each moderator chooses).

The choice is ``User.report_mail`` ("each", "digest" — the default — or "none"), set on the
account page. Mails go to the project's moderators (not to every initiator or administrator,
who would otherwise get every project's reports); each links to the very comment in the
moderation queue.

"Each" is per comment, not per report: the first report of a comment is mailed at once; further
reports of it within :data:`REPORT_MAIL_PAUSE` wait and come together in one mail when the pause
is over (:func:`send_report_batches`, a job every five minutes). Nothing is lost: which reports a
mail covered is in its outbox key (``report:<comment>:<moderator>:<last report>``), so a job that
ran late or twice sends each report once. A reporter's explanation is quoted as theirs, with
links left out (:func:`webapp.mail.quote`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from sqlmodel import col, select

from .. import db, mail
from ..accounts.models import User
from ..clock import utcnow
from ..comments.models import Comment
from ..mail.models import OutboxMessage
from ..projects.models import Project
from ..roles.models import ProjectModerator
from .models import REASON_LABELS, Report

#: The choices of ``User.report_mail``.
CHOICES = ("each", "digest", "none")


def _moderators(project_id: int, choice: str):
    return select(User).join(ProjectModerator, ProjectModerator.user_id == User.id).where(
        ProjectModerator.project_id == project_id, User.report_mail == choice, col(User.email_confirmed_at).is_not(None))


#: At most one report mail per comment and moderator in this time; later reports come in the next one.
REPORT_MAIL_PAUSE = timedelta(minutes=10)
#: How far back a report mail looks for reports not mailed yet (older ones wait in the queue).
REPORT_MAIL_REACH = timedelta(days=2)


def _mail_key(comment_id: int, user_id: int, last_report_id: int) -> str:
    return f"report:{comment_id}:{user_id}:{last_report_id}"


def _mailed(since: datetime, comment_id: Optional[int] = None) -> dict[tuple[int, int], tuple[int, datetime]]:
    """The report mails stored since ``since``: per (comment, moderator), the last report they covered
    and when the last of them was stored."""
    query = select(OutboxMessage.key, OutboxMessage.created_at).where(
        OutboxMessage.template == "report_received", OutboxMessage.created_at >= since)
    if comment_id is not None:
        query = query.where(col(OutboxMessage.key).startswith(f"report:{comment_id}:"))
    mailed: dict[tuple[int, int], tuple[int, datetime]] = {}
    for key, created_at in db.session().exec(query).all():
        parts = key.split(":")
        if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
            continue  # a key of the older one-mail-per-report kind
        pair, last = (int(parts[1]), int(parts[2])), int(parts[3])
        before = mailed.get(pair)
        mailed[pair] = (max(last, before[0]) if before else last, max(created_at, before[1]) if before else created_at)
    return mailed


def _send_reports(user: User, project: Project, comment: Comment, reports: list[Report]) -> None:
    """One mail to ``user`` about ``reports`` (of one comment, oldest first), keyed by the last of them."""
    mail.send(user.email, "report_received", user.language, user=user, project=project, comment=comment,
              reports=[(REASON_LABELS[r.reason], r.explanation) for r in reports], quote=mail.quote,
              count=comment.report_count,
              link=mail.link("moderation.item", user.language, slug=project.slug, comment_id=comment.id),
              dedupe_key=_mail_key(comment.id, user.id, reports[-1].id))


def _not_mailed(reports: list[Report], user: User, mailed: dict, comment_id: int) -> list[Report]:
    last = mailed.get((comment_id, user.id), (0, None))[0]
    return [r for r in reports if r.id > last and r.reporter_id != user.id]


def report_received(comment: Comment, report: Report) -> int:
    """Mail the comment's reports to every moderator of its project who wants each one, unless a mail
    about this comment went to them within :data:`REPORT_MAIL_PAUSE` (then this report comes with
    the next mail). In the caller's transaction; returns how many mails were stored."""
    session = db.session()
    recipients = [u for u in session.exec(_moderators(comment.project_id, "each")).all() if u.id != report.reporter_id]
    if not recipients:
        return 0
    now = utcnow()
    mailed = _mailed(now - REPORT_MAIL_REACH, comment.id)
    reports = list(session.exec(select(Report).where(
        Report.comment_id == comment.id, col(Report.resolved_at).is_(None), Report.created_at >= now - REPORT_MAIL_REACH)
        .order_by(col(Report.id))).all())
    project = session.get(Project, comment.project_id)
    sent = 0
    for user in recipients:
        last_mail = mailed.get((comment.id, user.id))
        if last_mail is not None and last_mail[1] > now - REPORT_MAIL_PAUSE:
            continue  # mailed a moment ago: this report waits for send_report_batches
        new = _not_mailed(reports, user, mailed, comment.id)
        if new:
            _send_reports(user, project, comment, new)
            sent += 1
    return sent


def send_report_batches(now: datetime) -> int:
    """The reports that waited: for every moderator who wants each report, one mail per comment they
    had a mail about, with its reports not mailed yet, once :data:`REPORT_MAIL_PAUSE` has passed since
    that mail. Reports dealt with meanwhile are left out; a moderator who chose "each" only now is not
    sent the past days' reports. Running twice sends once. Returns how many mails."""
    session = db.session()
    since = now - REPORT_MAIL_REACH
    rows = session.exec(select(Report, Comment).join(Comment, Comment.id == Report.comment_id).where(
        Report.created_at >= since, Report.created_at < now, col(Report.resolved_at).is_(None))
        .order_by(col(Report.id))).all()
    if not rows:
        return 0
    by_comment: dict[int, tuple[Comment, list[Report]]] = {}
    for report, comment in rows:
        by_comment.setdefault(comment.id, (comment, []))[1].append(report)
    readers: dict[int, list[User]] = {}
    for user, project_id in session.exec(
            select(User, ProjectModerator.project_id).join(ProjectModerator, ProjectModerator.user_id == User.id)
            .where(User.report_mail == "each", col(User.email_confirmed_at).is_not(None),
                   col(ProjectModerator.project_id).in_({c.project_id for c, _r in by_comment.values()}))).all():
        readers.setdefault(project_id, []).append(user)
    mailed = _mailed(since)
    projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(set(readers)))).all()}
    sent = 0
    for comment_id, (comment, reports) in by_comment.items():
        for user in readers.get(comment.project_id, []):
            last_mail = mailed.get((comment_id, user.id))
            if last_mail is None:
                continue  # no report of it waited for this moderator (they chose "each" or joined later)
            if last_mail[1] > now - REPORT_MAIL_PAUSE:
                continue  # its pause is not over: a later run sends these
            new = _not_mailed(reports, user, mailed, comment_id)
            if new:
                _send_reports(user, projects[comment.project_id], comment, new)
                sent += 1
    return sent


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
                  rules_link=mail.link("conduct.rules", author.language, slug=project.slug),
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
