"""A project's discussion rules, its moderation settings, and comments hidden automatically after reports."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import update as sa_update
from sqlmodel import Session, select

from tests.factories import CommentFactory, ReportFactory
from tests.support import csrf_token, make_user, soup
from tests.test_simple_language import problems
from webapp.audit.models import AuditEntry
from webapp.conduct import rules as discussion_rules
from webapp.models import Comment, DiscussionRules, ModerationSettings, Project
from webapp.moderation import autohide

SETTINGS = "/de/staff/projects/{slug}/moderation/settings"
DEFAULT_WORDS = {"de": "Respektvoll bleiben", "en": "Be respectful", "einfach": "Seien Sie freundlich"}


def sign_in(client, user):
    """Logged in as Flask-Login records it (the login form itself is tested elsewhere)."""
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = user.get_id(), True


def project_of(session, slug) -> Project:
    session.expire_all()
    return session.exec(select(Project).where(Project.slug == slug)).one()


def fresh_project(app, session) -> Project:
    """A published project of its own (a copy of the demo's Smart City one), so settings never leak between tests."""
    from tests.support import TODAY
    from webapp import demo
    from webapp.projects.models import Organisation

    organisation = session.exec(select(Organisation).where(Organisation.slug == "eichbrunn")).one()
    project = demo.build_project(demo._read("smart-city.toml"), organisation, TODAY, slug=f"regeln-{secrets.token_hex(3)}")
    project.published = True
    session.add(project)
    session.commit()
    return project_of(session, project.slug)


def comment_in(session, project, author) -> Comment:
    return CommentFactory(session=session, project=project, author=author, body=f"Ein Beitrag {secrets.token_hex(4)}")


def save(client, slug, **data):
    url = SETTINGS.format(slug=slug)
    page = soup(client.get(url))
    fields = {t["name"]: t.get_text().lstrip("\r\n") for t in page.select("main textarea")}
    chosen = page.select_one("#auto_hide_after option[selected]")
    fields["auto_hide_after"] = chosen["value"] if chosen else ""
    return client.post(url, data={**fields, "csrf_token": csrf_token(client.get(url)), **data})


def entries(session, action, project) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action,
                                                      AuditEntry.project_id == project.id)).all())


@pytest.fixture()
def initiator(app):
    return make_user(app, role="initiator")


@pytest.mark.parametrize("prefix", ["de", "en", "einfach"])
def test_a_project_without_rules_shows_the_default_text_in_every_mode(client, prefix):
    response = client.get(f"/{prefix}/projects/smart-city/rules")
    assert response.status_code == 200
    page = soup(response)
    assert DEFAULT_WORDS[prefix] in page.select_one(".prose").get_text()
    assert page.select_one(".notice--language") is None and not page.select_one(".prose").get("lang")
    assert page.select_one("nav.breadcrumbs a[href$='/projects/smart-city']") is not None
    assert page.h1.get_text().startswith({"de": "Diskussionsregeln", "en": "Discussion rules",
                                          "einfach": "Regeln für Kommentare"}[prefix])


def test_the_simple_default_text_is_simple():
    assert problems(discussion_rules.default_rules("simple")) == []


def test_only_published_projects_have_a_rules_page(app, client, session):
    assert client.get("/de/projects/no-such-project/rules").status_code == 404
    draft = fresh_project(app, session)
    draft.published = False
    session.add(draft)
    session.commit()
    assert client.get(f"/de/projects/{draft.slug}/rules").status_code == 404
    initiator = app.test_client()
    sign_in(initiator, make_user(app, role="initiator"))
    assert initiator.get(SETTINGS.format(slug=draft.slug)).status_code == 200  # written before publishing


def test_every_comment_form_and_the_report_page_link_to_the_rules(app, client, session):
    author, reader = make_user(app), make_user(app)
    project = project_of(session, "smart-city")
    own = comment_in(session, project, reader)
    theirs = comment_in(session, project, author)
    sign_in(client, reader)
    chapter = project.document.chapters[0].slug
    rules = "a[href='/de/projects/smart-city/rules']"
    for url, where in ((f"/de/projects/smart-city/chapters/{chapter}", "#comment-form"),
                       (f"/de/projects/smart-city/comments/{theirs.id}/reply", "main form"),
                       (f"/de/projects/smart-city/comments/{own.id}/edit", "main form"),
                       (f"/de/projects/smart-city/comments/{theirs.id}/report", "main")):
        link = soup(client.get(url)).select_one(f"{where} {rules}")
        assert link is not None, url
        assert link.get_text() in ("Bitte halten Sie sich an unsere Diskussionsregeln", "Diskussionsregeln lesen"), url
    english = soup(client.get(f"/en/projects/smart-city/chapters/{chapter}")).select_one("#comment-form a[href$='/rules']")
    assert english.get_text() == "Please keep to our discussion rules" and english["href"] == "/en/projects/smart-city/rules"


