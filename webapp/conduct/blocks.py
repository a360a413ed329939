"""Blocking a person from taking part: in one project, or on the whole site; for a time or for good.

A block stops its person from commenting, replying, rating and reporting: the predicates of
:mod:`webapp.moderation.rules` ask :func:`block_for`, and those of :mod:`webapp.comments.rules` ask it
through participation's restriction hook (:func:`webapp.comments.rules.restriction_for`, which the app
factory connects to :func:`block_for`). Reading stays open. Project staff block within their project,
administrators also site-wide. A block ends by itself at ``ends_at`` (none: it has no end), or early when
someone ends it (``ended_at``). The person is told by mail, with the reason, the end and the project's
discussion rules.

A person's blocks are read once per request (one query, kept in ``flask.g``), so asking on
every comment of a page costs nothing more.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Optional

from flask import current_app, g
from sqlalchemy import bindparam, exists, or_
from sqlalchemy.orm import query_expression, with_expression
from sqlmodel import col, select

from .. import audit, clock, db, mail, permissions
from ..accounts.models import User
from ..comments.models import Comment
from ..projects.models import Project
from .models import PersonBlock

#: Longest reason a moderator may give, in characters.
MAX_REASON = 1000


def held_key(kind: str, key: str) -> str:
    """A keyed hash (HMAC-SHA256 with the app's ``SECRET_KEY``) of an address key or username key (``kind``
    "address" or "name"), kept on a block whose person deleted their account: it recognises the address
    or name again without storing it. Changing ``SECRET_KEY`` forgets these links (README, "Blocks")."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"person-block:{kind}:{key}".encode(), hashlib.sha256).hexdigest()


def keep_after_deletion(user: User) -> None:
    """Before ``user``'s account is deleted: the blocks that still hold keep who they are about (hashed) and
    the name, so a new account with the address is blocked again and the name stays reserved until they end.
    Ended blocks stay as a record without the person. In the caller's transaction, before the delete."""
    session = db.session()
    for block in session.exec(select(PersonBlock).where(PersonBlock.user_id == user.id,
                                                        *_active_condition(clock.utcnow()))).all():
        block.person_key = held_key("address", user.email_key)
        block.name_key = held_key("name", user.username_key)
        block.person_name = user.username
        session.add(block)


def claim_blocks(user: User) -> int:
    """A new account (or a newly confirmed address) whose address belonged to a deleted account that is
    still blocked: the block holds for it again. How many blocks apply (in the caller's transaction)."""
    session = db.session()
    held = session.exec(select(PersonBlock).where(col(PersonBlock.user_id).is_(None),
                                                  PersonBlock.person_key == held_key("address", user.email_key),
                                                  *_active_condition(clock.utcnow()))).all()
    for block in held:
        block.user_id = user.id
        block.person_key = block.name_key = None
        session.add(block)
    if held:
        forget_blocks()
    return len(held)


def site_block_of_address(email_key: str) -> Optional[PersonBlock]:
    """The site-wide block that still holds for a deleted account of this address (the one that ends last), if any:
    the address may not register again until it ends (security report N3)."""
    held = db.session().exec(select(PersonBlock).where(
        col(PersonBlock.user_id).is_(None), col(PersonBlock.project_id).is_(None),
        PersonBlock.person_key == held_key("address", email_key), *_active_condition(clock.utcnow()))).all()
    return max(held, key=lambda block: (block.ends_at is None, block.ends_at or block.created_at), default=None)


def blocks_with_places(user) -> list:
    """The blocks that keep ``user`` from taking part now, each with its project (``None``: the whole site)."""
    session = db.session()
    return [(block, session.get(Project, block.project_id) if block.project_id else None) for block in blocks_of(user)]


def name_is_held(username_key: str) -> bool:
    """Whether a block of a deleted account still reserves this username (by its comparison key)."""
    return db.session().exec(select(PersonBlock.id).where(
        col(PersonBlock.user_id).is_(None), PersonBlock.name_key == held_key("name", username_key),
        *_active_condition(clock.utcnow())).limit(1)).first() is not None


def _active_condition(now: datetime):
    return (col(PersonBlock.ended_at).is_(None), PersonBlock.created_at <= now,
            or_(col(PersonBlock.ends_at).is_(None), col(PersonBlock.ends_at) > now))


