"""Giving and taking roles, and invitations for addresses without an account.

Services take the acting person, check nothing about the request, write the audit entry
and queue the mail, and never commit: the caller's ``db.transaction()`` does.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from flask import current_app
from flask_babel import format_timedelta
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlmodel import col, select

from .. import audit, db, mail, permissions
from ..accounts.models import User, email_key
from ..accounts.services import (
    _drop_expired_holders,
    claim_blocks,
    drop_unconfirmed_holder,
    name_is_reserved,
    name_is_taken,
    new_account,
)
from ..accounts.tokens import make_token, read_token
from ..clock import utcnow
from ..i18n import gettext as _
from ..permissions import forget_roles, may_author, roles_of
from ..projects.models import Organisation, Project
from .models import Invitation, OrganisationMember, ProjectModerator

#: How long an invitation link works, in days (``INVITATION_DAYS``).
INVITATION_DAYS = 14
#: Invitation mails in 24 hours, withdrawn ones included: one person may send this many
#: (``INVITATIONS_PER_INVITER``), one address may get this many (``INVITATIONS_PER_ADDRESS``).
INVITATIONS_PER_INVITER = 20
INVITATIONS_PER_ADDRESS = 3


class RoleError(Exception):
    """A refusal with a message for the person acting (e.g. "already a moderator")."""

    def __init__(self, message: str, field: Optional[str] = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def staff_usernames() -> list[str]:
    """Usernames of everyone with a staff role: names that look like theirs are refused at registration."""
    session = db.session()
    staff = select(User.username).where(
        (User.is_admin == True)  # noqa: E712  (SQL comparison)
        | col(User.id).in_(select(OrganisationMember.user_id))
        | col(User.id).in_(select(ProjectModerator.user_id)))
    return list(session.exec(staff).all())


def by_email(address: str) -> Optional[User]:
    """The account with ``address`` (compared as mail compares addresses), or ``None``."""
    return db.session().exec(select(User).where(User.email_key == email_key(address))).first()


def organisation_by_slug(slug: str) -> Optional[Organisation]:
    """The organisation ``slug``, or ``None``."""
    return db.session().exec(select(Organisation).where(Organisation.slug == slug)).first()


def staff_projects(user: User) -> list[Project]:
    """The projects ``user`` has a staff role in, by title: all for administrators, their organisations'
    for initiators, the ones they moderate. Unpublished ones only for those who may author them."""
    roles = roles_of(user)
    query = select(Project).options(selectinload(Project.texts), selectinload(Project.organisation))
    if not roles.is_admin:
        query = query.where(col(Project.organisation_id).in_(roles.initiator_of) | col(Project.id).in_(roles.moderator_of))
    projects = [p for p in db.session().exec(query).all() if p.published or may_author(user, p)]
    return sorted(projects, key=lambda p: (p.organisation.name, p.slug))


def organisations() -> list[Organisation]:
    """Every organisation, by name (administrators add their initiators)."""
    return list(db.session().exec(select(Organisation).order_by(Organisation.name)).all())


def moderators(project: Project) -> list[tuple[ProjectModerator, User]]:
    """The project's moderators with their accounts, by name."""
    return list(db.session().exec(
        select(ProjectModerator, User).join(User, User.id == ProjectModerator.user_id)
        .where(ProjectModerator.project_id == project.id).order_by(User.username_key)).all())


def initiators(organisation: Organisation) -> list[tuple[OrganisationMember, User]]:
    """The organisation's initiators with their accounts, by name."""
    return list(db.session().exec(
        select(OrganisationMember, User).join(User, User.id == OrganisationMember.user_id)
        .where(OrganisationMember.organisation_id == organisation.id).order_by(User.username_key)).all())


def open_invitations(*, project: Optional[Project] = None, organisation: Optional[Organisation] = None) -> list[Invitation]:
    """Invitations not yet accepted, withdrawn or expired, newest first."""
    query = select(Invitation).where(col(Invitation.accepted_at).is_(None), col(Invitation.withdrawn_at).is_(None),
                                     Invitation.created_at > utcnow() - _invitation_age())
    if project is not None:
        query = query.where(Invitation.project_id == project.id, Invitation.role == "moderator")
    if organisation is not None:
        query = query.where(Invitation.organisation_id == organisation.id, Invitation.role == "initiator")
    return list(db.session().exec(query.order_by(col(Invitation.created_at).desc())).all())


#: How long expired invitations stay listed (with "send again") on the staff pages, in days.
EXPIRED_LISTED_DAYS = 60


