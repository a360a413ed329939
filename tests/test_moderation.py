"""The moderators' work: the queue, the actions on a comment, what readers and authors then see."""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from email import message_from_bytes, policy
from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from tests.factories import CommentFactory, ReportFactory
from tests.jobs_support import STORAGES, age_outbox, queued_config, smtp, work_off  # noqa: F401  (smtp: a fixture)
from tests.support import csrf_token, login, mails_to, make_user, soup
from webapp.models import AuditEntry, Comment, ModeratorNote, Project, Report

QUEUE = "/de/staff/projects/smart-city/moderation"
CHAPTER = "/de/projects/smart-city/chapters/nachhaltig"


def unique(prefix="Text") -> str:
    return f"{prefix} {secrets.token_hex(4)}"


@pytest.fixture
def place(session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if c.slug == "nachhaltig")
    return project, chapter


def comment_by(session, place, author, body=None, parent=None, reports=0) -> Comment:
    _project, chapter = place
    return CommentFactory(session=session, chapter=chapter, parent=parent, author=author, body=body or unique("Kommentar"),
                          report_count=reports, open_report_count=reports)


def act(client, comment, action, **data):
    page = client.get(f"{QUEUE}/comments/{comment.id}")
    assert page.status_code == 200
    return client.post(f"{QUEUE}/comments/{comment.id}/{action}", data={"csrf_token": csrf_token(page), **data})


@pytest.fixture
def moderator(app, client):
    user = make_user(app, role="moderator")
    login(client, user)
    return user


@pytest.mark.parametrize(("role", "project", "status"), [
    ("anonymous", None, 302), ("participant", None, 403), ("moderator", "radverkehr", 403),
    ("initiator", "radverkehr", 403),  # another organisation runs the cycling project
    ("moderator", "smart-city", 200), ("initiator", "smart-city", 200), ("admin", None, 200),
])
def test_who_sees_the_queue(app, client, role, project, status):
    if role != "anonymous":
        login(client, make_user(app, role=role, project=project or "smart-city"))
    response = client.get(QUEUE)
    assert response.status_code == status
    if status == 302:
        assert "/account/login" in response.headers["Location"]
    if status == 403:
        assert "Moderation" in soup(response).find("main").get_text()


def test_reported_comments_come_first_with_their_reasons_and_context(app, client, session, place, moderator):
    author = make_user(app)
    quiet = comment_by(session, place, author)
    loud = comment_by(session, place, author)
    for reason in ("insult", "insult", "spam"):
        ReportFactory(session=session, comment=loud, reason=reason)
    loud.report_count = loud.open_report_count = 3
    session.add(loud)
    session.commit()
    page = soup(client.get(QUEUE))
    # Comments with open reports first (other tests' reported comments may fill the first page).
    items = page.select("article.mod-item")
    needing = [bool(a.find(class_="badge", string="muss geprüft werden")) for a in items]
    assert needing == sorted(needing, reverse=True)
    page = soup(client.get(QUEUE + "?show=reported"))
    item = page.find(id=f"item-{loud.id}")
    text = item.get_text(" ", strip=True)
    assert "3 Meldungen" in text and "Beleidigung, Drohung oder Diskriminierung (2)" in text and "(1)" in text
    assert "Nachhaltig" in text or "Kapitel" in text
    assert loud.body in text
    # Filters: blocked shows none of them, needs review shows the reported one only.
    needs = soup(client.get(QUEUE + "?show=needs_review"))
    assert needs.find(id=f"item-{loud.id}") and not needs.find(id=f"item-{quiet.id}")
    assert not soup(client.get(QUEUE + "?show=blocked")).find(id=f"item-{loud.id}")


def test_needs_review_means_one_thing_for_the_badge_the_order_the_filter_and_the_count(app, client, session, place,
                                                                                      moderator):
    """Open reports, or hidden after reports; not once the moderators blocked it, nor once its author deleted it.
    (The order once put a blocked comment with open reports among those needing review, without the badge.)"""
    from webapp.clock import utcnow

    author = make_user(app)
    open_reports = comment_by(session, place, author, reports=2)
    blocked = CommentFactory(session=session, chapter=place[1], author=author, body=unique("Gesperrt"), report_count=3,
                             open_report_count=3, blocked_at=utcnow(), block_reason="spam")
    deleted = CommentFactory(session=session, chapter=place[1], author=author, body=unique("Gelöscht"), report_count=1,
                             open_report_count=1, deleted_at=utcnow())
    hidden = CommentFactory(session=session, chapter=place[1], author=author, body=unique("Versteckt"), report_count=3,
                            open_report_count=0, hidden_at=utcnow())
    assert [c.needs_review for c in (open_reports, blocked, deleted, hidden)] == [True, False, False, True]

    def badged(page):
        return {int(a["id"].removeprefix("item-")): bool(a.find(class_="badge", string="muss geprüft werden"))
                for a in page.select("article.mod-item")}

    page = badged(soup(client.get(QUEUE + "?show=reported")))
    assert page[open_reports.id] and page[hidden.id]
    assert blocked.id not in page or not page[blocked.id]
    ordered = list(badged(soup(client.get(QUEUE))).values())
    assert ordered == sorted(ordered, reverse=True), "what needs review comes first, and carries the badge"
    needs = badged(soup(client.get(QUEUE + "?show=needs_review")))
    assert {open_reports.id, hidden.id} <= set(needs) and not {blocked.id, deleted.id} & set(needs)
    assert all(needs.values())
    from webapp.moderation.services import needs_review_counts

    with app.app_context():
        count = needs_review_counts([place[0].id])[place[0].id]
    session.expire_all()
    assert count == sum(c.needs_review for c in session.exec(select(Comment).where(Comment.project_id == place[0].id)))


