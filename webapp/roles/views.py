"""Who moderates a project and who runs an organisation, and the invitation link.

The staff overview these pages are reached from (``roles.staff``) is on this blueprint too, but lives in
:mod:`webapp.staffhome`, above roles and moderation: it shows what needs review in each project.

Plain server-rendered pages and forms. Every change is a POST that redirects (303) back with a
message saying what happened; a form with a mistake comes back with 422, its input kept. Who
may see and do what is asked of :mod:`webapp.permissions` only; every page here is sent
``no-store`` and is never page-cached (only reading pages are, see :mod:`webapp.pagecache`).
"""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user, login_user

from .. import db, permissions
from ..comments.messages import flash_outcome
from ..errors import back_when_expired, keeps_input
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..projects.services import get_for_staff
from . import bp, services
from .forms import AddPersonForm, ButtonForm, InvitationRegisterForm
from .models import Invitation


@bp.after_request
def _never_stored(response):
    """Staff pages and invitation links are personal: no browser or proxy keeps them."""
    response.cache_control.no_store = True
    return response


def _actor():
    return current_user._get_current_object()


def _organisation(slug: str):
    """The organisation at ``slug`` (a 404 page otherwise)."""
    organisation = services.organisation_by_slug(slug)
    if organisation is None:
        raise db.NotFound(f"organisation {slug!r}")
    return organisation


def _days() -> int:
    return current_app.config.get("INVITATION_DAYS", services.INVITATION_DAYS)


def _added_message(outcome: str, address: str, role: str) -> str:
    if outcome == "invited":
        return _("%(email)s has no account yet. We have sent an invitation to this address. "
                 "The link in it is valid for %(days)s days.", email=address, days=_days())
    if outcome == "invited_unconfirmed":
        return _("An account has the address %(email)s but has never confirmed it, so it cannot get the role: "
                 "anyone could have registered it. We have sent an invitation to this address instead. Whoever opens "
                 "its link sets up the account anew. The link is valid for %(days)s days.", email=address, days=_days())
    if role == "moderator":
        return _("%(email)s is now a moderator of this project. We have told them by email.", email=address)
    return _("%(email)s is now an initiator of this organisation. We have told them by email.", email=address)


def _people_page(kind: str, place, people, invitations, form, status: int = 200):
    """The moderators of a project or the initiators of an organisation, with the form to add one."""
    expired = services.expired_invitations(**{"project" if kind == "moderator" else "organisation": place})
    return render("roles/people.html", status=status if not form.errors else 422, kind=kind, place=place,
                  people=people, invitations=invitations, expired=expired, expires_at=services.expires_at, form=form,
                  unconfirmed=services.unconfirmed_addresses(invitations))


def _added(form: AddPersonForm, add, place, role: str, mode: LanguageMode) -> bool:
    """Give ``role`` in ``place`` to the form's address with ``add`` (a roles service), in one unit of work.

    True with a success message flashed; False with the refusal on the form's email field.
    """
    try:
        with db.transaction():
            outcome = add(_actor(), place, form.email.data, mode.key)
    except services.RoleError as error:
        form.email.errors.append(error.message)
        return False
    flash_outcome(_added_message(outcome, form.email.data, role))
    return True


@bp.route("/staff/projects/<slug:slug>/moderators", methods=["GET", "POST"])
@keeps_input
def moderators(mode: LanguageMode, slug: str):
    """The project's moderators and open invitations; the form adds one by email address."""
    project = get_for_staff(slug)
    permissions.authorize(permissions.may_manage_moderators(current_user, project))
    form = AddPersonForm()
    if form.validate_on_submit() and _added(form, services.add_moderator, project, "moderator", mode):
        return redirect(url_for(".moderators", slug=project.slug, _anchor="outcome"), 303)
    return _people_page("moderator", project, services.moderators(project),
                        services.open_invitations(project=project), form)


@bp.post("/staff/projects/<slug:slug>/moderators/<int(max=2147483647):user_id>/remove")
@back_when_expired(lambda slug, user_id: url_for("roles.moderators", slug=slug))
def remove_moderator(mode: LanguageMode, slug: str, user_id: int):
    """End one person's moderation of the project."""
    project = get_for_staff(slug)
    permissions.authorize(permissions.may_manage_moderators(current_user, project))
    with db.transaction():
        removed = services.remove_moderator(_actor(), project, user_id)
    if removed is not None:
        flash_outcome(_("%(name)s is no longer a moderator of this project.", name=removed.username))
    else:
        flash_outcome(_("This person was not a moderator of this project (any more). Nothing was changed."))
    return redirect(url_for(".moderators", slug=project.slug, _anchor="outcome"), 303)


@bp.route("/staff/organisations/<slug:slug>/initiators", methods=["GET", "POST"])
@keeps_input
def initiators(mode: LanguageMode, slug: str):
    """The organisation's initiators and open invitations; administrators add one by email address."""
    permissions.authorize(permissions.may_manage_initiators(current_user))
    organisation = _organisation(slug)
    form = AddPersonForm()
    if form.validate_on_submit() and _added(form, services.add_initiator, organisation, "initiator", mode):
        return redirect(url_for(".initiators", slug=organisation.slug, _anchor="outcome"), 303)
    return _people_page("initiator", organisation, services.initiators(organisation),
                        services.open_invitations(organisation=organisation), form)


