"""What moderators do with a comment: block, restore, mark reviewed, highlight, answer officially, note.

Each action takes the acting person, checks that they may moderate the project (else
:class:`webapp.permissions.Refused`, nothing changed), changes rows, resolves the comment's open reports
where the action decides about them, writes its audit entry and queues the author's mail, in the caller's
transaction (``with db.transaction():``); none commits. An action that does not apply to the comment in
its state raises :class:`ActionRefused` with a message for the moderator.
"""

from __future__ import annotations

import json
from typing import Optional

from sqlalchemy import update as sa_update
from sqlmodel import col, select

from .. import audit, db, mail, permissions
from ..accounts.models import User
from ..audit.models import AuditEntry
from ..clock import utcnow
from ..comments.models import Comment
from ..comments.services import DOUBLE_SUBMIT_WINDOW
from ..i18n import lazy_gettext as _l
from .models import BLOCK_REASON_LABELS, BLOCK_REASONS, ModeratorNote, Report

#: Actions on one comment, as they appear in URLs and forms.
ACTIONS = ("block", "restore", "review", "highlight", "unhighlight", "answer", "note")
#: Actions that can be applied to several comments at once.
BULK_ACTIONS = ("review", "block", "restore")
MAX_TEXT = 4000

REFUSALS = {
    "deleted": _l("This comment was deleted by its author; there is nothing to moderate."),
    "blocked": _l("This comment is blocked. Restore it first."),
    "not_blocked": _l("This comment is not blocked."),
    "not_highlighted": _l("This comment is not highlighted."),
    "highlighted": _l("This comment is highlighted already."),
    "official": _l("This is an official answer of the project team."),
}


class ActionRefused(Exception):
    """The action does not apply to this comment in its state; ``message`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(REFUSALS[self.reason])


def _resolve_reports(comment: Comment) -> int:
    """Mark the comment's open reports as dealt with; how many there were."""
    now = utcnow()
    session = db.session()
    result = session.execute(sa_update(Report).where(Report.comment_id == comment.id, col(Report.resolved_at).is_(None))
                             .values(resolved_at=now))
    comment.open_report_count = 0
    comment.reviewed_at = now
    return result.rowcount or 0


def _tell_author(comment: Comment, project, template: str, *, link_to: Optional[int] = None, **context) -> None:
    """Mail the comment's author (if the account still exists and is confirmed) in their language mode.

    The mail links to the comment (or to ``link_to``, e.g. the answer) and to the discussion rules; answers to
    it go to the project's organisation (``Reply-To``), never to our no-reply sender.
    """
    author = db.session().get(User, comment.author_id) if comment.author_id else None
    if author is None or not author.is_confirmed:
        return
    mail.send(author.email, template, author.language, user=author, project=project, comment=comment,
              link=mail.link("comments.permalink", author.language, slug=project.slug, comment_id=link_to or comment.id),
              rules_link=mail.link("conduct.rules", author.language, slug=project.slug),
              reply_to=project.organisation.email or None, **context)


def _require(action: str, actor, project, comment: Comment) -> None:
    """Refused unless ``actor`` may do ``action`` (audit.ACTIONS says who may) in ``project``, and ``comment`` is
    one of its comments."""
    permissions.require(audit.may(action, actor, project))
    if comment.project_id != project.id:
        raise db.NotFound(f"comment {comment.id} of project {project.id}")


def _record(actor, action: str, comment: Comment, reason: str = "", **details) -> None:
    audit.record(actor, action, "comment", comment.id, project_id=comment.project_id, reason=reason, **details)


@permissions.command
def block(actor: User, project, comment: Comment, reason: str, text: str = "", *, notify: bool = True,
          language: Optional[str] = None) -> None:
    """Replace the comment by a notice giving ``reason`` (a key of BLOCK_REASONS) and ``text``; replies stay.

    ``language``: the language ``text`` is written in (the moderator's mode, an html lang), so pages in
    other languages mark it.
    """
    _require("comment.block", actor, project, comment)
    if reason not in BLOCK_REASONS:
        raise ValueError(f"unknown block reason {reason!r}")
    if comment.is_deleted:
        raise ActionRefused("deleted")
    if comment.is_blocked:
        raise ActionRefused("blocked")
    comment.blocked_at = utcnow()
    comment.block_reason, comment.block_text = reason, text or ""
    comment.block_language = language if text else None
    comment.hidden_at = comment.highlighted_at = None  # not highlighted and blocked at once
    resolved = _resolve_reports(comment)
    db.session().add(comment)
    _record(actor, "comment.block", comment, text, reason_key=reason, reports_resolved=resolved,
            **({"reason_lang": language} if text and language else {}))
    if notify:
        _tell_author(comment, project, "comment_blocked", reason=BLOCK_REASON_LABELS[reason], text=text)


