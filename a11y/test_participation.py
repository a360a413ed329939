"""Taking part as people do, in Debian's chromium: with JavaScript off (plain forms and
redirects) and on (htmx swaps, focus, announcements), checked by axe after every step.
"""

from __future__ import annotations

import secrets
import shutil
from urllib.parse import urlsplit

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from a11y.axe import assert_accessible
from a11y.conftest import make_browser
from a11y.pages import OWN_CHAPTERS, own_chapter
from tests.support import PASSWORD, link_in, mails_to, make_user

CHAPTER = own_chapter("participation")  # this module's own: no other test writes there


@pytest.fixture(params=[False, True], ids=["js-off", "js-on"])
def reader(request):
    """A fresh browser (no cookies) whose pages run without JavaScript, or with it.

    Without: page scripts are off through DevTools emulation, so that axe can still be
    allowed to run between steps (see a11y/axe.py); pages load, render and submit forms
    exactly as in a browser with JavaScript switched off.
    """
    browser = make_browser(javascript=True)
    browser.javascript = request.param
    if not request.param:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    yield browser
    browser.quit()
    shutil.rmtree(browser.profile_dir, ignore_errors=True)


def wait(browser, condition, timeout=10):
    """Wait for ``condition``; an element replaced by a swap meanwhile just means "look again"."""
    return WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)
                         ).until(lambda _b: condition())


