"""The walk: every page and state, in every language mode, with JavaScript on and off, each loaded once and
checked by everything that looks at a whole page.

On every load:
- axe-core and IBM Equal Access (both from npm) and what a screen reader gets (a11y/axtree.py). Fails on
  any violation of the WCAG 2.0/2.1/2.2 A and AA rules, the AAA rules axe has (7:1 contrast among them:
  our aim) and axe's best practices; on any violation of IBM's default policy and any potential
  violation of a kind not reviewed (a11y/ibm.py).
- With JavaScript on (what a pointer and a phone meet), a11y/checks.py's layout checks on the same
  load: at 320 CSS pixels no horizontal scrolling and every target 44 pixels and 8 apart, in every
  mode; in the German mode also the targets at 1280 pixels, the printed page (nothing to operate) and
  the dark colours (axe's contrast rules).

Each check was a walk of its own once (axe and IBM, targets in three parts, reflow, print, dark
contrast), and each loaded every page again and logged every account in again: five loads of a page
where one does, which was most of the suite's time.

The walk comes in parts (:data:`PARTS`): as one test per JavaScript setting it held a
pytest-xdist worker for minutes while the other had nothing left to do.
The pages seen logged out make one part per language mode; the pages seen logged in, one
part per account in every mode, so each account still logs in once. A test without a
browser proves that the parts together are the whole walk, each page and state once.
"""

from __future__ import annotations

from collections import Counter

import pytest

from a11y import ibm
from a11y.axe import describe, violations
from a11y.axtree import problems
from a11y.checks import layout_problems
from a11y.conftest import log_in_as, open_page, submit_main_form
from a11y.engines import in_every_document, scripts_for_the_checks
from a11y.pages import BLOCKED, PARTICIPANT, STAFF, Page, all_urls, logged_in_pages, pages
from webapp.i18n import MODES

#: Each part of the walk by name: the account it is seen as (``None``: logged out) and its language
#: mode's prefix (``None``: every mode).
PARTS: dict[str, tuple[str | None, str | None]] = {
    **{f"logged-out-{mode.prefix}": (None, mode.prefix) for mode in MODES.values()},
    **{account.split("@")[0]: (account, None) for account in (PARTICIPANT, *STAFF.values(), BLOCKED)},
}


def part_urls(session, part: str) -> list[tuple[str, Page]]:
    """The pages of one part of the walk, as (url, page)."""
    account, prefix = PARTS[part]
    if account is None:
        return [(page.url(prefix), page) for page in pages(session)]
    return [(page.url(mode.prefix), page) for page in logged_in_pages(session) if page.account == account
            for mode in MODES.values()]


def test_the_parts_cover_every_page_once(session):
    """Together the parts are every page and state in every mode, logged out and as each account that sees
    them, none twice: a page for an account of its own (not in :data:`PARTS`) fails here, not silently."""
    whole = all_urls(session) + [(page.url(mode.prefix), page) for page in logged_in_pages(session)
                                 for mode in MODES.values()]
    parts = {part: part_urls(session, part) for part in PARTS}
    assert all(parts.values()), [part for part, urls in parts.items() if not urls]
    assert Counter(url for urls in parts.values() for url in urls) == Counter(whole)


def scan(browser, path: str, prefix: str) -> list[str]:
    """axe, IBM Equal Access and the accessibility tree over the page shown, and with JavaScript on the layout
    checks (in the German mode all of them); what each finds, as reports."""
    failures = []
    with scripts_for_the_checks(browser):  # scripting on once for both engines (JavaScript off)
        found = violations(browser)
        if found:
            failures.append(f"{path}:\n{describe(found)}")
        found = ibm.violations(browser)
        if found:
            failures.append(f"{path} (IBM Equal Access):\n{ibm.describe(found)}")
    understood = problems(browser)
    if understood:
        failures.append(f"{path} (accessibility tree):\n  " + "\n  ".join(understood))
    if not browser.javascript:
        # Proof that page scripts really did not run.
        assert "no-js" in browser.execute_script("return document.documentElement.className"), path
    else:
        shown = layout_problems(browser, desktop=prefix == "de")
        if shown:
            failures.append(f"{path} (layout):\n  " + "\n  ".join(shown))
    return failures


