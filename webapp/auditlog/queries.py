"""What the audit log pages read: the entries of a log, who acted in it, and what they acted on.

Each function is one query, whatever the number of entries; the views (:mod:`.views`) only put the
answers into words and pages.
"""

from __future__ import annotations

from sqlalchemy import and_, func
from sqlmodel import col, select

from .. import db
from ..accounts.models import User
from ..audit import SYSTEM
from ..audit.models import AuditEntry
from ..comments.models import Comment
from ..projects.models import Organisation, Project
from ..roles.models import Invitation


def organisation(slug: str) -> Organisation:
    """The organisation at ``slug``; :class:`webapp.db.NotFound` (a 404 page) otherwise."""
    found = db.session().exec(select(Organisation).where(Organisation.slug == slug)).first()
    if found is None:
        raise db.NotFound(f"organisation {slug!r}")
    return found


def actions_in(condition) -> set[str]:
    """The actions that occur among the entries matching ``condition``."""
    return set(db.session().exec(select(AuditEntry.action).where(condition).distinct()).all())


def person_key(entry: AuditEntry) -> str:
    """Who acted, as a filter value: "system", "u7" (an account), "d7" (the account 7, deleted since)."""
    if entry.actor_id is not None:
        return f"u{entry.actor_id}"
    if entry.former_actor_id is not None:
        return f"d{entry.former_actor_id}"
    return SYSTEM if entry.actor_name == SYSTEM else ""


def actors_in(condition) -> list[AuditEntry]:
    """One stand-in entry per person who acted in the entries matching ``condition`` (with the last name they had)."""
    return [AuditEntry(actor_id=actor_id, former_actor_id=former_id, actor_name=name or "", action="", object_type="")
            for actor_id, former_id, name in db.session().exec(
                select(AuditEntry.actor_id, AuditEntry.former_actor_id, func.max(AuditEntry.actor_name))
                .where(condition).group_by(AuditEntry.actor_id, AuditEntry.former_actor_id)).all()]


def person_condition(key: str):
    """The entries of the person :func:`person_key` names ``key``."""
    if key == SYSTEM:
        return and_(col(AuditEntry.actor_id).is_(None), col(AuditEntry.former_actor_id).is_(None),
                    AuditEntry.actor_name == SYSTEM)
    column = AuditEntry.actor_id if key[0] == "u" else AuditEntry.former_actor_id
    return column == int(key[1:])


def count(condition) -> int:
    return db.session().exec(select(func.count()).select_from(AuditEntry).where(condition)).one()


def entries(condition, offset: int, limit: int) -> list[AuditEntry]:
    """The entries matching ``condition``, newest first, ``limit`` of them from ``offset``."""
    return list(db.session().exec(select(AuditEntry).where(condition)
                                  .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
                                  .offset(offset).limit(limit)).all())


def acted_on(entries: list[AuditEntry]) -> tuple[dict[int, tuple], dict[int, Project], set[int], dict[int, str]]:
    """What ``entries`` acted on, one query per kind: the comments (id, parent, time, author's name, project's
    slug), the projects, the accounts still there, and the addresses invitations went to (an acceptance's entry
    names the invitation only)."""
    session = db.session()

    def ids(kind: str) -> set[int]:
        return {e.object_id for e in entries if e.object_type == kind and e.object_id}

    comments, projects, users, invitations = {}, {}, set(), {}
    if comment_ids := ids("comment"):
        comments = {row[0]: row for row in session.exec(
            select(Comment.id, Comment.parent_id, Comment.created_at, User.username, Project.slug)
            .join(User, User.id == Comment.author_id, isouter=True).join(Project, Project.id == Comment.project_id)
            .where(col(Comment.id).in_(comment_ids))).all()}
    if project_ids := ids("project"):
        projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(project_ids))).all()}
    if user_ids := ids("user"):
        users = set(session.exec(select(User.id).where(col(User.id).in_(user_ids))).all())
    if invitation_ids := ids("invitation"):
        invitations = dict(session.exec(select(Invitation.id, Invitation.email)
                                        .where(col(Invitation.id).in_(invitation_ids))).all())
    return comments, projects, users, invitations
