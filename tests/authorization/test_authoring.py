"""The authoring dashboard (webapp/authoring/): its rows of the staff matrix and its pages' GET answers.

Each action works on a project of its own (a copy of the demo's Smart City one in the same organisation), so
no test changes what others read: a draft (that lacks nothing for "publish"), a published one only for
"unpublish" (the page walks visit every published project, and a new chapter has no paragraph yet).
"""

import secrets
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from tests.authorization.support import (
    ADMINISTERS,
    RUNS_PROJECT,
    STAFF_ROLES,
    opened_as,
    page_cases,
    staff_action_needs_csrf_and_post,
    staff_answers_as_expected,
    staff_cases,
    staff_world,
)
from tests.support import TODAY

STAFF_EXPECTED = {
    #                                   anon part  mod  omod  init oinit admin
    "authoring: new project":           RUNS_PROJECT,
    "authoring: texts":                 RUNS_PROJECT,
    "authoring: publish":               RUNS_PROJECT,
    "authoring: unpublish":             RUNS_PROJECT,
    "authoring: add phase":             RUNS_PROJECT,
    "authoring: change phase":          RUNS_PROJECT,
    "authoring: remove phase":          RUNS_PROJECT,
    "authoring: add chapter":           RUNS_PROJECT,
    "authoring: change chapter":        RUNS_PROJECT,
    "authoring: move chapter":          RUNS_PROJECT,
    "authoring: add paragraph":         RUNS_PROJECT,
    "authoring: change paragraph":      RUNS_PROJECT,
    "authoring: move paragraph":        RUNS_PROJECT,
    "authoring: remove chapter":        RUNS_PROJECT,
    "authoring: remove paragraph":      RUNS_PROJECT,
    "authoring: new organisation":      ADMINISTERS,
    "authoring: organisation":          ADMINISTERS,
}


def _project_of_its_own(published):
    def setup(app, client, session, role):
        from webapp import demo
        from webapp.models import Organisation

        w = staff_world(app, client, session, role)
        organisation = session.exec(select(Organisation).where(Organisation.slug == "eichbrunn")).one()
        project = demo.build_project(demo._read("smart-city.toml"), organisation, TODAY,
                                     slug=f"autor-{secrets.token_hex(3)}")
        project.published = published
        session.add(project)
        session.commit()
        w.project = project
        return w
    return setup


def _project(w):
    from webapp.models import Project

    w.session.expire_all()
    return w.session.exec(select(Project).where(Project.slug == w.project.slug)).one()


def _new_project(w):
    from webapp.models import Project

    slug = f"neu-{secrets.token_hex(3)}"
    response = w.send("/de/staff/organisations/eichbrunn/projects/new", title="Neu", teaser="Kurz.", slug=slug)
    w.session.expire_all()
    return response, w.session.exec(select(Project).where(Project.slug == slug)).first() is not None


def _texts(w):
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/texts", title_de="Ein neuer Titel", teaser_de="Kurz.")
    return response, _project(w).localized("de").text.title == "Ein neuer Titel"


def _publish(w):
    response = w.send(f"/de/staff/projects/{w.project.slug}/publish")
    return response, _project(w).published


def _unpublish(w):
    response = w.send(f"/de/staff/projects/{w.project.slug}/unpublish")
    return response, not _project(w).published


def _add_phase(w):
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/phases/new", kind="results", starts_on="01.01.2040",
                      ends_on="31.01.2040", title_de="Noch eine Phase")
    return response, any(p.localized("de").text.title == "Noch eine Phase" for p in _project(w).phases)


def _change_phase(w):
    phase = _project(w).phases[0]
    starts, ends = (m.astimezone(ZoneInfo("Europe/Berlin")) for m in (phase.starts_at, phase.ends_at))
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/phases/{phase.id}", kind=phase.kind,
                      starts_on=starts.strftime("%d.%m.%Y"), starts_time=starts.strftime("%H:%M"),
                      ends_on=ends.strftime("%d.%m.%Y"), ends_time=ends.strftime("%H:%M"), title_de="Umbenannt")
    return response, _project(w).phases[0].localized("de").text.title == "Umbenannt"