def test_blocking_replaces_the_comment_by_a_notice_tells_the_author_and_is_logged(app, client, session, place, moderator):
    author = make_user(app, language="en")
    comment = comment_by(session, place, author, body=unique("Beleidigung"), reports=0)
    reply = comment_by(session, place, make_user(app), body=unique("Antwort"), parent=comment)
    response = act(client, comment, "block", **{"block-reason": "insult", "block-text": "Bitte sachlich bleiben."})
    assert response.status_code == 303
    session.expire_all()
    stored = session.get(Comment, comment.id)
    assert stored.blocked_at and stored.block_reason == "insult"
    # Readers see the notice with the reason and the rules, not the words; the reply stays.
    public = soup(app.test_client().get(CHAPTER + "?sort=newest"))
    article = public.find("article", id=f"comment-{comment.id}")
    assert comment.body not in str(public)
    assert "von der Moderation gesperrt" in article.get_text() and "Beleidigung" in article.get_text()
    assert "Bitte sachlich bleiben." in article.get_text()
    assert article.find("a", href="/de/projects/smart-city/rules")
    assert reply.body in public.get_text()
    # The author is told in their mode, with the reason.
    mail = mails_to(app, author.email)[-1]
    assert mail["Subject"] == "Your comment was blocked by the moderators"
    assert "Insult or threat" in mail.get_content() and "/en/projects/smart-city/rules" in mail.get_content()
    entry = session.exec(select(AuditEntry).where(AuditEntry.object_id == comment.id,
                                                  AuditEntry.action == "comment.block")).one()
    assert entry.actor_id == moderator.id and entry.reason == "Bitte sachlich bleiben."


def test_blocking_needs_a_reason_and_keeps_the_text(app, client, session, place, moderator):
    comment = comment_by(session, place, make_user(app))
    response = act(client, comment, "block", **{"block-text": "Meine Erklärung"})
    assert response.status_code == 422
    page = soup(response)
    assert page.find(class_="error-summary").find("a", href="#block-reason")
    assert page.find("textarea", id="block-text").get_text().lstrip("\r\n") == "Meine Erklärung"
    assert page.title.get_text().startswith("Fehler:")
    session.expire_all()
    assert session.get(Comment, comment.id).blocked_at is None


def test_restore_shows_it_again_and_a_blocked_comment_cannot_be_highlighted(app, client, session, place, moderator):
    author = make_user(app)
    comment = comment_by(session, place, author)
    assert act(client, comment, "block", **{"block-reason": "spam"}).status_code == 303
    refused = act(client, comment, "highlight")
    assert refused.status_code == 409 and "gesperrt" in soup(refused).find(role="alert").get_text()
    assert act(client, comment, "restore").status_code == 303
    session.expire_all()
    assert session.get(Comment, comment.id).blocked_at is None
    assert comment.body in app.test_client().get(CHAPTER + "?sort=newest").get_data(as_text=True)
    assert mails_to(app, author.email)[-1]["Subject"] == "Ihr Kommentar wird wieder angezeigt"


def test_marking_reviewed_closes_open_reports(app, client, session, place, moderator):
    comment = comment_by(session, place, make_user(app))
    ReportFactory(session=session, comment=comment, reason="spam")
    comment.report_count = comment.open_report_count = 1
    session.add(comment)
    session.commit()
    assert act(client, comment, "review").status_code == 303
    session.expire_all()
    assert session.get(Comment, comment.id).open_report_count == 0
    assert session.exec(select(Report).where(Report.comment_id == comment.id)).one().resolved_at is not None
    assert not soup(client.get(QUEUE + "?show=needs_review")).find(id=f"item-{comment.id}")
    assert soup(client.get(QUEUE + "?show=reviewed")).find(id=f"item-{comment.id}")


def test_an_official_answer_appears_in_the_thread_and_the_author_is_told(app, client, session, place, moderator):
    author = make_user(app)
    comment = comment_by(session, place, author)
    text = unique("Danke für den Hinweis")
    assert act(client, comment, "answer", **{"answer-text": text}).status_code == 303
    answer = session.exec(select(Comment).where(Comment.body == text)).one()
    assert answer.official and answer.parent_id == comment.id and answer.author_id == moderator.id
    public = soup(app.test_client().get(CHAPTER + "?sort=newest"))
    article = public.find("article", id=f"comment-{answer.id}")
    assert "Antwort des Projektteams" in article.find(class_="comment__badges").get_text()
    mail = mails_to(app, author.email)[-1]
    assert text in mail.get_content() and f"/comments/{answer.id}" in mail.get_content()


