"""A real server and Debian's headless chromium, with JavaScript on and off.

The server is the app (same test database as tests/) served by werkzeug on a free
port in a thread, started once and always stopped. Each browser gets a fresh profile.

"JavaScript off" comes two ways. For scans, :func:`open_page` loads the page with
script execution disabled (DevTools' emulation), so it renders exactly as without
JavaScript, then re-enables scripting only so that axe itself can run over that DOM
(axe needs timers, which a browser with JavaScript switched off never fires). For
walking through the site, :func:`make_browser` can switch JavaScript off in the
browser's settings, as a reader would.
"""

from __future__ import annotations

import shutil
import tempfile
import threading

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

from a11y.pages import MAIN_FORM, PARTICIPANT
from tests.support import _fresh_rate_limits, app, client, database_url, session  # noqa: F401  (shared fixtures)

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--window-size=1280,900",
)


@pytest.fixture(scope="session")
def server_url(app):  # noqa: F811
    """The app served on 127.0.0.1 at a free port for the whole run."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def make_browser(javascript: bool, language: str = "de-DE,de") -> webdriver.Chrome:
    """Debian's chromium, headless, with a fresh profile; page JavaScript on or off.

    ``language`` is what the browser asks for (Accept-Language): a German reader by default.
    """
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        raise RuntimeError("apt-get install chromium chromium-driver (the a11y suite needs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="mitreden-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    prefs = {"intl.accept_languages": language}
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages, e.g. CSP violations
    browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    browser.profile_dir = profile  # type: ignore[attr-defined]
    browser.set_page_load_timeout(30)
    browser.set_script_timeout(60)
    return browser


def open_page(browser, url: str) -> None:
    """Load ``url``; in a browser marked ``javascript = False`` the page's scripts do not run."""
    if not browser.javascript:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.get(url)