def _remove_phase(w):
    phase_id = _project(w).phases[-1].id
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/phases/{phase_id}/remove")
    return response, phase_id not in {p.id for p in _project(w).phases}


def _add_chapter(w):
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/chapters/new", title_de="Ein neues Kapitel")
    return response, _project(w).document.chapters[-1].localized("de").text.title == "Ein neues Kapitel"


def _change_chapter(w):
    chapter = _project(w).document.chapters[0]
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/chapters/{chapter.id}", title_de="Umbenannt")
    return response, _project(w).document.chapters[0].localized("de").text.title == "Umbenannt"


def _move_chapter(w):
    chapter = _project(w).document.chapters[0]
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/chapters/{chapter.id}/move", step="down")
    return response, _project(w).document.chapters[1].id == chapter.id


def _paragraphs_url(w):
    chapter = _project(w).document.chapters[0]
    return f"/de/staff/projects/{w.project.slug}/edit/chapters/{chapter.id}/paragraphs", chapter


def _add_paragraph(w):
    url, _chapter = _paragraphs_url(w)
    response = w.send(f"{url}/new", body_de="Ein neuer Absatz.")
    return response, _project(w).document.chapters[0].paragraphs[-1].localized("de").text.body == "Ein neuer Absatz."


def _change_paragraph(w):
    url, chapter = _paragraphs_url(w)
    response = w.send(f"{url}/{chapter.paragraphs[0].id}", body_de="Geändert.")
    return response, _project(w).document.chapters[0].paragraphs[0].localized("de").text.body == "Geändert."


def _move_paragraph(w):
    url, chapter = _paragraphs_url(w)
    moving = chapter.paragraphs[0].id
    response = w.send(f"{url}/{moving}/move", step="down")
    return response, _project(w).document.chapters[0].paragraphs[1].id == moving


def _remove_chapter(w):
    chapter_id = _project(w).document.chapters[-1].id
    response = w.send(f"/de/staff/projects/{w.project.slug}/edit/chapters/{chapter_id}/remove")
    return response, chapter_id not in {c.id for c in _project(w).document.chapters}


def _remove_paragraph(w):
    url, chapter = _paragraphs_url(w)
    paragraph_id = chapter.paragraphs[-1].id
    response = w.send(f"{url}/{paragraph_id}/remove")
    return response, paragraph_id not in {p.id for p in _project(w).document.chapters[0].paragraphs}


def _new_organisation(w):
    from webapp.models import Organisation

    name = f"Neue Organisation {secrets.token_hex(3)}"
    response = w.send("/de/staff/organisations/new", name=name)
    w.session.expire_all()
    return response, w.session.exec(select(Organisation).where(Organisation.name == name)).first() is not None


def _organisation(w):
    from webapp.models import Organisation

    slug = f"org-{secrets.token_hex(3)}"
    w.session.add(Organisation(slug=slug, name="Vorher"))
    w.session.commit()
    response = w.send(f"/de/staff/organisations/{slug}/edit", name="Nachher")
    w.session.expire_all()
    return response, w.session.exec(select(Organisation).where(Organisation.slug == slug)).one().name == "Nachher"


