"""What a staff member learns after pressing a button: the outcome, where the page opens, in the title
(staff report M1); and a form left open too long says so in the page's language, never in English and
never with a link to a hidden field, and a button-only form brings them back to its page (M2)."""

from __future__ import annotations

import secrets

import pytest
from sqlmodel import select

from tests.factories import CommentFactory, PersonBlockFactory
from tests.support import csrf_token, login, make_user, soup
from webapp.models import Comment, PersonBlock, ProjectModerator
from webapp.roles.models import Invitation

QUEUE = "/de/staff/projects/smart-city/moderation"
MODERATORS = "/de/staff/projects/smart-city/moderators"


def logged_in(app, user):
    client = app.test_client()
    login(client, user)
    client.get("/de/")  # "You are logged in" is read
    return client


def a_comment(session, author) -> Comment:
    return CommentFactory(session=session, author=author, body=f"Ein Beitrag {secrets.token_hex(4)}")


def outcome_of(client, response) -> tuple[str, str]:
    """The page a staff action redirected to: its title and its outcome message (which it opens at)."""
    assert response.status_code == 303 and response.headers["Location"].endswith("#outcome"), response.headers
    page = soup(client.get(response.headers["Location"].split("#")[0]))
    outcome = page.find(id="outcome")
    assert outcome is not None and outcome["tabindex"] == "-1" and outcome["role"] == "status"
    return page.title.get_text(), outcome.get_text(" ", strip=True)


def test_each_staff_action_leads_to_its_outcome_which_the_title_names(app, session):
    moderator = make_user(app, role="moderator")
    client = logged_in(app, moderator)
    comment = a_comment(session, make_user(app))
    page = f"{QUEUE}/comments/{comment.id}"
    response = client.post(f"{page}/review", data={"csrf_token": csrf_token(client.get(page))})
    title, text = outcome_of(client, response)
    assert text == "Der Kommentar ist als geprüft markiert." and title.startswith(text + " – ")
    initiator = logged_in(app, make_user(app, role="initiator"))
    person = make_user(app)
    response = initiator.post(MODERATORS, data={"csrf_token": csrf_token(initiator.get(MODERATORS)), "email": person.email})
    title, text = outcome_of(initiator, response)
    assert "moderiert jetzt dieses Projekt" in text and title.startswith(text)


@pytest.mark.parametrize("prefix", ["de", "einfach"])
def test_an_expired_prefixed_form_says_so_in_the_pages_language_without_a_link_to_a_hidden_field(app, session, prefix):
    client = logged_in(app, make_user(app, role="moderator"))
    comment = a_comment(session, make_user(app))
    page = f"/{prefix}/staff/projects/smart-city/moderation/comments/{comment.id}"
    client.get(page)
    response = client.post(f"{page}/block", data={"block-csrf_token": "expired", "block-reason": "spam",
                                                  "block-text": "Bitte keine Werbung."})
    assert response.status_code == 422
    summary = soup(response).select_one(".error-summary")
    assert ("abgelaufen" if prefix == "de" else "zu alt") in summary.get_text() and "CSRF" not in summary.get_text()
    assert summary.select("a[href*='csrf']") == []
    assert soup(response).find(id="block-text").get_text().strip() == "Bitte keine Werbung."  # kept
    session.expire_all()
    assert session.get(Comment, comment.id).blocked_at is None


def test_an_expired_button_only_form_goes_back_to_its_page_and_changes_nothing(app, session):
    initiator = logged_in(app, make_user(app, role="initiator"))
    person = make_user(app, role="moderator")
    response = initiator.post(f"{MODERATORS}/{person.id}/remove", data={"csrf_token": "expired"})
    assert response.headers["Location"].startswith(MODERATORS)
    title, text = outcome_of(initiator, response)
    assert "nichts geändert" in text and title.startswith(text)
    session.expire_all()
    assert session.exec(select(ProjectModerator).where(ProjectModerator.user_id == person.id)).first() is not None

    address = f"eingeladen-{secrets.token_hex(3)}@example.org"
    initiator.post(MODERATORS, data={"csrf_token": csrf_token(initiator.get(MODERATORS)), "email": address})
    invitation = session.exec(select(Invitation).where(Invitation.email == address)).one()
    response = initiator.post(f"/de/staff/invitations/{invitation.id}/withdraw", data={"csrf_token": "expired"})
    assert "nichts geändert" in outcome_of(initiator, response)[1]
    session.expire_all()
    assert session.get(Invitation, invitation.id).withdrawn_at is None

    moderator = logged_in(app, make_user(app, role="moderator"))
    blocked = make_user(app)
    block = PersonBlockFactory(session=session, user=blocked, reason="Test")
    response = moderator.post(f"/de/staff/projects/smart-city/people/blocks/{block.id}/end", data={"csrf_token": "x"})
    assert response.headers["Location"].startswith("/de/staff/projects/smart-city/people/blocked")
    assert "nichts geändert" in outcome_of(moderator, response)[1]
    session.expire_all()
    assert session.get(PersonBlock, block.id).ended_at is None


def test_the_report_mail_choice_expired_says_so_in_german(app):
    client = logged_in(app, make_user(app, role="moderator"))
    client.get("/de/account/")
    response = client.post("/de/account/report-mail", data={"report-mail-csrf_token": "x", "report-mail-report_mail": "each"})
    text = soup(response).select_one(".error-summary").get_text()
    assert "abgelaufen" in text and "CSRF" not in text
