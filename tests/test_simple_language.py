"""Einfache Sprache stays simple: the simple catalog, the simple texts of the pages and the demo, the rendered pages.

Citizens testing the site found foreign and technical words ("JSON-Datei", "Spam", "Browser"),
long compounds ("Inhaltsverzeichnis"), "Impressum", "Kategorie", a bare "Link" as an action and
date ranges written with a dash. Each finding is one entry below: add the next one there.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from a11y.pages import all_urls
from tests.support import soup

ROOT = Path(__file__).resolve().parent.parent

#: Words and patterns to avoid in simple language, with what to say instead. Grow this list.
AVOID_IN_SIMPLE_LANGUAGE: tuple[tuple[str, str], ...] = (
    (r"\bJSON", "a file format's name: say 'Datei'"),
    (r"Spam", "say 'Werbung' or describe it"),
    (r"Browser", "say what it is: 'das Programm, mit dem Sie Internetseiten ansehen'"),
    (r"Inhalts-?verzeichnis", "say 'Liste mit allen Kapiteln'"),
    (r"Kategorie", "say 'Art' or 'Thema'"),
    (r"Impressum", "say 'Wer macht diese Seite?'"),
    (r"Datenschutz-?erklärung", "say 'Erklärung zum Datenschutz'"),
    (r"Smartphone", "say 'Handy'"),
    (r"\bApps?\b", "say 'Programm'"),
    (r"\bTeam\b", "say 'Gruppe'"),
    (r"^Link$", "'Link' alone as an action: say what it does"),
    (r"\d\.?\s*[–—]\s*\d", "a dash between numbers or dates: say 'bis'"),
    (r"\b(?:\w+\s+)?(?:\d{1,2}\.\s*\w+\s+\d{4})\s*[–—]", "a dash after a date: say 'bis'"),
    (r"\bmelden Sie sich\b.*\ban\b|\bangemeldet\b|\babmelden\b", "logging in is 'einloggen' here: "
                                                                 "'melden' means reporting a comment"),
    (r"[Aa]blehn|lehnt\b|lehnen\b", "a rating is 'dafür' or 'dagegen': 'ablehnen' reads as rejecting the comment"),
    (r"[Rr]egistrier", "say 'ein Konto anlegen'"),
    (r"Sonderzeichen|Steuerzeichen", "say 'Zeichen, die man nicht sehen kann'"),
    (r"angefordert|anfordern", "say what they wanted: 'Sie wollten kein neues Passwort?'"),
)

#: Longer words are compounds a reader has to take apart: split them ("Erklärung zum Datenschutz").
MAX_WORD_LENGTH = 18
#: Names of offices and titles, each explained where it is used; they may be long.
LONG_NAMES = {"Landesdurchsetzungsstelle", "Landesverwaltungsamt", "Landesbeauftragte", "Landesbeauftragten",
              "Informationsfreiheit", "Oberbürgermeisterin"}


def simple_catalog() -> list[tuple[str, str]]:
    """(msgid, msgstr) of every entry of the simple catalog, one pair per plural form."""
    with open(ROOT / "translations" / "de@simple" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        pairs += [(msgid, string) for string in strings if string]
    return pairs


def _simple_strings(data, path: str):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _simple_strings(value, f"{path}.{key}")
    elif isinstance(data, list):
        for number, value in enumerate(data):
            yield from _simple_strings(value, f"{path}.{number}")
    elif isinstance(data, str) and ".simple." in f"{path}.":
        yield path, data


def simple_texts() -> list[tuple[str, str]]:
    """(where, text) of every simple-mode text of the static pages and of the demo content."""
    texts = []
    for folder in (ROOT / "webapp" / "pages" / "content", ROOT / "webapp" / "demo" / "content"):
        for file in sorted(folder.glob("*.toml")):
            data = tomllib.loads(file.read_text(encoding="utf-8"))
            texts += [(f"{file.name}{where}", text) for where, text in _simple_strings(data, "")]
    return texts


def problems(text: str) -> list[str]:
    """What in ``text`` simple language avoids, as 'found: advice'."""
    found = []
    for pattern, advice in AVOID_IN_SIMPLE_LANGUAGE:
        match = re.search(pattern, text, re.MULTILINE)
        if match:
            found.append(f"{match.group(0)!r}: {advice}")
    # Addresses and link targets are not words to read.
    words = re.sub(r"\S+@\S+|\]\([^)]*\)|https?://\S+", " ", text)
    for word in re.findall(r"[A-Za-zÄÖÜäöüß]+", words):
        if len(word) > MAX_WORD_LENGTH and word not in LONG_NAMES:
            found.append(f"{word!r}: a long compound, split it or explain it")
    return found


def test_the_simple_catalog_avoids_hard_words():
    found = {msgid: problems(msgstr) for msgid, msgstr in simple_catalog()}
    found = {msgid: p for msgid, p in found.items() if p}
    assert not found, found


def test_the_simple_texts_of_pages_and_demo_avoid_hard_words():
    texts = simple_texts()
    assert any(where.startswith("easy-read.toml") for where, _ in texts)
    assert any(where.startswith("smart-city.toml") for where, _ in texts)
    found = {where: problems(text) for where, text in texts}
    found = {where: p for where, p in found.items() if p}
    assert not found, found


def test_the_list_catches_what_citizens_found():
    """The patterns themselves work: each finding of issue 8 is caught."""
    for finding in ("Ihre Daten herunterladen (JSON-Datei)", "Er ist Werbung oder Spam.", "Ihr Browser hat Daten geschickt",
                    "Inhaltsverzeichnis", "Kategorie (freiwillig)", "Impressum", "Link",
                    "1. März 2026 – 2. April 2026", "Bitte melden Sie sich an.", "Datenschutzerklärung",
                    # the citizens' test of 2026-12-06
                    "Sie haben keinen Link angefordert?", "In Ihrem Text sind unsichtbare Sonderzeichen.",
                    "Sie haben sich nicht registriert?"):
        assert problems(finding), finding
    assert not problems("Vom 1. März 2026 bis zum 2. April 2026. Rufen Sie an: +49 1234 56789-0. Ein Link ist ein Wort.")


def test_a_reason_put_into_its_sentence_ends_with_one_full_stop(app):
    """"Grund: Er passt nicht zum Thema.." (the notice and the mail put a reason's name into a sentence)."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from webapp.moderation.actions import BLOCK_REASON_LABELS
    from webapp.moderation.forms import REASON_LABELS
    from webapp.templating import full_stop

    with app.test_request_context("/einfach/"):
        for locale in ("de", "de@simple", "en"):
            with force_locale(locale):
                for label in [*BLOCK_REASON_LABELS.values(), *REASON_LABELS.values()]:
                    sentence = _("Reason: %(reason)s", reason=full_stop(label))  # as the notice and the mails do
                    assert ".." not in sentence, (locale, sentence)


def test_citizens_meet_one_word_for_the_moderators():
    """The report page and its messages say "die Moderation", as every other page does (not "Moderatoren")."""
    strings = dict(simple_catalog())
    for msgid in ("Only the moderators see your report. They check the comment and decide what happens to it.",
                  "Thank you. The moderators will check this comment.",
                  "You have already reported this comment. The moderators will look at it."):
        assert "Moderatoren" not in strings[msgid] and "Moderation" in strings[msgid], msgid


def test_reporting_and_logging_in_are_different_words():
    """After pressing "report", the login page must not say "melden" for logging in."""
    strings = dict(simple_catalog())
    assert "melden" not in strings["Log in"].lower() and "melden" not in strings["Log out"].lower()
    assert "melden" in strings["Report"].lower()
    assert "melden" not in strings["Please log in to report a comment."].split("?")[-1]


def _rendered_simple_text(html) -> str:
    """The page's readable text without what users wrote (comments, names) or addresses."""
    for element in html.select(".comment__body, .comment__author, bdi, .quote, blockquote, textarea, address"):
        element.decompose()
    return html.main.get_text(" ") + " " + html.header.get_text(" ") + " " + html.footer.get_text(" ")


@pytest.mark.parametrize("check", ["dash", "words"])
def test_every_simple_page_as_rendered_avoids_hard_words(client, session, check):
    """Catches what the templates add around the texts, e.g. a dash between two dates."""
    checked = 0
    for url, page in all_urls(session):
        if not url.startswith("/einfach/") or page.user or page.submit:
            continue
        html = soup(client.get(url))
        if html.find(class_="notice--language"):
            continue  # a German text shown in place of a missing simple one
        text = " ".join(_rendered_simple_text(html).split())
        found = problems(text)
        if check == "dash":
            found = [p for p in found if "dash" in p]
        else:
            found = [p for p in found if "dash" not in p and "long compound" not in p]
        assert not found, (url, found)
        checked += 1
    assert checked > 10


def test_date_ranges_say_bis_in_simple_language(client):
    home = soup(client.get("/einfach/"))
    dates = [" ".join(p.get_text(" ").split()) for p in home.select(".card .dates")]
    assert dates and all(" bis zum " in d and "–" not in d for d in dates), dates
    project = soup(client.get("/einfach/projects/smart-city"))
    phases = [" ".join(p.get_text(" ").split()) for p in project.select(".timeline .dates")]
    assert phases and all(d.startswith("Vom ") and " bis zum " in d for d in phases), phases
    english = soup(client.get("/en/projects/smart-city")).select_one(".timeline .dates").get_text(" ")
    assert " to " in english