def test_who_may_open_and_change_the_settings(app, session):
    project = fresh_project(app, session)
    cases = [(None, 302), (make_user(app), 403), (make_user(app, role="moderator", project=project.slug), 403),
             (make_user(app, role="initiator", project="radverkehr"), 403),
             (make_user(app, role="initiator"), 200), (make_user(app, role="admin"), 200)]
    for user, status in cases:
        visitor = app.test_client()
        if user is not None:
            sign_in(visitor, user)
        assert visitor.get(SETTINGS.format(slug=project.slug)).status_code == status, user
        if user is not None and status == 403:
            token = csrf_token(visitor.get("/de/"))
            response = visitor.post(SETTINGS.format(slug=project.slug),
                                    data={"csrf_token": token, "rules_de": "Nur nett sein.", "auto_hide_after": "2"})
            assert response.status_code == 403
    session.expire_all()
    assert session.exec(select(DiscussionRules).where(DiscussionRules.project_id == project.id)).first() is None
    assert session.get(ModerationSettings, project.id) is None


def test_initiators_write_the_rules_per_mode_and_german_stands_in_for_a_missing_one(app, client, session, initiator):
    project = fresh_project(app, session)
    sign_in(client, initiator)
    page = soup(client.get(SETTINGS.format(slug=project.slug)))
    assert DEFAULT_WORDS["de"] in page.select_one("textarea#rules_de").get_text()  # the default, to edit
    assert page.select_one("textarea#rules_en")["lang"] == "en"
    text = "Bitte **freundlich** bleiben.\n\n- Keine Werbung\n- <script>alert(1)</script>"
    response = save(client, project.slug, rules_de=text, rules_en="")
    assert response.status_code == 303 and response.headers["Location"].endswith(SETTINGS.format(slug=project.slug) + "#outcome")
    session.expire_all()
    rows = {r.language: r for r in session.exec(select(DiscussionRules).where(DiscussionRules.project_id == project.id))}
    assert set(rows) == {"de"} and rows["de"].body == text and rows["de"].updated_by_id == initiator.id
    [entry] = entries(session, "project.rules", project)
    assert entry.actor_id == initiator.id and '"de"' in entry.details

    german = soup(client.get(f"/de/projects/{project.slug}/rules"))
    prose = german.select_one(".prose")
    assert prose.select_one("strong").get_text() == "freundlich" and not prose.select("script")
    assert "<script>" in prose.get_text()  # shown as text, never run
    english = soup(client.get(f"/en/projects/{project.slug}/rules"))
    assert english.select_one(".notice--language") is not None and english.select_one(".prose")["lang"] == "de"
    assert "freundlich" in english.select_one(".prose").get_text()

    # Saving again unchanged changes nothing and logs nothing; emptying German brings the default back.
    assert save(client, project.slug).status_code == 303
    assert len(entries(session, "project.rules", project)) == 1
    assert save(client, project.slug, rules_de="").status_code == 303
    assert DEFAULT_WORDS["de"] in soup(client.get(f"/de/projects/{project.slug}/rules")).select_one(".prose").get_text()
    assert len(entries(session, "project.rules", project)) == 2


@pytest.mark.parametrize(("data", "field"), [
    ({"rules_de": "x" * 20_001}, "rules_de"),
    ({"rules_simple": "Regel\x07"}, "rules_simple"),
    ({"auto_hide_after": "1"}, "auto_hide_after"),
    ({"auto_hide_after": "drei"}, "auto_hide_after"),
])
def test_settings_with_a_mistake_come_back_and_store_nothing(app, client, session, initiator, data, field):
    project = fresh_project(app, session)
    sign_in(client, initiator)
    response = save(client, project.slug, **data)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f".error-summary a[href='#{field}']") is not None
    assert page.title.get_text().startswith("Fehler:")
    assert entries(session, "project.rules", project) == [] and entries(session, "project.settings", project) == []


def report(app, comment, slug, reporter_account=None, address=None):
    """A new confirmed participant (or ``reporter_account``) reports ``comment`` through the report form, each from
    an address of their own (reports of one comment are limited per address); the reporter's account."""
    import random

    reporter = app.test_client()
    reporter.environ_base["REMOTE_ADDR"] = address or f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    reporter_account = reporter_account or make_user(app)
    sign_in(reporter, reporter_account)
    url = f"/de/projects/{slug}/comments/{comment.id}/report"
    response = reporter.post(url, data={"csrf_token": csrf_token(reporter.get(url)), "reason": "insult"})
    assert response.status_code == 303
    return reporter_account