def blocks_of(user) -> tuple[PersonBlock, ...]:
    """The blocks that hold for ``user`` now, anywhere: one query per person and request, none for anonymous readers,
    nor for a person loaded with the answer that none stands (:func:`loaded_with`)."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return ()
    cache = g.setdefault("person_blocks", {})
    if user.id not in cache:
        if getattr(user, "may_be_blocked", None) is False and not g.get("person_blocks_changed"):
            cache[user.id] = ()
        else:
            cache[user.id] = tuple(db.session().execute(_HOLDING, {"user": user.id, "now": clock.utcnow()}).scalars())
    return cache[user.id]


#: :func:`blocks_of`'s statement (every page of a logged-in reader asks it), built once with parameters.
_HOLDING = select(PersonBlock).where(PersonBlock.user_id == bindparam("user"), *_active_condition(bindparam("now")))

# Whether a block not ended early stands for the person (it may have run out): read with them where
# :func:`loaded_with` is given (``None`` elsewhere). Without a parameter: a refresh of the person loads it again.
User.__mapper__.add_property("may_be_blocked", query_expression())
_LOADED_WITH = (with_expression(User.may_be_blocked, exists().where(  # type: ignore[attr-defined]
    PersonBlock.user_id == User.id, col(PersonBlock.ended_at).is_(None))),)


def loaded_with() -> tuple[tuple, dict]:
    """What accounts reads with the logged-in person (``accounts.hooks.loaded_with``): whether a block stands for them
    (not ended early), in the same query; :func:`blocks_of` then reads none for a person without one."""
    return _LOADED_WITH, {}


def forget_blocks() -> None:
    """Blocks changed in this request: read them again when asked."""
    g.pop("person_blocks", None)
    g.person_blocks_changed = True


def _lasts(block: PersonBlock) -> tuple:
    """Sort key: the block that lasts longest first (no end before any date), site-wide before project."""
    return (block.ends_at is not None, -(block.ends_at.timestamp() if block.ends_at else 0), not block.site_wide)


def block_for(user, project_id: Optional[int]) -> Optional[PersonBlock]:
    """The block that keeps ``user`` from taking part in project ``project_id`` now (the longest), or ``None``.

    With ``project_id`` empty only site-wide blocks count.
    """
    holding = [b for b in blocks_of(user) if b.project_id is None or b.project_id == project_id]
    return min(holding, key=_lasts) if holding else None


class NotBlockable(Exception):
    """The person cannot be blocked here (staff of the project, an administrator); ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@permissions.command
def block_person(actor: User, person: User, project, *, site_wide: bool, ends_at: Optional[datetime], reason: str,
                 language: Optional[str] = None) -> PersonBlock:
    """Block ``person`` in ``project`` (or, ``site_wide``, everywhere) until ``ends_at`` (``None``: no end).

    ``language``: the language ``reason`` is written in (the moderator's mode, an html lang).

    A block of the same scope that still holds is ended and replaced by this one. Writes the
    audit entry and queues the mail to the person in their language mode; the caller commits.
    Refused (:class:`~webapp.permissions.Refused`) unless ``actor`` may moderate the project (and, ``site_wide``,
    administer the site); :class:`NotBlockable` when :func:`webapp.permissions.may_be_blocked` says the person cannot be blocked.
    """
    permissions.require(audit.may("person.block", actor, project))
    if site_wide:
        permissions.require(permissions.may_administer(actor))
    refusal = permissions.may_be_blocked(person, project, site_wide)
    if not refusal:
        raise NotBlockable(refusal.message)
    session = db.session()
    now = clock.utcnow()
    scope = PersonBlock.project_id.is_(None) if site_wide else PersonBlock.project_id == project.id
    replaced = session.exec(select(PersonBlock).where(PersonBlock.user_id == person.id, scope,
                                                      *_active_condition(now))).all()
    for old in replaced:
        old.ended_at, old.ended_by_id = now, actor.id
        session.add(old)
    row = PersonBlock(user_id=person.id, project_id=None if site_wide else project.id, reason=reason,
                      reason_language=language, created_at=now, created_by_id=actor.id, ends_at=ends_at)
    session.add(row)
    session.flush()
    # A site-wide block belongs to no project: the site log lists it, and so does every project's log.
    audit.record(actor, "person.block", "user", person.id, project_id=None if site_wide else project.id, reason=reason,
                 person=person.username, scope="site" if site_wide else "project", block_id=row.id,
                 ends_at=ends_at.isoformat() if ends_at else "", replaced=[old.id for old in replaced],
                 reason_lang=language or "",
                 **({"from_project": project.slug} if site_wide else {}))
    mail.send(person.email, "person_blocked", person.language, user=person, project=project, block=row,
              link=mail.link("conduct.rules", person.language, slug=project.slug),
              reply_to=project.organisation.email or None)
    forget_blocks()
    return row


@permissions.command
def end_block(actor: User, row: PersonBlock, project) -> None:
    """End the block ``row`` now (it was seen from ``project``'s pages); audit entry and mail to the person.

    Refused unless ``actor`` may moderate the project, and for a site-wide block administer the site;
    a block of another project is not found here.
    """
    permissions.require(audit.may("person.unblock", actor, project))
    if row.site_wide:
        permissions.require(permissions.may_administer(actor))
    elif row.project_id != project.id:
        raise db.NotFound(f"block {row.id} of project {project.id}")
    session = db.session()
    row.ended_at, row.ended_by_id = clock.utcnow(), actor.id
    session.add(row)
    person = session.get(User, row.user_id)
    audit.record(actor, "person.unblock", "user", row.user_id, project_id=None if row.site_wide else project.id,
                 person=person.username if person else row.person_name, scope="site" if row.site_wide else "project",
                 block_id=row.id, **({"from_project": project.slug} if row.site_wide else {}))
    if person is not None:
        mail.send(person.email, "person_unblocked", person.language, user=person, project=project, block=row,
                  link=mail.link("conduct.rules", person.language, slug=project.slug),
                  reply_to=project.organisation.email or None)
    forget_blocks()


