"""An author and their comment after moderation: a blocked or automatically hidden comment can still be deleted
by its author (it becomes the usual placeholder, the moderation record stays), and every refusal says what is
really the case."""

from __future__ import annotations

import re
import secrets

import pytest
from sqlmodel import select

from tests.factories import CommentFactory, ReportFactory
from tests.support import csrf_token, login, make_user, soup
from webapp.clock import utcnow
from webapp.models import Comment, Report

CHAPTER = "/de/projects/smart-city/chapters/gemeinsam"


def own_comment(app, session, author, state: str) -> Comment:
    """A comment by ``author``, blocked by a moderator or hidden after two reports (each still open)."""
    moderated = {"blocked_at": utcnow(), "block_reason": "off_topic"} if state == "blocked" else {"hidden_at": utcnow()}
    comment = CommentFactory(session=session, chapter="gemeinsam", author=author, body=f"Mein Beitrag {secrets.token_hex(4)}",
                             report_count=2, open_report_count=2, **moderated)
    for _ in range(2):
        ReportFactory(session=session, comment=comment, reason="off_topic")
    session.refresh(comment)
    return comment


@pytest.fixture()
def author(app, client):
    user = make_user(app)
    login(client, user)
    return user


@pytest.mark.parametrize("state", ["blocked", "hidden"])
def test_the_author_deletes_a_moderated_comment_and_the_record_stays(app, client, session, author, state):
    comment = own_comment(app, session, author, state)
    article = soup(client.get(f"{CHAPTER}?sort=newest")).find("article", id=f"comment-{comment.id}")
    assert article.find("a", href=f"/de/projects/smart-city/comments/{comment.id}/delete")
    assert not article.find("a", href=f"/de/projects/smart-city/comments/{comment.id}/edit")
    url = f"/de/projects/smart-city/comments/{comment.id}/delete"
    page = client.get(url)
    assert page.status_code == 200 and soup(page).find("main").find("form")
    assert client.post(url, data={"csrf_token": csrf_token(page)}).status_code == 303
    session.expire_all()
    stored = session.get(Comment, comment.id)
    assert stored.is_deleted and stored.body == ""
    assert (stored.blocked_at is not None) if state == "blocked" else (stored.hidden_at is not None)  # the record
    assert len(session.exec(select(Report).where(Report.comment_id == comment.id)).all()) == 2
    article = soup(client.get(f"{CHAPTER}?sort=newest")).find("article", id=f"comment-{comment.id}")
    assert article.find(class_="comment__deleted") and author.username not in article.get_text()
    assert not article.find(class_="comment__removed")
    # The moderators' queue: nothing left to review; it does not stay on top as if it needed them.
    moderator = app.test_client()
    login(moderator, make_user(app, role="moderator"))
    queue = soup(moderator.get("/de/staff/projects/smart-city/moderation?show=needs_review"))
    assert not queue.find(id=f"item-{comment.id}")
    waiting = own_comment(app, session, make_user(app), "hidden")  # one that does need them
    everything = [li["id"] for li in soup(moderator.get("/de/staff/projects/smart-city/moderation")).select("[id^=item-]")
                  if re.fullmatch(r"item-\d+", li["id"])]
    assert f"item-{waiting.id}" in everything
    if f"item-{comment.id}" in everything:
        assert everything.index(f"item-{waiting.id}") < everything.index(f"item-{comment.id}")


@pytest.mark.parametrize(("state", "said", "not_said"), [
    ("blocked", "von der Moderation gesperrt", "geprüft"),
    ("hidden", "geprüft", "von der Moderation gesperrt"),
])
def test_refusals_say_what_is_really_the_case(app, client, session, author, state, said, not_said):
    comment = own_comment(app, session, author, state)
    edit = client.get(f"/de/projects/smart-city/comments/{comment.id}/edit")
    assert edit.status_code == 403
    notice = soup(edit).find(role="alert").get_text()
    assert said in notice and not_said not in notice and "löschen" in notice
    reader = app.test_client()
    login(reader, make_user(app))
    reply = soup(reader.get(f"/de/projects/smart-city/comments/{comment.id}/reply"))
    quote, refusal = reply.find("blockquote").get_text(" ", strip=True), reply.find(class_="notice").get_text(" ", strip=True)
    assert quote and refusal and refusal not in quote and quote not in refusal  # said once, not twice
    assert ("nicht zum Thema" in quote) if state == "blocked" else ("gemeldet" in quote)  # with the reason


def test_the_notice_calls_it_blocking_as_the_rules_do(app, client, session, author):
    """The rules say the moderators block ("sperren") a comment; its notice says the same, in every mode."""
    comment = own_comment(app, session, author, "blocked")
    for prefix, words in (("de", "von der Moderation gesperrt"), ("en", "blocked by the moderators"),
                          ("einfach", "hat diesen Kommentar gesperrt")):
        article = soup(client.get(f"/{prefix}/projects/smart-city/chapters/gemeinsam?sort=newest")).find(
            "article", id=f"comment-{comment.id}")
        assert words in article.find(class_="comment__removed").get_text(), prefix
    assert "block" in soup(client.get("/en/projects/smart-city/rules")).find("main").get_text()
