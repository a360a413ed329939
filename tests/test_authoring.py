"""The authoring dashboard (webapp/authoring/): a new project from the starter, its texts in three modes, the
checklist and publishing. As an initiator would do it, through the forms; the audit log records each step."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from sqlmodel import select

from tests.support import TODAY, csrf_token, make_user, soup
from webapp.audit.models import AuditEntry
from webapp.models import Chapter, ChapterText, Organisation, Paragraph, ParagraphText, Project

NEW = "/de/staff/organisations/eichbrunn/projects/new"


def sign_in(client, user):
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = user.get_id(), True


def as_initiator(app, client):
    user = make_user(app, role="initiator")
    sign_in(client, user)
    return user


def send(client, url, page=None, **data):
    return client.post(url, data={"csrf_token": csrf_token(client.get(page or url)), **data})


def project_at(session, slug) -> Project | None:
    session.expire_all()
    return session.exec(select(Project).where(Project.slug == slug)).first()


def entries(session, action, project_id):
    return session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.project_id == project_id)).all()


def new_project(client, **data) -> str:
    slug = data.pop("slug", f"neu-{secrets.token_hex(3)}")
    response = send(client, NEW, title="Neue Radwege", teaser="Wo fehlen Radwege?", slug=slug, **data)
    assert response.status_code == 303, soup(response).select_one(".error-summary")
    assert response.headers["Location"].endswith(f"/de/staff/projects/{slug}/edit#outcome")
    return slug


def texts_form(client, slug) -> dict:
    """What the texts page's form holds as the browser would send it."""
    page = soup(client.get(f"/de/staff/projects/{slug}/edit/texts"))
    fields = {i["name"]: i.get("value", "") for i in page.select("main form input:not([type=hidden])")}
    fields.update({t["name"]: t.get_text().lstrip("\r\n") for t in page.select("main form textarea")})
    return fields


def test_an_initiator_creates_a_draft_from_the_starter(app, client, session):
    me = as_initiator(app, client)
    staff_home = soup(client.get("/de/staff/"))
    assert staff_home.find("a", href=NEW), "the staff home links to the new project page"
    slug = new_project(client)
    project = project_at(session, slug)
    assert not project.published and project.organisation.slug == "eichbrunn"
    assert [p.kind for p in project.phases] == ["information", "commenting", "results"]
    assert all(len(p.texts) == 3 for p in project.phases), "the starter's phases have texts in every mode"
    first, second = project.phases[0], project.phases[1]
    assert first.ends_at < second.starts_at, "one after the other"
    assert project.document is not None and project.document.localized("de").text.title == "Neue Radwege"
    [entry] = entries(session, "project.create", project.id)
    assert entry.actor_id == me.id
    # A draft: the public pages do not know it; the dashboard says what it lacks, linking to each field.
    assert client.get(f"/de/projects/{slug}").status_code == 404
    page = soup(client.get(f"/de/staff/projects/{slug}/edit"))
    assert page.find("h1").get_text(" ", strip=True).startswith("Projekt bearbeiten")
    lacking = {a.get_text(strip=True): a["href"] for a in page.select(".checklist a")}
    assert lacking["Eine Beschreibung auf Deutsch"] == f"/de/staff/projects/{slug}/edit/texts#description_de"
    assert lacking["Mindestens ein Kapitel mit einem Absatz"] == f"/de/staff/projects/{slug}/edit/chapters"
    assert "Ein Titel auf Deutsch" not in lacking
    staff_home = soup(client.get("/de/staff/"))
    assert staff_home.find("a", href=f"/de/staff/projects/{slug}/edit"), "the draft is reached from the staff home"


def test_a_new_project_with_mistakes_comes_back_with_everything_typed(app, client, session):
    as_initiator(app, client)
    response = send(client, NEW, title="", teaser="Ein Anreißer", slug="Radwege 2027!")
    assert response.status_code == 422
    page = soup(response)
    summary = [a.get_text(strip=True) for a in page.select(".error-summary a")]
    assert summary[0] == "Bitte geben Sie einen Titel auf Deutsch ein."
    assert summary[1].startswith("Bitte verwenden Sie nur Kleinbuchstaben")
    assert page.select_one("#teaser").get_text() .strip() == "Ein Anreißer"
    assert page.select_one("#slug")["value"] == "radwege 2027!"
    assert page.select_one("#title")["aria-invalid"] == "true"
    assert page.title.get_text().startswith("Fehler:")
    taken = send(client, NEW, title="Noch eine Strategie", teaser="Ein Anreißer", slug="smart-city")
    assert taken.status_code == 422
    assert "Ein anderes Projekt hat diese Adresse schon" in soup(taken).select_one("#slug-error").get_text()
    assert session.exec(select(Project).where(Project.slug == "smart-city")).one().texts[0].title != "Noch eine Strategie"