def test_an_answer_sent_twice_is_published_and_mailed_once(app, client, session, place, moderator):
    """A double click on "publish" (the same form twice, no JavaScript to stop it) stores one answer."""
    author = make_user(app)
    comment = comment_by(session, place, author)
    text = unique("Wir nehmen das auf")
    page = client.get(f"{QUEUE}/comments/{comment.id}")
    for _ in range(2):
        response = client.post(f"{QUEUE}/comments/{comment.id}/answer",
                               data={"csrf_token": csrf_token(page), "answer-text": text})
        assert response.status_code == 303
    session.expire_all()
    assert len(session.exec(select(Comment).where(Comment.body == text)).all()) == 1
    assert session.get(Comment, comment.id).reply_count == 1
    assert len([m for m in mails_to(app, author.email) if text in m.get_content()]) == 1
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "comment.answer",
                                                     AuditEntry.object_id == comment.id)).all()) == 1


def test_a_note_sent_twice_is_stored_once(app, client, session, place, moderator):
    comment = comment_by(session, place, make_user(app))
    text = unique("Schon wieder")
    page = client.get(f"{QUEUE}/comments/{comment.id}")
    for _ in range(2):
        assert client.post(f"{QUEUE}/comments/{comment.id}/note",
                           data={"csrf_token": csrf_token(page), "note-text": text}).status_code == 303
    assert len(session.exec(select(ModeratorNote).where(ModeratorNote.body == text)).all()) == 1


def test_notes_are_for_staff_only(app, client, session, place, moderator):
    comment = comment_by(session, place, make_user(app))
    text = unique("Schon zweimal aufgefallen")
    assert act(client, comment, "note", **{"note-text": text}).status_code == 303
    assert session.exec(select(ModeratorNote).where(ModeratorNote.comment_id == comment.id)).one().body == text
    assert text in client.get(f"{QUEUE}/comments/{comment.id}").get_data(as_text=True)
    assert text not in app.test_client().get(CHAPTER + "?sort=newest").get_data(as_text=True)


def test_bulk_review_and_block(app, client, session, place, moderator):
    author = make_user(app)
    first, second = comment_by(session, place, author, reports=1), comment_by(session, place, author, reports=1)
    page = client.get(QUEUE)
    response = client.post(QUEUE + "/bulk", data={"csrf_token": csrf_token(page), "bulk-comment": [first.id, second.id],
                                                 "bulk-action": "block", "bulk-reason": "spam"})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Comment, first.id).blocked_at and session.get(Comment, second.id).blocked_at
    assert "2 Kommentare geändert" in soup(client.get(response.headers["Location"])).get_text()
    # Nothing ticked: said, nothing changes.
    response = client.post(QUEUE + "/bulk", data={"csrf_token": csrf_token(page), "bulk-action": "review"})
    assert response.status_code == 422 and soup(response).find(class_="error-summary").find("a", href="#bulk-comment")


def bulk(client, comments, action, page_query="", **data):
    """Send the queue's bulk form as a browser does: the page's comments in ``bulk-shown``, the ticked ones."""
    page = client.get(QUEUE + page_query)
    return client.post(QUEUE + "/bulk", data={"csrf_token": csrf_token(page), "bulk-action": action,
                                              "bulk-comment": [c.id for c in comments], **data})


def test_bulk_blocking_needs_a_chosen_reason_and_takes_an_explanation(app, client, session, place, moderator):
    """M3: no reason is chosen in advance; "Sperren" without one comes back with the error, what was typed kept."""
    author = make_user(app)
    comment = comment_by(session, place, author, reports=1)
    reason = soup(client.get(QUEUE)).find("select", id="bulk-reason")
    first = reason.find("option")
    assert first["value"] == "" and first.get_text() == "Grund wählen" and not reason.find("option", selected=True)
    response = bulk(client, [comment], "block", **{"bulk-text": "Bitte keine Werbung."})
    assert response.status_code == 422
    page = soup(response)
    assert page.find(class_="error-summary").find("a", href="#bulk-reason").get_text() == \
        "Bitte wählen Sie, warum der Kommentar gesperrt wird."
    assert page.find("textarea", id="bulk-text").get_text().strip() == "Bitte keine Werbung."
    assert page.find("input", id=f"bulk-comment-{comment.id}").has_attr("checked")
    session.expire_all()
    assert session.get(Comment, comment.id).blocked_at is None
    # A reason is needed only for blocking.
    assert bulk(client, [comment], "review").status_code == 303
    # With a reason and words of one's own: the notice and the author's mail carry both.
    assert bulk(client, [comment], "block", **{"bulk-reason": "spam", "bulk-text": "Bitte keine Werbung."}).status_code == 303
    session.expire_all()
    stored = session.get(Comment, comment.id)
    assert stored.block_reason == "spam" and stored.block_text == "Bitte keine Werbung."
    assert "Bitte keine Werbung." in mails_to(app, author.email)[-1].get_content()


