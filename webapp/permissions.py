"""Who may do what: the one home for the staff's rights.

Roles are data (:mod:`webapp.roles.models`): site administrators are marked on their account,
initiators are members of an organisation and run all of its projects, moderators are named
per project. Each right is a small named predicate returning a :class:`Decision` with the
reason a refusal is explained with; commands call :func:`require` with it (and views that check
before they call), templates ask the same predicates (they are template globals). Participants'
rights on comments live in :mod:`webapp.comments.rules` and :mod:`webapp.moderation.rules`, built
on the same Decision and the same table of reasons.

A person's roles are read once per request (:func:`roles_of`), so asking on every comment of
a page costs no query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import g
from sqlalchemy import bindparam, literal_column, union_all
from sqlmodel import select

from . import db
from .accounts.models import User
from .errors import error_response
from .extensions import login_manager
from .i18n import lazy_gettext as _l
from .projects.models import Project
from .roles.models import OrganisationMember, ProjectModerator

#: Why something is refused, in the reader's words: the one table for staff rights, participants' rights on
#: comments (webapp.comments.rules) and reports (webapp.moderation.rules). A reason worded for what was asked
#: about has its own entry under ``(reason, about)`` (see :attr:`Decision.about`); the plain key is the rest's.
REASONS = {
    "login": _l("Please log in to continue."),
    ("login", "discussion"): _l("Please log in to take part in the discussion."),
    ("login", "report"): _l("Please log in to report a comment."),
    "unconfirmed": _l("Please confirm your email address first. We have sent you a link."),
    "admin": _l("Only administrators can do this."),
    "initiator": _l("Only the initiators of this project and administrators can do this."),
    "moderator": _l("Only the moderators and initiators of this project can do this."),
    "organisation": _l("Only the initiators of this organisation and administrators can do this."),
    "staff": _l("This page is for the staff of this site: administrators, initiators and moderators."),
    "invitation": _l("This invitation was sent to another email address. Please log in with the account of that "
                     "address."),
    "own_account": _l("Only the owner of an account can delete it."),
    # Who can be blocked (said to the acting moderator, with the person's name: Decision.values).
    "blocks_admin": _l("%(name)s is an administrator and cannot be blocked."),
    "blocks_site_staff": _l("%(name)s has a staff role and cannot be blocked on the whole website. "
                            "Remove the role first."),
    "blocks_project_staff": _l("%(name)s belongs to this project's staff and cannot be blocked from it."),
    # Taking part: comments, replies, ratings, reports.
    "phase": _l("The current phase does not allow comments."),
    "author": _l("You can only change your own comments."),
    "deleted": _l("This comment has been deleted."),
    "reply_to_reply": _l("You can only reply to a comment, not to a reply."),
    "own": _l("You cannot rate your own comment."),
    ("own", "report"): _l("You cannot report your own comment."),
    "already_reported": _l("You have already reported this comment. The moderators will look at it."),
    "blocked": _l("You have been blocked from taking part."),  # said in full with the block (Decision.block)
    # Where the comment is quoted, the quote says that it is blocked or hidden: these say what that means.
    "hidden": _l("A comment blocked by the moderators can no longer be answered, rated or reported."),
    "hidden_reports": _l("Until the moderators have reviewed it, a hidden comment cannot be answered, rated or "
                         "reported."),
    "hidden_edit": _l("A comment blocked by the moderators can no longer be changed. You can still delete it."),
    "hidden_reports_edit": _l("Until the moderators have reviewed it, a hidden comment cannot be changed. You can "
                              "still delete it."),
}


@dataclass(frozen=True)
class Decision:
    """An answer to "may this person do this here?"; false with a ``reason`` key of :data:`REASONS` when refused.

    The one answer of every right, staff's and participants' alike.
    """

    allowed: bool
    reason: str = ""
    #: What was asked about, where :data:`REASONS` words the reason for it ("discussion", "report").
    about: str = field(default="", compare=False)
    #: The person block behind a "blocked" refusal: its ``refusal()`` says where, until when and why.
    block: Any = field(default=None, compare=False)
    #: What the reason's words name (``{"name": ...}``), where they name someone.
    values: Any = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        """The refusal explained to the reader (empty when allowed)."""
        if self.allowed:
            return ""
        if self.block is not None:
            return self.block.refusal()
        text = str(REASONS.get((self.reason, self.about)) or REASONS.get(self.reason, ""))
        return text % self.values if self.values else text


ALLOWED = Decision(True)


@dataclass(frozen=True)
class Roles:
    """What one person is: administrator, initiator of which organisations, moderator of which projects."""

    user_id: int | None = None
    is_admin: bool = False
    initiator_of: frozenset[int] = frozenset()
    moderator_of: frozenset[int] = frozenset()

    @property
    def is_staff(self) -> bool:
        """Staff anywhere: the staff navigation is shown."""
        return self.is_admin or bool(self.initiator_of) or bool(self.moderator_of)


NOBODY = Roles()


#: The statements asked on every logged-in page, built once with parameters (``db.read``): what ``user`` is
#: (1: initiator of an organisation, 2: moderator of a project), who speaks for ``project`` (3: its moderators,
#: 4: its organisation's initiators, 5: administrators), and both at once for a discussion shown to someone logged in.
_ROLE_PARTS = (
    select(literal_column("1"), OrganisationMember.organisation_id).where(OrganisationMember.user_id == bindparam("user")),
    select(literal_column("2"), ProjectModerator.project_id).where(ProjectModerator.user_id == bindparam("user")))
_BADGE_PARTS = (
    select(literal_column("3"), ProjectModerator.user_id).where(ProjectModerator.project_id == bindparam("project")),
    select(literal_column("4"), OrganisationMember.user_id).join(
        Project, Project.organisation_id == OrganisationMember.organisation_id).where(Project.id == bindparam("project")),
    select(literal_column("5"), User.id).where(User.is_admin == True),  # noqa: E712  (SQL comparison)
)
_ROLES, _BADGES, _ROLES_AND_BADGES = union_all(*_ROLE_PARTS), union_all(*_BADGE_PARTS), union_all(*_ROLE_PARTS, *_BADGE_PARTS)
_BADGE_NAMES = {3: "moderator", 4: "initiator", 5: "admin"}


def roles_of(user) -> Roles:
    """``user``'s roles, read once per request (one small query), none for anonymous readers."""
    if user is None or not getattr(user, "is_authenticated", False) or user.id is None:
        return NOBODY
    cache = g.setdefault("permission_roles", {})
    if user.id not in cache:
        _keep_roles(user, db.read(_ROLES, {"user": user.id}).all())
    return cache[user.id]


