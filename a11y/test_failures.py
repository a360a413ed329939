"""When things go wrong, with JavaScript on (htmx) and, where it matters, off.

Every failure a citizen can meet while taking part must be seen, heard and survivable:
a notice next to what was used, announced and focused, the typed text still there, and
nothing left ``aria-busy`` (a busy region is faded and some screen readers skip it):

- refused or invalid answers the server swaps in (422, 403, 429), including a reply's,
  which the server moves into the reply form (HX-Retarget);
- answers htmx does not swap (413, 500...), a timeout, and no network at all;
- an expired session, for a comment and for a rating;
- a text longer than the limit: kept whole (no ``maxlength`` cutting a paste), counted in
  the field's description, refused with the text kept.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By

from a11y import test_participation as participation
from a11y.axe import AXE_SCRIPT, assert_accessible, describe
from a11y.conftest import make_browser
from a11y.pages import OWN_CHAPTERS, own_chapter
from a11y.test_participation import reader, wait  # noqa: F401  (the participation flows' browser and wait)
from tests.support import PASSWORD, csrf_token, login, make_user

CHAPTER = own_chapter("failures")  # this module's own: no other test writes there
LIMIT = 4000


@pytest.fixture
def citizen():
    """A fresh browser with JavaScript on."""
    browser = make_browser(javascript=True)
    browser.javascript = True
    yield browser
    browser.quit()
    shutil.rmtree(browser.profile_dir, ignore_errors=True)


def log_in(browser, server_url, user, target=CHAPTER):
    """The participation flows' login, then (with JavaScript) until htmx is ready."""
    participation.log_in(browser, server_url, user, target)
    if browser.javascript:
        wait(browser, lambda: browser.execute_script("return Boolean(window.htmx)"))


def write(browser, text, form="#comment-form", send=True):
    field = browser.find_element(By.CSS_SELECTOR, f"{form} textarea")
    field.clear()
    field.send_keys(text)
    if send:
        browser.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()


def active(browser):
    return browser.switch_to.active_element


def in_view(browser, element) -> bool:
    return browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;", element)


def settled(browser, where: str) -> None:
    """Nothing is left busy, and axe's contrast rules (4.5:1 and 7:1) pass on what is shown."""
    try:
        wait(browser, lambda: not browser.find_elements(By.CSS_SELECTOR, "[aria-busy]"), timeout=3)
    except Exception:  # noqa: BLE001 - report which element stayed busy
        busy = [e.get_attribute("id") or e.tag_name for e in browser.find_elements(By.CSS_SELECTOR, "[aria-busy]")]
        pytest.fail(f"{where}: still aria-busy: {busy}")
    from axe_selenium_python import Axe

    axe = Axe(browser, script_url=str(AXE_SCRIPT))
    axe.inject()
    options = {"runOnly": {"type": "rule", "values": ["color-contrast", "color-contrast-enhanced"]},
               "resultTypes": ["violations"]}
    found = axe.run(options=json.dumps(options))["violations"]
    assert not found, f"{where}:\n{describe(found)}"


def description_of(browser, element) -> str:
    """The accessible description Chromium computes for ``element`` (what a screen reader reads)."""
    browser.execute_cdp_cmd("Accessibility.enable", {})
    node_id = browser.execute_cdp_cmd("DOM.describeNode", {"objectId": _object_id(browser, element)})["node"]
    tree = browser.execute_cdp_cmd("Accessibility.getPartialAXTree",
                                   {"backendNodeId": node_id["backendNodeId"], "fetchRelatives": False})
    node = next(n for n in tree["nodes"] if n.get("backendDOMNodeId") == node_id["backendNodeId"])
    return (node.get("description") or {}).get("value", "")


def _object_id(browser, element) -> str:
    browser.execute_script("window.__probe = arguments[0];", element)
    result = browser.execute_cdp_cmd("Runtime.evaluate", {"expression": "window.__probe"})
    return result["result"]["objectId"]


def insert_text(browser, element, text: str) -> None:
    """Put ``text`` into the field the way pasting does (one input, subject to maxlength)."""
    element.click()
    browser.execute_cdp_cmd("Input.insertText", {"text": text})


def others_comment(app, text):
    """A comment by someone else on CHAPTER, to reply to or rate; its id."""
    client = app.test_client()
    login(client, make_user(app))
    token = csrf_token(client.get(CHAPTER))
    assert client.post(CHAPTER + "/comments", data={"csrf_token": token, "body": text}).status_code == 303
    from sqlmodel import Session, select

    from webapp.comments.models import Comment

    with Session(app.extensions["db_engine"]) as session:
        return session.exec(select(Comment).where(Comment.body == text)).one().id