def test_the_queue_groups_its_checkboxes_puts_the_action_first_and_can_take_all_of_a_page(app, client, session, place,
                                                                                           moderator):
    """m4: one named group for the comments, with "all on this page" (which works without JavaScript);
    the action comes before the list, and a link after the list leads back to it."""
    author = make_user(app)
    first, second = comment_by(session, place, author, reports=1), comment_by(session, place, author, reports=1)
    page = soup(client.get(QUEUE + "?show=needs_review"))
    form = page.find("form", class_="mod-bulk-form")
    group = next(f for f in form.find_all("fieldset") if f.legend.get_text(strip=True) == "Kommentare für die Sammelaktion")
    boxes = form.find_all("input", type="checkbox")
    assert boxes and all(group in box.parents for box in boxes)
    assert boxes[0]["name"] == "bulk-all" and "Alle" in group.find("label", attrs={"for": boxes[0]["id"]}).get_text()
    action = form.find("select", id="bulk-action")
    assert form.find_all(["select", "input", "button"]).index(action) < form.find_all(["select", "input", "button"]).index(boxes[0])
    assert form.find("a", href="#bulk-action")
    shown = [int(i["value"]) for i in form.find_all("input", attrs={"name": "bulk-shown"})]
    assert {first.id, second.id} <= set(shown)
    # "All comments on this page", nothing else ticked: every comment shown then, no other.
    other = comment_by(session, place, author)
    response = client.post(QUEUE + "/bulk", data={"csrf_token": csrf_token(client.get(QUEUE)), "bulk-action": "review",
                                                 "bulk-all": "y", "bulk-shown": shown, "show": "needs_review"})
    assert response.status_code == 303 and "show=needs_review" in response.headers["Location"]
    session.expire_all()
    assert session.get(Comment, first.id).open_report_count == 0 == session.get(Comment, second.id).open_report_count
    assert session.get(Comment, other.id).reviewed_at is None


def test_a_bulk_action_names_what_it_left_unchanged_and_keeps_those_ticked(app, client, session, place, moderator):
    """M9: each comment left as it was is named (its label, a link to its page) with the reason, and stays ticked."""
    author = make_user(app, name=f"Unverändert {secrets.token_hex(3)}")
    done = comment_by(session, place, author, reports=1)
    blocked = comment_by(session, place, author)
    assert act(client, blocked, "block", **{"block-reason": "spam"}).status_code == 303
    response = bulk(client, [done, blocked], "block", **{"bulk-reason": "insult", "show": "blocked"})
    assert response.status_code == 303
    page = soup(client.get(response.headers["Location"]))
    assert "1 Kommentar geändert." in page.find(class_="flash").get_text()
    unchanged = page.find(id="unchanged")
    assert unchanged.find("h2").get_text() == "Unverändert: 1 Kommentar"
    link = unchanged.find("a", href=re.compile(f"^{QUEUE}/comments/{blocked.id}(\\?back=.*)?$"))
    assert link and link.get_text().startswith(f"Kommentar von {author.username} vom ")
    assert "Dieser Kommentar ist schon gesperrt." in link.parent.get_text()
    assert page.find("input", id=f"bulk-comment-{blocked.id}").has_attr("checked")
    assert not page.find("input", id=f"bulk-comment-{done.id}").has_attr("checked")
    # Said once: the next visit is the plain queue.
    again = soup(client.get(QUEUE + "?show=blocked"))
    assert not again.find(id="unchanged") and not again.find("input", id=f"bulk-comment-{blocked.id}").has_attr("checked")


def test_states_are_separated_for_text_browsers_and_screen_readers(app, client, session, place, moderator):
    """m5: "Status: nach Meldungen ausgeblendet, muss geprüft werden", not two words run together."""
    comment = comment_by(session, place, make_user(app), reports=2)
    comment.hidden_at = comment.created_at
    session.add(comment)
    session.commit()
    for path in (f"{QUEUE}?show=needs_review", f"{QUEUE}/comments/{comment.id}"):
        page = soup(client.get(path))
        states = (page.find(id=f"item-{comment.id}") or page).find(class_="mod-states")
        assert states.get_text() == "Status: nach Meldungen ausgeblendet, muss geprüft werden", path


def test_a_reply_and_the_comment_it_answers_are_named_with_the_parents_state(app, client, session, place, moderator):
    """M5: on a reply's page and in the queue, which text is the reply and which the comment it answers,
    and that the comment answered is blocked."""
    parent = comment_by(session, place, make_user(app, name=f"Lena {secrets.token_hex(3)}"), body=unique("Eltern"))
    assert act(client, parent, "block", **{"block-reason": "insult"}).status_code == 303
    reply = comment_by(session, place, make_user(app), body=unique("Antwort"), parent=parent, reports=1)
    page = soup(client.get(f"{QUEUE}/comments/{reply.id}"))
    section = page.find("section", attrs={"aria-labelledby": "comment-heading"})
    text = section.get_text("\n", strip=True)
    assert text.index("Der Kommentar, auf den geantwortet wird") < text.index(parent.body) \
        < text.index("Die gemeldete Antwort") < text.index(reply.body)
    assert [h.get_text() for h in section.find_all("h3")] == ["Der Kommentar, auf den geantwortet wird",
                                                               "Die gemeldete Antwort"]
    assert "gesperrt" in section.find(class_="mod-states").get_text()
    assert section.find("a", href=f"{QUEUE}/comments/{parent.id}")
    item = soup(client.get(QUEUE + "?show=needs_review")).find(id=f"item-{reply.id}")
    line = item.find(class_="mod-item__parent").get_text()
    assert line.startswith(f"Der Kommentar, auf den geantwortet wird, von {parent.author.username} (gesperrt"), line
    assert item.find(class_="mod-item__label").get_text() == "Die Antwort:"


