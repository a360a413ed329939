"""Dark mode (``prefers-color-scheme: dark``): the same contrast as in light.

The walk (a11y/test_walk.py) runs axe's contrast rules (AA 4.5:1 and AAA 7:1) over every page
and state with the dark preference emulated (a11y/checks.py). Here: that the emulation takes
effect, and the focus indicator checked control by control: an outline of 3:1 or more against
what surrounds it, and the focused control's text 7:1 on its focus background.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from a11y.checks import DARK
from a11y.conftest import log_in_as_participant, submit_main_form
from a11y.pages import pages, participant_pages
from a11y.walk import own_browser  # noqa: F401  (a fixture)


@pytest.fixture()
def dark(own_browser):
    own_browser.execute_cdp_cmd("Emulation.setEmulatedMedia", DARK)
    yield own_browser
    own_browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "", "features": []})


def test_dark_mode_is_dark(dark, server_url):
    """The preference takes effect (else the walk's dark check would only repeat the light one)."""
    dark.get(server_url + "/de/")
    page = dark.execute_script("return getComputedStyle(document.body).backgroundColor || ''")
    html = dark.execute_script("return getComputedStyle(document.documentElement).backgroundColor")
    assert luminance(parse(html if page in ("", "rgba(0, 0, 0, 0)") else page)) < 0.05


# ---- the focus indicator in dark mode ----

FOCUSED = """
const e = document.activeElement;
if (!e || e === document.body || e === document.documentElement) return null;
const s = getComputedStyle(e);
let behind = e.parentElement, bg = 'rgba(0, 0, 0, 0)';
for (; behind; behind = behind.parentElement) {
  const c = getComputedStyle(behind).backgroundColor;
  if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') { bg = c; break; }
}
if (!behind) bg = getComputedStyle(document.documentElement).backgroundColor;
return {what: e.outerHTML.slice(0, 90), type: e.type || '', outlineStyle: s.outlineStyle,
        outlineWidth: parseFloat(s.outlineWidth), outline: s.outlineColor, around: bg,
        color: s.color, background: s.backgroundColor};
"""


def parse(css: str) -> tuple[float, float, float]:
    numbers = css[css.index("(") + 1:css.index(")")].replace("/", ",").split(",")
    return tuple(float(n) for n in numbers[:3])  # type: ignore[return-value]


def luminance(rgb) -> float:
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    la, lb = sorted((luminance(parse(a)), luminance(parse(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def focus_problems(browser) -> list[str]:
    """Tab through the page; every stop must show a 3:1 outline and keep its text at 7:1."""
    count = browser.execute_script(
        "return [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]"
        ".filter(e => e.getClientRects().length && !e.closest('.hp')).length")
    problems = []
    for _ in range(count):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        f = browser.execute_script(FOCUSED)
        if f is None:  # between the last control and the first
            continue
        if f["outlineStyle"] == "none" or f["outlineWidth"] < 2:
            problems.append(f"no outline: {f['what']}")
        elif ratio(f["outline"], f["around"]) < 3:
            problems.append(f"outline {f['outline']} on {f['around']}: {ratio(f['outline'], f['around']):.1f}:1 {f['what']}")
        transparent = f["background"].startswith("rgba") and f["background"].endswith(", 0)")
        background = f["around"] if transparent else f["background"]
        if f["type"] not in ("checkbox", "radio") and ratio(f["color"], background) < 7:
            problems.append(f"text {f['color']} on {background}: {ratio(f['color'], background):.1f}:1 {f['what']}")
    return problems


def test_focus_is_visible_in_dark_mode(dark, server_url, session):
    """Keyboard focus on the pages with the most kinds of controls: menus, links, buttons, ratings, fields."""
    wanted = {"home", "chapter smart-city/gemeinsam", "register with errors"}
    public = [p for p in pages(session) if p.label in wanted]
    private = [p for p in participant_pages(session) if p.label in ("chapter, logged in", "report with errors", "delete")]
    problems = []
    try:
        for index, page in enumerate(public + private):
            if index == len(public):
                log_in_as_participant(dark, server_url)
            dark.get(server_url + page.url("de"))
            if page.submit:
                submit_main_form(dark)
            dark.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
            problems += [f"{page.label}: {p}" for p in focus_problems(dark)]
    finally:
        dark.delete_all_cookies()
    assert not problems, "\n".join(problems)