def open_reply(browser, comment_id):
    browser.find_element(By.ID, f"comment-{comment_id}").find_element(By.PARTIAL_LINK_TEXT, "Antworten").click()
    slot = f"#reply-form-{comment_id}"
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, f"{slot} textarea"))
    settled(browser, "reply form opened")
    return slot


# Item 3: refused or invalid answers leave nothing busy, faded or below 7:1.

def test_an_invalid_comment_leaves_nothing_busy(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app))
    write(citizen, " ")
    wait(citizen, lambda: citizen.find_elements(By.CSS_SELECTOR, "#discussion .error-summary"))
    settled(citizen, "invalid comment")


def test_an_invalid_reply_leaves_nothing_busy(citizen, server_url, app):
    parent = others_comment(app, f"Wozu antworten? {secrets.token_hex(3)}")
    log_in(citizen, server_url, make_user(app))
    slot = open_reply(citizen, parent)
    write(citizen, " ", slot)
    wait(citizen, lambda: citizen.find_elements(By.CSS_SELECTOR, f"{slot} .error-summary"))
    # Focus moves once htmx has settled the swap, a moment after the summary is in the page.
    wait(citizen, lambda: "error-summary" in (active(citizen).get_attribute("class") or ""))
    settled(citizen, "invalid reply (moved into the reply form)")


def test_a_refused_reply_leaves_nothing_busy_and_keeps_the_text(citizen, server_url, app):
    parent = others_comment(app, f"Gleich gelöscht {secrets.token_hex(3)}")
    log_in(citizen, server_url, make_user(app))
    slot = open_reply(citizen, parent)
    from sqlmodel import Session

    from webapp.comments.models import Comment

    with Session(app.extensions["db_engine"]) as session:  # its author deletes it meanwhile
        comment = session.get(Comment, parent)
        comment.deleted_at = datetime.now(UTC)
        session.add(comment)
        session.commit()
    text = f"Zu spät {secrets.token_hex(3)}"
    write(citizen, text, slot)
    notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, f"{slot} .notice"))
    wait(citizen, lambda: active(citizen) == notice)
    assert citizen.find_element(By.CSS_SELECTOR, f"{slot} textarea").get_attribute("value") == text
    settled(citizen, "refused reply")


def test_a_rate_limited_comment_is_said_in_view_and_leaves_nothing_busy(citizen, server_url, app):
    user = make_user(app)
    log_in(citizen, server_url, user)
    other = app.test_client()  # the same account writes its ten comments of the minute elsewhere
    login(other, user)
    for index in range(10):
        response = other.post(CHAPTER + "/comments", data={"csrf_token": csrf_token(other.get(CHAPTER)),
                                                           "body": f"Schnell {index} {secrets.token_hex(3)}"})
        assert response.status_code == 303
    text = f"Einer zu viel {secrets.token_hex(3)}"
    write(citizen, text)
    notice = wait(citizen, lambda: citizen.find_element(By.ID, "discussion-notice"))
    assert "warten" in notice.text
    wait(citizen, lambda: active(citizen).get_attribute("id") == "discussion-notice")
    assert in_view(citizen, notice)
    assert citizen.find_element(By.CSS_SELECTOR, "#comment-form textarea").get_attribute("value") == text
    settled(citizen, "rate-limited comment")


# Item 6: an expired session, the same everywhere.

def test_a_comment_after_the_session_expired_is_answered_in_view_and_comes_back_after_logging_in(
        reader, server_url, app):
    """WCAG 2.2.5: the text typed before the session ended survives logging in again, with JavaScript and without."""
    user = make_user(app)
    log_in(reader, server_url, user)
    text = f"Nach langer Pause {secrets.token_hex(3)}"
    write(reader, text, send=False)
    reader.delete_all_cookies()  # the session ran out while writing
    reader.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
    notice = wait(reader, lambda: reader.find_element(By.ID, "discussion-notice"))
    assert "Sitzung ist abgelaufen" in notice.text
    if reader.javascript:
        wait(reader, lambda: active(reader).get_attribute("id") == "discussion-notice")
        assert in_view(reader, notice)
    assert "Ihr Konto" not in reader.find_element(By.TAG_NAME, "header").text  # swapped out of band with htmx
    assert reader.find_element(By.ID, "kept-text").get_attribute("value") == text
    if reader.javascript:
        settled(reader, "comment after the session expired")
    else:
        assert_accessible(reader, "comment after the session expired")
    form = reader.find_element(By.CSS_SELECTOR, "#discussion form.login-again")
    form.find_element(By.CSS_SELECTOR, "input[name=email]").send_keys(user.email)
    form.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(reader, lambda: reader.find_elements(By.ID, "restored-notice"))
    assert reader.find_element(By.ID, "body").get_attribute("value") == text
    assert user.username in reader.find_element(By.TAG_NAME, "header").text
    reader.find_element(By.CSS_SELECTOR, "#restored-notice a").click()
    assert active(reader).get_attribute("id") == "body"
    reader.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
    wait(reader, lambda: reader.find_elements(By.XPATH, f"//article[contains(., '{text}')]"))


