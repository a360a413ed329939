"""Authors write Markdown; readers get sanitized HTML.

markdown-it-py renders CommonMark with raw HTML switched off, and nh3 (Ammonia) then
keeps only the tags and URL schemes we allow, so nothing an author types can inject
markup or script. Headings are shifted so an author's ``#`` never competes with the
page's own ``h1``.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h2", "h3", "h4", "h5", "h6", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
ALLOWED_SCHEMES = {"http", "https", "mailto", "tel"}


@lru_cache(maxsize=4096)
def render(text: str, lowest_heading: int = 2) -> Markup:
    """Render ``text`` to safe HTML; its top heading level becomes ``h{lowest_heading}``.

    Cached: the same texts are rendered on every page view.
    """
    tokens = _md.parse(text or "")
    top = min((int(t.tag[1]) for t in tokens if t.type == "heading_open"), default=1)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = int(token.tag[1]) - top + lowest_heading
            token.tag = f"h{min(level, 6)}"
    html = _md.renderer.render(tokens, _md.options, {})
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(cleaned)
