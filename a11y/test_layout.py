"""Reflow at 320 CSS pixels and text at 200%: nothing needs horizontal scrolling or gets cut off."""

from __future__ import annotations

import pytest

from a11y.pages import pages

OVERFLOW = """
const doc = document.documentElement;
const wide = [...document.querySelectorAll('body *')].filter(e => {
  const r = e.getBoundingClientRect(); return r.width > 0 && (r.right > doc.clientWidth + 1 || r.left < -1);
}).filter(e => !e.closest('.visually-hidden, .skip-link, .hp')).slice(0, 5).map(e => e.outerHTML.slice(0, 120));
return {scroll: doc.scrollWidth, client: doc.clientWidth, wide};
"""


def emulate(browser, width: int, height: int = 800):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


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


def test_every_page_reflows_at_320_pixels(narrow, server_url, session):
    problems = []
    for page in pages(session):
        for prefix in ("de", "en", "einfach"):
            narrow.get(server_url + page.url(prefix))
            result = narrow.execute_script(OVERFLOW)
            if result["scroll"] > result["client"] or result["wide"]:
                problems.append((page.url(prefix), result))
    assert not problems


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


def test_targets_are_at_least_44_pixels(js_browser, server_url, session):
    """AAA target size for controls outside running text.

    Links inside sentences and authors' text blocks (``.prose``, paragraphs) are the
    "inline" exception of WCAG 2.5.5 and are not measured.
    """
    small = []
    for page in pages(session):
        js_browser.get(server_url + page.url("de"))
        small += js_browser.execute_script("""
          return [...document.querySelectorAll('a[href], button, input, select, textarea, summary')]
            .filter(e => !e.closest('.prose, .chapter-text .paragraph > :not(.paragraph__link), p:not(.paragraph__link):not(.read-first):not(.next-step), .visually-hidden, .hp') && !e.classList.contains('skip-link'))
            .filter(e => { const r = e.getBoundingClientRect(); return r.width && r.height < 44; })
            .map(e => location.pathname + ': ' + e.outerHTML.slice(0, 100));
        """)
    assert not small


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