def test_the_item_page_offers_only_what_applies_and_shows_an_official_answer(app, client, session, place, moderator):
    """m6: no "block the author" for the project's staff; an official answer shown with a link; who reads notes."""
    staff_comment = comment_by(session, place, make_user(app, role="moderator"))
    page = soup(client.get(f"{QUEUE}/comments/{staff_comment.id}"))
    assert not page.find("a", href=re.compile("/people/.*/block"))
    assert "die Administration" in page.find("section", attrs={"aria-labelledby": "notes-heading"}).get_text()
    comment = comment_by(session, place, make_user(app))
    page = soup(client.get(f"{QUEUE}/comments/{comment.id}"))
    assert page.find("a", href=f"/de/staff/projects/smart-city/people/{comment.author_id}/block")
    text = unique("Wir nehmen das auf")
    assert act(client, comment, "answer", **{"answer-text": text}).status_code == 303
    answer = session.exec(select(Comment).where(Comment.body == text)).one()
    page = soup(client.get(f"{QUEUE}/comments/{comment.id}"))
    answers = page.find("ul", class_="mod-answers")
    assert page.find(id="answers-heading").get_text() == "Offizielle Antwort des Projektteams"
    assert text in answers.get_text()
    assert answers.find("a", href=f"/de/projects/smart-city/comments/{answer.id}").get_text().startswith(
        "Antwort in der Diskussion zeigen")
    assert page.find(id="answer-heading").get_text() == "Weitere offizielle Antwort"


def test_moderators_see_a_moderate_link_at_every_comment_and_others_do_not(app, client, session, place):
    comment = comment_by(session, place, make_user(app))
    link = f"{QUEUE}/comments/{comment.id}"
    participant = app.test_client()
    login(participant, make_user(app))
    assert link not in participant.get(CHAPTER + "?sort=newest").get_data(as_text=True)
    login(client, make_user(app, role="moderator"))
    assert link in client.get(CHAPTER + "?sort=newest").get_data(as_text=True)


def test_a_hidden_comment_takes_no_replies_ratings_or_reports(app, client, session, place, moderator):
    comment = comment_by(session, place, make_user(app))
    assert act(client, comment, "block", **{"block-reason": "spam"}).status_code == 303
    reader = app.test_client()
    login(reader, make_user(app))
    page = soup(reader.get(CHAPTER + "?sort=newest"))
    article = page.find("article", id=f"comment-{comment.id}")
    assert not article.find("a", href=lambda h: h and "/reply" in h)
    assert not article.find("a", href=lambda h: h and "/report" in h)
    assert not article.find("form", class_="rating")
    url = f"/de/projects/smart-city/comments/{comment.id}/reply"
    refused = reader.post(url, data={"csrf_token": csrf_token(reader.get(url)), f"reply-{comment.id}-body": "Trotzdem"})
    assert refused.status_code == 403 and "von der Moderation gesperrt" in soup(refused).get_text()


def test_the_demo_gives_the_moderator_reported_comments_to_work_through(tmp_path):
    """`flask demo load` (on an empty database) includes reported comments; the demo moderator sees them first."""
    from alembic import command

    from tests.support import alembic_config
    from webapp import create_app

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    command.upgrade(alembic_config(url), "head")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "test-" + "x" * 40, "TESTING": True})
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    page = client.get("/de/account/login")
    client.post("/de/account/login", data={"csrf_token": csrf_token(page), "email": "moderator@example.org",
                                           "password": "mitreden-demo"})
    queue = soup(client.get(QUEUE + "?show=needs_review"))
    items = queue.select("article.mod-item")
    assert len(items) == 2 and "Meldung" in items[0].get_text()
    app.extensions["db_engine"].dispose()


def _set_report_mail(app, user, choice):
    from sqlmodel import Session

    from webapp import db
    from webapp.models import User

    with app.app_context(), Session(db.engine()) as session:
        row = session.get(User, user.id)
        row.report_mail = choice
        session.add(row)
        session.commit()


def _report_through_the_form(app, comment):
    reporter = app.test_client()
    login(reporter, make_user(app))
    url = f"/de/projects/smart-city/comments/{comment.id}/report"
    response = reporter.post(url, data={"csrf_token": csrf_token(reporter.get(url)), "reason": "spam"})
    assert response.status_code == 303


def test_a_moderator_who_wants_each_report_gets_a_mail_that_opens_the_comment(app, client, session, place):
    moderator = make_user(app, role="moderator", language="simple")
    _set_report_mail(app, moderator, "each")
    quiet = make_user(app, role="moderator")  # the default: the daily digest, no mail now
    comment = comment_by(session, place, make_user(app))
    _report_through_the_form(app, comment)
    message = mails_to(app, moderator.email)[-1]
    assert "Er macht Werbung" in message.get_content()  # the reason, in simple German
    link = next(line for line in message.get_content().splitlines() if "/staff/" in line).strip()
    assert link.endswith(f"/einfach/staff/projects/smart-city/moderation/comments/{comment.id}")
    assert not mails_to(app, quiet.email)
    login(client, moderator)
    page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and comment.body in page.get_data(as_text=True)


def run_digest(app, at) -> None:
    """The daily digest job's work at ``at``, as the worker runs it: in an app context, with no request."""
    from sqlmodel import Session

    from webapp import db
    from webapp.moderation.notify import send_digests

    with app.app_context(), Session(db.engine()), db.transaction():
        send_digests(at)


