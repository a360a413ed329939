"""Commenting, replying, editing, deleting, rating and reporting (webapp/comments, webapp/moderation's report
route) for every role, in a project open for comments and in one that is not.

Nothing changes without a valid CSRF token or by merely opening an address.
"""

import secrets

import pytest

from tests.authorization.support import (
    CSRF_TOKENS,
    answers_as_expected,
    cases,
    refused_without_csrf,
    unchanged_by_opening,
    unique,
)
from webapp.models import Comment, Rating, Report

#: The answer each role gets, in the order of ROLES. "author" wrote the comment acted on. Per-project
#: moderation does not exist yet: moderators and admins have no rights over other people's comments here
#: (the staff's routes are in test_moderation). Reporting does not depend on the phase: anyone confirmed
#: may report someone else's comment.
EXPECTED = {
    #                                         anon unconf author other  mod admin
    ("smart-city", "comment on chapter"):     (403, 403, 303, 303, 303, 303),
    ("smart-city", "comment on paragraph"):   (403, 403, 303, 303, 303, 303),
    ("smart-city", "reply"):                  (403, 403, 303, 303, 303, 303),
    ("smart-city", "reply to a reply"):       (400, 400, 400, 400, 400, 400),
    ("smart-city", "edit"):                   (403, 403, 303, 403, 403, 403),
    ("smart-city", "delete"):                 (403, 403, 303, 403, 403, 403),
    ("smart-city", "rate"):                   (403, 403, 403, 303, 303, 303),  # not one's own
    ("smart-city", "report"):                 (403, 403, 403, 303, 303, 303),
    ("smart-city", "report a reply"):         (403, 403, 403, 303, 303, 303),
    ("radverkehr", "comment on chapter"):     (403, 403, 403, 403, 403, 403),
    ("radverkehr", "comment on paragraph"):   (403, 403, 403, 403, 403, 403),
    ("radverkehr", "reply"):                  (403, 403, 403, 403, 403, 403),
    ("radverkehr", "edit"):                   (403, 403, 403, 403, 403, 403),
    ("radverkehr", "delete"):                 (403, 403, 403, 403, 403, 403),
    ("radverkehr", "rate"):                   (403, 403, 403, 403, 403, 403),
    ("radverkehr", "report"):                 (403, 403, 403, 303, 303, 303),
}


# Each action sends its request and says whether what it asks for has happened.
def comment_at(w, url, prefix=""):
    """``prefix``: the form's own (a reply form's fields are named ``reply-<id>-...``)."""
    body = unique()
    response = w.send(url, **{prefix + "body": body, prefix + "submission_key": secrets.token_hex(8)})
    return response, w.exists(Comment, Comment.body == body)


def edit(w):
    body = unique("Geändert")
    return w.send(w.on_comment("edit"), body=body), w.reload(Comment, w.comment.id).body == body


def rate(w):
    return w.send(w.on_comment("rating"), value="agree"), w.exists(Rating, Rating.comment_id == w.comment.id)


def report(w, comment=None):
    comment = comment or w.comment
    response = w.send(w.on_comment("report", comment), reason="insult", explanation=unique())
    return response, w.exists(Report, Report.comment_id == comment.id)


ACTIONS = {
    "comment on chapter": lambda w: comment_at(w, w.chapter_url + "/comments"),
    "comment on paragraph": lambda w: comment_at(w, w.paragraph_url + "/comments"),
    "reply": lambda w: comment_at(w, w.on_comment("reply"), f"reply-{w.comment.id}-"),
    "reply to a reply": lambda w: comment_at(w, w.on_comment("reply", w.reply), f"reply-{w.reply.id}-"),
    "edit": edit,
    "delete": lambda w: (w.send(w.on_comment("delete")), w.reload(Comment, w.comment.id).is_deleted),
    "rate": rate, "report": report, "report a reply": lambda w: report(w, w.reply),
}
#: A role for whom each action succeeds (for the CSRF and GET checks); "author" if not named.
ABLE = {"report": "other", "report a reply": "other"}
#: The state-changing endpoints of this module's rows (tests/authorization/test_routes.py).
ENDPOINTS = {
    "comments.create_on_chapter": ["comment on chapter"], "comments.create_on_paragraph": ["comment on paragraph"],
    "comments.delete": ["delete"], "comments.edit": ["edit"], "comments.rate": ["rate"],
    "comments.reply": ["reply", "reply to a reply"], "moderation.report": ["report", "report a reply"],
}


@pytest.mark.parametrize(("place", "action", "role"), cases(EXPECTED))
def test_each_role_gets_the_expected_answer_and_only_allowed_requests_change_anything(
        app, client, session, place, action, role):
    answers_as_expected(app, client, session, EXPECTED, ACTIONS, place, action, role)


@pytest.mark.parametrize("token", CSRF_TOKENS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_without_a_valid_csrf_token_nothing_changes(app, client, session, action, token):
    refused_without_csrf(app, client, session, ACTIONS, ABLE, action, token)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_opening_an_address_changes_nothing(app, client, session, action):
    unchanged_by_opening(app, client, session, ACTIONS, ABLE, action)