def _keep_roles(user, rows) -> None:
    g.setdefault("permission_roles", {})[user.id] = Roles(
        user.id, bool(user.is_admin), frozenset(i for kind, i in rows if kind == 1), frozenset(i for kind, i in rows if kind == 2))


def _keep_badges(project_id: int, rows) -> None:
    """Someone with several roles gets the highest badge (administration, then project team, then moderation)."""
    g.setdefault("permission_badges", {})[project_id] = {
        user_id: _BADGE_NAMES[kind] for kind, user_id in sorted(rows) if kind in _BADGE_NAMES}


def read_roles_and_badges(user, project_id: int) -> None:
    """Read ``user``'s roles and the project's staff badges in one query, for a page that asks both (a discussion shown
    to someone logged in): :func:`roles_of` and :func:`staff_badges` then answer from what was read. Nothing is read
    again that this request has read already."""
    if user is None or not getattr(user, "is_authenticated", False) or user.id is None:
        return
    if user.id in g.get("permission_roles", {}) or project_id in g.get("permission_badges", {}):
        return
    rows = db.read(_ROLES_AND_BADGES, {"user": user.id, "project": project_id}).all()
    _keep_roles(user, rows)
    _keep_badges(project_id, rows)


def forget_roles() -> None:
    """Roles changed in this request (someone was added or removed): read them again when asked."""
    g.pop("permission_roles", None)


def _signed_in(user) -> Decision:
    if user is None or not user.is_authenticated:
        return Decision(False, "login")
    if not user.is_confirmed:
        return Decision(False, "unconfirmed")
    return ALLOWED


def may_administer(user) -> Decision:
    """Site administration: add initiators to organisations, see every project's staff pages."""
    decision = _signed_in(user)
    if decision and not roles_of(user).is_admin:
        return Decision(False, "admin")
    return decision


def may_author(user, project) -> Decision:
    """Run the project: its texts and phases, its moderators, its audit log. Initiators of its organisation, administrators."""
    decision = _signed_in(user)
    if not decision:
        return decision
    roles = roles_of(user)
    if roles.is_admin or project.organisation_id in roles.initiator_of:
        return ALLOWED
    return Decision(False, "initiator")


def may_moderate(user, project) -> Decision:
    """Moderate the project's discussion: its moderators, and whoever may author it."""
    decision = _signed_in(user)
    if not decision:
        return decision
    if project.id in roles_of(user).moderator_of or may_author(user, project):
        return ALLOWED
    return Decision(False, "moderator")


def may_manage_moderators(user, project) -> Decision:
    """Add and remove the project's moderators (and invite them)."""
    return may_author(user, project)


def may_see_audit_log(user, project) -> Decision:
    """Read the project's audit log: its initiators and administrators."""
    return may_author(user, project)


def may_see_organisation_log(user, organisation) -> Decision:
    """Read an organisation's audit log (its initiators, invitations, deleted projects): its initiators, administrators."""
    decision = _signed_in(user)
    if not decision:
        return decision
    roles = roles_of(user)
    if roles.is_admin or organisation.id in roles.initiator_of:
        return ALLOWED
    return Decision(False, "organisation")


def may_administer_organisations(user, organisation=None) -> Decision:
    """Create organisations and change their name and contact (what mails and the project pages name): administrators."""
    return may_administer(user)


def may_create_project(user, organisation) -> Decision:
    """Create a project for ``organisation`` (it starts as a draft): its initiators, administrators."""
    return may_see_organisation_log(user, organisation)