def test_the_texts_are_saved_side_by_side_and_a_mode_left_empty_falls_back(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    url = f"/de/staff/projects/{slug}/edit/texts"
    fields = texts_form(client, slug)
    assert fields["title_de"] == "Neue Radwege" and fields["title_en"] == "" and "image_alt_de" not in fields
    fields.update(description_de="Wir planen **neue** Radwege.", background_de="## Warum\n\nWeil.",
                  title_en="New cycle paths", teaser_en="Where are cycle paths missing?")
    response = send(client, url, **fields)
    assert response.status_code == 303 and response.headers["Location"].endswith("#outcome")
    project = project_at(session, slug)
    texts = {t.language: t for t in project.texts}
    assert set(texts) == {"de", "en"}
    assert texts["de"].background == "## Warum\n\nWeil." and texts["en"].title == "New cycle paths"
    [entry] = entries(session, "project.edit", project.id)
    assert "en" in entry.details and "de" in entry.details
    # Half an English version is refused, with everything typed kept and the message naming the field.
    fields = texts_form(client, slug)
    fields.update(title_en="", teaser_simple="Hier geht es um Radwege.")
    response = send(client, url, **fields)
    assert response.status_code == 422
    page = soup(response)
    messages = [a.get_text(strip=True) for a in page.select(".error-summary a")]
    assert messages == ["Englische Texte brauchen auch einen Titel: Bitte geben Sie einen ein oder leeren Sie alle "
                        "englischen Felder.",
                        "Texte in Einfacher Sprache brauchen auch einen Titel: Bitte geben Sie einen ein oder leeren "
                        "Sie alle ihre Felder."]
    assert [a["href"] for a in page.select(".error-summary a")] == ["#title_en", "#title_simple"]
    assert page.select_one("#teaser_simple").get_text().strip() == "Hier geht es um Radwege."
    assert page.select_one("#title_en")["lang"] == "en"
    # All English fields emptied: the English version is gone, and English readers get German, marked so.
    fields = texts_form(client, slug)
    fields.update(title_en="", teaser_en="")
    assert send(client, url, **fields).status_code == 303
    assert {t.language for t in project_at(session, slug).texts} == {"de"}
    # Saving it unchanged changes nothing and logs nothing.
    response = send(client, url, **texts_form(client, slug))
    assert response.status_code == 303
    shown = soup(client.get(response.headers["Location"])).select_one(".flash")
    assert shown is not None and shown.get_text(strip=True) == "Es wurde nichts geändert.", shown
    assert len(entries(session, "project.edit", project_at(session, slug).id)) == 2


def test_texts_sent_after_the_form_expired_come_back_kept(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    fields = texts_form(client, slug)
    fields["description_de"] = "Ein langer Text, der nicht verloren gehen darf."
    response = client.post(f"/de/staff/projects/{slug}/edit/texts", data={**fields, "csrf_token": "abgelaufen"})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#description_de").get_text().strip() == "Ein langer Text, der nicht verloren gehen darf."
    assert "Dieses Formular ist abgelaufen" in page.select_one(".error-summary").get_text()


def _give_a_chapter(session, slug):
    project = project_at(session, slug)
    chapter = Chapter(document_id=project.document.id, position=1, slug="einleitung",
                      texts=[ChapterText(language="de", title="Einleitung")],
                      paragraphs=[Paragraph(position=1, texts=[ParagraphText(language="de", body="Erster Absatz.")])])
    session.add(chapter)
    session.commit()


def test_publishing_waits_for_the_checklist_and_unpublishing_keeps_the_comments(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    dashboard = f"/de/staff/projects/{slug}/edit"
    # Refused, the browser lands on the list of what lacks (the form goes there), with or without JavaScript.
    assert soup(client.get(dashboard)).select_one("main form.form")["action"].endswith("/publish#error-summary")
    refused = send(client, f"/de/staff/projects/{slug}/publish", page=dashboard)
    assert refused.status_code == 409
    summary = soup(refused).select_one(".error-summary")
    assert summary.find("h2").get_text(strip=True) == "Das Projekt kann noch nicht veröffentlicht werden"
    assert summary.find("a", href=f"/de/staff/projects/{slug}/edit/texts#background_de")
    assert not project_at(session, slug).published
    fields = texts_form(client, slug)
    fields.update(description_de="Beschreibung.", background_de="Hintergrund.")
    assert send(client, f"/de/staff/projects/{slug}/edit/texts", **fields).status_code == 303
    _give_a_chapter(session, slug)
    assert not soup(client.get(dashboard)).select(".checklist a")
    published = send(client, f"/de/staff/projects/{slug}/publish", page=dashboard)
    assert published.status_code == 303
    assert client.get(f"/de/projects/{slug}").status_code == 200
    project = project_at(session, slug)
    assert project.published and len(entries(session, "project.publish", project.id)) == 1
    assert client.get(published.headers["Location"]).status_code == 200
    # Twice: nothing changes, and it says so.
    again = send(client, f"/de/staff/projects/{slug}/publish", page=dashboard)
    assert "schon veröffentlicht" in client.get(again.headers["Location"]).get_data(as_text=True)
    unpublished = send(client, f"/de/staff/projects/{slug}/unpublish", page=dashboard)
    assert unpublished.status_code == 303
    assert client.get("/de/").status_code == 200
    sign_in(client, make_user(app))
    assert client.get(f"/de/projects/{slug}").status_code == 404
    assert len(entries(session, "project.unpublish", project.id)) == 1


def test_an_initiator_of_another_organisation_may_not_create_or_edit(app, client, session):
    sign_in(client, make_user(app, role="initiator", project="radverkehr"))
    organisation = session.exec(select(Organisation).where(Organisation.slug == "eichbrunn")).one()
    assert client.get(NEW).status_code == 403
    assert client.get("/de/staff/projects/smart-city/edit").status_code == 403
    page = soup(client.get("/de/staff/"))
    assert [a["href"] for a in page.select("a[href$='/projects/new']")] == [
        "/de/staff/organisations/eichbrunn-mobilitaet/projects/new"], f"{organisation.name}: only their own organisation"


def test_the_starter_places_its_phases_in_berlin_days():
    from webapp.authoring.starter import phases_from

    phases = phases_from(TODAY)
    assert [kind for kind, *_ in phases] == ["information", "commenting", "results"]
    for (_k, _s, end, _t), (_k2, start, _e, _t2) in zip(phases, phases[1:], strict=False):
        assert (start - end).total_seconds() == 1, "each phase starts the second after the one before ends"


def test_an_address_left_empty_is_made_from_the_title_and_never_taken_twice(app, client, session):
    as_initiator(app, client)
    title = f"Straße am Fluss {secrets.token_hex(2)}"
    first = send(client, NEW, title=title, teaser="Wie soll die Straße aussehen?", slug="")
    second = send(client, NEW, title=title, teaser="Noch einmal.", slug="")
    expected = "strasse-am-fluss-" + title.rsplit(" ", 1)[1]
    assert first.headers["Location"].endswith(f"/projects/{expected}/edit#outcome")
    assert second.headers["Location"].endswith(f"/projects/{expected}-2/edit#outcome")
    assert project_at(session, f"{expected}-2").texts[0].teaser == "Noch einmal."


# Phases -------------------------------------------------------------------------------------------------------

def phase_form(client, url) -> dict:
    page = soup(client.get(url))
    fields = {i["name"]: i.get("value", "") for i in page.select("main form input:not([type=hidden]):not([type=radio])")}
    fields.update({t["name"]: t.get_text().lstrip("\r\n") for t in page.select("main form textarea")})
    checked = page.select_one("main form input[type=radio][checked]")
    fields["kind"] = checked["value"] if checked else ""
    return fields


def a_project_without_phases(app, client, session) -> str:
    as_initiator(app, client)
    slug = new_project(client)
    for phase in list(project_at(session, slug).phases):
        assert send(client, f"/de/staff/projects/{slug}/edit/phases/{phase.id}/remove").status_code == 303
    assert not project_at(session, slug).phases
    return slug


def test_a_phase_is_added_in_berlin_time_and_shown_as_readers_see_it(app, client, session):
    slug = a_project_without_phases(app, client, session)
    phases = f"/de/staff/projects/{slug}/edit/phases"
    assert soup(client.get(f"/de/staff/projects/{slug}/edit")).find("a", href=phases)
    page = soup(client.get(phases))
    new = page.find("a", href=f"{phases}/new")
    assert new is not None
    response = send(client, f"{phases}/new", kind="commenting", starts_on="01.03.2027", starts_time="9:30",
                    ends_on="2027-03-31", ends_time="18 Uhr", title_de="Kommentierung", description_de="Jetzt mitreden.",
                    title_en="", description_en="", title_simple="", description_simple="")
    assert response.status_code == 303, soup(response).select_one(".error-summary")
    [phase] = project_at(session, slug).phases
    assert (phase.kind, phase.starts_at.isoformat(), phase.ends_at.isoformat()) == (
        "commenting", "2027-03-01T08:30:00+00:00", "2027-03-31T16:00:59+00:00")  # Berlin is UTC+1, then UTC+2
    assert [e.details for e in entries(session, "phase.add", phase.project_id)]
    preview = soup(client.get(phases)).select_one("section .timeline")
    assert "Kommentierung" in preview.get_text() and "1. März 2027" in preview.get_text()
    # The form shows it as entered, in Berlin time; sent back unchanged, nothing changes.
    fields = phase_form(client, f"{phases}/{phase.id}")
    assert (fields["starts_on"], fields["starts_time"], fields["ends_time"]) == ("2027-03-01", "09:30", "18:00")
    response = send(client, f"{phases}/{phase.id}", **fields)
    shown = soup(client.get(response.headers["Location"])).select_one(".flash").get_text(strip=True)
    assert shown == "Es wurde nichts geändert." and not entries(session, "phase.edit", phase.project_id)


def test_phases_that_overlap_or_end_before_they_start_are_refused_with_the_input_kept(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    project = project_at(session, slug)
    first = project.phases[0]
    phases = f"/de/staff/projects/{slug}/edit/phases"
    fields = phase_form(client, f"{phases}/new")
    assert fields["starts_time"] == "00:00" and fields["ends_time"] == "23:59"
    berlin_start = first.starts_at.astimezone(ZoneInfo("Europe/Berlin")).date()
    fields.update(kind="results", starts_on=berlin_start.strftime("%d.%m.%Y"), ends_on=berlin_start.strftime("%d.%m.%Y"),
                  title_de="Doppelt")
    response = send(client, f"{phases}/new", **fields)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(".error-summary a")["href"] == "#starts_on"
    assert "überschneiden" in page.select_one("#starts_on-error").get_text()
    assert page.select_one("#title_de")["value"] == "Doppelt"
    fields.update(starts_on="10.05.2030", ends_on="09.05.2030")
    response = send(client, f"{phases}/new", **fields)
    assert "Das Ende muss nach dem Beginn liegen." in soup(response).select_one("#ends_on-error").get_text()
    fields.update(starts_on="30.02.2030", ends_on="", ends_time="25:99", title_de="", description_en="Only English.")
    page = soup(send(client, f"{phases}/new", **fields))
    errors = {a["href"]: a.get_text(strip=True) for a in page.select(".error-summary a")}
    assert errors["#starts_on"].startswith("Bitte geben Sie das Datum mit Tag, Monat und Jahr ein")
    assert errors["#ends_on"] == "Bitte geben Sie den letzten Tag der Phase ein."
    assert errors["#ends_time"].startswith("Bitte geben Sie die Uhrzeit in Stunden und Minuten ein")
    assert errors["#title_de"] == "Bitte geben Sie einen Titel auf Deutsch ein."
    assert errors["#title_en"].startswith("Eine englische Beschreibung braucht auch einen englischen Titel")
    assert len(project_at(session, slug).phases) == 3


def test_a_phase_is_removed_after_a_page_that_asks(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    project = project_at(session, slug)
    phase = project.phases[2]
    url = f"/de/staff/projects/{slug}/edit/phases/{phase.id}/remove"
    page = soup(client.get(url))
    assert page.find("h1").get_text(" ", strip=True).startswith("Phase entfernen")
    assert page.find("a", href=f"/de/staff/projects/{slug}/edit/phases")
    assert len(project_at(session, slug).phases) == 3, "opening the page removes nothing"
    assert send(client, url).status_code == 303
    assert [p.kind for p in project_at(session, slug).phases] == ["information", "commenting"]
    assert len(entries(session, "phase.remove", project.id)) == 1
    assert client.get(url).status_code == 404


# Chapters -----------------------------------------------------------------------------------------------------

def test_chapters_are_added_titled_and_moved_and_their_addresses_stay(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    chapters = f"/de/staff/projects/{slug}/edit/chapters"
    assert soup(client.get(f"/de/staff/projects/{slug}/edit")).find("a", href=chapters)
    refused = send(client, f"{chapters}/new", title_de="", title_en="Only English", title_simple="")
    assert refused.status_code == 422
    assert soup(refused).select_one("#title_en")["value"] == "Only English"
    for title in ("Über uns", "Ziele", "Über uns"):
        assert send(client, f"{chapters}/new", title_de=title, title_en="", title_simple="").status_code == 303
    document = project_at(session, slug).document
    assert [c.slug for c in document.chapters] == ["ueber-uns", "ziele", "ueber-uns-2"]
    first, second, third = document.chapters
    assert len(entries(session, "chapter.add", document.project_id)) == 3
    # Titles in three modes; the address stays.
    url = f"{chapters}/{second.id}"
    assert send(client, url, title_de="Unsere Ziele", title_en="Our goals", title_simple="Was wir wollen").status_code == 303
    document = project_at(session, slug).document
    assert {t.language: t.title for t in document.chapters[1].texts} == {
        "de": "Unsere Ziele", "en": "Our goals", "simple": "Was wir wollen"}
    assert document.chapters[1].slug == "ziele"
    # Moving: the last one up, twice; the first one further up says it is first already.
    move = f"{chapters}/{third.id}/move"
    assert send(client, move, page=chapters, step="up").status_code == 303
    response = send(client, move, page=chapters, step="up")
    assert soup(client.get(response.headers["Location"])).select_one(".flash").get_text(strip=True) == (
        "„Über uns“ ist jetzt Kapitel 1.")
    assert [c.id for c in project_at(session, slug).document.chapters] == [third.id, first.id, second.id]
    response = send(client, move, page=chapters, step="up")
    assert "schon das erste Kapitel" in soup(client.get(response.headers["Location"])).select_one(".flash").get_text()
    assert send(client, move, page=chapters, step="sideways").status_code == 400
    page = soup(client.get(chapters))
    names = [b.get_text(" ", strip=True) for b in page.select("main form button")]
    # The first has no "up", the last no "down"; each button names its chapter.
    assert names == ["Nach unten : Über uns", "Nach oben : Über uns", "Nach unten : Über uns", "Nach oben : Unsere Ziele"]


# Paragraphs ---------------------------------------------------------------------------------------------------

def test_a_paragraph_is_previewed_without_saving_then_saved_and_moved_keeping_its_id(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    chapters = f"/de/staff/projects/{slug}/edit/chapters"
    assert send(client, f"{chapters}/new", title_de="Ziele").status_code == 303
    chapter = project_at(session, slug).document.chapters[0]
    paragraphs = f"{chapters}/{chapter.id}/paragraphs"
    assert soup(client.get(chapters)).find("a", href=paragraphs)
    empty = {f"{name}_{key}": "" for name in ("heading", "body") for key in ("de", "en", "simple")}
    # A preview shows the text as readers will, saves nothing, and keeps the form filled.
    preview = send(client, f"{paragraphs}/new", **{**empty, "heading_de": "Ziel 1", "body_de": "Wir **wollen** mehr.",
                                                   "preview": "1"})
    assert preview.status_code == 200
    page = soup(preview)
    shown = page.select_one("#preview")
    assert shown.find("h4").get_text() == "Ziel 1" and shown.find("strong").get_text() == "wollen"
    assert page.select_one("main form.form")["action"].endswith("#preview")
    assert page.select_one("#body_de").get_text().strip() == "Wir **wollen** mehr."
    assert not project_at(session, slug).document.chapters[0].paragraphs
    # A heading without its text is refused, in the mode it is in.
    refused = send(client, f"{paragraphs}/new", **{**empty, "body_de": "Text.", "heading_en": "Goal"})
    assert refused.status_code == 422
    assert soup(refused).select_one(".error-summary a")["href"] == "#body_en"
    for body in ("Erster Absatz.", "Zweiter Absatz mit vielen Wörtern, die man nicht alle in der Liste sehen muss."):
        assert send(client, f"{paragraphs}/new", **{**empty, "body_de": body}).status_code == 303
    first, second = project_at(session, slug).document.chapters[0].paragraphs
    listed = [s.get_text(strip=True) for s in soup(client.get(paragraphs)).select("main .people strong")]
    assert listed == ["Erster Absatz.", "Zweiter Absatz mit vielen Wörtern, die man nicht …"]
    # Changed and moved: the id (and with it every comment and link) stays.
    response = send(client, f"{paragraphs}/{first.id}", **{**empty, "body_de": "Erster Absatz, neu.",
                                                            "body_simple": "Das ist neu."})
    assert response.status_code == 303
    response = send(client, f"{paragraphs}/{second.id}/move", page=paragraphs, step="up")
    assert soup(client.get(response.headers["Location"])).select_one(".flash").get_text(strip=True).endswith(
        "ist jetzt Absatz 1.")
    after = project_at(session, slug).document.chapters[0].paragraphs
    assert [p.id for p in after] == [second.id, first.id]
    assert {t.language: t.body for t in after[1].texts} == {"de": "Erster Absatz, neu.", "simple": "Das ist neu."}
    project_id = project_at(session, slug).id
    assert [len(entries(session, a, project_id)) for a in ("paragraph.add", "paragraph.edit", "paragraph.move")] == [
        2, 1, 1]


def test_the_translations_overview_links_each_gap_to_its_field(app, client, session):
    as_initiator(app, client)
    slug = new_project(client)
    chapters = f"/de/staff/projects/{slug}/edit/chapters"
    assert send(client, f"{chapters}/new", title_de="Ziele", title_en="Goals").status_code == 303
    chapter = project_at(session, slug).document.chapters[0]
    assert send(client, f"{chapters}/{chapter.id}/paragraphs/new", body_de="Text.", body_simple="Text.").status_code == 303
    url = f"/de/staff/projects/{slug}/edit/translations"
    assert soup(client.get(f"/de/staff/projects/{slug}/edit")).find("a", href=url)
    page = soup(client.get(url))
    rows = {tr.find("th").get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in page.select("tbody tr")}
    assert rows["Kapitel 1: Titel"][1].endswith("geschrieben") and "fehlt" in rows["Kapitel 1: Titel"][2]
    assert "fehlt" in rows["Kapitel 1, Absatz 1"][1] and rows["Kapitel 1, Absatz 1"][2].endswith("geschrieben")
    paragraph = project_at(session, slug).document.chapters[0].paragraphs[0]
    gap = page.find("a", href=f"{chapters}/{chapter.id}/paragraphs/{paragraph.id}#body_en")
    assert gap is not None and gap.get_text(" ", strip=True) == "fehlt: schreiben : Kapitel 1, Absatz 1, Englisch"
    assert soup(client.get(gap["href"])).find(id="body_en") is not None, "the link lands on the field"
    summary = [li.get_text(strip=True) for li in page.select("main ul li")][:2]
    assert summary[0].startswith("Englisch:") and summary[1].startswith("Einfache Sprache:")


def test_changing_a_commented_paragraph_says_its_comments_stay_and_earlier_text_is_not_kept(app, client, session):
    from tests.factories import CommentFactory

    as_initiator(app, client)
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = project.document.chapters[0]
    paragraph = chapter.paragraphs[0]
    CommentFactory(session=session, paragraph=paragraph, body="Zu diesem Absatz.")
    page = soup(client.get(f"/de/staff/projects/smart-city/edit/chapters/{chapter.id}/paragraphs/{paragraph.id}"))
    notice = page.select_one("main .state").get_text(" ", strip=True)
    assert notice.startswith("Zu diesem Absatz gibt es") and "noch nicht aufbewahrt" in notice
    new = soup(client.get(f"/de/staff/projects/smart-city/edit/chapters/{chapter.id}/paragraphs/new"))
    assert new.select_one("main .state") is None


# Organisations ------------------------------------------------------------------------------------------------

def test_an_administrator_creates_an_organisation_and_sets_the_contact_the_checklist_asks_for(app, client, session):
    admin = make_user(app, role="admin")
    sign_in(client, admin)
    assert soup(client.get("/de/staff/")).find("a", href="/de/staff/organisations/new")
    refused = send(client, "/de/staff/organisations/new", name="", email="kein-at", website="beispiel.de", phone="",
                   address="")
    assert refused.status_code == 422
    errors = {a["href"]: a.get_text(strip=True) for a in soup(refused).select(".error-summary a")}
    assert errors == {"#name": "Bitte geben Sie den Namen der Organisation ein.",
                      "#email": "Bitte geben Sie eine E-Mail-Adresse wie name@example.org ein.",
                      "#website": "Bitte geben Sie die vollständige Adresse der Website ein, beginnend mit https://."}
    name = f"Stadt Nordheim {secrets.token_hex(2)}"
    response = send(client, "/de/staff/organisations/new", name=name, email="", phone="", website="", address="")
    assert response.status_code == 303
    organisation = session.exec(select(Organisation).where(Organisation.name == name)).one()
    assert organisation.slug == name.lower().replace(" ", "-")
    # A project of it lacks the contact; the checklist says so, and the dashboard links an administrator to the field.
    slug = f"nord-{secrets.token_hex(3)}"
    assert send(client, f"/de/staff/organisations/{organisation.slug}/projects/new", title="Nordheim plant",
                teaser="Kurz.", slug=slug).status_code == 303
    page = soup(client.get(f"/de/staff/projects/{slug}/edit"))
    assert "Eine Kontaktadresse der Organisation" in [a.get_text(strip=True) for a in page.select(".checklist a")]
    edit = f"/de/staff/organisations/{organisation.slug}/edit"
    assert page.find("a", href=f"{edit}#email")
    fields = {i["name"]: i.get("value", "") for i in soup(client.get(edit)).select("main form input:not([type=hidden])")}
    assert fields["name"] == name
    assert send(client, edit, **{**fields, "email": "beteiligung@nordheim.example.org", "address": "Markt 1"}).status_code == 303
    page = soup(client.get(f"/de/staff/projects/{slug}/edit"))
    assert "Eine Kontaktadresse der Organisation" not in [a.get_text(strip=True) for a in page.select(".checklist a")]
    [entry] = session.exec(select(AuditEntry).where(AuditEntry.action == "organisation.edit",
                                                    AuditEntry.organisation_id == organisation.id)).all()
    assert "email" in entry.details and "address" in entry.details


# Removing -----------------------------------------------------------------------------------------------------

def test_a_chapter_or_paragraph_is_removed_after_asking_and_never_with_comments(app, client, session):
    from tests.factories import CommentFactory

    as_initiator(app, client)
    slug = new_project(client)
    chapters = f"/de/staff/projects/{slug}/edit/chapters"
    for title in ("Erstes", "Zweites"):
        assert send(client, f"{chapters}/new", title_de=title).status_code == 303
    first, second = project_at(session, slug).document.chapters
    paragraphs = f"{chapters}/{first.id}/paragraphs"
    for body in ("Eins.", "Zwei."):
        assert send(client, f"{paragraphs}/new", body_de=body).status_code == 303
    one, two = project_at(session, slug).document.chapters[0].paragraphs
    CommentFactory(session=session, paragraph=one, body="Ein Kommentar.")
    # A commented paragraph, and its chapter: the page says why not, offers no button, and a POST changes nothing.
    page = soup(client.get(f"{paragraphs}/{one.id}/remove"))
    assert "nie gelöscht" in page.select_one("main .state").get_text() and not page.select("main form.form")
    refused = send(client, f"{paragraphs}/{one.id}/remove", page=paragraphs)
    assert refused.status_code == 409 and "kann nicht gelöscht werden" in soup(refused).select_one(".error-summary").get_text()
    assert send(client, f"{chapters}/{first.id}/remove", page=chapters).status_code == 409
    # An uncommented one goes, after its page asked; opening the page alone removes nothing.
    assert soup(client.get(f"{paragraphs}/{two.id}/remove")).select_one("main form.form button")
    assert len(project_at(session, slug).document.chapters[0].paragraphs) == 2
    response = send(client, f"{paragraphs}/{two.id}/remove", page=paragraphs)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{paragraphs}#outcome")
    assert [p.id for p in project_at(session, slug).document.chapters[0].paragraphs] == [one.id]
    assert send(client, f"{chapters}/{second.id}/remove", page=chapters).status_code == 303
    assert [c.id for c in project_at(session, slug).document.chapters] == [first.id]
    project_id = project_at(session, slug).id
    assert [len(entries(session, a, project_id)) for a in ("paragraph.delete", "chapter.delete")] == [1, 1]