@pytest.fixture(scope="session", params=[True, False], ids=["js-on", "js-off"])
def browser(request):
    """One browser per JavaScript setting for scans (load pages with :func:`open_page`)."""
    instance = make_browser(javascript=True)
    instance.javascript = request.param  # type: ignore[attr-defined]
    yield instance
    instance.quit()
    shutil.rmtree(instance.profile_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def js_browser():
    """A browser with JavaScript on, for keyboard and layout checks."""
    instance = make_browser(javascript=True)
    yield instance
    instance.quit()
    shutil.rmtree(instance.profile_dir, ignore_errors=True)


def pytest_collection_modifyitems(items):
    """Everything in a11y/ except the HTML validation drives a browser."""
    for item in items:
        if "a11y" in str(item.fspath) and "test_valid_html" not in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def many_comments(app):
    """A closed discussion long enough for two pages, with replies and a deleted comment."""
    from sqlmodel import Session, select

    from webapp.accounts.models import User
    from webapp.comments.models import Comment
    from webapp.projects.models import Project

    with Session(app.extensions["db_engine"]) as session:
        project = session.exec(select(Project).where(Project.slug == "radverkehr")).one()
        chapter = next(c for c in project.document.chapters if c.slug == "radnetz")
        authors = session.exec(select(User)).all()
        for index in range(24):
            top = Comment(project_id=project.id, chapter_id=chapter.id, author_id=authors[index % len(authors)].id,
                          body=f"Beitrag Nummer {index + 1} zum Radnetz.", agree_count=index % 4, reply_count=index % 2)
            session.add(top)
            session.flush()
            if index % 2:
                session.add(Comment(project_id=project.id, chapter_id=chapter.id, parent_id=top.id,
                                    author_id=authors[(index + 1) % len(authors)].id, body=f"Eine Antwort auf Beitrag {index + 1}."))
        session.add(Comment(project_id=project.id, chapter_id=chapter.id, author_id=None, body="",
                            deleted_at=top.created_at))
        session.commit()


@pytest.fixture(scope="session", autouse=True)
def own_chapters(app):
    """A chapter of its own for each browser test module that writes (a11y/pages.py ``OWN_CHAPTERS``), at the
    end of the Smart City strategy: one paragraph, its title and text in every mode."""
    from sqlmodel import Session, select

    from a11y.pages import OWN_CHAPTERS
    from webapp.documents.models import Chapter, ChapterText, Paragraph, ParagraphText
    from webapp.projects.models import Project

    with Session(app.extensions["db_engine"]) as session:
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        position = max(c.position for c in project.document.chapters)
        for index, (module, slug) in enumerate(OWN_CHAPTERS.items(), start=1):
            titles = {"de": f"Testkapitel {module}", "en": f"Test chapter {module}", "simple": f"Test-Kapitel {module}"}
            session.add(Chapter(
                document_id=project.document.id, position=position + index, slug=slug,
                texts=[ChapterText(language=key, title=title) for key, title in titles.items()],
                paragraphs=[Paragraph(position=1, texts=[
                    ParagraphText(language=key, body=f"{title}: ein Absatz zum Kommentieren." if key != "en" else
                                  f"{title}: a paragraph to comment on.") for key, title in titles.items()])],
            ))
        session.commit()


# Staff states (roles and audit log pages) ----------------------------------------------------------
@pytest.fixture(scope="session", autouse=True)
def staff_states(app):
    """What the staff pages show in each state (a11y/pages.py): an unpublished draft nobody moderates, an
    organisation without initiators, an open invitation (its mail's link is the invitation page), a few
    entries in the Smart City project's audit log, and a project just made from the starter without a teaser (one
    chapter with one paragraph, nobody's comment on either)."""
    from sqlmodel import select

    from a11y.pages import DRAFT_PROJECT, EMPTY_ORGANISATION, INVITED, NEW_DRAFT
    from tests.support import TODAY
    from webapp import audit, db, demo
    from webapp.accounts.models import User
    from webapp.authoring import services as authoring
    from webapp.comments.models import Comment
    from webapp.documents import commands as chapter_commands
    from webapp.projects.models import Organisation, Project
    from webapp.roles import services

    with app.test_request_context("/de/"), db.transaction() as session:
        organisation = Organisation(slug=EMPTY_ORGANISATION, name="Stadt Eichbrunn – Kulturamt")
        session.add(organisation)
        draft = demo.build_project(demo._read("spielplaetze.toml"), organisation, TODAY, slug=DRAFT_PROJECT)
        draft.published = False
        for text in draft.texts:  # a title of its own: links name the project they lead to
            text.title = f"Entwurf: {text.title}"
        session.add(draft)
        project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        admin, initiator, moderator = (session.exec(select(User).where(User.email_key == f"{name}@example.org")).one()
                                       for name in ("admin", "initiator", "moderator"))
        services.add_moderator(initiator, project, INVITED, "de")
        comment = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.parent_id.is_(None))
                               .order_by(Comment.id)).first()
        audit.record(moderator, "comment.review", "comment", comment.id, project_id=project.id,
                     reason="Kein Verstoß gegen die Diskussionsregeln.")
        audit.record(admin, "role.add_moderator", "user", moderator.id, project_id=project.id, person=moderator.username)
        unfinished = authoring.create_project(admin, organisation, NEW_DRAFT, "Unfertiges Projekt", "", today=TODAY)
        chapter = chapter_commands.add_chapter(admin, unfinished, {"de": {"title": "Einleitung"}})
        chapter_commands.add_paragraph(admin, unfinished, chapter, {"de": {"heading": "", "body": "Ein erster Absatz, noch ohne Kommentar."}})


@pytest.fixture(scope="session", autouse=True)
def conduct_states(app):
    """Blocking and discussion rules (a11y/pages.py ``conduct_pages``): a participant blocked from the Smart City
    project who wrote there, a block of the playgrounds project that outlived its person's account, and the
    cycling project's own rules (German only) with automatic hiding on."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import Session, select

    from a11y.pages import BLOCKED
    from webapp.accounts.models import User, normalise_key
    from webapp.accounts.passwords import hash_password
    from webapp.accounts.services import DEMO_PASSWORD
    from webapp.comments.models import Comment
    from webapp.conduct.models import DiscussionRules, ModerationSettings, PersonBlock
    from webapp.projects.models import Project

    now = datetime.now(UTC)
    with Session(app.extensions["db_engine"]) as session:
        city, cycling = (session.exec(select(Project).where(Project.slug == slug)).one()
                         for slug in ("smart-city", "radverkehr"))
        person = User(username="Bert Beispiel", username_key=normalise_key("Bert Beispiel"), email=BLOCKED,
                      email_key=normalise_key(BLOCKED),
                      password_hash=hash_password(DEMO_PASSWORD), email_confirmed_at=now)
        session.add(person)
        session.flush()
        session.add(Comment(project_id=city.id, chapter_id=city.document.chapters[0].id, author_id=person.id,
                            body="Das ist alles Unsinn, und alle hier sind Idioten."))
        session.add(PersonBlock(user_id=person.id, project_id=city.id, created_at=now, ends_at=now + timedelta(days=30),
                                reason="Beleidigungen anderer Teilnehmender, trotz Hinweis der Moderation."))
        playgrounds = session.exec(select(Project).where(Project.slug == "spielplaetze")).one()
        session.add(PersonBlock(user_id=None, project_id=playgrounds.id, created_at=now - timedelta(days=2),
                                person_name="Gelöschte Gegnerin", person_key="0" * 64, name_key="1" * 64,
                                reason="Drohungen gegen andere Teilnehmende."))  # the person deleted their account since
        session.add(DiscussionRules(project_id=cycling.id, language="de", body=(
            "Bleiben Sie **sachlich und freundlich**. Es geht um das Radverkehrskonzept.\n\n"
            "- Keine Beleidigungen\n- Keine Werbung\n- Keine Daten anderer Menschen")))
        session.add(ModerationSettings(project_id=cycling.id, auto_hide_after=3))
        session.commit()


def log_in_as(browser, server_url: str, email: str) -> None:
    """Log the demo account ``email`` in through the form (JavaScript or not), after ending any other session."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.delete_all_cookies()
    open_page(browser, f"{server_url}/de/account/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys("mitreden-demo")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10, poll_frequency=0.05).until(
        lambda b: "/account/login" not in b.current_url and b.execute_script("return document.readyState") == "complete")


