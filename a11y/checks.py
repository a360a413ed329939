"""What the walk (a11y/test_walk.py) checks on each page beside axe and IBM, and what the focused tests use.

Each check looks at the page the browser shows now and changes only how it is laid out (DevTools'
emulation of a width, of print, of the dark preference), never what is loaded, so one load of a
page serves all of them: the page at a phone's width (reflow, target sizes), at a desktop's (target
sizes), printed (nothing to operate), and in dark colours (contrast). :func:`layout_problems` runs
them in turn and puts the browser back as it found it.
"""

from __future__ import annotations

from a11y.axe import describe, violations

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


def unemulate(browser):
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


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


#: What a printed page shows that it should not: controls, navigation and screen-only parts.
ON_PAPER = """
const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
const what = e => e.outerHTML.slice(0, 100);
const operable = [...document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, nav, form, .skip-link, .counter, .rating, .comment__links')]
  .filter(shown).map(what);
// A link's words must read as text: the colour of the text around it, never a pale link colour.
const faint = [...document.querySelectorAll('main a[href]')].filter(shown)
  .filter(a => getComputedStyle(a).color !== getComputedStyle(a.parentElement).color).map(what);
const page = getComputedStyle(document.documentElement).backgroundColor;
return {operable, faint, page, h1: !!document.querySelector('h1') && shown(document.querySelector('h1'))};
"""


def printing(browser, dark: bool = False) -> None:
    features = [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print", "features": features})


def screen(browser) -> None:
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})


#: The dark preference, as DevTools emulates it; axe's two contrast rules (AA 4.5:1, AAA 7:1).
DARK = {"media": "", "features": [{"name": "prefers-color-scheme", "value": "dark"}]}
CONTRAST_RULES = ["color-contrast", "color-contrast-enhanced"]


def dark(browser) -> None:
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", DARK)


def contrast_violations(browser) -> list[dict]:
    return violations(browser, rules=CONTRAST_RULES)


def overflow_problems(browser) -> list[str]:
    """Horizontal scrolling, or elements reaching out of the viewport, as it is laid out now."""
    result = browser.execute_script(OVERFLOW)
    if result["scroll"] > result["client"] or result["wide"]:
        return [f"needs horizontal scrolling ({result['scroll']}px in {result['client']}px): {result['wide']}"]
    return []


def target_problems(browser) -> list[str]:
    found = browser.execute_script(TARGETS, MIN_GAP)
    return found["small"] + found["close"]


def print_problems(browser) -> list[str]:
    """Printed (light preference): its heading shown, nothing to operate, no pale links."""
    printing(browser)
    try:
        found = browser.execute_script(ON_PAPER)
    finally:
        screen(browser)
    if found["operable"] or found["faint"] or not found["h1"]:
        return [f"printed: {found}"]
    return []


def layout_problems(browser, desktop: bool) -> list[str]:
    """The page as shown now at 320 CSS pixels (reflow, WCAG 1.4.10; 44px targets 8px apart, 2.5.5) and,
    with ``desktop``, at 1280 (targets), printed, and in dark colours (axe's contrast rules)."""
    problems = []
    emulate(browser, 320)
    try:
        problems += [f"320px: {line}" for line in overflow_problems(browser) + target_problems(browser)]
        if desktop:
            emulate(browser, 1280)
            problems += [f"1280px: {line}" for line in target_problems(browser)]
    finally:
        unemulate(browser)
    if desktop:
        problems += print_problems(browser)
        dark(browser)
        try:
            found = contrast_violations(browser)
        finally:
            screen(browser)
        if found:
            problems.append(f"dark colours:\n{describe(found)}")
    return problems
