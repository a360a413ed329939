"""The strict Content-Security-Policy breaks nothing: no violation while reading and taking part with htmx."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from a11y.conftest import make_browser
from a11y.pages import own_chapter
from tests.support import PASSWORD, make_user


def test_no_policy_violation_while_reading_and_commenting(server_url, app):
    browser = make_browser(javascript=True)
    try:
        user = make_user(app)
        browser.get(f"{server_url}/de/account/login?next={own_chapter('csp')}")
        browser.find_element(By.ID, "email").send_keys(user.email)
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        # The login page's address names the target too (?next=…): wait for the target page itself.
        WebDriverWait(browser, 10).until(lambda b: urlsplit(b.current_url).path == own_chapter("csp")
                                         and b.execute_script("return document.readyState") == "complete")
        assert "js-enabled" in browser.find_element(By.TAG_NAME, "html").get_attribute("class")
        assert browser.execute_script("return typeof htmx") == "object"
        text = f"Mit Sicherheitsrichtlinie {secrets.token_hex(3)}"
        browser.find_element(By.ID, "body").send_keys(text)
        browser.find_element(By.CSS_SELECTOR, "#comment-form button").click()
        WebDriverWait(browser, 10).until(lambda b: text in b.find_element(By.ID, "comment-list").text)
        messages = [entry["message"] for entry in browser.get_log("browser")]
        assert not [m for m in messages if "Content Security Policy" in m or "Refused to" in m], messages
    finally:
        browser.quit()
