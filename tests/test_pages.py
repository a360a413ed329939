"""The reading side as a reader relies on it: every page, in every mode, with its structure."""

from urllib.parse import urlsplit

import pytest
from sqlmodel import select

from a11y.pages import all_urls
from tests.support import soup
from webapp.i18n import MODES
from webapp.models import Comment, Project


def test_every_page_in_every_mode_answers_as_expected(client, session):
    for url, page in all_urls(session):
        response = client.get(url)
        assert response.status_code == page.status, url
        assert response.mimetype == "text/html"
        assert "HX-Request" in response.headers.get("Vary", ""), url


@pytest.mark.slow
def test_every_page_has_one_h1_lang_title_landmarks_and_a_skip_link_first(client, session):
    for url, _page in all_urls(session):
        mode = next(m for m in MODES.values() if url.startswith(f"/{m.prefix}/"))
        html = soup(client.get(url))
        assert html.html["lang"] == mode.html_lang, url
        assert len(html.find_all("h1")) == 1, url
        assert html.title.string.strip(), url
        assert html.find("main", id="main") and html.find("header") and html.find("footer"), url
        first_link = html.body.find(["a", "button", "input", "select", "textarea"])
        assert first_link["href"] == "#main" and "skip-link" in first_link["class"], url
        levels = [int(h.name[1]) for h in html.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (url, levels)


@pytest.mark.slow
def test_every_link_on_every_page_leads_somewhere(client, session):
    """Plain links are the whole navigation: each internal one must resolve (no JS needed)."""
    seen = {}
    for url, page in all_urls(session):
        if page.status != 200:
            continue
        for anchor in soup(client.get(url)).find_all("a", href=True):
            target = urlsplit(anchor["href"])
            if target.scheme or target.netloc or not target.path:
                continue
            if target.path not in seen:  # permalinks redirect to their page: follow them
                seen[target.path] = client.get(target.path, follow_redirects=True).status_code
            assert seen[target.path] == 200, (url, anchor["href"])
    assert len(seen) > 50


def test_language_switcher_links_this_page_in_every_mode(client):
    html = soup(client.get("/en/projects/smart-city/chapters/gemeinsam"))
    links = html.find("nav", class_="languages").find_all("a")
    assert [(a["href"], a["lang"], a["hreflang"]) for a in links] == [
        ("/de/projects/smart-city/chapters/gemeinsam", "de", "de"),
        ("/en/projects/smart-city/chapters/gemeinsam", "en", "en"),
        ("/einfach/projects/smart-city/chapters/gemeinsam", "de", "de"),
    ]
    assert [a.get("aria-current") for a in links] == [None, "true", None]
    assert [a.get_text() for a in links] == ["Deutsch", "English", "Einfache Sprache"]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("de", "Zum Inhalt springen"), ("en", "Skip to content"), ("einfach", "Zum Inhalt springen")],
)
def test_interface_is_translated(client, prefix, expected):
    html = soup(client.get(f"/{prefix}/projects/smart-city"))
    assert html.find("a", class_="skip-link").get_text() == expected


def test_root_redirects_to_the_browsers_language(client):
    assert client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).headers["Location"] == "/en/"
    assert client.get("/", headers={"Accept-Language": "fr"}).headers["Location"] == "/de/"


def test_home_lists_projects_by_state_with_dates_in_words(client):
    html = soup(client.get("/de/"))
    sections = {s.h2.get_text(): s for s in html.find_all("section", class_="project-group")}
    assert list(sections) == ["Laufende Projekte", "Geplante Projekte", "Abgeschlossene Projekte"]
    running, upcoming, finished = sections.values()
    assert "Smart-City-Strategie" in running.get_text()
    assert "Spielplatz" in upcoming.get_text() and upcoming.find("time")
    assert "Radverkehr" in finished.get_text() and finished.find("time")


def test_project_page_has_timeline_background_link_and_contents(client):
    html = soup(client.get("/de/projects/smart-city"))
    current = html.select('.timeline [aria-current="step"]')
    assert len(current) == 1 and "Aktuelle Phase" in current[0].get_text()
    for time in html.select(".timeline time"):
        assert time["datetime"][:4].isdigit() and time["datetime"][-6] in "+-"
    assert html.find("a", string="Bitte zuerst lesen: Hintergrund")
    assert len(html.select("ol.toc a")) >= 5


