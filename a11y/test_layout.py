"""Reflow at 320 CSS pixels and text at 200%: nothing needs horizontal scrolling or gets cut off."""

from __future__ import annotations

import pytest

from a11y.pages import pages
from a11y.walk import MODES, every_state, own_browser  # noqa: F401  (a fixture)

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


@pytest.mark.slow
def test_every_page_reflows_at_320_pixels(narrow, server_url, session):
    problems = []
    for page in pages(session):
        for prefix in ("de", "en", "einfach"):
            narrow.get(server_url + page.url(prefix))
            result = narrow.execute_script(OVERFLOW)
            if result["scroll"] > result["client"] or result["wide"]:
                problems.append((page.url(prefix), result))
    assert not problems


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


#: Every link and control a pointer can hit, minus what no one sees (the honeypot, hidden text,
#: the skip link until it is focused).
TARGETS = """
const SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
const MIN_SIZE = 44, MIN_GAP = arguments[0];
const shown = e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden'
  && !e.closest('.visually-hidden, .hp') && !e.classList.contains('skip-link');
// The box a piece of inline content lines up in: the nearest ancestor that is not plain inline.
const blockOf = n => { let b = n.parentElement;
  while (b && ['inline', 'contents'].includes(getComputedStyle(b).display)) b = b.parentElement; return b; };
// WCAG 2.5.5's "inline" exception: a link that flows in a line of running text (display inline,
// and its block holds words of its own that are not targets or hidden). A link styled as a
// block or inline-block, or alone in its paragraph or list item, stands alone and is measured.
function inline(e) {
  if (getComputedStyle(e).display !== 'inline') return false;
  const block = blockOf(e), walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
  for (let n; (n = walker.nextNode());) {
    const words = /[\\p{L}\\p{N}]/u.test(n.data);
    if (words && blockOf(n) === block && !n.parentElement.closest(SELECTOR + ', .visually-hidden')) return true;
  }
  return false;
}
const describe = e => (e.outerHTML.slice(0, 110) + ' "' + (e.innerText || e.value || '').trim().slice(0, 40) + '"');
const targets = [...document.querySelectorAll(SELECTOR)].filter(shown)
  .map(e => ({e, inline: inline(e), rects: [...e.getClientRects()]}));
const small = targets.filter(t => !t.inline && !t.rects.some(r => r.width >= MIN_SIZE - 0.5 && r.height >= MIN_SIZE - 0.5))
  .map(t => { const r = t.e.getBoundingClientRect(); return `${Math.round(r.width)}x${Math.round(r.height)} ${describe(t.e)}`; });
const gap = (a, b) => Math.max(b.left - a.right, a.left - b.right, b.top - a.bottom, a.top - b.bottom);
const close = [];
targets.forEach((a, i) => targets.slice(i + 1).forEach(b => {
  if ((a.inline && b.inline) || a.e.contains(b.e) || b.e.contains(a.e)) return;
  const d = Math.min(...a.rects.flatMap(ra => b.rects.map(rb => gap(ra, rb))));
  if (d < MIN_GAP) close.push(`${d.toFixed(1)}px apart: ${describe(a.e)} | ${describe(b.e)}`);
}));
return {small, close};
"""
#: Space between two targets (at least one of them outside running text), so that a slip
#: of the finger hits neither rather than the wrong one ("Delete" beside "Keep").
MIN_GAP = 8


#: The target walk in parts that pytest-xdist can run side by side (as one test it took close to a minute):
#: width, modes, and whether the pages seen logged out and those seen logged in are in.
TARGET_PARTS = {
    "320px-logged-out": (320, MODES, True, False),
    "320px-logged-in": (320, MODES, False, True),
    "1280px": (1280, ("de",), True, True),
}


@pytest.mark.slow
@pytest.mark.parametrize("part", TARGET_PARTS)
def test_targets_are_44_pixels_and_apart(own_browser, server_url, session, part):
    """AAA target size (WCAG 2.5.5) for every link and control that stands alone, on every page
    and state in every mode, on a phone and at desktop width (German); and no two targets touching.
    The parts (:data:`TARGET_PARTS`) together are that walk.

    The one exception is 2.5.5's: a link that flows inside running text (an inline link whose
    line holds words of its own) is as tall as the line. Everything else, a link alone in a
    paragraph or list item included, must offer 44×44 CSS pixels and keep 8 pixels from its
    neighbours. (The old check skipped every link in a ``<p>``, so it missed "Back to the
    discussion", and it measured height only, so it missed the 37px-wide "Link".)
    """
    width, modes, logged_out, logged_in = TARGET_PARTS[part]
    problems = []
    emulate(own_browser, width)
    try:
        for where in every_state(own_browser, server_url, session, modes, logged_out, logged_in):
            found = own_browser.execute_script(TARGETS, MIN_GAP)
            problems += [f"{width}px {where}: {line}" for line in found["small"] + found["close"]]
    finally:
        own_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


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
