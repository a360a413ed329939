"""Authors' Markdown becomes safe HTML: no markup or script gets through."""

import pytest
from bs4 import BeautifulSoup

from webapp.markdown import ALLOWED_TAGS, render


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "<svg onload=alert(1)>",
        '<a href="https://example.org" onclick="alert(1)">x</a>',
        "<iframe src=https://example.org></iframe>",
        "![x](https://example.org/tracker.png)",
    ],
)
def test_no_markup_or_script_gets_through(source):
    tree = BeautifulSoup(str(render(source)), "html.parser")
    for element in tree.find_all(True):
        assert element.name in ALLOWED_TAGS
        assert not [name for name in element.attrs if name.startswith("on")]
        assert not element.get("href", "").lower().startswith("javascript:")


def test_links_keep_safe_schemes_and_get_rel():
    html = str(render("[Mail](mailto:a@example.org) [Web](https://example.org)"))
    assert 'href="mailto:a@example.org"' in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer"' in html


def test_headings_are_shifted_below_the_page_heading():
    html = str(render("# Top\n\n## Sub", lowest_heading=2))
    assert "<h2>Top</h2>" in html and "<h3>Sub</h3>" in html
    assert "<h1" not in str(render("# Only", lowest_heading=2))


def test_lists_and_emphasis_render():
    html = str(render("- **bold** and *italic*"))
    assert "<ul>" in html and "<strong>bold</strong>" in html and "<em>italic</em>" in html