def test_chapter_page_navigation(client, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapters = project.document.chapters
    second = chapters[1]
    html = soup(client.get(f"/de/projects/smart-city/chapters/{second.slug}"))
    crumbs = [li.get_text(strip=True) for li in html.select("nav.breadcrumbs li")]
    assert crumbs[0] == "Startseite" and crumbs[-1] == second.localized("de").text.title
    assert html.select_one('nav.breadcrumbs [aria-current="page"]')
    previous = html.select_one(".pager a[rel=prev]")
    following = html.select_one(".pager a[rel=next]")
    assert chapters[0].localized("de").text.title in previous.get_text()
    assert chapters[2].localized("de").text.title in following.get_text()
    current = html.select('ol.toc a[aria-current="page"]')
    assert len(current) == 1 and current[0]["href"].endswith(second.slug)
    for number, _paragraph in enumerate(second.paragraphs, start=1):
        section = html.find(id=f"paragraph-{number}")
        assert section is not None
        assert section.find("a", href=f"/de/projects/smart-city/chapters/{second.slug}/paragraph-{number}#discussion")


def test_first_and_last_chapter_have_only_one_neighbour(client, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    first, last = project.document.chapters[0], project.document.chapters[-1]
    html = soup(client.get(f"/de/projects/smart-city/chapters/{first.slug}"))
    assert not html.select(".pager a[rel=prev]") and html.select(".pager a[rel=next]")
    html = soup(client.get(f"/de/projects/smart-city/chapters/{last.slug}"))
    assert html.select(".pager a[rel=prev]") and not html.select(".pager a[rel=next]")


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("smart-city", "Kommentieren ist jetzt möglich"),
        ("radverkehr", "Kommentieren war bis zum"),
        ("spielplaetze", "Kommentieren ist ab dem"),
    ],
)
def test_discussion_area_says_what_the_phase_allows(client, session, slug, expected):
    project = session.exec(select(Project).where(Project.slug == slug)).one()
    chapter = project.document.chapters[0]
    html = soup(client.get(f"/de/projects/{slug}/chapters/{chapter.slug}"))
    discussion = html.find("section", attrs={"aria-labelledby": "discussion-heading"})
    text = " ".join(discussion.get_text().split())
    assert expected in text, text
    if slug != "smart-city":
        assert discussion.find("time") and discussion.find("a", href=lambda h: h and h.startswith("mailto:"))


def test_missing_simple_text_falls_back_to_german_with_a_notice(client, session):
    project = session.exec(select(Project).where(Project.slug == "radverkehr")).one()
    last = project.document.chapters[-1]
    html = soup(client.get(f"/einfach/projects/radverkehr/chapters/{last.slug}"))
    assert html.find(class_="notice--language")
    html = soup(client.get(f"/einfach/projects/radverkehr/chapters/{project.document.chapters[0].slug}"))
    assert not html.find(class_="notice--language")


def test_english_page_marks_german_fallback_text_with_lang(client, session):
    """A German text inside an English page is marked so screen readers switch voice."""
    from webapp.models import ChapterText

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = project.document.chapters[0]
    english = next(t for t in chapter.texts if t.language == "en")
    session.delete(english)
    session.commit()
    try:
        html = soup(client.get(f"/en/projects/smart-city/chapters/{chapter.slug}"))
        assert html.h1["lang"] == "de"
        assert html.find(class_="notice--language")
    finally:
        session.add(ChapterText(chapter_id=chapter.id, language="en", title=english.title))
        session.commit()


@pytest.mark.parametrize(
    "url",
    [
        "/xx/",
        "/de/projects/no-such-project",
        "/de/projects/smart-city/chapters/no-such-chapter",
        "/de/projects/smart-city/chapters/gemeinsam/paragraphs/999999",
        "/de/projects/smart-city/chapters/gemeinsam/paragraph-0",
        "/de/projects/smart-city/chapters/gemeinsam/paragraph-999",
        "/de/projects/%C3%A4%E2%80%AE%F0%9F%98%80",
        "/de/projects/smart-city%00",
        "/de/projects/" + "a" * 5000,
        "/de/no-such-page",
    ],
)
def test_unknown_addresses_get_the_localized_404_with_links_back(client, url):
    response = client.get(url)
    assert response.status_code == 404
    html = soup(response)
    assert html.h1.get_text() in ("Seite nicht gefunden", "Page not found")
    assert html.find("a", href="/de/") or html.find("a", href="/en/")