def digests_to(app, user) -> list[str]:
    return [m.get_content() for m in mails_to(app, user.email) if m["Subject"].startswith("Moderation:")]


def test_the_daily_digest_lists_the_days_reports_once(app, session, place):
    from webapp.clock import utcnow

    moderator = make_user(app, role="moderator", language="en")
    comment = comment_by(session, place, make_user(app))
    ReportFactory(session=session, comment=comment, reason="insult")
    now = utcnow() + timedelta(seconds=1)
    for _ in range(2):  # a second run on the same day sends nothing new
        run_digest(app, now)
    [digest] = digests_to(app, moderator)
    assert f"/en/staff/projects/smart-city/moderation/comments/{comment.id}" in digest


def test_a_digest_missed_while_the_worker_was_down_comes_with_the_next_one(app, session, place):
    """Reports are listed since the moderator's last digest, not for a fixed day: none is lost, none comes twice."""
    from webapp.clock import utcnow

    moderator = make_user(app, role="moderator", language="en")
    old, new = comment_by(session, place, make_user(app)), comment_by(session, place, make_user(app))
    now = utcnow()
    ReportFactory(session=session, comment=old, reason="insult", created_at=now - timedelta(days=3))

    run_digest(app, now - timedelta(days=2, hours=12))  # the day after that report: listed
    first = digests_to(app, moderator)
    assert len(first) == 1 and f"/comments/{old.id}" in first[0]
    # The worker is down for two days; then a new report comes, and the next digest runs.
    ReportFactory(session=session, comment=new, reason="spam", created_at=now - timedelta(hours=30))
    run_digest(app, now + timedelta(seconds=1))
    later = digests_to(app, moderator)
    assert len(later) == 2
    assert f"/comments/{new.id}" in later[1]  # older than a day, still listed
    assert f"/comments/{old.id}" not in later[1]  # had its digest already


def test_switching_to_the_digest_lists_only_reports_from_then_on(app, client, session, place):
    from webapp.clock import utcnow

    moderator = make_user(app, role="moderator", language="en")
    _set_report_mail(app, moderator, "each")
    comment = comment_by(session, place, make_user(app))
    _report_through_the_form(app, comment)  # mailed to them on its own
    assert len(mails_to(app, moderator.email)) == 1
    login(client, moderator)
    response = client.post("/de/account/report-mail", data={"csrf_token": csrf_token(client.get("/de/account/")),
                                                           "report-mail-report_mail": "digest"})
    assert response.status_code == 303
    run_digest(app, utcnow() + timedelta(seconds=1))
    assert len(mails_to(app, moderator.email)) == 1  # not the same report again


def test_moderators_choose_their_report_mail_on_the_account_page(app, client):
    moderator = make_user(app, role="moderator")
    login(client, moderator)
    page = soup(client.get("/de/account/"))
    form = page.find("form", class_="report-mail-form")
    assert form.find("input", {"value": "digest"}).has_attr("checked")
    response = client.post("/de/account/report-mail", data={"csrf_token": csrf_token(client.get("/de/account/")),
                                                           "report-mail-report_mail": "each"})
    assert response.status_code == 303
    assert soup(client.get("/de/account/")).find("input", {"value": "each"}).has_attr("checked")
    wrong = client.post("/de/account/report-mail", data={"csrf_token": csrf_token(client.get("/de/account/")),
                                                        "report-mail-report_mail": "hourly"})
    assert wrong.status_code == 422 and wrong.get_data(as_text=True).count("error-summary") >= 1
    participant = app.test_client()
    login(participant, make_user(app))
    assert not soup(participant.get("/de/account/")).find("form", class_="report-mail-form")
    token = csrf_token(participant.get("/de/account/"))
    assert participant.post("/de/account/report-mail", data={"csrf_token": token,
                                                            "report-mail-report_mail": "each"}).status_code == 403


#: The moderation mails; each is sent, and each of its links opened, in every mode below.
MODERATION_MAILS = {"comment_blocked", "comment_restored", "comment_highlighted", "comment_answered",
                    "report_received", "report_digest"}


@pytest.mark.parametrize(("prefix", "language"), [("de", "de"), ("en", "en"), ("einfach", "simple")])
def test_every_link_in_every_moderation_mail_opens_in_every_mode(app, session, place, prefix, language):
    """Authors open theirs logged out (the discussion is public), moderators theirs logged in."""
    from webapp import mail
    from webapp.clock import utcnow

    author = make_user(app, language=language)
    each, daily = make_user(app, role="moderator", language=language), make_user(app, role="moderator", language=language)
    _set_report_mail(app, each, "each")
    comment = comment_by(session, place, author)
    sent = []
    real_send = mail.send

    def recording(to, template, lang, **context):
        sent.append(template)
        return real_send(to, template, lang, **context)

    import unittest.mock

    with unittest.mock.patch.object(mail, "send", recording):
        _report_through_the_form(app, comment)
        staff = app.test_client()
        login(staff, make_user(app, role="moderator"))
        for action, data in (("highlight", {}), ("unhighlight", {}), ("answer", {"answer-text": unique()}),
                             ("block", {"block-reason": "spam"}), ("restore", {})):
            assert act(staff, comment, action, **data).status_code == 303
        now = utcnow() + timedelta(seconds=1)
        run_digest(app, now)
    assert set(sent) >= MODERATION_MAILS
    reader, moderator = app.test_client(), app.test_client()
    login(moderator, each)
    mails = [m for m in mails_to(app, author.email) + mails_to(app, each.email) + mails_to(app, daily.email)]
    assert {m["To"] for m in mails} == {author.email, each.email, daily.email}
    for message in mails:
        for url in re.findall(r"https?://[^\s<>\"']+", message.get_content()):
            assert url.startswith(app.config["PUBLIC_BASE_URL"] + f"/{prefix}/"), url
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            opener = reader if message["To"] == author.email else moderator
            if message["To"] == daily.email:
                opener = app.test_client()
                login(opener, daily)
            assert opener.get(target, follow_redirects=True).status_code == 200, f"{url} in {message['Subject']!r}"


