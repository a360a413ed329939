"""The site's own texts describe the site as it is: static pages and interface, in every mode.

Citizens found the Leichte Sprache page, the sign-language transcript and the accessibility
statement still announcing commenting as coming "soon" after it had long been there.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.support import soup
from webapp.i18n import MODES
from webapp.pages.content import PAGES

ROOT = Path(__file__).resolve().parent.parent

#: Words that announce something as not there yet.
SOON = re.compile(r"\bbald\b|\bdemnächst\b|\bin Kürze\b|\bsoon\b|\bshortly\b|\bcoming\b|\bin (?:the )?future\b",
                  re.IGNORECASE)
#: Words for what the site already offers: taking part in the discussion.
TAKING_PART = re.compile(r"kommentier|Kommentar|comment|Meinung|what you think|mitreden|mitmachen|take part"
                         r"|Konto|account|registr|bewert|rate\b|rating|melden|report", re.IGNORECASE)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?:])\s+|\n+", " ".join(text.split(" "))) if s.strip()]


def announcements(text: str) -> list[str]:
    """Sentences of ``text`` that announce taking part as coming."""
    return [s for s in sentences(text) if SOON.search(s) and TAKING_PART.search(s)]


def interface_strings() -> list[str]:
    """Every interface string in English and in both catalogs."""
    strings = []
    for locale in ("de", "de@simple"):
        with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
            for message in read_po(handle):
                if message.id:
                    strings += [message.id] if isinstance(message.id, str) else list(message.id)
                    strings += [message.string] if isinstance(message.string, str) else list(message.string)
    return [s for s in strings if s]


def test_the_finding_is_caught():
    assert announcements("Hier können Sie die Pläne lesen. Bald können Sie hier auch Ihre Meinung aufschreiben.")
    assert announcements("Soon you will also be able to comment on the drafts.")
    assert announcements("Beiträge: Demnächst können Sie Projekte kommentieren.")
    assert not announcements("Auf dieser Seite zeigen wir bald ein Video in Gebärdensprache.")


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("prefix", [mode.prefix for mode in MODES.values()])
def test_no_page_announces_taking_part_as_coming(client, prefix, name):
    html = soup(client.get(f"/{prefix}/{name}"))
    text = html.main.get_text("\n")
    description = html.find("meta", attrs={"name": "description"})["content"]
    found = announcements(text) + announcements(description)
    assert not found, found


def test_no_interface_string_announces_taking_part_as_coming():
    found = [s for s in interface_strings() if announcements(s)]
    assert not found, found


#: What the easy-read page walks through, in the interface's own words: account steps by msgid ...
STEPS = ("Log in", "Create an account", "Create account", "Confirm email address", "Publish comment",
         "Send report", "Your account")
#: ... and a comment's actions as the discussion labels them (webapp.comments.labels).
ACTIONS = ("reply", "agree", "disagree", "report", "edit", "delete")


def interface_words(app, prefix: str) -> list[str]:
    """The words of STEPS and ACTIONS as a reader in mode ``prefix`` sees them."""
    from flask_babel import gettext

    from webapp.comments.labels import comment_labels

    with app.test_request_context(f"/{prefix}/"):
        labels = comment_labels()
        return [gettext(msgid) for msgid in STEPS] + [getattr(labels, action) for action in ACTIONS]


@pytest.mark.parametrize("prefix", [mode.prefix for mode in MODES.values()])
def test_the_easy_read_page_names_the_buttons_as_the_interface_does(app, client, prefix):
    """Register, comment, rate and report step by step: a renamed button makes the page stale."""
    text = " ".join(soup(client.get(f"/{prefix}/easy-read")).main.get_text(" ").split())
    words = interface_words(app, prefix)
    assert len(set(words)) == len(words)
    missing = [word for word in words if word not in text]
    assert not missing, f"the easy-read page ({prefix}) does not say {missing}: the interface calls them so"
    assert "JavaScript" in text


@pytest.mark.parametrize("name", ["easy-read", "accessibility"])
@pytest.mark.parametrize("prefix", [mode.prefix for mode in MODES.values()])
def test_easy_read_and_accessibility_explain_both_kinds_of_simple_text(client, prefix, name):
    text = " ".join(soup(client.get(f"/{prefix}/{name}")).main.get_text(" ").split())
    assert "Einfache Sprache" in text and "Leichte Sprache" in text, text[:200]
    if prefix == "en":
        assert "Simple German" in text and "Easy Read" in text
    # The accessibility statement links the easy-read page; the easy-read page points to the switcher.
    html = soup(client.get(f"/{prefix}/{name}"))
    if name == "accessibility":
        assert html.main.find("a", href=f"/{prefix}/easy-read")