def test_a_paragraphs_address_is_its_number_in_the_chapter(client, session):
    """"Absatz 2" is at .../paragraph-2, whatever its database id; the old addresses by id move there for good."""
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    chapter = next(c for c in project.document.chapters if c.slug == "offen")
    base = "/de/projects/smart-city/chapters/offen"
    for number, paragraph in enumerate(chapter.paragraphs, start=1):
        page = client.get(f"{base}/paragraph-{number}")
        assert page.status_code == 200
        assert soup(page).h1.get_text().startswith(f"Absatz {number}")
        moved = client.get(f"{base}/paragraphs/{paragraph.id}?sort=oldest")
        assert moved.status_code == 301
        assert moved.headers["Location"] == f"{base}/paragraph-{number}?sort=oldest"
    chapter_page = soup(client.get(base))
    assert chapter_page.find(id="paragraph-1").find("a")["href"] == f"{base}/paragraph-1#discussion"


def test_a_paragraph_of_another_chapter_is_not_found(client, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    first, second = project.document.chapters[:2]
    response = client.get(f"/de/projects/smart-city/chapters/{first.slug}/paragraphs/{second.paragraphs[0].id}")
    assert response.status_code == 404


def test_bad_requests_are_4xx_pages_never_500(client):
    assert client.get("/de/?" + "q=" + "x" * 100_000).status_code == 200
    response = client.post("/de/projects/smart-city")
    assert response.status_code in (400, 405)
    assert client.delete("/en/").status_code == 405
    assert soup(client.delete("/en/")).h1.get_text() == "Method not allowed"


def test_unexpected_errors_show_the_localized_500_page_without_traceback(database_url):
    from webapp import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 40})

    @app.get("/<mode:mode>/boom")
    def boom(mode):
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/de/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Etwas ist schiefgelaufen" in body
    assert "secret internal detail" not in body and "Traceback" not in body


def test_project_image_is_shown_only_with_its_alternative_text(client, session):
    from webapp.models import ProjectText

    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    project.image_path = "favicon.svg"
    session.add(project)
    session.commit()
    try:
        assert project.missing_image_alt() == ["de", "en", "simple"]
        assert soup(client.get("/de/projects/smart-city")).find("img") is None
        german = next(t for t in project.texts if t.language == "de")
        german.image_alt = "Logo von Mitreden"
        session.add(german)
        session.commit()
        image = soup(client.get("/de/projects/smart-city")).find("img", class_="project-image")
        assert image["alt"] == "Logo von Mitreden" and image["src"].startswith("/assets/")
    finally:
        project.image_path = None
        for text in session.exec(select(ProjectText).where(ProjectText.project_id == project.id)).all():
            text.image_alt = None
            session.add(text)
        session.add(project)
        session.commit()


def test_chapter_page_queries_do_not_grow_with_its_paragraphs(app, client, session):
    """No query per paragraph: a long chapter costs the database what a short one does."""
    from tests.support import QueryCounter

    project = session.exec(select(Project).where(Project.slug == "radverkehr")).one()
    # Two chapters without comments (comments add a fixed number of queries of their own).
    short, long = (next(c for c in project.document.chapters if c.slug == slug)
                   for slug in ("radnetz", "abstellen-und-service"))
    assert len(long.paragraphs) > len(short.paragraphs)
    app.wsgi_app.pages.clear()  # both rendered here, not served from the page cache another test warmed
    counts = []
    for chapter in (short, long):
        with QueryCounter(app) as queries:
            assert client.get(f"/de/projects/radverkehr/chapters/{chapter.slug}").status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1]


def test_unpublished_projects_are_not_shown(client, session):
    project = session.exec(select(Project).where(Project.slug == "spielplaetze")).one()
    project.published = False
    session.add(project)
    session.commit()
    try:
        assert client.get("/de/projects/spielplaetze").status_code == 404
        assert client.get(f"/de/projects/spielplaetze/chapters/{project.document.chapters[0].slug}").status_code == 404
        assert "/de/projects/spielplaetze" not in client.get("/de/").get_data(as_text=True)
    finally:
        project.published = True
        session.add(project)
        session.commit()