def expired_invitations(*, project: Optional[Project] = None,
                        organisation: Optional[Organisation] = None) -> list[Invitation]:
    """Invitations that ran out unaccepted in the last :data:`EXPIRED_LISTED_DAYS` days, newest first, leaving out
    addresses invited again since (staff report m7: they used to vanish without a word)."""
    now = utcnow()
    query = select(Invitation).where(col(Invitation.accepted_at).is_(None), col(Invitation.withdrawn_at).is_(None),
                                     Invitation.created_at <= now - _invitation_age(),
                                     Invitation.created_at > now - _invitation_age() - timedelta(days=EXPIRED_LISTED_DAYS))
    if project is not None:
        query = query.where(Invitation.project_id == project.id, Invitation.role == "moderator")
    if organisation is not None:
        query = query.where(Invitation.organisation_id == organisation.id, Invitation.role == "initiator")
    expired = list(db.session().exec(query.order_by(col(Invitation.created_at).desc())).all())
    again = {i.email_key for i in open_invitations(project=project, organisation=organisation)}
    seen: set[str] = set()
    listed = []
    for invitation in expired:
        if invitation.email_key not in again and invitation.email_key not in seen:
            seen.add(invitation.email_key)
            listed.append(invitation)
    return listed


def expires_at(invitation: Invitation):
    """When the invitation's link stops working."""
    return invitation.created_at + _invitation_age()


@permissions.command
def invite_again(actor: User, invitation: Invitation, language: str) -> str:
    """Send a new invitation to the address of an expired one, for the same role and place ("invited").
    Raises :class:`RoleError` when one is open already or the person has an account with the role now; refused
    (:class:`~webapp.permissions.Refused`) unless ``actor`` may give that role there."""
    permissions.require(may_manage_invitation(actor, invitation))
    session = db.session()
    project = session.get(Project, invitation.project_id) if invitation.project_id else None
    organisation = session.get(Organisation, invitation.organisation_id) if invitation.organisation_id else None
    add = add_moderator if invitation.role == "moderator" else add_initiator
    return add(actor, project if invitation.role == "moderator" else organisation, invitation.email,
               invitation.language or language)


def _invitation_age():
    return timedelta(days=current_app.config.get("INVITATION_DAYS", INVITATION_DAYS))


@permissions.command
def add_moderator(actor: User, project: Project, address: str, language: str) -> str:
    """Make the account with ``address`` a moderator of ``project``, or invite the address.

    An account whose address was never confirmed counts as none: anyone can register with anyone's
    address, so the role goes only to whoever proves the address through the invitation's link
    (which replaces that account, see :func:`register_invited`).

    Returns "added", "invited", or "invited_unconfirmed" (the address has such an account). Raises
    :class:`RoleError` when the person moderates it already or an invitation to the address is open; refused
    (:class:`~webapp.permissions.Refused`) unless ``actor`` may manage the project's moderators.
    """
    permissions.require(audit.may("role.add_moderator", actor, project))
    user = by_email(address)
    if user is None or not user.is_confirmed:  # an unconfirmed account may be someone else's: the link proves the address
        return _invite(actor, address, "moderator", language, project=project, unconfirmed=user is not None)
    session = db.session()
    if session.exec(select(ProjectModerator.id).where(ProjectModerator.user_id == user.id,
                                                      ProjectModerator.project_id == project.id)).first():
        raise RoleError(_("%(name)s moderates this project already.", name=user.username), "email")
    session.add(ProjectModerator(user_id=user.id, project_id=project.id))
    audit.record(actor, "role.add_moderator", "user", user.id, project_id=project.id, person=user.username)
    mail.send(user.email, "role_added", user.language, user=user, role="moderator", project=project,
              link=mail.link("moderation.queue", user.language, slug=project.slug))
    forget_roles()
    return "added"


@permissions.command
def remove_moderator(actor: User, project: Project, user_id: int) -> Optional[User]:
    """End ``user_id``'s moderation of ``project`` (refused unless ``actor`` may manage its moderators)."""
    permissions.require(audit.may("role.remove_moderator", actor, project))
    """End ``user_id``'s moderation of ``project``; the account, or ``None`` if they were no moderator."""
    row = db.session().exec(select(ProjectModerator).where(ProjectModerator.user_id == user_id,
                                                           ProjectModerator.project_id == project.id)).first()
    return _end_role(actor, row, "role.remove_moderator", user_id, project_id=project.id)