STAFF_ACTIONS = {
    "authoring: new project": (staff_world, _new_project),
    "authoring: texts": (_project_of_its_own(False), _texts),
    "authoring: publish": (_project_of_its_own(False), _publish),
    "authoring: unpublish": (_project_of_its_own(True), _unpublish),
    "authoring: add phase": (_project_of_its_own(False), _add_phase),
    "authoring: change phase": (_project_of_its_own(False), _change_phase),
    "authoring: remove phase": (_project_of_its_own(False), _remove_phase),
    "authoring: add chapter": (_project_of_its_own(False), _add_chapter),
    "authoring: change chapter": (_project_of_its_own(False), _change_chapter),
    "authoring: move chapter": (_project_of_its_own(False), _move_chapter),
    "authoring: add paragraph": (_project_of_its_own(False), _add_paragraph),
    "authoring: change paragraph": (_project_of_its_own(False), _change_paragraph),
    "authoring: move paragraph": (_project_of_its_own(False), _move_paragraph),
    "authoring: remove chapter": (_project_of_its_own(False), _remove_chapter),
    "authoring: remove paragraph": (_project_of_its_own(False), _remove_paragraph),
    "authoring: new organisation": (staff_world, _new_organisation),
    "authoring: organisation": (staff_world, _organisation),
}
ENDPOINTS = {
    "authoring.new_project": ["authoring: new project"],
    "authoring.texts": ["authoring: texts"],
    "authoring.publish": ["authoring: publish"],
    "authoring.unpublish": ["authoring: unpublish"],
    "authoring.new_phase": ["authoring: add phase"],
    "authoring.phase": ["authoring: change phase"],
    "authoring.remove_phase": ["authoring: remove phase"],
    "authoring.new_chapter": ["authoring: add chapter"],
    "authoring.chapter": ["authoring: change chapter"],
    "authoring.move_chapter": ["authoring: move chapter"],
    "authoring.new_paragraph": ["authoring: add paragraph"],
    "authoring.paragraph": ["authoring: change paragraph"],
    "authoring.move_paragraph": ["authoring: move paragraph"],
    "authoring.remove_chapter": ["authoring: remove chapter"],
    "authoring.remove_paragraph": ["authoring: remove paragraph"],
    "authoring.new_organisation": ["authoring: new organisation"],
    "authoring.organisation": ["authoring: organisation"],
}
AUTHORING_PAGES = {
    #                                                                       anon part  mod  omod  init oinit admin
    ("/de/staff/projects/smart-city/edit", "Projekt bearbeiten"):           (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/texts", "Texte"):                  (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/organisations/eichbrunn/projects/new", "Neues Projekt"):    (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/phases", "Phasen"):                (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/phases/new", "Phase hinzufügen"):  (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/phases/{phase}", "Phase ändern"):  (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/phases/{phase}/remove", "Phase entfernen"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/organisations/new", "Neue Organisation"):                   (302, 403, 403, 403, 403, 403, 200),
    ("/de/staff/organisations/eichbrunn/edit", "Name und Kontakt"):         (302, 403, 403, 403, 403, 403, 200),
    ("/de/staff/projects/smart-city/edit/translations", "Übersetzungen"):   (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters", "Kapitel"):             (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/new", "Kapitel hinzufügen"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/{chapter}", "Titel des Kapitels ändern"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs", "Absätze"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs/new", "Absatz hinzufügen"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs/{paragraph}", "Absatz ändern"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/{chapter}/remove", "Kapitel entfernen"):
        (302, 403, 403, 403, 200, 403, 200),
    ("/de/staff/projects/smart-city/edit/chapters/{chapter}/paragraphs/{paragraph}/remove", "Absatz entfernen"):
        (302, 403, 403, 403, 200, 403, 200),
}


@pytest.mark.parametrize(("action", "role"), staff_cases(STAFF_EXPECTED))
def test_each_role_gets_the_expected_answer_on_authoring_routes(app, client, session, action, role):
    staff_answers_as_expected(app, client, session, STAFF_EXPECTED, STAFF_ACTIONS, action, role)


@pytest.mark.parametrize("action", list(STAFF_ACTIONS))
def test_authoring_actions_need_a_valid_csrf_token_and_a_post(app, client, session, action):
    staff_action_needs_csrf_and_post(app, client, session, STAFF_ACTIONS, action)


@pytest.mark.parametrize(("page", "role"), page_cases(AUTHORING_PAGES))
def test_each_role_gets_the_expected_answer_on_the_authoring_pages(app, client, session, page, role):
    (url, heading), expected = page, AUTHORING_PAGES[page][STAFF_ROLES.index(role)]
    opened_as(app, client, session, role, url, heading, expected)