def test_a_deleted_moderators_notes_stay_without_their_name_and_their_data_lists_them(app, client, session, place):
    from webapp import db, privacy

    moderator = make_user(app, role="moderator", name=f"Notizschreiberin {secrets.token_hex(3)}")
    login(client, moderator)
    comment = comment_by(session, place, make_user(app))
    text = unique("Notiz")
    assert act(client, comment, "note", **{"note-text": text}).status_code == 303
    with app.test_request_context("/"):
        from webapp.models import User

        me = db.session().get(User, moderator.id)
        assert privacy.export(me)["moderator_notes"][0]["text"] == text
        with db.transaction():  # services never commit: the caller does
            privacy.delete_account(me, me)
    session.expire_all()
    note = session.exec(select(ModeratorNote).where(ModeratorNote.body == text)).one()
    assert note.author_id is None and note.author_name == ""
    entry = session.exec(select(AuditEntry).where(AuditEntry.object_type == "comment",
                                                  AuditEntry.object_id == comment.id)).one()
    assert entry.actor_id is None and entry.actor_name == ""
    staff = app.test_client()
    login(staff, make_user(app, role="moderator"))
    assert moderator.username not in staff.get(f"{QUEUE}/comments/{comment.id}").get_data(as_text=True)


#: The real queue's storage: a SQLite file, and Redis where the run names one (CI's PostgreSQL pass).


@pytest.mark.parametrize("storage", STORAGES)
def test_moderation_mail_goes_through_the_real_queue_and_survives_an_smtp_outage(app, session, place, smtp,
                                                                                  tmp_path, storage):
    """A report mailed to the moderator who wants each, and the block mailed to the author: both wait in
    the queue (SQLite file or Redis), neither is lost while the mail server is down, each arrives once."""
    from webapp import create_app, jobs
    from webapp.mail.tasks import sweep

    overrides = ({"REDIS_URL": os.environ["REDIS_URL"]} if storage == "redis"
                 else {"JOBS_SQLITE_FILE": str(tmp_path / "jobs.db")})
    queued = create_app(queued_config(app, smtp.port, **overrides))
    try:
        with queued.app_context():
            jobs.queue.flush()  # nothing left from an earlier run
        each = make_user(app, role="moderator")
        _set_report_mail(app, each, "each")
        author = make_user(app, language="en")
        comment = comment_by(session, place, author)
        smtp.stop()  # the mail server is down while the staff work
        reporter = queued.test_client()
        login(reporter, make_user(app))
        url = f"/de/projects/smart-city/comments/{comment.id}/report"
        assert reporter.post(url, data={"csrf_token": csrf_token(reporter.get(url)), "reason": "spam"}).status_code == 303
        staff = queued.test_client()
        login(staff, make_user(app, role="moderator"))
        response = act(staff, comment, "block", **{"block-reason": "spam"})
        assert response.status_code == 303  # the moderator sees no error
        assert work_off(queued) >= 2 and not smtp.inbox.messages
        smtp.start()  # back; an hour later the outbox sweeper comes for both (as the jobs' own retries would)
        for address in (each.email, author.email):
            age_outbox(queued, address, timedelta(hours=1))
        with queued.app_context():
            assert sweep() >= 2  # (other tests' moderators who want each report have theirs too)
        work_off(queued)
        assert len(smtp.inbox.to(each.email)) == 1
        [blocked] = smtp.inbox.to(author.email)
        assert b"/en/projects/smart-city/rules" in blocked.content
    finally:
        queued.extensions["db_engine"].dispose()


@pytest.mark.parametrize("reason", ["insult", "discrimination", "spam", "personal_data", "off_topic", "illegal", "other"])
def test_a_reason_reads_as_one_sentence_in_every_mode(app, client, session, place, moderator, reason):
    """Simple German gives reasons as sentences: no "Grund: Er passt nicht zum Thema.." (staff report m1)."""
    author = make_user(app, language="simple")
    comment = comment_by(session, place, author)
    assert act(client, comment, "block", **{"block-reason": reason}).status_code == 303
    for prefix in ("de", "en", "einfach"):
        notice = soup(app.test_client().get(f"/{prefix}/projects/smart-city/comments/{comment.id}",
                                            follow_redirects=True)).find(id=f"comment-{comment.id}").get_text(" ")
        assert ".." not in notice and ". ." not in notice, (prefix, notice)
    assert ".." not in mails_to(app, author.email)[-1].get_content()


# --- Staff-triggered mail is capped (security report 2026-12-06, N8) ---------------------------------