#: How long after its end a block that ran out is still told about (the hourly job may have missed runs).
TELL_ENDED_WITHIN = timedelta(days=2)


def tell_ended(now: datetime) -> int:
    """Mail each person whose block ran out by itself (``ends_at`` passed) that they can take part again.

    Not when it was ended early (they were told then) nor while another block still keeps them out
    of the same place. Each block's mail is stored once (its key), so the hourly job may run as
    often as it likes; blocks that ended more than :data:`TELL_ENDED_WITHIN` ago are left alone.
    How many people were told this time (in the caller's transaction).
    """
    session = db.session()
    over = session.exec(
        select(PersonBlock, User).join(User, User.id == PersonBlock.user_id)
        .where(col(PersonBlock.ended_at).is_(None), col(PersonBlock.ends_at) <= now,
               col(PersonBlock.ends_at) > now - TELL_ENDED_WITHIN)).all()
    if not over:
        return 0
    holding = session.exec(select(PersonBlock).where(
        col(PersonBlock.user_id).in_({user.id for _b, user in over}), *_active_condition(now))).all()
    projects = {p.id: p for p in session.exec(select(Project).where(
        col(Project.id).in_({b.project_id for b, _u in over if b.project_id is not None}))).all()}
    sent_before = mail.stored({f"block-over:{block.id}" for block, _p in over})
    told = 0
    for block, person in over:
        if f"block-over:{block.id}" in sent_before:
            continue
        if any(other.user_id == person.id and (other.project_id is None or other.project_id == block.project_id)
               for other in holding):
            continue  # still kept out: by a site-wide block, or a newer one here
        project = projects.get(block.project_id) if block.project_id is not None else None
        link = (mail.link("projects.detail", person.language, slug=project.slug) if project is not None
                else mail.link("projects.index", person.language))
        mail.send(person.email, "person_block_over", person.language, user=person, project=project, block=block,
                  link=link, dedupe_key=f"block-over:{block.id}",
                  reply_to=project.organisation.email if project is not None and project.organisation.email else None)
        told += 1
    return told


def blocked_in(project, include_site_wide: bool) -> list[tuple[PersonBlock, User]]:
    """The blocks that hold now in ``project`` (and, if asked, site-wide ones), with their people, by name
    (``None`` for a person who deleted their account: the block's ``person_name`` says who it was)."""
    scope = PersonBlock.project_id == project.id
    if include_site_wide:
        scope = or_(scope, col(PersonBlock.project_id).is_(None))
    return list(db.session().exec(
        select(PersonBlock, User).join(User, User.id == PersonBlock.user_id, isouter=True)
        .where(scope, *_active_condition(clock.utcnow()))
        .order_by(User.username_key, PersonBlock.person_name, PersonBlock.id)).all())


def person_seen_by(viewer, user_id: int, project) -> User:
    """The account ``user_id`` if its block page opens for ``viewer`` in ``project``
    (:func:`webapp.permissions.may_see_person`, told whether the person :func:`took_part_in` it);
    :class:`webapp.db.NotFound` (a 404 page: no account's name is given away by its number) otherwise."""
    person = db.session().get(User, user_id)
    if person is None or not permissions.may_see_person(viewer, took_part_in(person, project)):
        raise db.NotFound(f"person {user_id} in project {project.id}")
    return person


def block_seen_from(block_id: int, project) -> PersonBlock:
    """The block ``block_id`` as the project's pages list it (its own, and site-wide ones); NotFound otherwise."""
    row = db.session().get(PersonBlock, block_id)
    if row is None or (row.project_id is not None and row.project_id != project.id):
        raise db.NotFound(f"block {block_id} of project {project.id}")
    return row


def person_of(row: PersonBlock) -> Optional[User]:
    """The blocked account, while it exists."""
    return db.session().get(User, row.user_id) if row.user_id is not None else None


def took_part_in(person: User, project) -> bool:
    """Whether ``person`` wrote a comment in ``project`` or is blocked from it: one of its discussion's people."""
    session = db.session()
    wrote = session.exec(select(Comment.id).where(Comment.project_id == project.id,
                                                  Comment.author_id == person.id).limit(1)).first()
    if wrote is not None:
        return True
    return session.exec(select(PersonBlock.id).where(PersonBlock.project_id == project.id,
                                                     PersonBlock.user_id == person.id).limit(1)).first() is not None


def blocks_about(user) -> list[dict]:
    """Every block of ``user``, past and present, for the download of their own data (who blocked them is staff's)."""
    rows = db.session().exec(select(PersonBlock, Project.slug).join(Project, Project.id == PersonBlock.project_id,
                                                                    isouter=True)
                             .where(PersonBlock.user_id == user.id).order_by(PersonBlock.created_at)).all()
    return [{"project": slug, "site_wide": block.site_wide, "reason": block.reason,
             "created_at": block.created_at.isoformat(), "ends_at": block.ends_at.isoformat() if block.ends_at else None,
             "ended_at": block.ended_at.isoformat() if block.ended_at else None} for block, slug in rows]
