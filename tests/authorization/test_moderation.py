"""The moderation queue's actions (webapp/moderation/queue.py), its bulk action and one's own report mail,
for every staff role; none without a valid CSRF token and a POST. (The queue's pages: test_staff_pages.)
"""

import pytest
from sqlmodel import select

from tests.authorization.support import (
    MODERATES,
    QUEUE_URL,
    fresh,
    staff_action_needs_csrf_and_post,
    staff_answers_as_expected,
    staff_cases,
    staff_world,
    unique,
)
from webapp.models import Comment, User

#: The answer each role gets, in the order of STAFF_ROLES.
STAFF_EXPECTED = {
    #                                   anon part  mod  omod  init oinit admin
    "moderation: block":                MODERATES,
    "moderation: restore":              MODERATES,
    "moderation: review":               MODERATES,
    "moderation: highlight":            MODERATES,
    "moderation: unhighlight":          MODERATES,
    "moderation: answer":               MODERATES,
    "moderation: note":                 MODERATES,
    "moderation: bulk review":          MODERATES,
    # One's own choice of report mail: for those who moderate a project (mails go to moderators only).
    "moderation: report mail":          (302, 403, 303, 303, 403, 403, 403),
}


def _blocked_world(app, client, session, role):
    from webapp.clock import utcnow

    return staff_world(app, client, session, role, blocked_at=utcnow(), block_reason="spam")


def _highlighted_world(app, client, session, role):
    from webapp.clock import utcnow

    return staff_world(app, client, session, role, highlighted_at=utcnow())


def _answer(w):
    text = unique("Offiziell")
    return w.act("answer", **{"answer-text": text}), w.session.exec(
        select(Comment).where(Comment.body == text, Comment.official == True)).first() is not None  # noqa: E712


def _note(w):
    from webapp.models import ModeratorNote

    text = unique("Notiz")
    return w.act("note", **{"note-text": text}), w.session.exec(
        select(ModeratorNote).where(ModeratorNote.body == text)).first() is not None


#: Each staff action: (how to set up its world, what to send and whether it happened).
STAFF_ACTIONS = {
    "moderation: block": (staff_world, lambda w: (w.act("block", **{"block-reason": "spam"}), w.reload().blocked_at is not None)),
    "moderation: restore": (_blocked_world, lambda w: (w.act("restore"), w.reload().blocked_at is None)),
    "moderation: review": (lambda *a: staff_world(*a, report_count=1, open_report_count=1),
                           lambda w: (w.act("review"), w.reload().open_report_count == 0)),
    "moderation: highlight": (staff_world, lambda w: (w.act("highlight"), w.reload().highlighted_at is not None)),
    "moderation: unhighlight": (_highlighted_world, lambda w: (w.act("unhighlight"), w.reload().highlighted_at is None)),
    "moderation: answer": (staff_world, _answer),
    "moderation: note": (staff_world, _note),
    "moderation: bulk review": (lambda *a: staff_world(*a, report_count=1, open_report_count=1),
                                lambda w: (w.send(f"{QUEUE_URL}/bulk", **{"bulk-comment": w.comment.id, "bulk-action": "review"}),
                                           w.reload().open_report_count == 0)),
    "moderation: report mail": (staff_world, lambda w: (w.send("/de/account/report-mail", **{"report-mail-report_mail": "each"}),
                                                        w.me is not None and w.session.get(User, w.me.id) is not None
                                                        and fresh(w, User, w.me.id).report_mail == "each")),
}
#: The state-changing endpoints of this module's rows (tests/authorization/test_routes.py).
ENDPOINTS = {
    "moderation.act": ["moderation: block", "moderation: restore", "moderation: review", "moderation: highlight",
                       "moderation: unhighlight", "moderation: answer", "moderation: note"],
    "moderation.bulk": ["moderation: bulk review"], "moderation.report_mail": ["moderation: report mail"],
}


@pytest.mark.parametrize(("action", "role"), staff_cases(STAFF_EXPECTED))
def test_each_role_gets_the_expected_answer_on_staff_routes(app, client, session, action, role):
    staff_answers_as_expected(app, client, session, STAFF_EXPECTED, STAFF_ACTIONS, action, role)


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
def test_staff_actions_need_a_valid_csrf_token_and_a_post(app, client, session, action):
    staff_action_needs_csrf_and_post(app, client, session, STAFF_ACTIONS, action)
