"""The matrix reads the registry of actions: who may do each action of :data:`webapp.audit.ACTIONS` (its ``may``)
is what the matrix's row for that action expects of each staff role.

The matrix's rows send requests and look at answers; the registry is what the commands ask. Here
both are held against each other, role by role, so neither can drift: an action whose ``may``
names someone the row refuses (or the other way round) fails, and so does an action with a ``may``
that no row and no entry of :data:`NO_ROUTE_YET` stands for.
"""

import pytest
from flask_login import AnonymousUserMixin
from sqlmodel import select

from tests.authorization import test_authoring, test_conduct, test_moderation, test_roles
from tests.authorization.support import RUNS_PROJECT, STAFF_MAKE, STAFF_ROLES
from tests.support import make_user
from webapp import audit
from webapp.models import Organisation, Project

#: Each action of the registry with a ``may``, and the matrix row (module's STAFF_EXPECTED, row) that sends it.
ROWS = {
    "comment.block": (test_moderation, "moderation: block"),
    "comment.restore": (test_moderation, "moderation: restore"),
    "comment.review": (test_moderation, "moderation: review"),
    "comment.highlight": (test_moderation, "moderation: highlight"),
    "comment.unhighlight": (test_moderation, "moderation: unhighlight"),
    "comment.answer": (test_moderation, "moderation: answer"),
    "comment.note": (test_moderation, "moderation: note"),
    "person.block": (test_conduct, "people: block a person"),
    "person.unblock": (test_conduct, "people: end a block"),
    # One form saves the rules and the settings.
    "project.rules": (test_conduct, "moderation: settings"),
    "project.settings": (test_conduct, "moderation: settings"),
    "role.add_moderator": (test_roles, "roles: add moderator"),
    "role.remove_moderator": (test_roles, "roles: remove moderator"),
    "role.add_initiator": (test_roles, "roles: add initiator"),
    "role.remove_initiator": (test_roles, "roles: remove initiator"),
    "project.create": (test_authoring, "authoring: new project"),
    "project.edit": (test_authoring, "authoring: texts"),
    "project.publish": (test_authoring, "authoring: publish"),
    "project.unpublish": (test_authoring, "authoring: unpublish"),
    "phase.add": (test_authoring, "authoring: add phase"),
    "phase.edit": (test_authoring, "authoring: change phase"),
    "phase.remove": (test_authoring, "authoring: remove phase"),
    "chapter.add": (test_authoring, "authoring: add chapter"),
    "chapter.edit": (test_authoring, "authoring: change chapter"),
    "chapter.move": (test_authoring, "authoring: move chapter"),
    "paragraph.add": (test_authoring, "authoring: add paragraph"),
    "paragraph.edit": (test_authoring, "authoring: change paragraph"),
    "paragraph.move": (test_authoring, "authoring: move paragraph"),
    "chapter.delete": (test_authoring, "authoring: remove chapter"),
    "paragraph.delete": (test_authoring, "authoring: remove paragraph"),
    "organisation.create": (test_authoring, "authoring: new organisation"),
    "organisation.edit": (test_authoring, "authoring: organisation"),
}
#: Actions with a ``may`` and no page yet (the authoring dashboard brings them): what the matrix will expect.
NO_ROUTE_YET = {
    "project.delete": RUNS_PROJECT,
}
#: Actions with a ``may`` whose place is not a project or organisation; their rows are tested on their own.
ELSEWHERE = {
    "role.accept_invitation": "its place is the invitation: test_roles' rows 'accept one's/another's invitation'",
}
#: Actions whose place is the project's organisation, not the project.
ORGANISATION = {"role.add_initiator", "role.remove_initiator", "project.create", "organisation.create",
                "organisation.edit"}


def test_every_action_with_a_may_has_its_row():
    with_may = {key for key, action in audit.ACTIONS.items() if action.may is not None}
    assert with_may == set(ROWS) | set(NO_ROUTE_YET) | set(ELSEWHERE)


def _expected(action: str) -> tuple[int, ...]:
    if action in NO_ROUTE_YET:
        return NO_ROUTE_YET[action]
    module, row = ROWS[action]
    return module.STAFF_EXPECTED[row]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_registry_allows_whom_the_matrix_expects(app, session, role):
    """For each role of the matrix (made as the matrix makes it), ``audit.may`` says yes exactly where the row
    expects the action done (200 or 303)."""
    actor = AnonymousUserMixin() if role == "anonymous" else make_user(app, role=STAFF_MAKE[role][0],
                                                                        project=STAFF_MAKE[role][1])
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    organisation = session.get(Organisation, project.organisation_id)
    disagree = []
    with app.test_request_context():
        for action in [*ROWS, *NO_ROUTE_YET]:
            place = organisation if action in ORGANISATION else project
            allowed = bool(audit.may(action, actor, place))
            if allowed != (_expected(action)[STAFF_ROLES.index(role)] in (200, 303)):
                disagree.append(f"{action}: the registry says {'yes' if allowed else 'no'}")
    assert not disagree, f"{role}: " + "; ".join(disagree)
