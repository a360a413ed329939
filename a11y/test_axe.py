"""axe-core and IBM Equal Access (both from npm) over every page and state, in every language mode,
with JavaScript on and off.

Fails on any violation of the WCAG 2.0/2.1/2.2 A and AA rules, the AAA rules axe
has (7:1 contrast among them: our aim) and axe's best practices; on any violation of IBM's
default policy and any potential violation of a kind not reviewed (a11y/ibm.py). Both engines
run over the same page load.
"""

from __future__ import annotations

import pytest

from a11y import ibm
from a11y.axe import describe, violations
from a11y.axtree import problems
from a11y.conftest import log_in_as, open_page, submit_main_form
from a11y.pages import all_urls, logged_in_pages
from webapp.i18n import MODES


@pytest.mark.slow
def test_axe_and_ibm_find_no_violation_on_any_page(browser, server_url, session):
    """Every page and state, logged out and then as the demo participant and the staff who see them."""
    failures = []
    urls = all_urls(session)
    user_urls = [(page.url(mode.prefix), page) for page in logged_in_pages(session) for mode in MODES.values()]
    account = None
    for path, page in urls + user_urls:
        if page.account != account:
            account = page.account
            log_in_as(browser, server_url, account)
        open_page(browser, server_url + path)
        if page.submit:
            try:
                submit_main_form(browser, page.form)
            except Exception as error:
                raise AssertionError(f"{path}: sending the form showed no error summary") from error
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
            assert "no-js" in browser.find_element("tag name", "html").get_attribute("class")
    browser.delete_all_cookies()
    assert not failures, f"{len(failures)} of {len(urls) + len(user_urls)} pages:\n" + "\n".join(failures)


def test_axe_itself_catches_a_violation(browser, server_url):
    """Guard against a silent harness: a page with a known fault must fail."""
    open_page(browser, server_url + "/de/")
    browser.execute_script("document.querySelector('h1').insertAdjacentHTML('afterend', '<img src=\"/x.png\">')")
    assert "image-alt" in [v["id"] for v in violations(browser)]


def test_ibm_itself_catches_a_violation(browser, server_url):
    """Guard against a silent harness: checkboxes of one name outside any group, two forms of one name."""
    open_page(browser, server_url + "/de/")
    assert not ibm.violations(browser)
    scripts_off = not browser.javascript
    if scripts_off:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    browser.execute_script(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<form><input type=\"checkbox\" name=\"x\" id=\"x1\"><label for=\"x1\">A</label></form>"
        "<form><input type=\"checkbox\" name=\"x\" id=\"x2\"><label for=\"x2\">B</label></form>"
        "<p>Outside</p>'); document.body.appendChild(document.querySelector('main p:last-child'));")
    if scripts_off:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    found = {r["rule"] for r in ibm.violations(browser)}
    assert {"input_checkboxes_grouped", "aria_form_label_unique", "aria_content_in_landmark"} <= found, found


def test_the_tree_checks_catch_what_axe_lets_through(browser, server_url):
    """Guard: a repeated id, a nameless field, same-named links to different places, a busy region."""
    open_page(browser, server_url + "/de/")
    assert not problems(browser)
    scripts_off = not browser.javascript
    if scripts_off:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    browser.execute_script(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<p id=\"main\"><input type=\"text\"><a href=\"/de/a\">Mehr</a> <a href=\"/de/b\">Mehr</a></p>"
        "<article aria-label=\"Paula\">1</article><article aria-label=\"Paula\">2</article>"
        "<p>&lt;a href=\"/de/terms\"&gt;Nutzungsbedingungen&lt;/a&gt;</p>"
        "<nav aria-label=\"Seiten\"></nav>');"
        "document.querySelector('main').setAttribute('aria-busy', 'true');")
    if scripts_off:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    found = "\n".join(problems(browser))
    for expected in ("id used 2 times: 'main'", "textbox without an accessible name", "named 'Mehr'",
                     "2 articles named 'Paula'", "left aria-busy", "markup shown as text: '<a href",
                     "navigation with nothing in it"):
        assert expected in found, found
