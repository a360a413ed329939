"""The static pages' view."""

from __future__ import annotations

from flask import url_for

from ..htmx import render
from ..i18n import LanguageMode
from . import bp
from .content import has_video, page_text


@bp.app_template_global("sign_language_video")
def sign_language_video() -> bool:
    """Whether the sign-language page has its video (the main menu names the page only then)."""
    return has_video("sign-language")

# Placeholders authors may use for links between the static pages.
_LINKS = {"{accessibility}": "accessibility", "{easy_read}": "easy-read", "{sign_language}": "sign-language",
          "{privacy}": "privacy", "{imprint}": "imprint", "{terms}": "terms"}


@bp.get("/<any(imprint, privacy, terms, accessibility, \"easy-read\", \"sign-language\"):name>")
def show(mode: LanguageMode, name: str):
    """A static page in the reader's mode, with in-site links resolved for that mode."""
    page = page_text(name, mode.key)
    body = page.text.body
    for placeholder, target in _LINKS.items():
        body = body.replace(placeholder, url_for("pages.show", name=target))
    return render("pages/page.html", name=name, page=page, body=body)
