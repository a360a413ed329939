"""Walk through every page and state of a11y/pages.py in one browser: logged out, then as the participant.

For checks that look at what the browser shows (target sizes, print, dark colours) rather
than at axe's rules: each step loads the page (and sends its main form empty for an error
state) and hands back a label for the report.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from a11y.conftest import log_in_as, make_browser, submit_main_form
from a11y.pages import logged_in_pages, pages

MODES = ("de", "en", "einfach")


def every_state(browser, server_url: str, session, modes=MODES, logged_out: bool = True,
                logged_in: bool = True) -> Iterator[str]:
    """Load every page and state in ``modes``; yields ``"url (state)"`` with the page shown.

    Logs the participant, then each staff account in after the public pages and out again at
    the end (cookies cleared), so the browser can be reused. ``logged_out=False`` or
    ``logged_in=False`` leave out the public pages or the logged-in ones: a long walk can be
    two tests that pytest-xdist runs side by side.
    """
    public = [(page.url(mode), page) for page in pages(session) for mode in modes] if logged_out else []
    private = [(page.url(mode), page) for page in logged_in_pages(session) for mode in modes] if logged_in else []
    account = None
    try:
        for path, page in public + private:
            if page.account != account:
                account = page.account
                log_in_as(browser, server_url, account)
            browser.get(server_url + path)
            if page.submit:
                submit_main_form(browser, page.form)
            yield f"{path} ({page.label})"
    finally:
        browser.delete_all_cookies()


@pytest.fixture(scope="module")
def own_browser():
    """A browser of the module's own (JavaScript on): logging in here touches no other test's browser."""
    instance = make_browser(javascript=True)
    instance.javascript = True  # type: ignore[attr-defined]  (read by conftest.open_page)
    yield instance
    instance.quit()
    shutil.rmtree(instance.profile_dir, ignore_errors=True)