def test_a_rating_after_the_session_expired_says_so_in_place(citizen, server_url, app):
    comment = others_comment(app, f"Zum Bewerten {secrets.token_hex(3)}")
    user = make_user(app)
    log_in(citizen, server_url, user)
    citizen.delete_all_cookies()
    citizen.find_element(By.ID, f"rate-{comment}-agree").click()
    notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, f"#comment-{comment} .notice"))
    assert "Sitzung" in notice.text
    wait(citizen, lambda: active(citizen) == notice)
    link = notice.find_element(By.TAG_NAME, "a")
    assert "/de/account/login" in link.get_attribute("href") and OWN_CHAPTERS["failures"] in link.get_attribute("href")
    settled(citizen, "rating after the session expired")
    link.click()  # logging in again comes back to the page
    citizen.find_element(By.ID, "email").send_keys(user.email)
    citizen.find_element(By.ID, "password").send_keys(PASSWORD)
    citizen.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait(citizen, lambda: citizen.current_url.split("#")[0].endswith(CHAPTER))


# Item 6: no answer at all, or one htmx does not swap.

def test_offline_a_comment_says_so_next_to_the_form_and_keeps_the_text(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app))
    text = f"Im Funkloch {secrets.token_hex(3)}"
    write(citizen, text, send=False)
    citizen.execute_cdp_cmd("Network.enable", {})
    citizen.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                 "downloadThroughput": -1, "uploadThroughput": -1})
    try:
        citizen.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
        notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, "#discussion .notice--failure"))
        assert notice.is_displayed() and in_view(citizen, notice)
        assert notice.get_attribute("role") == "alert"
        assert "nicht erreichbar" in notice.text and "Ihr Text steht noch im Feld." in notice.text
        assert "Internetverbindung" not in notice.text  # it may be our server: not blamed on the reader's line
        wait(citizen, lambda: active(citizen) == notice)
        assert citizen.find_element(By.CSS_SELECTOR, "#comment-form textarea").get_attribute("value") == text
        settled(citizen, "comment sent offline")
    finally:
        citizen.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                                     "downloadThroughput": -1, "uploadThroughput": -1})
    # Back online, the same button works and the notice goes.
    citizen.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
    wait(citizen, lambda: citizen.find_element(By.XPATH, f"//article[contains(., '{text}')]"))
    assert not citizen.find_elements(By.CSS_SELECTOR, ".notice--failure")


def test_a_rating_offline_says_so_next_to_the_buttons(citizen, server_url, app):
    comment = others_comment(app, f"Offline bewerten {secrets.token_hex(3)}")
    log_in(citizen, server_url, make_user(app))
    citizen.execute_cdp_cmd("Network.enable", {})
    citizen.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                 "downloadThroughput": -1, "uploadThroughput": -1})
    citizen.find_element(By.ID, f"rate-{comment}-agree").click()
    notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, f"#comment-{comment} .notice--failure"))
    wait(citizen, lambda: active(citizen) == notice)
    assert "Ihr Text" not in notice.text  # nothing was typed
    settled(citizen, "rating offline")


def test_an_answer_that_is_not_swapped_is_explained_and_the_text_kept(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app))
    citizen.execute_script("document.querySelector('#comment-form textarea').value = 'x'.repeat(1100000);")
    citizen.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()  # 413: too large
    notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, "#discussion .notice--failure"))
    assert "zu groß" in notice.text and notice.get_attribute("role") == "alert"
    wait(citizen, lambda: active(citizen) == notice)
    assert len(citizen.find_element(By.CSS_SELECTOR, "#comment-form textarea").get_attribute("value")) == 1100000
    settled(citizen, "413 with htmx")


