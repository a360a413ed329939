"""Blocking people, discussion rules and moderation settings (webapp/conduct/: blocks.py, rules.py, views.py):
their rows of the staff matrix, their pages' GET answers, and the blocked participant.
"""

import pytest
from sqlmodel import select

from tests.authorization.support import (
    ADMINISTERS,
    MODERATES,
    PEOPLE_URL,
    RUNS_PROJECT,
    SETTINGS_URL,
    STAFF_ROLES,
    opened_as,
    page_cases,
    staff_action_needs_csrf_and_post,
    staff_answers_as_expected,
    staff_cases,
    staff_world,
    unique,
    world,
)
from tests.authorization.test_comments import ACTIONS as PARTICIPANT_ACTIONS
from tests.factories import PersonBlockFactory

#: The answer each role gets, in the order of STAFF_ROLES.
STAFF_EXPECTED = {
    #                                   anon part  mod  omod  init oinit admin
    "people: block a person":           MODERATES,
    "people: block a person site-wide": ADMINISTERS,
    "people: end a block":              MODERATES,
    "people: end a site-wide block":    ADMINISTERS,
    "moderation: settings":             RUNS_PROJECT,
}


def _person_blocks(w, **conditions):
    from webapp.models import PersonBlock

    w.session.expire_all()
    return w.session.exec(select(PersonBlock).where(PersonBlock.user_id == w.comment.author_id,
                                                    *[getattr(PersonBlock, k) == v for k, v in conditions.items()])).all()


def _block(scope):
    def run(w):
        response = w.send(f"{PEOPLE_URL}/{w.comment.author_id}/block", scope=scope, duration="7", reason=unique("Grund"))
        site_wide = [b for b in _person_blocks(w) if b.project_id is None]
        return response, bool(site_wide) if scope == "site" else bool(_person_blocks(w))
    return run


def _with_block(site_wide=False):
    """A staff world whose comment's author is blocked (from smart-city, or from the whole site)."""
    def setup(app, client, session, role):

        w = staff_world(app, client, session, role)
        w.block = PersonBlockFactory(session=session, user_id=w.comment.author_id, site_wide=site_wide)
        return w
    return setup


def _end(w):
    response = w.send(f"{PEOPLE_URL}/blocks/{w.block.id}/end")
    w.session.expire_all()
    return response, w.session.get(type(w.block), w.block.id).ended_at is not None


def _settings(w):
    """New German rules for smart-city; the demo's default text comes back afterwards (other tests read it)."""
    from webapp.models import DiscussionRules

    text = unique("Regeln")
    response = w.send(SETTINGS_URL, rules_de=text, rules_en="", rules_simple="", auto_hide_after="")
    w.session.expire_all()
    row = w.session.exec(select(DiscussionRules).where(DiscussionRules.body == text)).first()
    if row is not None:
        w.session.delete(row)
        w.session.commit()
    return response, row is not None


#: Each staff action: (how to set up its world, what to send and whether it happened).
STAFF_ACTIONS = {
    "people: block a person": (staff_world, _block("project")),
    "people: block a person site-wide": (staff_world, _block("site")),
    "people: end a block": (_with_block(), _end),
    "people: end a site-wide block": (_with_block(site_wide=True), _end),
    "moderation: settings": (staff_world, _settings),
}
#: The state-changing endpoints of this module's rows (tests/authorization/test_routes.py).
ENDPOINTS = {
    "conduct.block_person": ["people: block a person", "people: block a person site-wide"],
    "conduct.unblock": ["people: end a block", "people: end a site-wide block"],
    "conduct.settings": ["moderation: settings"],
}
#: The pages (GET) and what each role gets; 200 shows the page's heading. (The block form's page,
#: GET conduct.block_person, is in test_staff_pages: its refusals are checked for their reason there.)
CONDUCT_PAGES = {
    #                                                         anon part  mod  omod  init oinit admin
    (f"{PEOPLE_URL}/blocked", "Gesperrte Personen"):         (302, 403, 200, 403, 200, 403, 200),
    (SETTINGS_URL, "Einstellungen der Moderation"):           (302, 403, 403, 403, 200, 403, 200),
    ("/de/projects/smart-city/rules", "Diskussionsregeln"):  (200, 200, 200, 200, 200, 200, 200),
}


@pytest.mark.parametrize(("action", "role"), staff_cases(STAFF_EXPECTED))
def test_each_role_gets_the_expected_answer_on_staff_routes(app, client, session, action, role):
    staff_answers_as_expected(app, client, session, STAFF_EXPECTED, STAFF_ACTIONS, action, role)


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
def test_staff_actions_need_a_valid_csrf_token_and_a_post(app, client, session, action):
    staff_action_needs_csrf_and_post(app, client, session, STAFF_ACTIONS, action)


@pytest.mark.parametrize(("page", "role"), page_cases(CONDUCT_PAGES))
def test_each_role_gets_the_expected_answer_on_the_blocking_and_rules_pages(app, client, session, page, role):
    (url, heading), expected = page, CONDUCT_PAGES[page][STAFF_ROLES.index(role)]
    opened_as(app, client, session, role, url, heading, expected)


#: A blocked participant ("other": not the author) is refused everything that takes part, and nothing changes.
BLOCKED_REFUSED = ("comment on chapter", "comment on paragraph", "reply", "rate", "report", "report a reply")


@pytest.mark.parametrize("scope", ["project", "site"])
@pytest.mark.parametrize("action", BLOCKED_REFUSED)
def test_a_blocked_participant_is_refused_and_nothing_changes(app, client, session, action, scope):

    w = world(app, client, session, "other")
    PersonBlockFactory(session=session, user_id=w.me.id, site_wide=scope != "project", reason="Grund X")
    response, changed = PARTICIPANT_ACTIONS[action](w)
    assert response.status_code == 403 and not changed
    assert "Grund X" in response.get_data(as_text=True)
