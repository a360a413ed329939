"""axe-core from npm, run over whatever the browser shows now (a page, or the page after a swap)."""

from __future__ import annotations

import json
from pathlib import Path

from axe_selenium_python import Axe

AXE_SCRIPT = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
#: WCAG 2.0-2.2 A and AA, the AAA rules axe has (7:1 contrast among them), and best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "wcag2aaa", "best-practice"]


def violations(browser) -> list[dict]:
    """axe's violations on the current state of the page.

    In a browser whose page scripts are off (``browser.javascript`` is False), scripting
    is allowed only while axe runs: the page itself was rendered without JavaScript.
    """
    scripts_off = getattr(browser, "javascript", True) is False
    if scripts_off:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    try:
        axe = Axe(browser, script_url=str(AXE_SCRIPT))
        axe.inject()
        options = json.dumps({"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
        return axe.run(options=options)["violations"]
    finally:
        if scripts_off:
            browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})


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
