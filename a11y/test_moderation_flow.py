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
    """What the staff action did, as the page it led to says it (staff report M1): the page opens at the
    message (``#outcome``), its title starts with it, and with JavaScript the message has focus, so a
    screen reader reads it at once."""
    from a11y.axtree import focused

    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#outcome"))
    text = browser.find_element(By.ID, "outcome").text
    assert browser.current_url.endswith("#outcome"), browser.current_url
    assert browser.title.startswith(text.split("\n")[0]), (browser.title, text)
    if browser.javascript:
        wait(browser, lambda: browser.switch_to.active_element.get_attribute("id") == "outcome")
        role, spoken = focused(browser)
        assert role == "status" and spoken == text, (role, spoken)
    return text


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


def _ax_group_of(browser, element_id: str) -> str:
    """The name of the nearest group (fieldset) around the element with ``element_id``, as a screen reader gets it."""
    browser.execute_cdp_cmd("Accessibility.enable", {})
    nodes = browser.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    backend = browser.execute_cdp_cmd("DOM.describeNode", {"objectId": browser.execute_cdp_cmd(
        "Runtime.evaluate", {"expression": f"document.getElementById({element_id!r})"})["result"]["objectId"]}
    )["node"]["backendNodeId"]
    parents = {child: node["nodeId"] for node in nodes for child in node.get("childIds", [])}
    by_id = {node["nodeId"]: node for node in nodes}
    node = next(n for n in nodes if n.get("backendDOMNodeId") == backend)
    while node["nodeId"] in parents:
        node = by_id[parents[node["nodeId"]]]
        if (node.get("role") or {}).get("value") == "group":
            return (node.get("name") or {}).get("value", "")
    return ""


def test_the_queue_selects_in_a_named_group_all_at_once_and_names_what_stayed(reader, server_url, app):
    """m4, M9: the checkboxes sit in a group named for what they are for; "all on this page" ticks all (with
    JavaScript at once, with a count; without it, the server takes the page); the action is one link away after
    the list; a bulk action names what it left unchanged, which stays ticked."""
    first_id, _ = reported_comment(app, f"Erster {secrets.token_hex(3)}")
    second_id, _ = reported_comment(app, f"Zweiter {secrets.token_hex(3)}")
    log_in(reader, server_url, make_user(app, role="moderator"), QUEUE + "?show=needs_review")
    assert _ax_group_of(reader, f"bulk-comment-{first_id}") == "Kommentare für die Sammelaktion"
    assert _ax_group_of(reader, "bulk-comment") == "Kommentare für die Sammelaktion"
    select_all = reader.find_element(By.ID, "bulk-comment")
    assert reader.find_element(By.CSS_SELECTOR, "label[for='bulk-comment']").text.startswith("Alle ")
    boxes = reader.find_elements(By.CSS_SELECTOR, "input[name='bulk-comment']")
    if reader.javascript:
        count = reader.find_element(By.ID, "bulk-count")
        assert count.text == "Kein Kommentar ausgewählt" and count.get_attribute("aria-live") == "polite"
        select_all.send_keys(" ")
        assert all(box.is_selected() for box in boxes)
        assert count.text == f"{len(boxes)} Kommentare ausgewählt"
        boxes[0].send_keys(" ")
        assert reader.execute_script("return arguments[0].indeterminate", select_all) and not select_all.is_selected()
        left = len(boxes) - 1
        assert count.text == ("1 Kommentar ausgewählt" if left == 1 else f"{left} Kommentare ausgewählt")
        boxes[0].send_keys(" ")
    else:
        select_all.send_keys(" ")  # no script: only the box itself; the server reads it
    # After the list, one link back to the action: focus lands on its first field.
    reader.find_element(By.LINK_TEXT, "Zurück zur Aktion für die ausgewählten Kommentare").send_keys("\n")
    wait(reader, lambda: reader.switch_to.active_element.get_attribute("id") == "bulk-action")
    from selenium.webdriver.support.ui import Select

    Select(reader.find_element(By.ID, "bulk-action")).select_by_value("review")
    reader.find_element(By.CSS_SELECTOR, "form.mod-bulk-form button[type=submit]").click()
    assert "geändert" in flash_text(reader)
    assert_accessible(reader, "queue after a bulk review")
    assert not reader.find_elements(By.ID, f"item-{first_id}") and not reader.find_elements(By.ID, f"item-{second_id}")

    # Blocking one that is blocked already: it is named, with why, and stays ticked.
    reader.get(f"{server_url}{QUEUE}/comments/{first_id}")
    reader.find_element(By.CSS_SELECTOR, "label[for='block-reason']").click()
    reader.find_element(By.CSS_SELECTOR, "form.mod-block-form button[type=submit]").click()
    flash_text(reader)
    reader.get(f"{server_url}{QUEUE}?show=blocked")
    reader.find_element(By.ID, f"bulk-comment-{first_id}").send_keys(" ")
    Select(reader.find_element(By.ID, "bulk-action")).select_by_value("block")
    Select(reader.find_element(By.ID, "bulk-reason")).select_by_value("spam")
    reader.find_element(By.CSS_SELECTOR, "form.mod-bulk-form button[type=submit]").click()
    unchanged = wait(reader, lambda: reader.find_element(By.ID, "unchanged"))
    assert "Dieser Kommentar ist schon gesperrt." in unchanged.text
    assert unchanged.find_element(By.CSS_SELECTOR, f"a[href*='/comments/{first_id}?back=']").text.startswith("Kommentar von")
    assert reader.find_element(By.ID, f"bulk-comment-{first_id}").is_selected()
    assert_accessible(reader, "queue after a bulk action that left a comment unchanged")