def may_manage_initiators(user, organisation=None) -> Decision:
    """Add initiators to ``organisation`` (any; and invite them): administrators."""
    return may_administer(user)


def may_accept_invitation(user, invitation) -> Decision:
    """Take the role an invitation offers: the confirmed account of the address it was sent to (its link proves
    the address; anyone can register with anyone's address, so an unconfirmed account cannot)."""
    decision = _signed_in(user)
    if decision and user.email_key != invitation.email_key:
        return Decision(False, "invitation")
    return decision


def may_get_report_mail(user) -> Decision:
    """Choose how reports reach one by mail: anyone who moderates a project (the mails go to its moderators)."""
    if user is None or not user.is_authenticated:
        return Decision(False, "login")
    if not roles_of(user).moderator_of:
        return Decision(False, "moderator")
    return ALLOWED


def may_delete_account(actor, user) -> Decision:
    """Delete an account and its personal data: only its owner, logged in (an unconfirmed one too)."""
    if actor is None or not actor.is_authenticated:
        return Decision(False, "login")
    if actor.id != user.id:
        return Decision(False, "own_account")
    return ALLOWED


def may_be_blocked(person, project, site_wide: bool) -> Decision:
    """Whether ``person`` can be blocked from ``project`` (``site_wide``: from the whole site); who may block is
    :func:`may_moderate` (and :func:`may_administer` site-wide). The project's own staff are not blocked from it,
    nor administrators, nor anyone with a staff role from the whole site."""
    roles, name = roles_of(person), {"name": person.username}
    if roles.is_admin:
        return Decision(False, "blocks_admin", values=name)
    if site_wide and roles.is_staff:
        return Decision(False, "blocks_site_staff", values=name)
    if project.id in roles.moderator_of or project.organisation_id in roles.initiator_of:
        return Decision(False, "blocks_project_staff", values=name)
    return ALLOWED


def may_see_person(actor, took_part_here: bool) -> Decision:
    """Open the block page of a person of a project: administrators anyone's; the project's staff (who may
    moderate it, asked first) the people of its discussion, ``took_part_here`` (wrote a comment in it or are
    blocked from it). Otherwise any account's name could be looked up by its number."""
    decision = _signed_in(actor)
    if decision and not (roles_of(actor).is_admin or took_part_here):
        return Decision(False, "moderator")
    return decision


def may_see_staff_area(user) -> Decision:
    """The staff overview: anyone with a staff role."""
    decision = _signed_in(user)
    if decision and not roles_of(user).is_staff:
        return Decision(False, "staff")
    return decision


def is_staff(user) -> bool:
    """Whether ``user`` has any staff role (the header then links to the staff overview)."""
    return roles_of(user).is_staff


#: Every command (a service that changes rows for an actor, see :func:`command`), by "module.function".
COMMANDS: dict[str, Callable] = {}


def command(function: Callable) -> Callable:
    """Mark ``function`` as a command: it takes the acting person first and calls :func:`require` before it
    changes anything, so views, CLI commands and jobs cannot forget a check. Listed in :data:`COMMANDS`, which
    tests/test_commands.py calls one by one with an actor who may not."""
    COMMANDS[f"{function.__module__}.{function.__qualname__}"] = function
    return function


def require(decision: Decision) -> None:
    """Go on if ``decision`` allows; else raise :class:`Refused`.

    Every command (a service that changes rows for an actor) calls this first, whoever calls it: a view, a
    CLI command, a job. The app answers an uncaught :class:`Refused` with the login page (for "log in first")
    or a 403 page saying why (``webapp.errors``); views that want a page of their own for a refusal ask the
    same predicate before they call the command.
    """
    if not decision:
        raise Refused(decision)


#: Views say it this way; the same check.
authorize = require


class Refused(Exception):
    """A command or page refused the actor; ``decision.message`` says why, in the reader's words."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


def staff_badges(project_id: int) -> dict[int, str]:
    """Who speaks for the project in its discussion: user id → "admin", "initiator" or "moderator".

    One query per project and request; the discussion marks these authors' comments. Someone with
    several roles gets the highest (administration, then project team, then moderation).
    """
    cache = g.setdefault("permission_badges", {})
    if project_id not in cache:
        _keep_badges(project_id, db.read(_BADGES, {"project": project_id}).all())
    return cache[project_id]


def refused_response(refusal: Refused):
    """The answer to a refusal no view answered itself: the login page (and back here afterwards) when one must
    log in first, else the 403 page that says why."""
    if refusal.decision.reason == "login":
        return login_manager.unauthorized()
    return error_response(403, refusal.decision.message)


def init_app(app) -> None:
    """Templates ask the same predicates as views; a refusal that reaches the app is answered as above."""
    app.register_error_handler(Refused, refused_response)
    app.jinja_env.globals.update(
        may_moderate=may_moderate, may_author=may_author, may_see_audit_log=may_see_audit_log,
        may_manage_moderators=may_manage_moderators, may_administer=may_administer, is_staff=is_staff,
        may_see_organisation_log=may_see_organisation_log, may_create_project=may_create_project,
        may_administer_organisations=may_administer_organisations,
        staff_badges=staff_badges)
