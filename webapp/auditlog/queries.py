"""What the audit log pages read: the entries of a log, who acted in it, and what they acted on.

Each function is one query, whatever the number of entries; the views (:mod:`.views`) only put the
answers into words and pages.

A log is made of ``parts``: disjoint conditions, each served by an index (a project's log is its own
entries and the site-wide blocks since it exists). Each part is read on its own inside the one query,
so a log of 10,000 entries reads what its page shows and the index, not every row and a sort: an OR of
the parts would keep the database from using either index.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import and_, func, union, union_all
from sqlmodel import col, select

from .. import db
from ..accounts.models import User
from ..audit import SYSTEM
from ..audit.models import AuditEntry
from ..comments.models import Comment
from ..contentversion import ContentVersion
from ..projects.models import Organisation, Project
from ..roles.models import Invitation


def organisation(slug: str) -> Organisation:
    """The organisation at ``slug``; :class:`webapp.db.NotFound` (a 404 page) otherwise."""
    found = db.session().exec(select(Organisation).where(Organisation.slug == slug)).first()
    if found is None:
        raise db.NotFound(f"organisation {slug!r}")
    return found


Parts = tuple  # of SQL conditions on AuditEntry, disjoint


def actions_in(parts: Parts) -> set[str]:
    """The actions that occur among the entries of ``parts``."""
    branches = [select(AuditEntry.action).where(part).distinct() for part in parts]
    return set(db.session().execute(branches[0] if len(branches) == 1 else union(*branches)).scalars().all())


def state() -> tuple[Optional[int], Optional[int], Optional[int]]:
    """What every answer about the log's entries depends on, in one query along two indexes and a key: the first
    and last entry's numbers and the content version (:mod:`webapp.contentversion`). Entries are only ever added
    (a new last number) or, oldest first, removed (a new first); the one change made to entries already there,
    an account's erasure taking its name out, comes with the account's deletion, which raises the version, as
    does every change to what entries name (a comment, a project, an account)."""
    first, last = select(func.min(AuditEntry.id)).scalar_subquery(), select(func.max(AuditEntry.id)).scalar_subquery()
    version = select(ContentVersion.n).where(ContentVersion.id == 1).scalar_subquery()
    return tuple(db.session().execute(select(first, last, version)).one())


def person_key(entry: AuditEntry) -> str:
    """Who acted, as a filter value: "system", "u7" (an account), "d7" (the account 7, deleted since)."""
    if entry.actor_id is not None:
        return f"u{entry.actor_id}"
    if entry.former_actor_id is not None:
        return f"d{entry.former_actor_id}"
    return SYSTEM if entry.actor_name == SYSTEM else ""


def actors_in(parts: Parts) -> list[AuditEntry]:
    """One stand-in entry per person who acted in the entries of ``parts`` (with the last name they had)."""
    branches = [select(AuditEntry.actor_id, AuditEntry.former_actor_id, func.max(AuditEntry.actor_name).label("name"))
                .where(part).group_by(AuditEntry.actor_id, AuditEntry.former_actor_id) for part in parts]
    statement = branches[0]
    if len(branches) > 1:
        both = union_all(*branches).subquery()
        statement = select(both.c.actor_id, both.c.former_actor_id, func.max(both.c.name)).group_by(
            both.c.actor_id, both.c.former_actor_id)
    return [AuditEntry(actor_id=actor_id, former_actor_id=former_id, actor_name=name or "", action="", object_type="")
            for actor_id, former_id, name in db.session().execute(statement).all()]


def person_condition(key: str):
    """The entries of the person :func:`person_key` names ``key``."""
    if key == SYSTEM:
        return and_(col(AuditEntry.actor_id).is_(None), col(AuditEntry.former_actor_id).is_(None),
                    AuditEntry.actor_name == SYSTEM)
    column = AuditEntry.actor_id if key[0] == "u" else AuditEntry.former_actor_id
    return column == int(key[1:])


def count(parts: Parts) -> int:
    """How many entries ``parts`` have: a count per part, in one query."""
    counts = [select(func.count()).select_from(AuditEntry).where(part).scalar_subquery() for part in parts]
    return sum(db.session().execute(select(*counts)).one())


def entries(parts: Parts, offset: int, limit: int) -> list[AuditEntry]:
    """The entries of ``parts``, newest first, ``limit`` of them from ``offset``: each part gives its newest
    ``offset + limit`` (along its index), and of those the page's are loaded."""
    newest = (col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
    if len(parts) == 1:
        statement = select(AuditEntry).where(parts[0]).order_by(*newest).offset(offset).limit(limit)
    else:
        branches = [select(AuditEntry.id, AuditEntry.created_at).where(part).order_by(*newest).limit(offset + limit)
                    .subquery() for part in parts]
        merged = union_all(*(select(branch) for branch in branches)).subquery()
        page = select(merged.c.id).order_by(merged.c.created_at.desc(), merged.c.id.desc()).offset(offset).limit(limit)
        statement = select(AuditEntry).where(col(AuditEntry.id).in_(page)).order_by(*newest)
    return list(db.session().exec(statement).all())


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