@permissions.command
def restore(actor: User, project, comment: Comment, *, notify: bool = True) -> None:
    """Show a blocked (or automatically hidden) comment again."""
    _require("comment.restore", actor, project, comment)
    if not comment.is_hidden:
        raise ActionRefused("not_blocked")
    was_blocked = comment.is_blocked
    comment.blocked_at = comment.hidden_at = None
    comment.block_reason, comment.block_text, comment.block_language = None, "", None
    _resolve_reports(comment)
    db.session().add(comment)
    _record(actor, "comment.restore", comment)
    if notify and was_blocked:
        _tell_author(comment, project, "comment_restored")


@permissions.command
def review(actor: User, project, comment: Comment) -> None:
    """The moderators have looked at it and leave it as it is: open reports are dealt with, a hidden one is shown."""
    _require("comment.review", actor, project, comment)
    if comment.is_deleted:
        raise ActionRefused("deleted")
    if comment.is_blocked:
        raise ActionRefused("blocked")
    comment.hidden_at = None
    resolved = _resolve_reports(comment)
    db.session().add(comment)
    _record(actor, "comment.review", comment, reports_resolved=resolved)


@permissions.command
def highlight(actor: User, project, comment: Comment) -> None:
    """Mark the comment as especially helpful; its author is told (the first time only)."""
    _require("comment.highlight", actor, project, comment)
    if comment.is_deleted:
        raise ActionRefused("deleted")
    if comment.is_hidden:
        raise ActionRefused("blocked")
    if comment.highlighted_at:
        raise ActionRefused("highlighted")
    # Its author hears of it once: highlighting again after taking it back mails nobody (the log knows).
    told = db.session().exec(select(AuditEntry.id).where(
        AuditEntry.object_type == "comment", AuditEntry.object_id == comment.id,
        AuditEntry.action == "comment.highlight")).first() is not None
    comment.highlighted_at = utcnow()
    db.session().add(comment)
    _record(actor, "comment.highlight", comment)
    if not told:
        _tell_author(comment, project, "comment_highlighted", dedupe_key=f"highlighted:{comment.id}")


@permissions.command
def unhighlight(actor: User, project, comment: Comment) -> None:
    """Take the highlight back (its author is not told)."""
    _require("comment.unhighlight", actor, project, comment)
    if not comment.highlighted_at:
        raise ActionRefused("not_highlighted")
    comment.highlighted_at = None
    db.session().add(comment)
    _record(actor, "comment.unhighlight", comment)


@permissions.command
def answer(actor: User, project, comment: Comment, text: str, language: str) -> Comment:
    """An official answer for the project: a reply by ``actor`` marked as the project team's.

    A reply is answered in its thread (replies have no replies of their own). The author of the
    comment answered is told. The same answer sent twice (a double click) is stored, recorded
    and mailed once: as for participants' comments, the same text by the same person in the same
    thread within a minute is the first one.
    """
    _require("comment.answer", actor, project, comment)
    if comment.is_deleted:
        raise ActionRefused("deleted")
    if comment.is_hidden:
        raise ActionRefused("blocked")
    if comment.official:
        raise ActionRefused("official")
    parent_id = comment.parent_id or comment.id
    db.write_lock()  # the check below and the insert are one step
    earlier = db.session().exec(select(Comment).where(
        Comment.parent_id == parent_id, Comment.author_id == actor.id, Comment.official == True,  # noqa: E712
        Comment.body == text, Comment.created_at > utcnow() - DOUBLE_SUBMIT_WINDOW)).first()
    if earlier is not None:
        return earlier
    reply = Comment(project_id=comment.project_id, chapter_id=comment.chapter_id, paragraph_id=comment.paragraph_id,
                    parent_id=parent_id, author_id=actor.id, body=text, language=language, official=True)
    session = db.session()
    session.add(reply)
    session.execute(sa_update(Comment).where(Comment.id == parent_id).values(reply_count=Comment.reply_count + 1))
    session.flush()
    _record(actor, "comment.answer", comment, answer_id=reply.id)
    if comment.author_id != actor.id:
        _tell_author(comment, project, "comment_answered", answer=reply, link_to=reply.id)
    return reply