@pytest.mark.slow
@pytest.mark.parametrize("part", PARTS)
def test_every_page_and_state_passes_every_check(browser, server_url, session, part):
    """Every page and state of one part of the walk: logged out in one mode, or as the demo participant or one
    of the staff (or the blocked participant) in every mode; each load checked by axe, IBM, the tree and (with
    JavaScript on) the layout checks."""
    failures = []
    urls = part_urls(session, part)
    account = PARTS[part][0]
    browser.delete_all_cookies()
    try:
        with in_every_document(browser):  # the engines are there in every page, not sent to each one
            if account:
                log_in_as(browser, server_url, account)
            for path, page in urls:
                open_page(browser, server_url + path)
                if page.submit:
                    try:
                        submit_main_form(browser, page.form)
                    except Exception as error:
                        raise AssertionError(f"{path}: sending the form showed no error summary") from error
                failures += scan(browser, path, prefix=path.split("/")[1])
    finally:
        browser.delete_all_cookies()
    assert not failures, f"{len(failures)} of {len(urls)} pages ({part}):\n" + "\n".join(failures)


def test_axe_itself_catches_a_violation(browser, server_url):
    """Guard against a silent harness: a page with a known fault must fail."""
    open_page(browser, server_url + "/de/")
    browser.execute_script("document.querySelector('h1').insertAdjacentHTML('afterend', '<img src=\"/x.png\">')")
    assert "image-alt" in [v["id"] for v in violations(browser)]


def test_ibm_itself_catches_a_violation(browser, server_url):
    """Guard against a silent harness: checkboxes of one name outside any group, two forms of one name."""
    open_page(browser, server_url + "/de/")
    assert not ibm.violations(browser)
    with scripts_for_the_checks(browser):  # the faults are put in by a script, also where page scripts are off
        browser.execute_script(
            "document.querySelector('main').insertAdjacentHTML('beforeend',"
            " '<form><input type=\"checkbox\" name=\"x\" id=\"x1\"><label for=\"x1\">A</label></form>"
            "<form><input type=\"checkbox\" name=\"x\" id=\"x2\"><label for=\"x2\">B</label></form>"
            "<p>Outside</p>'); document.body.appendChild(document.querySelector('main p:last-child'));")
    found = {r["rule"] for r in ibm.violations(browser)}
    assert {"input_checkboxes_grouped", "aria_form_label_unique", "aria_content_in_landmark"} <= found, found


def test_the_layout_checks_catch_what_they_look_for(js_browser, server_url):
    """Guard: a wide element, a lone small link, a control that prints and grey on dark fail the walk's layout
    checks on the page as loaded (the checks only emulate a width, print and the dark preference)."""
    browser = js_browser
    browser.get(server_url + "/de/")
    assert not layout_problems(browser, desktop=True)
    # Styles through the CSSOM: the page's Content-Security-Policy refuses style attributes and elements.
    browser.execute_script("""
      document.querySelector('main').insertAdjacentHTML('beforeend',
        '<div class="breit">Breit</div><p><a href="#x">Zurück</a></p><p class="dimmed">Grau</p><form><button>Los</button></form>');
      const sheet = new CSSStyleSheet();
      sheet.replaceSync('.breit { width: 400px; } .dimmed { color: #333; }'
        + ' @media (prefers-color-scheme: dark) { .dimmed { color: #444; } }'
        + ' @media print { main form, main button { display: block !important; } }');
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];""")
    found = "\n".join(layout_problems(browser, desktop=True))
    assert "320px: needs horizontal scrolling" in found and "printed:" in found, found
    for width in ("320px", "1280px"):
        assert any(line.startswith(width) and '"Zurück"' in line for line in found.splitlines()), found
    assert ".dimmed" in found[found.index("dark colours:"):], found


def test_the_tree_checks_catch_what_axe_lets_through(browser, server_url):
    """Guard: a repeated id, a nameless field, same-named links to different places, a busy region."""
    open_page(browser, server_url + "/de/")
    assert not problems(browser)
    with scripts_for_the_checks(browser):  # the faults are put in by a script, also where page scripts are off
        browser.execute_script(
            "document.querySelector('main').insertAdjacentHTML('beforeend',"
            " '<p id=\"main\"><input type=\"text\"><a href=\"/de/a\">Mehr</a> <a href=\"/de/b\">Mehr</a></p>"
            "<article aria-label=\"Paula\">1</article><article aria-label=\"Paula\">2</article>"
            "<p>&lt;a href=\"/de/terms\"&gt;Nutzungsbedingungen&lt;/a&gt;</p>"
            "<nav aria-label=\"Seiten\"></nav>');"
            "document.querySelector('main').setAttribute('aria-busy', 'true');")
    found = "\n".join(problems(browser))
    for expected in ("id used 2 times: 'main'", "textbox without an accessible name", "named 'Mehr'",
                     "2 articles named 'Paula'", "left aria-busy", "markup shown as text: '<a href",
                     "navigation with nothing in it"):
        assert expected in found, found
