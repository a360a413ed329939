"""What axe (a11y/axe.py) and IBM Equal Access (a11y/ibm.py) need from the browser around them.

Two things, both about time, neither about what the engines check:

:func:`in_every_document` keeps both engines in the browser for a walk over many pages. They are
650 and 690 KB of JavaScript; sent through WebDriver into each page (``execute_script``) they cost
about 0.1 s a page, a quarter of a scan, several hundred times per walk. DevTools'
``Page.addScriptToEvaluateOnNewDocument`` hands them over once; the browser evaluates them at the
start of every document it opens from then on (about 0.015 s for both), and a11y/axe.py and
a11y/ibm.py find them there instead of injecting them. What the page does is not changed by it:
the engines add globals of their own only (``axe``, ``ace``, ``ret_nodes`` and core-js's shared
store) and replace no built-in and no prototype's method (checked on Chromium 156), and scripts
evaluated by DevTools run even where :func:`a11y.conftest.open_page` disabled the page's own.

:func:`scripts_for_the_checks` allows scripting while the engines run, in a browser whose page
scripts are off (a11y/conftest.py's module docstring says why), and switches once for both
engines when a scan runs them in one stretch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def scripts_for_the_checks(browser) -> Iterator[None]:
    """Scripting allowed inside, in a browser marked ``javascript = False``; nothing changes in one with
    JavaScript on. Nested uses switch once, and scripting is off again after the outermost."""
    if getattr(browser, "javascript", True) is not False or getattr(browser, "checks_running", False):
        yield
        return
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    browser.checks_running = True
    try:
        yield
    finally:
        browser.checks_running = False
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})


@contextmanager
def in_every_document(browser, ibm: bool = True) -> Iterator[None]:
    """axe and IBM Equal Access (or axe alone: ``ibm=False``) evaluated at the start of every document the
    browser opens inside (pages opened for logging in and forms sent included); taken out again after, so
    the browser can be reused."""
    from a11y.axe import AXE_SCRIPT
    from a11y.ibm import ACE_SCRIPT

    sources = [AXE_SCRIPT.read_text(encoding="utf-8")]
    if ibm:
        sources.append(ACE_SCRIPT.read_text(encoding="utf-8") + "\n;window.ace = ace;")
    added = []
    try:
        for source in sources:
            added.append(browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": source}))
        yield
    finally:
        for script in added:
            browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script["identifier"]})
