"""Printing: a page prints as a document, the text and the comments, with nothing to operate.

The browser lays the page out for print (DevTools' media emulation, the same styles a
real print uses); then nothing may show that only works on a screen: no form control,
no menu or other navigation, no skip link, counter or rating. The walk (a11y/test_walk.py)
prints every page and state in the German mode (a11y/checks.py); here the reader's case in full.
"""

from __future__ import annotations

from a11y.checks import ON_PAPER, printing, screen
from a11y.pages import participant_pages
from a11y.walk import own_browser  # noqa: F401  (a fixture)


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