def _end_role(actor: User, row, action: str, user_id: int, **place) -> Optional[User]:
    """Delete the role ``row`` (if any), record ``action`` and tell the person by mail (staff report m10: they
    learned it from a refusal); the account it belonged to, or ``None``."""
    if row is None:
        return None
    session = db.session()
    user = session.get(User, user_id)
    session.delete(row)
    audit.record(actor, action, "user", user_id, person=user.username if user else "", **place)
    if user is not None and user.is_confirmed:
        project = session.get(Project, place["project_id"]) if place.get("project_id") else None
        organisation = session.get(Organisation, place["organisation_id"]) if place.get("organisation_id") else None
        contact = (project.organisation if project is not None else organisation).email or None
        mail.send(user.email, "role_removed", user.language, user=user, project=project, organisation=organisation,
                  role="moderator" if project is not None else "initiator", actor=actor,
                  link=mail.link("projects.index", user.language), reply_to=contact)
    forget_roles()
    return user


def end_roles_of(user: User) -> None:
    """Before ``user``'s account is deleted: each of their roles ends with an audit entry by the system, so the
    log says when and why they stopped acting (security report N5). In the caller's transaction."""
    session = db.session()
    for row in session.exec(select(ProjectModerator).where(ProjectModerator.user_id == user.id)).all():
        session.delete(row)
        audit.record(None, "role.remove_moderator", "user", user.id, project_id=row.project_id, account_deleted=True)
    for row in session.exec(select(OrganisationMember).where(OrganisationMember.user_id == user.id)).all():
        session.delete(row)
        audit.record(None, "role.remove_initiator", "user", user.id, organisation_id=row.organisation_id,
                     account_deleted=True)
    if user.is_admin:
        audit.record(None, "role.remove_admin", "user", user.id, account_deleted=True)
    forget_roles()


@permissions.command
def add_initiator(actor: User, organisation: Organisation, address: str, language: str) -> str:
    """Make the account with ``address`` an initiator of ``organisation``, or invite the address ("added"/"invited").

    As for :func:`add_moderator`, an account whose address was never confirmed counts as none. Refused
    unless ``actor`` may manage initiators.
    """
    permissions.require(audit.may("role.add_initiator", actor, organisation))
    user = by_email(address)
    if user is None or not user.is_confirmed:
        return _invite(actor, address, "initiator", language, organisation=organisation, unconfirmed=user is not None)
    session = db.session()
    if session.exec(select(OrganisationMember.id).where(OrganisationMember.user_id == user.id,
                                                        OrganisationMember.organisation_id == organisation.id)).first():
        raise RoleError(_("%(name)s is an initiator of this organisation already.", name=user.username), "email")
    session.add(OrganisationMember(user_id=user.id, organisation_id=organisation.id, role="initiator"))
    audit.record(actor, "role.add_initiator", "user", user.id, organisation_id=organisation.id, person=user.username)
    mail.send(user.email, "role_added", user.language, user=user, role="initiator", organisation=organisation,
              link=mail.link("roles.staff", user.language))
    forget_roles()
    return "added"


@permissions.command
def remove_initiator(actor: User, organisation: Organisation, user_id: int) -> Optional[User]:
    """End ``user_id``'s membership of ``organisation`` (refused unless ``actor`` may manage initiators)."""
    permissions.require(audit.may("role.remove_initiator", actor, organisation))
    """End ``user_id``'s membership of ``organisation``; the account, or ``None`` if there was none."""
    row = db.session().exec(select(OrganisationMember).where(
        OrganisationMember.user_id == user_id, OrganisationMember.organisation_id == organisation.id)).first()
    return _end_role(actor, row, "role.remove_initiator", user_id, organisation_id=organisation.id)


def _invite(actor: User, address: str, role: str, language: str, *, project: Optional[Project] = None,
            organisation: Optional[Organisation] = None, unconfirmed: bool = False) -> str:
    session = db.session()
    key = email_key(address)
    for invitation in open_invitations(project=project, organisation=organisation):
        if invitation.email_key == key:
            raise RoleError(_("An invitation to this address is open already."), "email")
    _within_invitation_limits(actor, key)
    invitation = Invitation(email=address, email_key=key, role=role, language=language, invited_by_id=actor.id,
                            project_id=project.id if project else None,
                            organisation_id=organisation.id if organisation else None)
    session.add(invitation)
    session.flush()
    audit.record(actor, "role.invite", "invitation", invitation.id, project_id=invitation.project_id,
                 organisation_id=invitation.organisation_id, role=role, email=address)
    token = make_token("invitation", {"id": invitation.id, "email": key})
    mail.send(address, "invitation", language, role=role, project=project, organisation=organisation,
              inviter=actor, days=current_app.config.get("INVITATION_DAYS", INVITATION_DAYS),
              link=mail.link("roles.invitation", language, token=token))
    return "invited_unconfirmed" if unconfirmed else "invited"