@bp.post("/staff/organisations/<slug:slug>/initiators/<int(max=2147483647):user_id>/remove")
@back_when_expired(lambda slug, user_id: url_for("roles.initiators", slug=slug))
def remove_initiator(mode: LanguageMode, slug: str, user_id: int):
    """End one person's role as initiator of the organisation."""
    permissions.authorize(permissions.may_manage_initiators(current_user))
    organisation = _organisation(slug)
    with db.transaction():
        removed = services.remove_initiator(_actor(), organisation, user_id)
    if removed is not None:
        flash_outcome(_("%(name)s is no longer an initiator of this organisation.", name=removed.username))
    else:
        flash_outcome(_("This person was not an initiator of this organisation (any more). Nothing was changed."))
    return redirect(url_for(".initiators", slug=organisation.slug, _anchor="outcome"), 303)


def _invitation_page_of(invitation_id: int) -> str:
    """The staff page an invitation is listed on (its project's moderators, its organisation's initiators)."""
    invitation = services.invitation(invitation_id)
    page = ".moderators" if invitation.role == "moderator" else ".initiators"
    return url_for(page, slug=services.place_of(invitation).slug)


def _managed_invitation(invitation_id: int) -> tuple[Invitation, str]:
    """The invitation, if the person may manage its role here (else 404, or the login page or 403 with why),
    and the staff page it is listed on."""
    invitation = services.invitation(invitation_id)
    permissions.authorize(services.may_manage_invitation(current_user, invitation))
    return invitation, _invitation_page_of(invitation_id)


@bp.post("/staff/invitations/<int(max=2147483647):invitation_id>/withdraw")
@back_when_expired(_invitation_page_of)
def withdraw_invitation(mode: LanguageMode, invitation_id: int):
    """Withdraw an open invitation: its link stops working."""
    invitation, back = _managed_invitation(invitation_id)
    if invitation.accepted_at or invitation.withdrawn_at:
        flash_outcome(_("This invitation was accepted or withdrawn already. Nothing was changed."))
    else:
        with db.transaction():
            services.withdraw_invitation(_actor(), invitation)
        flash_outcome(_("The invitation to %(email)s is withdrawn. Its link no longer works.", email=invitation.email))
    return redirect(back + "#outcome", 303)


@bp.post("/staff/invitations/<int(max=2147483647):invitation_id>/again")
@back_when_expired(_invitation_page_of)
def invite_again(mode: LanguageMode, invitation_id: int):
    """Send a new invitation to the address of one that expired (staff report m7)."""
    invitation, back = _managed_invitation(invitation_id)
    try:
        with db.transaction():
            outcome = services.invite_again(_actor(), invitation, mode.key)
    except services.RoleError as error:
        flash_outcome(error.message)
    else:
        flash_outcome(_added_message(outcome, invitation.email, invitation.role))
    return redirect(back + "#outcome", 303)


# The invitation link ------------------------------------------------------------------------------

def _invalid_invitation(state: str):
    """The page for a link that cannot be used: 404 when we know no such invitation, else 410."""
    return render("roles/invitation_invalid.html", status=404 if state == "unknown" else 410, state=state,
                  days=_days())


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@keeps_input
def invitation(mode: LanguageMode, token: str):
    """An invitation link: accept with the account of its address, or register one straight into the role."""
    found, state = services.invitation_status(token)
    if found is None:
        return _invalid_invitation(state)
    account = services.by_email(found.email)
    place = services.place_of(found)
    if account is not None and account.is_confirmed:
        return _accept(found, account, place, mode)
    # No account, or one that never confirmed the address (anyone may have registered it): the link
    # proves the address, so its owner sets up a fresh account here, which replaces such a one.
    if current_user.is_authenticated and (account is None or current_user.id != account.id):
        return _invitation_page(found, place, "other_account", 403 if request.method == "POST" else 200)
    form = InvitationRegisterForm(invited_email=found.email)
    if form.validate_on_submit():
        try:
            with db.transaction():  # the account, its role and the audit entry, or none of them
                user = services.register_invited(found, form.username.data, form.password.data, mode.key)
        except services.RoleError as error:
            if error.field:
                getattr(form, error.field).errors.append(error.message)
            else:  # an account with this address appeared meanwhile: the page now asks to log in
                return redirect(request.path, 303)
        else:
            session.clear()  # a fresh session for the new account
            login_user(user)
            flash_outcome(_welcome(found, place, mode))
            return redirect(url_for(".staff", _anchor="outcome"), 303)
    return _invitation_page(found, place, "register", 422 if form.errors else 200, form)


def _accept(found: Invitation, account, place, mode: LanguageMode):
    """The address has an account: its owner logs in (if need be) and accepts with one button."""
    if not current_user.is_authenticated or current_user.id != account.id:
        step = "log_in" if not current_user.is_authenticated else "other_account"
        return _invitation_page(found, place, step, 403 if request.method == "POST" else 200)
    form = ButtonForm()
    if form.validate_on_submit():
        with db.transaction():
            services.accept_invitation(_actor(), found)
        flash_outcome(_welcome(found, place, mode))
        return redirect(url_for(".staff", _anchor="outcome"), 303)
    return _invitation_page(found, place, "accept", 422 if form.errors else 200, form)


def _invitation_page(found: Invitation, place, step: str, status: int = 200, form=None):
    """The invitation page at ``step`` (see templates/roles/invitation.html), naming who invited."""
    inviter = services.inviter_of(found)
    return render("roles/invitation.html", status=status, invitation=found, place=place, step=step, form=form,
                  inviter=inviter.username if inviter else None)


def _welcome(found: Invitation, place, mode: LanguageMode) -> str:
    if found.role == "moderator":
        return _("Welcome! You are now a moderator of the project “%(project)s”.",
                 project=place.localized(mode.key).text.title)
    return _("Welcome! You are now an initiator of %(organisation)s.", organisation=place.name)
