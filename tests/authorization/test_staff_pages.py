"""The staff's pages (GET) for every staff role: the overview, the roles' pages, the audit logs, the moderation
queue and its comment pages, the block form. (The blocked people's list and the moderation settings are in
test_conduct; tests/authorization/test_routes.py fails for a staff page that no page matrix has.)
"""

import pytest

from tests.authorization.support import INITIATORS_URL, MODERATORS_URL, PEOPLE_URL, QUEUE_URL, STAFF_ROLES, opened_as, page_cases
from tests.support import soup

#: The staff's pages (GET), and what each role gets; 200 shows the page's heading. ``{comment}`` is a fresh
#: comment on smart-city, ``{author}`` its author (see support.opened_as).
STAFF_PAGES = {
    #                                                anon part  mod  omod  init oinit admin
    ("/de/staff/", "Verwaltung"):                   (302, 403, 200, 200, 200, 200, 200),
    (MODERATORS_URL, "Moderierende"):            (302, 403, 403, 403, 200, 403, 200),
    (INITIATORS_URL, "Projektteam"):                (302, 403, 403, 403, 403, 403, 200),
    ("/de/staff/projects/smart-city/audit", "Protokoll"): (302, 403, 403, 403, 200, 403, 200),
    (INITIATORS_URL.rsplit("/", 1)[0] + "/audit", "Protokoll"): (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/audit", "Protokoll der ganzen Website"): (302, 403, 403, 403, 403, 403, 200),
    # Whoever may moderate the project (webapp.permissions.may_moderate): its moderators, initiators, administrators.
    (QUEUE_URL, "Moderation"):                      (302, 403, 200, 403, 200, 403, 200),
    (QUEUE_URL + "/comments/{comment}", "Kommentar moderieren"): (302, 403, 200, 403, 200, 403, 200),
    (PEOPLE_URL + "/{author}/block", "{author_name} sperren"): (302, 403, 200, 403, 200, 403, 200),
}


@pytest.mark.parametrize(("page", "role"), page_cases(STAFF_PAGES))
def test_each_role_gets_the_expected_answer_on_staff_pages(app, client, session, page, role):
    (url, heading), expected = page, STAFF_PAGES[page][STAFF_ROLES.index(role)]
    response = opened_as(app, client, session, role, url, heading, expected)
    if expected not in (200, 302):  # the refusal says why
        from webapp.permissions import REASONS

        with app.test_request_context("/de/"):
            reasons = {str(reason) for reason in REASONS.values()}
        assert soup(response).select_one("main .lead").get_text(strip=True) in reasons
