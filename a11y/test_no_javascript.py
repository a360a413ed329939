"""Reading, navigating and switching language with JavaScript off, as a reader would."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from a11y.conftest import make_browser


@pytest.fixture(scope="module")
def no_js():
    browser = make_browser(javascript=False)
    yield browser
    browser.quit()


def click_link(browser, text: str):
    browser.find_element(By.PARTIAL_LINK_TEXT, text).click()


def test_read_a_project_chapter_by_chapter_and_switch_language(no_js, server_url):
    no_js.get(server_url + "/")
    assert no_js.current_url.endswith("/de/")
    assert "no-js" in no_js.find_element(By.TAG_NAME, "html").get_attribute("class")

    click_link(no_js, "Smart-City-Strategie")
    assert no_js.find_element(By.TAG_NAME, "h1").text.startswith("Smart-City-Strategie")
    click_link(no_js, "Bitte zuerst lesen")
    assert "/background" in no_js.current_url
    no_js.find_element(By.CSS_SELECTOR, ".next-step a").click()
    first_title = no_js.find_element(By.TAG_NAME, "h1").text
    assert "/chapters/" in no_js.current_url

    no_js.find_element(By.CSS_SELECTOR, ".pager a[rel=next]").click()
    second_url = no_js.current_url
    assert no_js.find_element(By.TAG_NAME, "h1").text != first_title
    no_js.find_element(By.CSS_SELECTOR, ".pager a[rel=prev]").click()
    assert no_js.find_element(By.TAG_NAME, "h1").text == first_title

    no_js.get(second_url)
    no_js.find_element(By.CSS_SELECTOR, "nav.languages a[hreflang=en]").click()
    assert no_js.current_url == second_url.replace("/de/", "/en/")
    assert no_js.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert no_js.find_element(By.CSS_SELECTOR, ".skip-link").get_attribute("textContent") == "Skip to content"

    no_js.find_element(By.CSS_SELECTOR, ".paragraph__link a").click()
    assert "/paragraph-" in no_js.current_url
    click_link(no_js, "Read this paragraph in its chapter")
    assert "#paragraph-" in no_js.current_url

    no_js.find_element(By.CSS_SELECTOR, "nav.languages li:last-child a").click()
    assert "/einfach/" in no_js.current_url
    assert no_js.find_element(By.CSS_SELECTOR, 'nav.languages a[aria-current="true"]').text == "Einfache Sprache"