def test_a_comment_is_hidden_once_as_many_people_reported_it_as_the_project_set(app, client, session, initiator):
    project = fresh_project(app, session)
    sign_in(client, initiator)
    assert save(client, project.slug, auto_hide_after="3").status_code == 303
    [entry] = entries(session, "project.settings", project)
    assert entry.actor_id == initiator.id and '"auto_hide_after": 3' in entry.details
    rules_page = soup(client.get(f"/en/projects/{project.slug}/rules")).main.get_text()
    assert "hidden once 3 different people have reported it" in rules_page

    comment = comment_in(session, project, make_user(app))
    for _ in range(2):
        report(app, comment, project.slug)
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None
    report(app, comment, project.slug)
    session.expire_all()
    hidden = session.get(Comment, comment.id)
    assert hidden.hidden_at is not None and hidden.open_report_count == 3
    [hide] = session.exec(select(AuditEntry).where(AuditEntry.action == "comment.auto_hide",
                                                   AuditEntry.object_id == comment.id)).all()
    assert hide.actor_id is None and hide.actor_name == "system" and hide.project_id == project.id


def test_automatic_hiding_is_off_by_default(app, session):
    project = fresh_project(app, session)
    comment = comment_in(session, project, make_user(app))
    for _ in range(4):
        report(app, comment, project.slug)
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None
    assert soup(app.test_client().get(f"/en/projects/{project.slug}/rules")).find(string="Comments hidden after reports") is None


def test_a_hidden_or_blocked_comment_is_not_hidden_again_and_one_reviewed_needs_new_reports(app, session):
    """maybe_hide counts open reports only: those no moderator has dealt with yet."""
    from datetime import UTC, datetime

    from webapp.moderation.models import Report

    project = fresh_project(app, session)
    session.add(ModerationSettings(project_id=project.id, auto_hide_after=2))
    session.commit()
    comment = comment_in(session, project, make_user(app))
    first, second, third = make_user(app), make_user(app), make_user(app)
    ReportFactory(session=session, comment=comment, reporter=first, reason="spam", resolved_at=datetime.now(UTC))
    ReportFactory(session=session, comment=comment, reporter=second, reason="spam")
    with app.test_request_context("/de/"):
        from webapp import db

        with db.transaction() as work:
            mine = work.get(Comment, comment.id)
            mine.report_count, mine.open_report_count, mine.reviewed_at = 2, 1, datetime.now(UTC)
            assert autohide.maybe_hide(mine) is False  # reviewed: one open report is not enough
            work.add(Report(comment_id=comment.id, reporter_id=third.id, reason="insult"))
            mine.open_report_count = 2
            assert autohide.maybe_hide(mine) is True
            assert autohide.maybe_hide(mine) is False  # hidden already: once
            work.flush()
        with db.transaction() as work:
            other = comment_in(work, project, make_user(app))
            other.blocked_at, other.open_report_count = datetime.now(UTC), 3
            assert autohide.maybe_hide(other) is False
    session.expire_all()
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "comment.auto_hide",
                                                     AuditEntry.project_id == project.id)).all()) == 1


# Hiding that one person cannot bring about (security report N2, citizens report 7) ---------------------------

def test_reports_of_deleted_or_unconfirmed_accounts_do_not_count_and_one_hidden_by_them_comes_back(app, session):
    from tests.support import PASSWORD

    project = fresh_project(app, session)
    session.add(ModerationSettings(project_id=project.id, auto_hide_after=3))
    session.commit()
    comment = comment_in(session, project, make_user(app))
    unconfirmed = make_user(app, confirmed=False)
    with Session(app.extensions["db_engine"]) as writer:  # an unconfirmed account cannot report through the page
        from webapp.moderation.models import Report

        writer.add(Report(comment_id=comment.id, reporter_id=unconfirmed.id, reason="spam"))
        writer.exec(sa_update(Comment).where(Comment.id == comment.id).values(report_count=1, open_report_count=1))
        writer.commit()
    reporters = [report(app, comment, project.slug) for _ in range(2)]
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None  # 3 open reports, 2 that count
    report(app, comment, project.slug)
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is not None
    # One reporter deletes the account: their report stops counting, and the comment is shown again.
    gone = app.test_client()
    sign_in(gone, reporters[0])
    page = gone.get("/de/account/delete")
    assert gone.post("/de/account/delete", data={"csrf_token": csrf_token(page),
                                                  "current_password": PASSWORD}).status_code == 303
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "comment.auto_show",
                                                 AuditEntry.object_id == comment.id)).first() is not None


