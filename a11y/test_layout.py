"""Reflow, text at 200%, text spacing and target sizes beyond the walk.

The walk (a11y/test_walk.py) checks every page and state at 320 pixels (reflow, 44px targets) and at
1280 (targets) on the load it scans; here are the cases it does not reach (a classic scrollbar, text
zoom, readers' own spacing) and the guard that the target check catches what it should.
"""

from __future__ import annotations

import pytest

from a11y.checks import MIN_GAP, OVERFLOW, TARGETS, emulate
from a11y.pages import pages
from a11y.walk import MODES, own_browser  # noqa: F401  (a fixture)


@pytest.fixture()
def narrow(js_browser):
    emulate(js_browser, 320)
    yield js_browser
    js_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture()
def zoomed(js_browser):
    emulate(js_browser, 640)
    yield js_browser
    js_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_badges_reflow_beside_a_classic_scrollbar(js_browser, server_url, session):
    """320 pixels with a scrollbar that takes room (a desktop browser made narrow): 305 pixels for the page.
    An indented reply with the staff's badges ("Antwort des Projektteams") must still fit."""
    from sqlmodel import select

    from webapp.models import Comment

    answer = session.exec(select(Comment).where(Comment.official == True)).first()  # noqa: E712
    assert answer is not None  # a11y/conftest.py's moderated_comments
    js_browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 320, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    try:
        problems = []
        for prefix in MODES:
            js_browser.get(f"{server_url}/{prefix}/projects/spielplaetze/comments/{answer.id}")
            result = js_browser.execute_script(OVERFLOW)
            assert result["client"] < 320, "the scrollbar takes room: the check below means something"
            if result["scroll"] > result["client"] or result["wide"]:
                problems.append((prefix, result))
        assert not problems
    finally:
        js_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_text_at_200_percent_still_fits(zoomed, server_url, session):
    """Text resized to 200% (as browser zoom of text only does) on a 640px window."""
    problems = []
    for page in pages(session):
        zoomed.get(server_url + page.url("de"))
        zoomed.execute_script("document.documentElement.style.fontSize = '225%'")  # 2 × our 112.5%
        result = zoomed.execute_script(OVERFLOW)
        if result["scroll"] > result["client"] or result["wide"]:
            problems.append((page.url("de"), result))
    assert not problems


def test_target_check_catches_a_small_or_crowded_target(own_browser, server_url):
    """Guard against a check that passes everything: a lone small link and two touching buttons fail."""
    own_browser.get(server_url + "/de/")
    own_browser.execute_script("""document.querySelector('h1').insertAdjacentHTML('afterend',
      '<p><a href="#x">Zurück</a></p><p>Ein Satz mit <a href="#y">Link</a> im Text.</p>'
      + '<div><button class="button">A</button><button class="button">B</button></div>')""")
    found = own_browser.execute_script(TARGETS, MIN_GAP)
    assert any("Zurück" in line for line in found["small"])
    assert not any('"Link"' in line for line in found["small"])  # inside a sentence: exempt
    assert any('"A"' in line and '"B"' in line for line in found["close"])


TEXT_SPACING = """
const style = document.createElement('style');
style.textContent = `* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
  word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }`;
document.head.appendChild(style);
"""
CLIPPED = """
return [...document.querySelectorAll('body *')].filter(e => {
  const s = getComputedStyle(e);
  return (s.overflow === 'hidden' || s.overflowY === 'hidden') && e.scrollHeight > e.clientHeight + 1
         && !e.closest('.visually-hidden, .hp');
}).map(e => e.outerHTML.slice(0, 120));
"""


def test_text_spacing_overrides_lose_no_content(narrow, server_url, session):
    """WCAG 1.4.12: readers' own spacing (line, letter, word, paragraph) cuts nothing off."""
    problems = []
    for page in pages(session):
        narrow.get(server_url + page.url("de"))
        narrow.execute_script(TEXT_SPACING)
        result = narrow.execute_script(OVERFLOW)
        clipped = narrow.execute_script(CLIPPED)
        if result["scroll"] > result["client"] or result["wide"] or clipped:
            problems.append((page.url("de"), result, clipped))
    assert not problems
