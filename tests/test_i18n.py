"""Three language modes: complete catalogs, locale formats, and authors' texts per mode."""

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.support import soup

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ["de", "de@simple"]


def source_msgids() -> set[str]:
    """Every interface string in the code and templates, as pybabel extracts them."""
    method_map = [("webapp/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, keywords=keywords, options_map={"templates/**.html": {}, "templates/**.txt": {}}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


@pytest.mark.parametrize("locale", CATALOGS)
def test_catalog_is_complete_and_current(locale):
    """A missing entry would show English inside a German page (simple falls back to English)."""
    with open(ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalog = read_po(handle)
    entries = {m.id if isinstance(m.id, str) else m.id[0]: m for m in catalog if m.id}
    missing = source_msgids() - set(entries)
    assert not missing, f"run `flask translate update`: {sorted(missing)}"
    untranslated = [m.id for m in entries.values()
                    if m.fuzzy or not (m.string if isinstance(m.string, str) else all(m.string))]
    assert not untranslated


def test_simple_german_differs_from_german_where_it_should(client):
    german = soup(client.get("/de/projects/radverkehr")).get_text()
    simple = soup(client.get("/einfach/projects/radverkehr")).get_text()
    assert german != simple


@pytest.mark.parametrize(
    ("prefix", "month"),
    [("de", ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"]),
     ("en", ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"])],
)
def test_dates_are_formatted_for_the_locale(client, prefix, month):
    times = soup(client.get(f"/{prefix}/projects/smart-city")).select(".timeline time")
    assert times and all(any(name in t.get_text() for name in month) for t in times)


def test_authors_texts_come_in_each_mode(client):
    titles = {p: soup(client.get(f"/{p}/projects/smart-city")).h1.get_text() for p in ("de", "en", "einfach")}
    assert len(set(titles.values())) >= 2
    assert soup(client.get("/en/projects/smart-city")).find(class_="notice--language") is None


def test_english_dates_are_british_and_name_the_time_zone(client):
    """Day before month, 24-hour clock, and whose clock: readers abroad must not guess."""
    import re

    times = [t.get_text() for t in soup(client.get("/en/projects/smart-city/chapters/teilhabe")).select("#discussion time")]
    with_time = [t for t in times if ":" in t]
    assert with_time and all(re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d\d:\d\d \(Berlin time\)", t) for t in with_time), with_time
    german = [t.get_text() for t in soup(client.get("/de/projects/smart-city/chapters/teilhabe")).select("#discussion time")]
    assert all(re.fullmatch(r"\d{1,2}\. [A-ZÄÖÜ][a-zäöü]+ \d{4}, \d\d:\d\d Uhr", t) for t in german if ":" in t), german


def test_template_words_are_kept_per_locale_and_follow_a_forced_one(app):
    """``_()`` in templates keeps each word per locale (webapp.i18n): German, English and simple German pages, and a
    mail made in another language inside a German request, each get their own."""
    from flask import render_template_string
    from flask_babel import force_locale

    words = {}
    for prefix in ("de", "en", "einfach", "de"):
        with app.test_request_context(f"/{prefix}/imprint"):
            app.preprocess_request()
            words.setdefault(prefix, set()).add(render_template_string("{{ _('Audit log') }}"))
            if prefix == "de":
                with force_locale("en_GB"):
                    assert render_template_string("{{ _('Audit log') }}") == "Audit log"
    assert words["de"] == {"Protokoll"} and words["en"] == {"Audit log"}
    assert words["einfach"] != words["de"] and len(words["einfach"]) == 1


def test_template_words_come_out_as_jinjas_own_gettext_makes_them(app):
    """The kept ``_()`` (webapp.i18n) answers what Jinja's newstyle gettext answers: Markup when autoescaping, the
    keywords put in and escaped, ``%%`` a percent sign, the same again from the memo, in every mode."""
    from flask import render_template_string
    from jinja2.ext import _make_new_gettext

    from webapp.i18n import _template_gettext

    stock = _make_new_gettext(_template_gettext)
    template = ("{{ _('Audit log') }}|{{ _('Audit log') }}|{{ _('%(name)s wrote', name='<b>Ada</b>') }}|"
                "{{ _('100%% sure') }}|{% trans %}Audit log{% endtrans %}")
    for prefix in ("de", "en", "einfach"):
        with app.test_request_context(f"/{prefix}/imprint"):
            app.preprocess_request()
            ours = render_template_string(template)
            app.jinja_env.globals.update(gettext=stock, _=stock)
            try:
                theirs = render_template_string(template)
            finally:
                from webapp.i18n import _gettext_in_templates

                app.jinja_env.globals.update(gettext=_gettext_in_templates, _=_gettext_in_templates)
        assert ours == theirs and "&lt;b&gt;Ada" in ours and "100% sure" in ours, (prefix, ours, theirs)


def test_wtforms_own_messages_come_in_the_pages_language(app):
    """A message of WTForms' own (a field type's) reads in the page's language: its catalog is read once per locale
    (webapp.forms), as Flask-WTF would give it on every request."""
    from wtforms import IntegerField

    from webapp.forms import BaseForm

    class Form(BaseForm):
        number = IntegerField("Number")

    said = {}
    for prefix in ("de", "en", "einfach", "de"):
        with app.test_request_context(f"/{prefix}/imprint", method="POST", data={"number": "x"}):
            app.preprocess_request()
            form = Form(meta={"csrf": False})
            assert not form.validate()
            said.setdefault(prefix, set()).add(form.number.errors[0])
    assert said == {"de": {"Keine gültige, ganze Zahl."}, "en": {"Not a valid integer value."},
                    "einfach": {"Keine gültige, ganze Zahl."}}