def test_official_answers_and_staff_comments_are_never_hidden_automatically(app, session):
    project = fresh_project(app, session)
    session.add(ModerationSettings(project_id=project.id, auto_hide_after=2))
    session.commit()
    official = comment_in(session, project, make_user(app, role="admin"))
    official.official = True
    session.add(official)
    session.commit()
    for comment in (official, comment_in(session, project, make_user(app, role="admin"))):
        for _ in range(3):
            report(app, comment, project.slug)
        session.expire_all()
        assert session.get(Comment, comment.id).hidden_at is None


def test_reports_of_one_comment_are_limited_per_address(app, session):
    project = fresh_project(app, session)
    comment = comment_in(session, project, make_user(app))
    for _ in range(2):
        report(app, comment, project.slug, address="10.9.9.9")
    reporter = app.test_client()
    reporter.environ_base["REMOTE_ADDR"] = "10.9.9.9"
    sign_in(reporter, make_user(app))
    url = f"/de/projects/{project.slug}/comments/{comment.id}/report"
    response = reporter.post(url, data={"csrf_token": csrf_token(reporter.get(url)), "reason": "spam"})
    assert response.status_code == 429 and "Zu viele Versuche" in soup(response).main.get_text()
    session.expire_all()
    assert session.get(Comment, comment.id).report_count == 2


def wants_each_report(app, moderator) -> None:
    """``moderator`` chooses a mail for each reported comment."""
    from webapp.accounts.models import User

    with Session(app.extensions["db_engine"]) as writer:
        writer.get(User, moderator.id).report_mail = "each"
        writer.commit()


def test_a_comment_hidden_automatically_tells_its_author_and_the_moderators(app, session):
    from tests.support import mails_to

    project = fresh_project(app, session)
    session.add(ModerationSettings(project_id=project.id, auto_hide_after=2))
    session.commit()
    author = make_user(app, language="simple")
    watcher = make_user(app, role="moderator", project=project.slug)
    wants_each_report(app, watcher)
    comment = comment_in(session, project, author)
    for _ in range(2):
        report(app, comment, project.slug)
    [told] = mails_to(app, author.email)
    assert "versteckt" in told["Subject"].lower() or "ausgeblendet" in told["Subject"].lower()
    assert f"/einfach/projects/{project.slug}/comments/{comment.id}" in told.get_content()
    assert told["Reply-To"] == project.organisation.email
    hidden = [m for m in mails_to(app, watcher.email) if "ausgeblendet" in m["Subject"]]
    assert len(hidden) == 1 and f"/moderation/comments/{comment.id}" in hidden[0].get_content()


def test_a_threshold_applies_to_the_reports_a_comment_already_has(app, client, session, initiator):
    project = fresh_project(app, session)
    comment = comment_in(session, project, make_user(app))
    for _ in range(2):
        report(app, comment, project.slug)
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is None  # no automatic hiding yet
    sign_in(client, initiator)
    response = save(client, project.slug, auto_hide_after="2")
    assert response.status_code == 303
    assert "1 Kommentar hatte diese Zahl an Meldungen schon" in soup(client.get(response.headers["Location"])).main.get_text()
    session.expire_all()
    assert session.get(Comment, comment.id).hidden_at is not None


@pytest.mark.parametrize(("prefix", "language"), [("de", "de"), ("en", "en"), ("einfach", "simple")])
def test_every_link_in_the_hiding_mails_opens_in_every_mode(app, session, prefix, language):
    """The author opens theirs logged out (the discussion is public), the moderator theirs logged in."""
    import re
    from urllib.parse import urlsplit

    from tests.support import login, mails_to

    project = fresh_project(app, session)
    session.add(ModerationSettings(project_id=project.id, auto_hide_after=2))
    project.published = True
    session.add(project)
    session.commit()
    author, watcher = make_user(app, language=language), make_user(app, role="moderator", language=language,
                                                                    project=project.slug)
    wants_each_report(app, watcher)
    comment = comment_in(session, project, author)
    for _ in range(2):
        report(app, comment, project.slug)
    moderator = app.test_client()
    login(moderator, watcher)
    for person, opener in ((author, app.test_client()), (watcher, moderator)):
        [message] = [m for m in mails_to(app, person.email) if "/comments/" in m.get_content()][-1:]
        links = re.findall(r"https?://[^\s<>\"']+", message.get_content())
        assert links
        for url in links:
            assert url.startswith(app.config["PUBLIC_BASE_URL"] + f"/{prefix}/"), url
            parts = urlsplit(url)
            assert opener.get(parts.path, follow_redirects=True).status_code == 200, url
