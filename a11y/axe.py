"""axe-core from npm, run over whatever the browser shows now (a page, or the page after a swap)."""

from __future__ import annotations

import json
from pathlib import Path

from a11y.engines import scripts_for_the_checks

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
#: The version in node_modules: an axe already in the page is used only if it is this one.
AXE_VERSION = json.loads((AXE_SCRIPT.parent / "package.json").read_text(encoding="utf-8"))["version"]
#: WCAG 2.0-2.2 A and AA, the AAA rules axe has (7:1 contrast among them), and best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "wcag2aaa", "best-practice"]

#: axe.run over the document with the options given; ``null`` when the page has no axe (of our version) yet.
RUN = """
const done = arguments[arguments.length - 1];
if (!window.axe || window.axe.version !== arguments[1]) { done(null); return; }
window.axe.run(arguments[0]).then(results => done(results.violations), error => done({error: String(error)}));
"""


def violations(browser, rules: list[str] | None = None) -> list[dict]:
    """axe's violations on the current state of the page: of :data:`TAGS`' rules, or of ``rules`` only.

    axe is injected once per document, and not at all where a11y/engines.py's
    :func:`~a11y.engines.in_every_document` has put it there already. In a browser whose page
    scripts are off (``browser.javascript`` is False), scripting is allowed only while axe runs:
    the page itself was rendered without JavaScript.
    """
    run_only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": TAGS}
    options = {"runOnly": run_only, "resultTypes": ["violations"]}
    with scripts_for_the_checks(browser):
        found = browser.execute_async_script(RUN, options, AXE_VERSION)
        if found is None:
            browser.execute_script(AXE_SCRIPT.read_text(encoding="utf-8"))
            found = browser.execute_async_script(RUN, options, AXE_VERSION)
    if not isinstance(found, list):
        raise RuntimeError(f"axe did not run: {found}")
    return found


def describe(found: list[dict]) -> str:
    """A short, readable report: rule, impact and the offending elements."""
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary'].splitlines()[-1].strip()}")
    return "\n".join(lines)


def assert_accessible(browser, where: str = "") -> None:
    """axe, IBM Equal Access (a11y/ibm.py) and what a screen reader gets (a11y/axtree.py), on the page as it is
    now (after a swap too)."""
    from a11y import ibm
    from a11y.axtree import problems

    found = violations(browser)
    assert not found, f"{where or browser.current_url}:\n{describe(found)}"
    found = ibm.violations(browser)
    assert not found, f"{where or browser.current_url} (IBM Equal Access):\n{ibm.describe(found)}"
    understood = problems(browser)
    assert not understood, f"{where or browser.current_url}:\n  " + "\n  ".join(understood)