def log_in(browser, server_url, user, target=CHAPTER):
    browser.get(f"{server_url}/de/account/login?next={target}")
    browser.find_element(By.ID, "email").send_keys(user.email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # The login page's own address names the target (?next=…): wait for the page itself.
    wait(browser, lambda: urlsplit(browser.current_url).path == urlsplit(target).path
         and browser.execute_script("return document.readyState") == "complete")


def write(browser, text, form="#comment-form"):
    field = browser.find_element(By.CSS_SELECTOR, f"{form} textarea")
    field.clear()
    field.send_keys(text)
    browser.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()


def comment_with(browser, text):
    """The comment containing ``text``, once it is shown and settled."""
    return wait(browser, lambda: browser.find_element(By.XPATH, f"//article[contains(., '{text}')]"))


def active_id(browser):
    return browser.switch_to.active_element.get_attribute("id")


def test_register_and_confirm_through_the_mail(reader, server_url, app):
    email = f"{secrets.token_hex(5)}@example.org"
    reader.get(server_url + "/de/account/register")
    assert_accessible(reader)
    reader.find_element(By.ID, "username").send_keys(f"Browser {secrets.token_hex(3)}")
    reader.find_element(By.ID, "email").send_keys(email)
    reader.find_element(By.ID, "password").send_keys(PASSWORD)
    reader.find_element(By.ID, "password_repeat").send_keys(PASSWORD)
    reader.find_element(By.CSS_SELECTOR, "label[for=accept_terms]").click()
    reader.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(reader, lambda: "/de/account/login" in reader.current_url)  # registering logs no one in
    assert email in reader.find_element(By.CSS_SELECTOR, ".flash").text
    reader.get(server_url + link_in(mails_to(app, email)[-1]))
    assert_accessible(reader)
    reader.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(reader, lambda: reader.find_elements(By.CSS_SELECTOR, ".flash"))
    assert "bestätigt" in reader.find_element(By.CSS_SELECTOR, ".flash").text


def test_a_validation_error_keeps_the_text_and_leads_to_the_field(reader, server_url, app):
    log_in(reader, server_url, make_user(app))
    write(reader, " ")
    wait(reader, lambda: reader.find_elements(By.ID, "error-summary"))
    assert_accessible(reader, "comment form with an error")
    if reader.javascript:
        assert reader.current_url.endswith(CHAPTER)  # no reload
        assert active_id(reader) == "error-summary"
    else:
        assert reader.title.startswith("Fehler:")
    reader.find_element(By.CSS_SELECTOR, "#error-summary a").click()
    assert active_id(reader) == "body"


def test_comment_on_the_chapter_reply_rate_edit_and_delete(reader, server_url, app, session):
    from sqlmodel import select

    from webapp.models import Comment, Project

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if CHAPTER.endswith(c.slug))
    session.add(Comment(project_id=project.id, chapter_id=chapter.id, author_id=make_user(app).id,
                        body=f"Someone else's view {secrets.token_hex(3)}"))
    session.commit()
    author = make_user(app)
    log_in(reader, server_url, author)
    assert_accessible(reader, "chapter, logged in")

    text = f"Barrierefreiheit zuerst {secrets.token_hex(3)}"
    write(reader, text)
    article = comment_with(reader, text)
    comment_id = article.get_attribute("id")
    if reader.javascript:
        wait(reader, lambda: active_id(reader) == comment_id)
        wait(reader, lambda: "veröffentlicht" in reader.find_element(By.ID, "live-region").text)
        assert reader.find_element(By.CSS_SELECTOR, "#comment-form textarea").get_attribute("value") == ""
    else:
        assert reader.current_url.endswith(f"#{comment_id}")
        # The message sits in the comment the page opens at, not out of view at the top.
        assert "veröffentlicht" in reader.find_element(By.CSS_SELECTOR, f"#{comment_id} .flash").text
        assert not reader.find_elements(By.CSS_SELECTOR, "main > .flash")
    assert_accessible(reader, "after publishing")

    # Reply (inline with htmx, on its own page without).
    wait(reader, lambda: reader.find_element(By.ID, comment_id).find_element(By.PARTIAL_LINK_TEXT, "Antworten")).click()
    form = f"#reply-form-{comment_id.split('-')[1]}"
    wait(reader, lambda: reader.find_elements(By.CSS_SELECTOR, f"{form} textarea"))
    if reader.javascript:
        assert reader.current_url.endswith(CHAPTER)
        wait(reader, lambda: reader.switch_to.active_element.tag_name == "textarea")
    assert_accessible(reader, "reply form")
    if reader.javascript:  # the inline form can be closed again, focus back on the reply link
        reader.find_element(By.CSS_SELECTOR, f"{form} [data-close-reply]").click()
        wait(reader, lambda: not reader.find_elements(By.CSS_SELECTOR, f"{form} textarea"))
        assert active_id(reader) == f"reply-link-{comment_id.split('-')[1]}"
        reader.switch_to.active_element.click()
        wait(reader, lambda: reader.find_elements(By.CSS_SELECTOR, f"{form} textarea"))
    reply = f"Eine Antwort {secrets.token_hex(3)}"
    write(reader, reply, form)
    wait(reader, lambda: comment_with(reader, reply).find_element(By.TAG_NAME, "h4"))
    assert_accessible(reader, "after replying")

    # One's own comment cannot be rated; someone else's can: the pressed state changes, in words too.
    assert not reader.find_elements(By.CSS_SELECTOR, f"#{comment_id} button[name=agree]")
    agree = reader.find_element(By.CSS_SELECTOR, f"article.comment:not(#{comment_id}) button[name=agree]")
    agree_id = agree.get_attribute("id")
    before = int(agree.find_element(By.CLASS_NAME, "rating__count").text)
    agree.click()
    wait(reader, lambda: reader.find_element(By.ID, agree_id).get_attribute("aria-pressed") == "true")
    pressed = reader.find_element(By.ID, agree_id)
    assert int(pressed.find_element(By.CLASS_NAME, "rating__count").text) == before + 1
    assert "Ihre Bewertung" in pressed.text
    if reader.javascript:
        wait(reader, lambda: active_id(reader) == agree_id)
        wait(reader, lambda: "gespeichert" in reader.find_element(By.ID, "live-region").text)
    assert_accessible(reader, "after rating")

    # Edit, then delete (own pages in both modes).
    reader.find_element(By.CSS_SELECTOR, f"#{comment_id} .comment__links").find_element(By.PARTIAL_LINK_TEXT, "Bearbeiten").click()
    assert_accessible(reader, "edit page")
    changed = f"Geändert {secrets.token_hex(3)}"
    write(reader, changed, "main form")
    assert "bearbeitet" in comment_with(reader, changed).text
    reader.find_element(By.CSS_SELECTOR, f"#{comment_id} .comment__links").find_element(By.PARTIAL_LINK_TEXT, "Löschen").click()
    assert_accessible(reader, "delete page")
    reader.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(reader, lambda: reader.find_elements(By.CSS_SELECTOR, f"#{comment_id} .comment__deleted"))
    assert changed not in reader.find_element(By.ID, comment_id).text
    assert reply in reader.page_source  # the reply stays


