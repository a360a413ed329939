"""Printing: a page prints as a document, the text and the comments, with nothing to operate.

The browser lays the page out for print (DevTools' media emulation, the same styles a
real print uses); then nothing may show that only works on a screen: no form control,
no menu or other navigation, no skip link, counter or rating.
"""

from __future__ import annotations

import pytest

from a11y.pages import participant_pages
from a11y.walk import every_state, own_browser  # noqa: F401  (a fixture)

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


def test_a_chapter_prints_its_text_and_comments_only(own_browser, server_url, session):
    """The reader's case: logged in (so the comment form, ratings and counters are there), print."""
    from a11y.conftest import log_in_as_participant

    chapter = next(p for p in participant_pages(session) if p.label == "chapter, logged in")
    log_in_as_participant(own_browser, server_url)
    try:
        own_browser.get(server_url + chapter.url("de"))
        on_screen = own_browser.execute_script(ON_PAPER)
        assert on_screen["operable"], "the page has controls on screen: the check below means something"
        for dark in (False, True):
            printing(own_browser, dark)
            found = own_browser.execute_script(ON_PAPER)
            assert not found["operable"], found["operable"]
            assert not found["faint"], found["faint"]
            assert found["page"] in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)"), f"dark={dark}: printed on {found['page']}"
            texts = own_browser.execute_script("""
              const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
              return {paragraphs: [...document.querySelectorAll('.chapter-text .paragraph')].map(shown),
                      comments: [...document.querySelectorAll('.comment')].map(shown),
                      bodies: [...document.querySelectorAll('.comment__body')].map(e => shown(e) && e.innerText.trim().length > 0),
                      authors: [...document.querySelectorAll('.comment__author')].map(shown)};
            """)
            assert texts["paragraphs"] and all(texts["paragraphs"]), "the chapter's text is printed"
            meta = own_browser.execute_script("return document.querySelector('.chapter-meta').innerText.trim()")
            assert not meta.endswith("·") and "· ·" not in meta, f"separators of links not printed: {meta!r}"
            assert texts["comments"] and all(texts["comments"] + texts["bodies"] + texts["authors"]), "the comments are printed"
            screen(own_browser)
    finally:
        screen(own_browser)
        own_browser.delete_all_cookies()


@pytest.mark.slow
def test_no_page_prints_controls_or_navigation(own_browser, server_url, session):
    """Every page and state (German mode), printed: its heading, and nothing to operate."""
    problems = []
    for where in every_state(own_browser, server_url, session, modes=("de",)):
        printing(own_browser)
        try:
            found = own_browser.execute_script(ON_PAPER)
        finally:
            screen(own_browser)
        if found["operable"] or found["faint"] or not found["h1"]:
            problems.append(f"{where}: {found}")
    assert not problems, "\n".join(problems)