def _within_invitation_limits(actor: User, key: str) -> None:
    """Raise :class:`RoleError` when ``actor`` has sent, or the address ``key`` has got, as many invitation
    mails in the last 24 hours as allowed. Withdrawn invitations count: their mail went out all the same
    (inviting and withdrawing in turn would otherwise mail an address without end)."""
    day = timedelta(days=1)

    def sent(condition) -> tuple[int, str]:
        """How many invitations match in the last 24 hours, and how long until the oldest of them counts no more."""
        count, oldest = db.session().exec(select(func.count(), func.min(Invitation.created_at))
                                          .where(condition, Invitation.created_at > utcnow() - day)).one()
        wait = max(oldest + day - utcnow(), timedelta(minutes=1)) if oldest else day
        return count, format_timedelta(wait, threshold=1.1)

    limit = current_app.config.get("INVITATIONS_PER_ADDRESS", INVITATIONS_PER_ADDRESS)
    count, wait = sent(Invitation.email_key == key)
    if count >= limit:
        raise RoleError(_("This address has had as many invitations in the last 24 hours as we send to one "
                          "address (%(num)d). It can get the next one in %(time)s.", num=limit, time=wait), "email")
    limit = current_app.config.get("INVITATIONS_PER_INVITER", INVITATIONS_PER_INVITER)
    count, wait = sent(Invitation.invited_by_id == actor.id)
    if count >= limit:
        raise RoleError(_("You have sent as many invitations in the last 24 hours as one person may send "
                          "(%(num)d). You can send the next one in %(time)s.", num=limit, time=wait), "email")


def may_manage_invitation(actor, invitation: Invitation) -> permissions.Decision:
    """Withdraw or renew an invitation: who may give its role at its place."""
    if invitation.role == "moderator":
        return permissions.may_manage_moderators(actor, place_of(invitation))
    return permissions.may_manage_initiators(actor)


@permissions.command
def withdraw_invitation(actor: User, invitation: Invitation) -> None:
    """The invitation's link stops working (refused unless ``actor`` may give its role there)."""
    permissions.require(may_manage_invitation(actor, invitation))
    invitation.withdrawn_at = utcnow()
    db.session().add(invitation)
    audit.record(actor, "role.withdraw_invitation", "invitation", invitation.id, project_id=invitation.project_id,
                 organisation_id=invitation.organisation_id, email=invitation.email)


def unconfirmed_addresses(invitations: list[Invitation]) -> set[str]:
    """The address keys among ``invitations`` held by an account that never confirmed its address (one query):
    the staff pages say so, and accepting the invitation replaces that account."""
    keys = {invitation.email_key for invitation in invitations}
    if not keys:
        return set()
    return set(db.session().exec(select(User.email_key).where(col(User.email_key).in_(keys),
                                                              col(User.email_confirmed_at).is_(None))).all())


def invitation(invitation_id: int) -> Invitation:
    """The invitation ``invitation_id``; :class:`webapp.db.NotFound` (a 404 page) otherwise."""
    found = db.session().get(Invitation, invitation_id)
    if found is None:
        raise db.NotFound(f"invitation {invitation_id}")
    return found


def place_of(invitation: Invitation):
    """The project (moderators) or organisation (initiators) the invitation is for."""
    if invitation.role == "moderator":
        return db.session().get(Project, invitation.project_id)
    return db.session().get(Organisation, invitation.organisation_id)


def inviter_of(invitation: Invitation) -> Optional[User]:
    """Who sent the invitation, while their account exists."""
    return db.session().get(User, invitation.invited_by_id) if invitation.invited_by_id else None


def invitation_status(token: str) -> tuple[Optional[Invitation], str]:
    """The invitation the token names and its state: "open", or why it cannot be used.

    States: "open"; "unknown" (forged, garbled, or its row is gone); "accepted", "withdrawn",
    "expired" (older than ``INVITATION_DAYS``). The invitation is returned only when open.
    """
    payload = read_token("invitation", token)
    invitation = db.session().get(Invitation, payload.get("id")) if payload and isinstance(payload.get("id"), int) else None
    if invitation is None or invitation.email_key != payload.get("email"):
        return None, "unknown"
    if invitation.accepted_at:
        return None, "accepted"
    if invitation.withdrawn_at:
        return None, "withdrawn"
    if invitation.created_at < utcnow() - _invitation_age():
        return None, "expired"
    return invitation, "open"


def invitation_for(token: str) -> Optional[Invitation]:
    """The open invitation the token names, or ``None`` (forged, expired, accepted or withdrawn)."""
    return invitation_status(token)[0]