def test_comment_on_a_paragraph(reader, server_url, app):
    log_in(reader, server_url, make_user(app))
    reader.find_element(By.CSS_SELECTOR, ".paragraph__link a").click()
    wait(reader, lambda: "/paragraph-" in reader.current_url)
    assert_accessible(reader, "paragraph page, logged in")
    text = f"Zu diesem Absatz {secrets.token_hex(3)}"
    write(reader, text)
    comment_with(reader, text)
    assert "/paragraph-" in reader.current_url
    assert_accessible(reader, "paragraph page after commenting")


def test_a_closed_phase_shows_why_and_keeps_the_discussion_readable(reader, server_url, app):
    log_in(reader, server_url, make_user(app), "/de/projects/radverkehr/chapters/sicher-unterwegs")
    discussion = reader.find_element(By.ID, "discussion")
    assert "war bis zum" in discussion.text and discussion.find_elements(By.CSS_SELECTOR, "article.comment")
    assert not discussion.find_elements(By.TAG_NAME, "textarea")
    assert not discussion.find_elements(By.CSS_SELECTOR, "button[value=agree]")
    assert_accessible(reader, "closed phase, logged in")


def test_more_comments_are_appended_with_focus_on_the_first_new_one(server_url, app, session):
    from sqlmodel import select

    from webapp.models import Comment, Project

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    writer = make_user(app)
    chapter = next(c for c in project.document.chapters if c.slug == OWN_CHAPTERS["more"])  # 25 comments, no more
    for index in range(25):
        session.add(Comment(project_id=project.id, chapter_id=chapter.id, author_id=writer.id, body=f"Früher {index}"))
    session.commit()
    browser = make_browser(javascript=True)
    try:
        browser.get(f"{server_url}{own_chapter('more')}")
        before = len(browser.find_elements(By.CSS_SELECTOR, "#comment-list > li"))
        browser.find_element(By.CSS_SELECTOR, ".comment-pages a[rel=next]").click()
        wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#comment-list > li")) > before)
        first_new = browser.find_elements(By.CSS_SELECTOR, "#comment-list > li > article")[before]
        wait(browser, lambda: active_id(browser) == first_new.get_attribute("id"))
        assert "page=" not in browser.current_url
        # The pager describes what is on screen now: both pages, and nothing "previous" to drop them for.
        pager = browser.find_element(By.ID, "comment-pages")
        assert "Seiten 1 bis 2 von 2" in pager.text
        assert not pager.find_elements(By.CSS_SELECTOR, "a[rel=prev]")
        assert_accessible(browser, "after loading more comments")
    finally:
        browser.quit()


