"""axe-core (from npm) over every page and state, in every language mode, with JavaScript on and off.

Fails on any violation of the WCAG 2.0/2.1/2.2 A and AA rules, the AAA rules axe
has (7:1 contrast among them: our aim) and axe's best practices.
"""

from __future__ import annotations

import json
from pathlib import Path

from axe_selenium_python import Axe

from a11y.conftest import open_page
from a11y.pages import all_urls

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "wcag2aaa", "best-practice"]


def describe(violations: list[dict]) -> str:
    """A short, readable report: rule, impact and the offending elements."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def scan(browser, url: str) -> dict:
    """Load ``url`` (with or without page scripts) and run axe over the whole page."""
    open_page(browser, url)
    axe = Axe(browser, script_url=str(AXE_SCRIPT))
    axe.inject()
    return axe.run(options=json.dumps({"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}))


def test_axe_finds_no_violation_on_any_page(browser, server_url, session):
    failures = []
    urls = all_urls(session)
    for path, _page in urls:
        results = scan(browser, server_url + path)
        if results["violations"]:
            failures.append(f"{path}:\n{describe(results['violations'])}")
        if not browser.javascript:
            # Proof that page scripts really did not run.
            assert "no-js" in browser.find_element("tag name", "html").get_attribute("class")
    assert not failures, f"{len(failures)} of {len(urls)} pages:\n" + "\n".join(failures)


def test_axe_itself_catches_a_violation(browser, server_url):
    """Guard against a silent harness: a page with a known fault must fail."""
    open_page(browser, server_url + "/de/")
    browser.execute_script("document.querySelector('h1').insertAdjacentHTML('afterend', '<img src=\"/x.png\">')")
    axe = Axe(browser, script_url=str(AXE_SCRIPT))
    axe.inject()
    results = axe.run()
    assert "image-alt" in [v["id"] for v in results["violations"]]