def test_a_replys_page_names_both_texts_for_a_screen_reader(reader, server_url, app):
    """M5: headings name the comment answered and the reply under moderation; the answered one's state is said."""
    from sqlmodel import select

    from webapp import db
    from webapp.models import Comment

    parent_id, _ = reported_comment(app, f"Eltern {secrets.token_hex(3)}")
    with app.app_context(), Session(db.engine()) as session:
        parent = session.get(Comment, parent_id)
        parent.blocked_at, parent.block_reason = parent.created_at, "insult"
        reply = Comment(project_id=parent.project_id, chapter_id=parent.chapter_id, parent_id=parent.id,
                        author_id=make_user(app).id, body=f"Antwort {secrets.token_hex(3)}", report_count=1,
                        open_report_count=1)
        session.add_all([parent, reply])
        session.commit()
        reply_id = session.exec(select(Comment.id).where(Comment.body == reply.body)).one()
    log_in(reader, server_url, make_user(app, role="moderator"), f"{QUEUE}/comments/{reply_id}")
    reader.execute_cdp_cmd("Accessibility.enable", {})
    nodes = reader.execute_cdp_cmd("Accessibility.getFullAXTree", {})["nodes"]
    headings = [(n.get("name") or {}).get("value") for n in nodes if (n.get("role") or {}).get("value") == "heading"]
    assert headings.index("Der Kommentar, auf den geantwortet wird") < headings.index("Die gemeldete Antwort")
    figures = [(n.get("name") or {}).get("value") for n in nodes if (n.get("role") or {}).get("value") == "figure"]
    assert figures == ["Der Kommentar, auf den geantwortet wird", "Die gemeldete Antwort"]
    # The state of the comment answered comes under its heading, before the reply's.
    section = reader.find_element(By.CSS_SELECTOR, "section[aria-labelledby='comment-heading']")
    text = section.get_attribute("textContent")
    assert text.index("Der Kommentar, auf den geantwortet wird") < text.index("Status: gesperrt") \
        < text.index("Die gemeldete Antwort")
    assert_accessible(reader, "moderating a reply to a blocked comment")