@pytest.mark.slow
def test_every_page_has_a_description(client, session):
    for url, page in all_urls(session):
        if page.status == 200:
            meta = soup(client.get(url)).find("meta", attrs={"name": "description"})
            assert meta and meta["content"].strip(), url


def test_chapter_page_queries_do_not_grow_with_the_rest_of_the_database(app, client, session):
    """Other projects' comments cost the chapter page nothing: the same queries as before they existed."""
    from datetime import date

    from tests.support import QueryCounter
    from webapp.demo import _read, build_project
    from webapp.models import Organisation

    path = "/de/projects/smart-city/chapters/mobil"
    cache, app.config["PAGE_CACHE_SECONDS"] = app.config.get("PAGE_CACHE_SECONDS"), 0  # count rendering queries

    def queries() -> int:
        with QueryCounter(app) as counter:
            assert client.get(path).status_code == 200
        return counter.count

    before = queries()
    data = _read("smart-city.toml")
    organisation = session.exec(select(Organisation)).first()
    author = session.exec(select(Comment.author_id).where(Comment.author_id.is_not(None))).first()
    others = [build_project(data, organisation, date.today(), slug=f"weitere-{n}") for n in range(2)]
    session.add_all(others)
    session.commit()
    try:
        for project in others:
            for chapter in project.document.chapters:
                tops = [Comment(project_id=project.id, chapter_id=chapter.id, author_id=author, body=f"Anderswo {n}",
                                paragraph_id=chapter.paragraphs[0].id if n % 2 else None) for n in range(20)]
                session.add_all(tops)
                session.flush()
                session.add_all(Comment(project_id=project.id, chapter_id=chapter.id, parent_id=top.id,
                                        paragraph_id=top.paragraph_id, author_id=author, body="Antwort")
                                for top in tops)
        session.commit()
        assert queries() == before
    finally:
        app.config["PAGE_CACHE_SECONDS"] = cache
        from sqlalchemy import delete

        for project in others:  # the database refuses to delete commented projects: this test's comments first
            session.execute(delete(Comment).where(Comment.project_id == project.id, Comment.parent_id.is_not(None)))
            session.execute(delete(Comment).where(Comment.project_id == project.id))
            session.delete(project)
        session.commit()


def test_chapter_page_jumps_to_the_comments_and_paragraph_links_say_one_can_comment(client):
    """Logged out while commenting is open: the paragraph links still say one can comment there."""
    html = soup(client.get("/de/projects/smart-city/chapters/teilhabe"))
    assert html.select_one(".chapter-meta a[href='#discussion']") and html.find(id="discussion")
    links = [a.get_text() for a in html.select(".paragraph__link a")]
    assert links and all(text.startswith("Absatz") or "kommentieren" in text for text in links), links
    closed = soup(client.get("/de/projects/radverkehr/chapters/sicher-unterwegs"))
    assert all("lesen" in a.get_text() for a in closed.select(".paragraph__link a"))


def test_the_menu_offers_sign_language_only_once_its_video_is_there(app, client, monkeypatch):
    """Until then the page (in the footer) says that the video is still being made: a menu entry would promise it."""
    from dataclasses import replace

    from webapp.pages import content

    html = soup(client.get("/de/accessibility"))
    assert not html.find("nav", class_="main-menu").find("a", href="/de/sign-language")
    assert html.find("footer").find("a", href="/de/sign-language")
    assert not soup(client.get("/de/sign-language")).find("video")

    real = content._load
    monkeypatch.setattr(content, "_load", lambda name: tuple(
        replace(text, video="/assets/dgs.mp4", captions="/assets/dgs.vtt") for text in real(name))
        if name == "sign-language" else real(name))
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    html = soup(client.get("/en/privacy"))
    assert html.find("nav", class_="main-menu").find("a", href="/en/sign-language")
    video = soup(client.get("/en/sign-language")).find("video")
    assert video["src"] == "/assets/dgs.mp4" and video.find("track", kind="captions")["src"] == "/assets/dgs.vtt"