@permissions.command
def note(actor: User, project, comment: Comment, text: str) -> ModeratorNote:
    """A private note of the staff on the comment; the same note sent twice within a minute is stored once."""
    _require("comment.note", actor, project, comment)
    db.write_lock()
    earlier = db.session().exec(select(ModeratorNote).where(
        ModeratorNote.comment_id == comment.id, ModeratorNote.author_id == actor.id, ModeratorNote.body == text,
        ModeratorNote.created_at > utcnow() - DOUBLE_SUBMIT_WINDOW)).first()
    if earlier is not None:
        return earlier
    entry = ModeratorNote(comment_id=comment.id, project_id=comment.project_id, author_id=actor.id,
                          author_name=actor.username, body=text)
    db.session().add(entry)
    db.session().flush()
    _record(actor, "comment.note", comment, note_id=entry.id)
    return entry


def apply(action: str, actor: User, project, comment: Comment, **values) -> Optional[Comment]:
    """Run ``action`` (one of ACTIONS) with the form's values."""
    if action == "block":
        return block(actor, project, comment, values["reason"], values.get("text", ""), language=values.get("language"))
    if action == "answer":
        return answer(actor, project, comment, values["text"], values["language"])
    if action == "note":
        note(actor, project, comment, values["text"])
        return None
    {"restore": restore, "review": review, "highlight": highlight, "unhighlight": unhighlight}[action](
        actor, project, comment)
    return None


@permissions.command
def bulk(actor: User, project, comments: list[Comment], action: str, reason: Optional[str] = None,
         text: str = "", language: Optional[str] = None) -> tuple[int, list[tuple[Comment, str]]]:
    """Apply ``action`` (one of BULK_ACTIONS) to each comment it applies to.

    Returns how many were changed and, for each comment it did not apply to (e.g. restoring one
    that is not blocked), the comment and why (a key of REFUSALS), which the page names.
    """
    permissions.require(permissions.may_moderate(actor, project))  # before any comment, so nothing is half done
    done, skipped = 0, []
    for comment in comments:
        try:
            if action == "block":
                block(actor, project, comment, reason or "other", text, language=language)
            elif action == "restore":
                restore(actor, project, comment)
            else:
                review(actor, project, comment)
            done += 1
        except ActionRefused as refusal:
            skipped.append((comment, refusal.reason))
    return done, skipped


def answers_to(comment: Comment) -> list[Comment]:
    """The official answers given to ``comment`` and still there, oldest first.

    The audit log names each answer (a reply is answered in its thread, so the thread alone cannot say
    which comment an answer was for).
    """
    session = db.session()
    ids = []
    for details in session.exec(select(AuditEntry.details).where(
            AuditEntry.object_type == "comment", AuditEntry.object_id == comment.id,
            AuditEntry.action == "comment.answer")).all():
        answer_id = json.loads(details or "{}").get("answer_id")
        if isinstance(answer_id, int):
            ids.append(answer_id)
    if not ids:
        return []
    return list(session.exec(select(Comment).where(col(Comment.id).in_(ids), Comment.official == True,  # noqa: E712
                                                   col(Comment.deleted_at).is_(None))
                             .order_by(Comment.created_at)).all())


def notes_on(comment: Comment) -> list[ModeratorNote]:
    return list(db.session().exec(select(ModeratorNote).where(ModeratorNote.comment_id == comment.id)
                                  .order_by(ModeratorNote.created_at)).all())


def reports_on(comment: Comment) -> list[Report]:
    return list(db.session().exec(select(Report).where(Report.comment_id == comment.id)
                                  .order_by(col(Report.created_at).desc())).all())


def notes_by(user) -> list[dict]:
    """The moderator notes ``user`` wrote, for the download of their own data."""
    rows = db.session().exec(select(ModeratorNote).where(ModeratorNote.author_id == user.id)
                             .order_by(ModeratorNote.created_at)).all()
    return [{"comment_id": n.comment_id, "text": n.body, "created_at": n.created_at.isoformat()} for n in rows]