def test_a_highlight_is_mailed_to_the_author_once(app, client, session, place, moderator):
    """Highlighting, taking it back and highlighting again used to mail the author each time."""
    author = make_user(app)
    comment = comment_by(session, place, author)
    for action in ("highlight", "unhighlight", "highlight", "unhighlight", "highlight"):
        assert act(client, comment, action).status_code == 303
    session.refresh(comment)
    assert comment.highlighted_at is not None
    assert [m["Subject"] for m in mails_to(app, author.email)] == ["Ihr Kommentar wurde hervorgehoben"]


def _report_with(client, comment, explanation=""):
    url = f"/de/projects/smart-city/comments/{comment.id}/report"
    data = {"csrf_token": csrf_token(client.get(url)), "reason": "spam", "explanation": explanation}
    assert client.post(url, data=data).status_code == 303


def test_report_mails_come_once_per_comment_in_ten_minutes_and_lose_no_report(app, session, place, smtp, tmp_path):
    """Through the real queue and an SMTP server: the first report is mailed at once, the next ones of the
    same comment wait for the end of the 10 minutes and come in one mail; nothing is mailed twice. The
    reporter's explanation is quoted as theirs, its link left out."""
    from webapp import create_app
    from webapp.moderation.tasks import report_mail_batches

    queued = create_app(queued_config(app, smtp.port, JOBS_SQLITE_FILE=str(tmp_path / "jobs.db")))
    try:
        each = make_user(app, role="moderator")
        _set_report_mail(app, each, "each")
        comment = comment_by(session, place, make_user(app))
        reporters = []
        for number in range(4):
            reporters.append(queued.test_client())
            reporters[-1].environ_base["REMOTE_ADDR"] = f"10.1.2.{number + 1}"  # reports of a comment are limited per address
            login(reporters[-1], make_user(app))

        def batches():
            with queued.app_context():
                report_mail_batches()  # what the worker's schedule queues every 5 minutes
            work_off(queued)

        def mails():
            """(subject, text) of each mail the moderator received, in order."""
            messages = [message_from_bytes(e.content, policy=policy.default) for e in smtp.inbox.to(each.email)]
            return [(m["Subject"], m.get_content().replace("\r\n", "\n")) for m in messages]

        _report_with(reporters[0], comment, "Bitte sofort pruefen: https://evil.example/login\nGanz dringend!")
        _report_with(reporters[1], comment, "Siehe auch evil.example/login")
        _report_with(reporters[2], comment)
        late = make_user(app, role="moderator")  # chooses a mail for each report only now
        _set_report_mail(app, late, "each")
        work_off(queued)
        batches()
        [(subject, text)] = mails()  # one mail for three reports in a minute
        assert subject == "Ein Kommentar wurde gemeldet: Smart-City-Strategie Eichbrunn"
        assert "\nDie meldende Person schrieb (Links haben wir weggelassen" in text
        assert "\n> Bitte sofort pruefen: [Link weggelassen]\n> Ganz dringend!\n" in text
        assert "evil.example" not in text and "https://evil" not in text
        assert "Siehe auch" not in text  # the second report waits

        age_outbox(queued, each.email, timedelta(minutes=11))  # the ten minutes are over
        batches()
        assert not smtp.inbox.to(late.email)  # not the reports from before their choice, one mail each
        [_, (subject, text)] = mails()
        assert subject == "Ein Kommentar wurde 2-mal gemeldet: Smart-City-Strategie Eichbrunn"
        assert "\n> Siehe auch [Link weggelassen]\n" in text and "evil.example" not in text
        assert "2 Personen haben einen Kommentar" in text and "Bitte sofort" not in text and "3 Meldungen" in text

        batches()
        _report_with(reporters[3], comment, "Noch einmal")  # within ten minutes of the last mail: it waits
        work_off(queued)
        assert len(mails()) == 2
        age_outbox(queued, each.email, timedelta(minutes=11))
        batches()
        batches()  # a job that runs twice sends once
        [*_, (_subject, text)] = mails()
        assert len(mails()) == 3 and "\n> Noch einmal\n" in text
        assert "Siehe auch" not in text and "4 Meldungen" in text
    finally:
        queued.extensions["db_engine"].dispose()


def test_jobs_that_mail_run_in_the_worker_without_a_request(app, session, place, smtp, tmp_path):
    """The worker has no request: rendering a mail asked for one (the page's mode) and the job failed,
    so the daily digest never went out from a real worker."""
    from webapp import create_app
    from webapp.moderation.tasks import moderation_digest

    queued = create_app(queued_config(app, smtp.port, JOBS_SQLITE_FILE=str(tmp_path / "jobs.db")))
    try:
        daily = make_user(app, role="moderator", language="simple")  # the digest is the default
        comment = comment_by(session, place, make_user(app))
        reporter = queued.test_client()
        login(reporter, make_user(app))
        _report_with(reporter, comment)
        with queued.app_context():
            moderation_digest()  # queued, as the worker's schedule does at 06:00
        work_off(queued)
        [digest] = smtp.inbox.to(daily.email)
        text = message_from_bytes(digest.content, policy=policy.default).get_content()
        assert f"/einfach/staff/projects/smart-city/moderation/comments/{comment.id}" in text
    finally:
        queued.extensions["db_engine"].dispose()