def test_a_comment_published_on_the_first_page_is_put_in_place(server_url, app, session):
    """With JavaScript, a comment published above the first page of the list (newest first) is put at its top: the
    comment that moved on to the next page leaves it, the count and an empty form come along, focus and the
    announcement as for the whole discussion; "More comments" then shows each comment once. After it, the list is
    more than a page: the next comment brings the whole discussion back, at its first page."""
    from sqlmodel import select

    from webapp.models import Comment, Project

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    writer = make_user(app)
    chapter = next(c for c in project.document.chapters if c.slug == OWN_CHAPTERS["posted"])
    for index in range(21):  # a full first page and one on the second
        session.add(Comment(project_id=project.id, chapter_id=chapter.id, author_id=writer.id, body=f"Früher {index}"))
    session.commit()
    browser = make_browser(javascript=True)
    threads = "#comment-list > li"
    try:
        log_in(browser, server_url, make_user(app), own_chapter("posted"))
        last = browser.find_elements(By.CSS_SELECTOR, f"{threads} > article")[-1].get_attribute("id")
        mark = "document.getElementById('discussion').dataset.seen = 'yes'"  # gone when the discussion is swapped
        browser.execute_script(mark)
        text = f"An seinen Platz {secrets.token_hex(3)}"
        write(browser, text)
        new = comment_with(browser, text)
        wait(browser, lambda: active_id(browser) == new.get_attribute("id"))
        articles = [a.get_attribute("id") for a in browser.find_elements(By.CSS_SELECTOR, f"{threads} > article")]
        assert articles[0] == new.get_attribute("id") and last not in articles and len(articles) == 20
        assert "(22)" in browser.find_element(By.ID, "discussion-heading").text
        assert browser.find_element(By.ID, "body").get_attribute("value") == ""
        assert browser.find_element(By.ID, "comment-listed").get_attribute("value").startswith(new.get_attribute("id")[8:] + ":")
        wait(browser, lambda: browser.find_element(By.ID, "live-region").text == "Ihr Kommentar wurde veröffentlicht.")
        assert browser.find_element(By.ID, "discussion").get_attribute("aria-busy") is None
        assert not browser.title.startswith("Fehler")
        assert browser.find_element(By.ID, "discussion").get_attribute("data-seen") == "yes"  # put in, not swapped
        assert_accessible(browser, "after a comment was put in place")

        browser.find_element(By.CSS_SELECTOR, ".comment-pages a[rel=next]").click()
        wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, threads)) == 22)
        browser.execute_script(mark)
        ids = browser.execute_script("return [...document.querySelectorAll('[id]')].map(e => e.id)")
        assert len(ids) == len(set(ids)) and last in ids
        assert not browser.find_elements(By.ID, "comment-listed")

        again = f"Nach mehr Kommentaren {secrets.token_hex(3)}"
        write(browser, again)
        newer = comment_with(browser, again)
        wait(browser, lambda: active_id(browser) == newer.get_attribute("id"))
        assert len(browser.find_elements(By.CSS_SELECTOR, threads)) == 20  # the whole discussion, its first page
        assert browser.find_element(By.ID, "discussion").get_attribute("data-seen") is None
        assert browser.find_elements(By.ID, "comment-listed")
        assert_accessible(browser, "after the whole discussion came back")
    finally:
        browser.quit()


def test_writing_a_comment_with_the_keyboard_only(server_url, app):
    browser = make_browser(javascript=True)
    try:
        log_in(browser, server_url, make_user(app))
        body = browser.find_element(By.ID, "body")
        for _ in range(200):  # Tab until the comment field has focus, as a keyboard user would
            ActionChains(browser).send_keys(Keys.TAB).perform()
            if browser.switch_to.active_element == body:
                break
        assert browser.switch_to.active_element == body
        text = f"Nur mit der Tastatur {secrets.token_hex(3)}"
        ActionChains(browser).send_keys(text).perform()
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.switch_to.active_element.tag_name == "select":  # the optional category
            ActionChains(browser).send_keys(Keys.TAB).perform()
        assert browser.switch_to.active_element.get_attribute("type") == "submit"
        ActionChains(browser).send_keys(Keys.ENTER).perform()
        article = comment_with(browser, text)
        wait(browser, lambda: active_id(browser) == article.get_attribute("id"))
    finally:
        browser.quit()


def test_back_after_logging_out_in_the_header_shows_nothing_private(reader, server_url, app):
    """A shared computer: log out from the header, press Back: the account page is not shown again."""
    user = make_user(app)
    log_in(reader, server_url, user, "/de/account/")
    assert user.email in reader.page_source
    reader.find_element(By.CSS_SELECTOR, "header .main-menu__logout button").click()
    wait(reader, lambda: "/account" not in reader.current_url)  # the logout's redirect has landed
    wait(reader, lambda: "abgemeldet" in reader.find_element(By.TAG_NAME, "main").text)
    reader.back()
    wait(reader, lambda: reader.execute_script("return document.readyState") == "complete"
         if reader.javascript else True)
    assert user.email not in reader.page_source and user.username not in reader.page_source
