"""Roles and invitations (webapp/roles): moderators, initiators, invitations withdrawn, sent again and accepted,
for every staff role; none without a valid CSRF token and a POST. (The roles' pages: test_staff_pages.)
"""

import secrets

import pytest
from sqlmodel import select

from tests.authorization.support import (
    ADMINISTERS,
    INITIATORS_URL,
    MODERATORS_URL,
    RUNS_PROJECT,
    staff_action_needs_csrf_and_post,
    staff_answers_as_expected,
    staff_cases,
    staff_world,
    token_for,
    unique,
)
from tests.support import PASSWORD, make_user
from webapp.accounts.models import normalise_key
from webapp.models import Project, User

#: The answer each role gets, in the order of STAFF_ROLES.
STAFF_EXPECTED = {
    #                                   anon part  mod  omod  init oinit admin
    "roles: add moderator":             RUNS_PROJECT,
    "roles: remove moderator":          RUNS_PROJECT,
    "roles: withdraw a moderator's invitation": RUNS_PROJECT,
    "roles: add initiator":             ADMINISTERS,
    "roles: remove initiator":          ADMINISTERS,
    "roles: withdraw an initiator's invitation": ADMINISTERS,
    "roles: invite a moderator again":  RUNS_PROJECT,
    "roles: invite an initiator again": ADMINISTERS,
    # The invitation's link: its addressee accepts (anonymous: registers with the invited address) ...
    "roles: accept one's invitation":   (303, 303, 303, 303, 303, 303, 303),
    # ... and no one else can, logged in or not.
    "roles: accept another's invitation": (403, 403, 403, 403, 403, 403, 403),
}


def _has_role(w, person_id, organisation=False):
    from webapp.roles.models import OrganisationMember, ProjectModerator

    w.session.expire_all()
    if organisation:
        return w.session.exec(select(OrganisationMember).where(OrganisationMember.user_id == person_id)).first() is not None
    project = w.session.exec(select(Project).where(Project.slug == "smart-city")).one()
    return w.session.exec(select(ProjectModerator).where(ProjectModerator.user_id == person_id,
                                                         ProjectModerator.project_id == project.id)).first() is not None


def _with_person(role, project="smart-city"):
    """A staff world with ``w.person``: someone in ``role`` (to be removed)."""
    def setup(app, client, session, me):
        w = staff_world(app, client, session, me)
        w.person = make_user(app, role=role, project=project)
        return w
    return setup


def _with_invitation(kind, to_me=False, expired=False):
    """A staff world with ``w.invitation``, open (or ``expired``), of ``kind`` ("moderator" or "initiator") to a
    new address, or to ``me``'s own (a new address for anonymous readers, who then register), and ``w.invited_path``."""
    from datetime import UTC, datetime, timedelta

    from webapp.roles.models import Invitation

    def setup(app, client, session, me):
        w = staff_world(app, client, session, me)
        addressee = w.me if to_me and w.me is not None else (None if to_me else make_user(app))
        address = addressee.email if addressee else f"{secrets.token_hex(5)}@example.org"
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        w.invitation = Invitation(email=address, email_key=normalise_key(address), role=kind, language="de",
                                  project_id=project.id if kind == "moderator" else None,
                                  organisation_id=project.organisation_id if kind == "initiator" else None)
        if expired:
            w.invitation.created_at = datetime.now(UTC) - timedelta(days=20)
        session.add(w.invitation)
        session.commit()
        w.addressee = addressee
        w.invited_path = "/de/invitation/" + token_for(app, "invitation", {"id": w.invitation.id,
                                                                            "email": w.invitation.email_key})
        return w
    return setup


def _add(url, organisation=False):
    def run(w):
        person = make_user(w.app)
        return w.send(url, email=person.email), _has_role(w, person.id, organisation)
    return run


def _withdrawn(w):
    w.session.expire_all()
    return w.session.get(type(w.invitation), w.invitation.id).withdrawn_at is not None


def _invited_again(w):
    """Whether a new invitation went out to the expired one's address, or (it has an account now) the role."""
    from webapp.roles.models import Invitation

    w.session.expire_all()
    again = len(w.session.exec(select(Invitation).where(Invitation.email_key == w.invitation.email_key)).all()) > 1
    return again or (w.addressee is not None and _has_role(w, w.addressee.id, w.invitation.role == "initiator"))


def _accept(w):
    if w.addressee is None:  # nobody logged in: register with the invited address
        response = w.send(w.invited_path, username=unique("Eingeladen"), password=PASSWORD, password_repeat=PASSWORD,
                          accept_terms="y")
        user = w.session.exec(select(User).where(User.email_key == w.invitation.email_key)).first()
        return response, user is not None and _has_role(w, user.id)
    return w.send(w.invited_path), _has_role(w, w.addressee.id)


#: Each staff action: (how to set up its world, what to send and whether it happened).
STAFF_ACTIONS = {
    "roles: add moderator": (staff_world, _add(MODERATORS_URL)),
    "roles: remove moderator": (_with_person("moderator"), lambda w: (
        w.send(f"{MODERATORS_URL}/{w.person.id}/remove"), not _has_role(w, w.person.id))),
    "roles: withdraw a moderator's invitation": (_with_invitation("moderator"), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/withdraw"), _withdrawn(w))),
    "roles: add initiator": (staff_world, _add(INITIATORS_URL, organisation=True)),
    "roles: remove initiator": (_with_person("initiator"), lambda w: (
        w.send(f"{INITIATORS_URL}/{w.person.id}/remove"), not _has_role(w, w.person.id, organisation=True))),
    "roles: withdraw an initiator's invitation": (_with_invitation("initiator"), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/withdraw"), _withdrawn(w))),
    "roles: invite a moderator again": (_with_invitation("moderator", expired=True), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/again"), _invited_again(w))),
    "roles: invite an initiator again": (_with_invitation("initiator", expired=True), lambda w: (
        w.send(f"/de/staff/invitations/{w.invitation.id}/again"), _invited_again(w))),
    "roles: accept one's invitation": (_with_invitation("moderator", to_me=True), _accept),
    "roles: accept another's invitation": (_with_invitation("moderator"), _accept),
}
#: The state-changing endpoints of this module's rows (tests/authorization/test_routes.py).
ENDPOINTS = {
    "roles.moderators": ["roles: add moderator"], "roles.remove_moderator": ["roles: remove moderator"],
    "roles.initiators": ["roles: add initiator"], "roles.remove_initiator": ["roles: remove initiator"],
    "roles.withdraw_invitation": ["roles: withdraw a moderator's invitation", "roles: withdraw an initiator's invitation"],
    "roles.invite_again": ["roles: invite a moderator again", "roles: invite an initiator again"],
    "roles.invitation": ["roles: accept one's invitation", "roles: accept another's invitation"],
}


@pytest.mark.parametrize(("action", "role"), staff_cases(STAFF_EXPECTED))
def test_each_role_gets_the_expected_answer_on_staff_routes(app, client, session, action, role):
    staff_answers_as_expected(app, client, session, STAFF_EXPECTED, STAFF_ACTIONS, action, role)


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
def test_staff_actions_need_a_valid_csrf_token_and_a_post(app, client, session, action):
    staff_action_needs_csrf_and_post(app, client, session, STAFF_ACTIONS, action)