def log_in_as_participant(browser, server_url: str) -> None:
    """Log the demo participant in through the form (JavaScript or not)."""
    log_in_as(browser, server_url, PARTICIPANT)


def submit_main_form(browser, selector: str = "") -> None:
    """Send the page's main form (the comment form where there is one), or ``selector``'s, as it is: empty.

    The waits here look every 50 ms (WebDriver's default is every 500): the walk sends some hundred forms,
    and each answer is there in a few milliseconds."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    forms = browser.find_elements(By.CSS_SELECTOR, selector or MAIN_FORM)
    forms[0].find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10, poll_frequency=0.05).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".error-summary"))


@pytest.fixture(scope="session", autouse=True)
def moderated_comments(app):
    """Every trace of moderation a reader meets, in the playgrounds' last chapter (a page in the list):
    a blocked comment with a reply, one hidden after reports, a highlighted one with an official answer."""
    import json
    from datetime import timedelta

    from sqlmodel import Session, select

    from webapp.accounts.models import User
    from webapp.audit.models import AuditEntry
    from webapp.clock import utcnow
    from webapp.comments.models import Comment
    from webapp.projects.models import Project
    from webapp.roles.models import ProjectModerator

    with app.app_context():
        from webapp import db

        with Session(db.engine()) as session:
            project = session.exec(select(Project).where(Project.slug == "spielplaetze")).one()
            chapter = project.document.chapters[-1]
            users = session.exec(select(User).order_by(User.id)).all()
            moderator = session.exec(select(User).join(ProjectModerator, ProjectModerator.user_id == User.id)
                                     .where(ProjectModerator.project_id == project.id)).first()
            now = utcnow()

            def comment(**values):
                row = Comment(project_id=project.id, chapter_id=chapter.id, **values)
                session.add(row)
                session.flush()
                return row

            blocked = comment(author_id=users[0].id, body="Ein Kommentar, der gegen die Regeln verstößt.",
                              created_at=now - timedelta(hours=5), blocked_at=now, block_reason="insult",
                              block_text="Bitte bleiben Sie sachlich.", reply_count=1, report_count=2)
            comment(author_id=users[1].id, parent_id=blocked.id, body="Eine Antwort darauf bleibt lesbar.",
                    created_at=now - timedelta(hours=4))
            comment(author_id=users[1].id, body="Ein Kommentar, den mehrere gemeldet haben.",
                    created_at=now - timedelta(hours=3), hidden_at=now, report_count=3, open_report_count=3)
            helpful = comment(author_id=users[0].id, body="Ein besonders hilfreicher Vorschlag.",
                              created_at=now - timedelta(hours=2), highlighted_at=now, reply_count=1)
            answer = comment(author_id=moderator.id, parent_id=helpful.id, official=True,
                             created_at=now - timedelta(hours=1), body="Danke! Das nehmen wir in den Entwurf auf.")
            # As the moderation page's answer form records it: the item page finds its answers in the log.
            session.add(AuditEntry(actor_id=moderator.id, actor_name=moderator.username, action="comment.answer",
                                   object_type="comment", object_id=helpful.id, project_id=project.id,
                                   details=json.dumps({"answer_id": answer.id})))
            session.commit()
