"""Keyboard only: the skip link comes first and works; Tab reaches every control in order, visibly."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from a11y.pages import pages

FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])"

# What the focused element looks like: the focus style must differ visibly from the rest.
FOCUS_STYLE = """
const el = document.activeElement, s = getComputedStyle(el);
return {tag: el.tagName, text: (el.textContent || '').trim().slice(0, 60), id: el.id,
        outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
        background: s.backgroundColor, rect: el.getBoundingClientRect().toJSON()};
"""


def press(browser, key):
    ActionChains(browser).send_keys(key).perform()


@pytest.fixture()
def keyboard_pages(session):
    wanted = ("home", "project smart-city", "chapter smart-city/", "paragraph smart-city/", "page accessibility", "not found")
    return [p for p in pages(session) if p.label.startswith(wanted)][:8]


def test_skip_link_is_first_visible_on_focus_and_moves_focus_to_main(js_browser, server_url, keyboard_pages):
    for page in keyboard_pages:
        js_browser.get(server_url + page.url("de"))
        press(js_browser, Keys.TAB)
        focused = js_browser.execute_script(FOCUS_STYLE)
        assert "skip-link" in js_browser.switch_to.active_element.get_attribute("class"), page.label
        assert focused["rect"]["top"] >= 0 and focused["rect"]["height"] >= 24, page.label
        press(js_browser, Keys.ENTER)
        assert js_browser.switch_to.active_element.get_attribute("id") == "main", page.label
        # The next Tab continues inside main, not back at the header.
        press(js_browser, Keys.TAB)
        inside = js_browser.execute_script("return document.getElementById('main').contains(document.activeElement)")
        assert inside, page.label


def test_tab_reaches_every_control_in_order_with_visible_focus(js_browser, server_url, keyboard_pages):
    for page in keyboard_pages:
        js_browser.get(server_url + page.url("de"))
        expected = js_browser.execute_script(
            f"return [...document.querySelectorAll(\"{FOCUSABLE}\")].filter(e => e.getClientRects().length || e.classList.contains('skip-link'))"
        )
        unfocused = {}
        for element in expected:
            unfocused[element.id] = element.value_of_css_property("background-color")
        reached = []
        for _ in range(len(expected)):
            press(js_browser, Keys.TAB)
            active = js_browser.switch_to.active_element
            style = js_browser.execute_script(FOCUS_STYLE)
            assert style["outline"], f"{page.label}: no visible focus on {style['tag']} {style['text']!r}"
            reached.append(active)
        assert reached == expected, page.label
