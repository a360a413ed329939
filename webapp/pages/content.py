"""The static pages' texts: one TOML file per page in ``content/``, one table per mode."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..localized import Localized, pick

CONTENT_DIR = Path(__file__).parent / "content"

#: Page names as they appear in URLs, in the order the footer lists them.
PAGES = ("imprint", "privacy", "terms", "accessibility", "easy-read", "sign-language")


@dataclass(frozen=True)
class PageText:
    """A static page in one language mode."""

    language: str
    title: str
    summary: str
    body: str
    #: A video shown above the text (the sign-language page's), and its captions (WebVTT): addresses or empty.
    video: str = ""
    captions: str = ""


@cache
def _load(name: str) -> tuple[PageText, ...]:
    data = tomllib.loads((CONTENT_DIR / f"{name}.toml").read_text(encoding="utf-8"))
    return tuple(
        PageText(language=key, title=value["title"], summary=value.get("summary", ""), body=value["body"],
                 video=value.get("video", ""), captions=value.get("captions", ""))
        for key, value in data.items()
    )


def has_video(name: str) -> bool:
    """Whether page ``name`` shows a video in some mode: the main menu offers sign language only when it does
    (a menu entry "Gebärdensprache" that leads to a text saying the video is not there yet misleads)."""
    return any(text.video for text in _load(name))


def page_text(name: str, mode_key: str) -> Localized[PageText]:
    """Page ``name`` in ``mode_key`` (or German); read from disk once per process."""
    chosen = pick(_load(name), mode_key)
    if chosen is None:
        raise LookupError(f"static page {name} has no German text")
    return chosen