def test_a_timeout_is_said_next_to_the_form(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app))
    citizen.execute_script("htmx.config.timeout = 1;")
    text = f"Zu langsam {secrets.token_hex(3)}"
    write(citizen, text)
    notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, "#discussion .notice--failure"))
    assert "nicht rechtzeitig" in notice.text
    wait(citizen, lambda: active(citizen) == notice)
    assert citizen.find_element(By.CSS_SELECTOR, "#comment-form textarea").get_attribute("value") == text
    settled(citizen, "timeout")


def test_the_notices_speak_the_readers_language(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app), own_chapter("failures", "einfach"))
    citizen.execute_cdp_cmd("Network.enable", {})
    citizen.execute_cdp_cmd("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                                 "downloadThroughput": -1, "uploadThroughput": -1})
    write(citizen, "Hallo")
    notice = wait(citizen, lambda: citizen.find_element(By.CSS_SELECTOR, ".notice--failure"))
    assert "Oder wir haben ein Problem." in notice.text and "Ihr Text ist noch da." in notice.text


# Item 20 (part): the title says "Fehler:" after an htmx error, as the page without JavaScript does.

def test_the_title_says_error_while_the_form_shows_one(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app))
    assert not citizen.title.startswith("Fehler:")
    write(citizen, " ")
    wait(citizen, lambda: citizen.title.startswith("Fehler: "))
    text = f"Jetzt richtig {secrets.token_hex(3)}"
    write(citizen, text)
    wait(citizen, lambda: citizen.find_element(By.XPATH, f"//article[contains(., '{text}')]"))
    wait(citizen, lambda: not citizen.title.startswith("Fehler:"))
    assert citizen.title.count("Fehler") == 0


# Item 19: a text over the limit is kept whole, counted in the description and refused with the text kept.

def test_a_text_over_the_limit_is_kept_counted_and_refused(reader, server_url, app):
    log_in(reader, server_url, make_user(app))
    field = reader.find_element(By.CSS_SELECTOR, "#comment-form textarea")
    assert field.get_attribute("maxlength") is None
    text = ("Ein langer Absatz. " * 300)[:LIMIT + 100]
    insert_text(reader, field, text)
    assert len(field.get_attribute("value")) == LIMIT + 100  # nothing cut off
    if reader.javascript:
        counter = reader.find_element(By.ID, f"{field.get_attribute('id')}-counter")
        wait(reader, lambda: counter.text == "100 Zeichen zu viel")
        assert counter.get_attribute("aria-live") is None and counter.get_attribute("role") is None
        assert field.get_attribute("id") + "-hint" in field.get_attribute("aria-describedby")
        assert "100 Zeichen zu viel" in description_of(reader, field)
        wait(reader, lambda: reader.find_element(By.ID, "live-region").text == "100 Zeichen zu viel")
    reader.find_element(By.CSS_SELECTOR, "#comment-form button[type=submit]").click()
    wait(reader, lambda: reader.find_elements(By.CSS_SELECTOR, ".error-summary"))
    assert "zu lang" in reader.find_element(By.CSS_SELECTOR, ".error-summary").text
    field = reader.find_element(By.CSS_SELECTOR, "#comment-form textarea")
    assert field.get_attribute("value") == text.strip()
    assert reader.title.startswith("Fehler:")
    if reader.javascript:
        described = field.get_attribute("aria-describedby").split()
        assert described[-1].endswith("-counter") and any(i.endswith("-error") for i in described)
        description = description_of(reader, field)
        assert "zu lang" in description and "100 Zeichen zu viel" in description
        settled(reader, "text over the limit")


def test_the_counter_speaks_only_when_a_threshold_is_crossed(citizen, server_url, app):
    log_in(citizen, server_url, make_user(app))
    field = citizen.find_element(By.CSS_SELECTOR, "#comment-form textarea")
    region = citizen.find_element(By.ID, "live-region")
    field.send_keys("Kurz.")
    time.sleep(1)
    assert region.text == ""  # typing is not read out
    insert_text(citizen, field, "x" * (LIMIT - 400 - 5))  # exactly a tenth left
    wait(citizen, lambda: region.text == "Noch 400 Zeichen übrig")
    field.send_keys("abc")
    assert citizen.find_element(By.ID, "body-counter").text == "Noch 397 Zeichen übrig"
    citizen.execute_script("document.getElementById('live-region').textContent = ''")
    field.send_keys("def")
    time.sleep(1)
    assert region.text == ""  # still within the same band: silent
