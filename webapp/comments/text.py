"""Comments are plain text: escaped, line breaks kept, links made clickable (nofollow ugc)."""

from __future__ import annotations

from functools import lru_cache

from linkify_it import LinkifyIt
from markupsafe import Markup, escape

_linkify = LinkifyIt(options={"fuzzy_email": False, "fuzzy_ip": False})


def _with_links(text: str) -> Markup:
    matches = _linkify.match(text) or []
    out, position = [], 0
    for match in matches:
        if not match.url.lower().startswith(("http://", "https://")):
            continue
        out.append(escape(text[position:match.index]))
        out.append(Markup('<a href="{}" rel="nofollow ugc noopener">{}</a>').format(match.url, match.text))
        position = match.last_index
    out.append(escape(text[position:]))
    return Markup("").join(out)


@lru_cache(maxsize=2048)
def render(body: str) -> Markup:
    """Paragraphs at blank lines, ``<br>`` at single line breaks, everything else escaped."""
    paragraphs = [p for p in body.split("\n\n") if p.strip()]
    return Markup("").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_with_links(line) for line in paragraph.strip("\n").split("\n")))
        for paragraph in paragraphs
    )