def register_invited(invitation: Invitation, username: str, password: str, language: str) -> User:
    """Create a confirmed account for the invitation's address (its link proves the address) and
    give it the invitation's role, in the caller's transaction.

    An account that holds the address without ever having confirmed it is deleted first: whoever
    registered it chose its password, and nothing shows that this was the address's owner.

    The username follows the rules of registration: not taken, not looking like the site's
    name, an office or a staff member's name. Raises :class:`RoleError` (field "username")
    otherwise, and when the address got an account meanwhile (field "").
    """
    _drop_expired_holders(username, invitation.email)
    drop_unconfirmed_holder(invitation.email)  # the link proves the address; an unconfirmed holder may be anyone
    if name_is_taken(username):
        raise RoleError(_("This username is taken. Please choose another one."), "username")
    if name_is_reserved(username):
        raise RoleError(_("This name looks like the name of this site or of its moderation. "
                          "Please choose another one."), "username")
    if by_email(invitation.email):
        raise RoleError(_("There is an account with this email address already. Please log in."))
    try:
        user = new_account(username, invitation.email, password=password, language=language, confirmed=True)
    except IntegrityError:  # a concurrent registration took the name (the caller's transaction rolls back)
        raise RoleError(_("This username is taken. Please choose another one."), "username") from None
    claim_blocks(user)
    accept_invitation(user, invitation)
    return user


@permissions.command
def accept_invitation(user: User, invitation: Invitation) -> None:
    """Give ``user`` the invitation's role: the confirmed account of the invited address (logged in with it),
    or the account just registered through the invitation's link; refused for any other account."""
    permissions.require(audit.may("role.accept_invitation", user, invitation))
    session = db.session()
    invitation.accepted_at = utcnow()
    session.add(invitation)
    if invitation.role == "moderator":
        exists = session.exec(select(ProjectModerator.id).where(ProjectModerator.user_id == user.id,
                                                                ProjectModerator.project_id == invitation.project_id)).first()
        if not exists:
            session.add(ProjectModerator(user_id=user.id, project_id=invitation.project_id))
    else:
        exists = session.exec(select(OrganisationMember.id).where(
            OrganisationMember.user_id == user.id, OrganisationMember.organisation_id == invitation.organisation_id)).first()
        if not exists:
            session.add(OrganisationMember(user_id=user.id, organisation_id=invitation.organisation_id, role="initiator"))
    session.flush()
    audit.record(user, "role.accept_invitation", "invitation", invitation.id, project_id=invitation.project_id,
                 organisation_id=invitation.organisation_id, role=invitation.role)
    forget_roles()


def make_admin(address: str) -> tuple[User, bool]:
    """Mark the account with ``address`` as site administrator (``flask users create-admin``).

    Returns the account and whether it was an administrator already. Raises :class:`RoleError`
    when no account has this address, or only one that never confirmed it (whoever registered it
    chose its password: see :func:`add_moderator`; the command replaces such an account).
    """
    user = by_email(address)
    if user is None:
        raise RoleError(f"No account has the address {address}.")
    if not user.is_confirmed:
        raise RoleError(f"The account with the address {address} has never confirmed it.")
    was = user.is_admin
    if not was:
        user.is_admin = True
        db.session().add(user)
        audit.record(None, "role.make_admin", "user", user.id, person=user.username)
    return user, was


def create_admin(username: str, address: str, password: str, language: str = "de") -> User:
    """A new, confirmed administrator account (``flask users create-admin`` for an address without one).

    The operator typed the address, so it counts as confirmed. Raises :class:`RoleError` when the
    username or the address is taken.
    """
    if by_email(address):
        raise RoleError(f"An account has the address {address} already.")
    if name_is_taken(username):
        raise RoleError(f"The username {username!r} is taken.", "username")
    user = new_account(username, address, password=password, language=language, confirmed=True, is_admin=True)
    audit.record(None, "role.make_admin", "user", user.id, person=user.username, created=True)
    return user


def roles_of_person(user: User) -> dict:
    """``user``'s roles, for the download of their own data."""
    session = db.session()
    organisations = session.exec(select(Organisation.name).join(
        OrganisationMember, OrganisationMember.organisation_id == Organisation.id)
        .where(OrganisationMember.user_id == user.id)).all()
    projects = session.exec(select(Project.slug).join(ProjectModerator, ProjectModerator.project_id == Project.id)
                            .where(ProjectModerator.user_id == user.id)).all()
    return {"administrator": user.is_admin, "initiator_of": list(organisations), "moderator_of": list(projects)}
