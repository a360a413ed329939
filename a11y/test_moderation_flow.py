"""The moderator's work in a real browser, with JavaScript on and off: from the queue to a blocked comment,
its notice in the discussion, the audit log, a restore and an official answer; each step checked as a
screen reader gets it."""

from __future__ import annotations

import secrets

from selenium.webdriver.common.by import By
from sqlmodel import Session

from a11y.axe import assert_accessible
from a11y.pages import OWN_CHAPTERS
from a11y.test_participation import log_in, reader, wait  # noqa: F401  (the participation flows' browser)
from tests.support import mails_to, make_user

QUEUE = "/de/staff/projects/smart-city/moderation"


def reported_comment(app, text: str):
    """A comment by a new participant in the Smart City strategy (this module's own chapter), reported twice."""
    from sqlmodel import select

    from webapp import db
    from webapp.models import Comment, Project, Report

    author = make_user(app)
    reporters = [make_user(app), make_user(app)]  # before the session below: SQLite has one writer at a time
    with app.app_context(), Session(db.engine()) as session:
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        chapter = next(c for c in project.document.chapters if c.slug == OWN_CHAPTERS["moderation"])
        comment = Comment(project_id=project.id, chapter_id=chapter.id, author_id=author.id, body=text,
                          report_count=2, open_report_count=2)
        session.add(comment)
        session.flush()
        for reporter in reporters:
            session.add(Report(comment_id=comment.id, reporter_id=reporter.id, reason="insult", comment_text=text))
        session.commit()
        return comment.id, author


def flash_text(browser) -> str:
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, ".flash"))
    return browser.find_element(By.CSS_SELECTOR, ".flash").text


def test_a_moderator_blocks_restores_and_answers(reader, server_url, app):
    text = f"Unverschämt {secrets.token_hex(3)}"
    comment_id, author = reported_comment(app, text)
    other_id, other_author = reported_comment(app, f"Eine Frage {secrets.token_hex(3)}")
    log_in(reader, server_url, make_user(app, role="moderator"), QUEUE + "?show=needs_review")
    assert_accessible(reader, "queue, needs review")
    item = reader.find_element(By.ID, f"item-{comment_id}")
    assert "2 Meldungen" in item.text
    item.find_element(By.CSS_SELECTOR, ".mod-item__link a").click()
    wait(reader, lambda: f"/comments/{comment_id}" in reader.current_url)
    assert_accessible(reader, "moderate a comment")

    # Blocking without a reason: the error summary, focused with JavaScript, the text kept.
    reader.find_element(By.ID, "block-text").send_keys("Bitte sachlich bleiben.")
    reader.find_element(By.CSS_SELECTOR, "form.mod-block-form button[type=submit]").click()
    wait(reader, lambda: reader.find_elements(By.CSS_SELECTOR, ".error-summary"))
    assert reader.title.startswith("Fehler:")
    assert reader.find_element(By.ID, "block-text").get_attribute("value") == "Bitte sachlich bleiben."
    assert_accessible(reader, "block without a reason")
    if reader.javascript:
        wait(reader, lambda: reader.switch_to.active_element.get_attribute("id") == "block-error-summary")

    reader.find_element(By.CSS_SELECTOR, "label[for='block-reason']").click()  # the first reason: insult
    reader.find_element(By.CSS_SELECTOR, "form.mod-block-form button[type=submit]").click()
    assert "gesperrt" in flash_text(reader)
    assert_accessible(reader, "after blocking")
    assert "Beleidigung oder Drohung" in mails_to(app, author.email)[-1].get_content()

    # The discussion shows the notice, not the words.
    reader.get(f"{server_url}/de/projects/smart-city/comments/{comment_id}")
    article = wait(reader, lambda: reader.find_element(By.ID, f"comment-{comment_id}"))
    assert "von der Moderation gesperrt" in article.text and text not in reader.page_source
    assert_accessible(reader, "discussion with a blocked comment")

    # The audit log, as the project's initiator.
    initiator = make_user(app, role="initiator")
    reader.delete_all_cookies()
    log_in(reader, server_url, initiator, "/de/staff/projects/smart-city/audit")
    assert "Kommentar gesperrt" in reader.find_element(By.TAG_NAME, "main").text
    assert_accessible(reader, "audit log")

    # Restore, then answer the other comment officially.
    reader.get(f"{server_url}{QUEUE}/comments/{comment_id}")
    reader.find_element(By.XPATH, "//button[normalize-space()='Kommentar wiederherstellen']").click()
    assert "wieder angezeigt" in flash_text(reader)
    reader.get(f"{server_url}{QUEUE}/comments/{other_id}")
    answer = f"Danke, wir prüfen das {secrets.token_hex(3)}"
    reader.find_element(By.ID, "answer-text").send_keys(answer)
    reader.find_element(By.XPATH, "//button[normalize-space()='Offizielle Antwort veröffentlichen']").click()
    assert "Antwort" in flash_text(reader)
    assert answer in mails_to(app, other_author.email)[-1].get_content()
    reader.get(f"{server_url}/de/projects/smart-city/comments/{other_id}")
    wait(reader, lambda: answer in reader.find_element(By.ID, "discussion").text)
    assert "Antwort des Projektteams" in reader.find_element(By.ID, "discussion").text
    assert_accessible(reader, "discussion with an official answer")
