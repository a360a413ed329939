"""Reporting a comment to the moderators, as readers rely on it: plain forms, no JavaScript needed."""

import json
import re
import secrets
from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from tests.factories import CommentFactory
from tests.support import PASSWORD, accessible_name, csrf_token, login, make_user, post_form, soup
from webapp.models import Comment, Report

CHAPTERS = {"smart-city": "nachhaltig", "radverkehr": "sicher-unterwegs"}
CHAPTER = "/de/projects/smart-city/chapters/nachhaltig"


def comment_by(app, session, author, slug="smart-city", deleted=False) -> Comment:
    """A new top-level comment by ``author`` on one chapter of ``slug``."""
    return CommentFactory(session=session, project=slug, chapter=CHAPTERS[slug], author=author,
                          body="" if deleted else f"Zu melden {secrets.token_hex(4)}",
                          deleted_at=datetime.now(UTC) if deleted else None)


def report_url(comment, slug="smart-city", prefix="de"):
    return f"/{prefix}/projects/{slug}/comments/{comment.id}/report"


def reports_of(session, comment) -> list[Report]:
    session.expire_all()
    return list(session.exec(select(Report).where(Report.comment_id == comment.id)).all())


def send(client, url, page=None, **data):
    """The report form sent with the CSRF token of ``page`` (default: the form page itself)."""
    token = csrf_token(client.get(page or url))
    return client.post(url, data={"csrf_token": token, **data})


@pytest.fixture()
def author(app):
    return make_user(app)


@pytest.fixture()
def reader(app, client):
    """A confirmed participant, logged in with ``client``."""
    user = make_user(app)
    login(client, user)
    return user


def test_a_report_is_stored_and_the_reader_is_thanked_at_the_comment(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    page = client.get(report_url(comment))
    assert page.status_code == 200
    html = soup(page)
    assert html.h1.get_text() == "Kommentar melden"
    assert comment.body in html.find("blockquote").get_text()
    assert author.username in html.find("figcaption").get_text()
    form = html.find("main").find("form", method="post")
    fieldset = form.find("fieldset")
    assert fieldset.legend.get_text() == "Warum melden Sie diesen Kommentar?"
    radios = [r for r in fieldset.find_all("input", type="radio") if not r.has_attr("hidden")]
    assert [r["value"] for r in radios] == ["insult", "spam", "personal_data", "off_topic", "other"]
    assert not any(r.has_attr("checked") for r in fieldset.find_all("input", type="radio"))
    assert all(form.find("label", attrs={"for": r["id"]}).get_text().strip() for r in radios)
    textarea = form.find("textarea", id="explanation")
    assert "1.000" in html.find(id=textarea["aria-describedby"]).get_text()
    assert form.find(class_="hp") and form.find("button", type="submit").get_text() == "Meldung senden"
    assert html.find("a", string="Zurück zur Diskussion")

    response = client.post(report_url(comment), data={"csrf_token": csrf_token(page), "reason": "personal_data",
                                                      "explanation": "  Nennt die Adresse einer Nachbarin.  "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/chapters/nachhaltig#comment-{comment.id}")
    [stored] = reports_of(session, comment)
    assert (stored.reporter_id, stored.reason, stored.explanation) == \
        (reader.id, "personal_data", "Nennt die Adresse einer Nachbarin.")
    assert stored.created_at.tzinfo is not None and stored.resolved_at is None
    assert stored.comment_text == comment.body  # what the moderators will see, even if the author edits it
    flash = soup(client.get(response.headers["Location"])).find(class_="flash", role="status")
    assert "Danke. Die Moderation prüft diesen Kommentar." in flash.get_text()


@pytest.mark.parametrize(("fields", "field_id", "expected"), [
    ({}, "reason", "Bitte wählen Sie aus, warum"),
    ({"reason": "boring"}, "reason", "Bitte wählen Sie aus, warum"),
    ({"reason": "spam", "explanation": "x" * 1001}, "explanation", "1000 Zeichen"),
    ({"reason": "spam", "explanation": "Steuer\x00zeichen"}, "explanation", "Steuerzeichen"),
])
def test_a_form_with_a_mistake_is_explained_and_keeps_the_text(app, client, session, author, reader,
                                                                fields, field_id, expected):
    comment = comment_by(app, session, author)
    fields.setdefault("explanation", "Das ist Werbung für einen Laden.")
    response = send(client, report_url(comment), **fields)
    assert response.status_code == 422
    html = soup(response)
    assert html.title.get_text().startswith("Fehler:")
    link = html.find(id="error-summary").find("a", href=f"#{field_id}")
    assert link and expected in link.get_text()
    target = html.find(id=field_id)
    assert target.name in ("input", "textarea")  # the summary's link lands on a control
    described = (target.find_parent("fieldset") or target)["aria-describedby"].split()
    assert f"{field_id}-error" in described and expected in html.find(id=f"{field_id}-error").get_text()
    assert html.find("textarea", id="explanation").get_text().strip() == \
        fields["explanation"].strip().replace("\x00", "\ufffd")
    assert reports_of(session, comment) == []


def test_the_reason_the_reader_chose_is_still_chosen_after_a_mistake(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    response = send(client, report_url(comment), reason="off_topic", explanation="x" * 1001)
    assert soup(response).find("input", value="off_topic").has_attr("checked")


def test_an_expired_form_keeps_the_text_and_says_so(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    response = client.post(report_url(comment), data={"csrf_token": "expired", "reason": "spam",
                                                      "explanation": "Mein Hinweis"})
    assert response.status_code == 422
    html = soup(response)
    assert "abgelaufen" in html.find(id="error-summary").get_text()
    assert html.find("textarea", id="explanation").get_text().strip() == "Mein Hinweis"
    assert reports_of(session, comment) == []


def test_ones_own_comment_cannot_be_reported_and_has_no_report_link(app, client, session, reader):
    own, others = comment_by(app, session, reader), comment_by(app, session, make_user(app))
    page = client.get(report_url(own))
    assert page.status_code == 403
    html = soup(page)
    assert html.find(role="alert").get_text() == "Ihren eigenen Kommentar können Sie nicht melden."
    assert not html.find("main").find("form")
    assert send(client, report_url(own), page="/de/account/", reason="spam").status_code == 403
    assert reports_of(session, own) == []
    discussion = soup(client.get(CHAPTER))
    assert not discussion.find("article", id=f"comment-{own.id}").find("a", href=re.compile("/report$"))
    link = discussion.find("article", id=f"comment-{others.id}").find("a", href=report_url(others))
    # "Melden" on screen; which comment, for screen readers (WCAG 2.4.9: each link says what it acts on).
    assert link.get_text() == "Melden"
    assert re.fullmatch(r"Melden Kommentar von Tester \w+ vom \d+\. \w+ \d{4}, \d\d:\d\d Uhr: „Zu melden \w+“",
                        accessible_name(link))


def test_a_deleted_comment_cannot_be_reported_and_has_no_report_link(app, client, session, author, reader):
    comment = comment_by(app, session, author, deleted=True)
    page = client.get(report_url(comment))
    assert page.status_code == 403
    assert soup(page).find(role="alert").get_text() == "Dieser Kommentar wurde gelöscht."
    assert send(client, report_url(comment), page="/de/account/", reason="spam").status_code == 403
    assert reports_of(session, comment) == []
    article = soup(client.get(CHAPTER)).find("article", id=f"comment-{comment.id}")
    assert not article.find("a", href=re.compile("/report$"))


def test_a_second_report_of_the_same_comment_gets_a_clear_notice(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    assert send(client, report_url(comment), reason="spam").status_code == 303
    page = client.get(report_url(comment))
    assert page.status_code == 200
    notice = "Sie haben diesen Kommentar schon gemeldet. Die Moderation sieht ihn sich an."
    assert soup(page).find(role="alert").get_text() == notice and not soup(page).find("main").find("form")
    again = send(client, report_url(comment), page="/de/account/", reason="insult", explanation="Noch etwas")
    assert again.status_code == 409
    html = soup(again)
    assert html.find(role="alert").get_text() == notice
    assert html.find("textarea", id="kept-text").get_text() == "Noch etwas"
    assert [r.reason for r in reports_of(session, comment)] == ["spam"]


def test_the_same_form_sent_twice_stores_one_report(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    page = client.get(report_url(comment))
    data = {"csrf_token": csrf_token(page), "reason": "spam"}
    first, second = client.post(report_url(comment), data=data), client.post(report_url(comment), data=data)
    assert (first.status_code, second.status_code) == (303, 409)
    assert len(reports_of(session, comment)) == 1


def test_two_reports_at_the_same_moment_store_one_and_answer_without_an_error(app, client, session, author,
                                                                               reader, monkeypatch):
    """Both requests passed the "reported already?" check before either stored: the database decides."""
    from webapp.moderation import services

    comment = comment_by(app, session, author)
    assert send(client, report_url(comment), reason="spam").status_code == 303
    monkeypatch.setattr(services, "has_reported", lambda *_args: False)
    response = send(client, report_url(comment), reason="spam", explanation="Doppelt")
    assert response.status_code == 409
    assert "schon gemeldet" in soup(response).find(role="alert").get_text()
    assert len(reports_of(session, comment)) == 1


def test_the_honeypot_stores_nothing(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    response = send(client, report_url(comment), reason="spam", website="http://spam.example")
    assert response.status_code == 422 and soup(response).find(class_="error-summary").find("a", href="#website")
    assert reports_of(session, comment) == []


def test_logged_out_readers_see_the_link_and_are_taken_to_the_login_and_back(app, client, session, author):
    comment = comment_by(app, session, author)
    article = soup(client.get(CHAPTER)).find("article", id=f"comment-{comment.id}")
    assert article.find("a", href=report_url(comment))
    response = client.get(report_url(comment))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/de/account/login?next=") and report_url(comment).replace("/", "%2F") in location
    reader = make_user(app)
    form = soup(client.get(location)).find("main").find("form")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    back = client.post(form["action"], data={**fields, "email": reader.email, "password": PASSWORD})
    assert back.status_code == 303 and back.headers["Location"] == report_url(comment)
    assert soup(client.get(back.headers["Location"])).find("fieldset")


def test_a_logged_out_report_is_refused_with_the_text_kept_and_a_way_to_log_in(app, client, session, author):
    comment = comment_by(app, session, author)
    response = send(client, report_url(comment), page="/de/account/login", reason="spam", explanation="Mein Text")
    assert response.status_code == 403
    html = soup(response)
    assert "melden Sie sich an" in html.find(role="alert").get_text()
    assert html.find("textarea", id="kept-text").get_text() == "Mein Text"
    assert "next=" in html.find("a", href=re.compile("^/de/account/login"))["href"]
    assert reports_of(session, comment) == []


def test_unconfirmed_accounts_are_told_why_and_refused(app, client, session, author):
    comment = comment_by(app, session, author)
    login(client, make_user(app, confirmed=False))
    page = client.get(report_url(comment))
    assert page.status_code == 403 and "bestätigen" in soup(page).find(role="alert").get_text()
    assert send(client, report_url(comment), page="/de/account/", reason="spam").status_code == 403
    assert reports_of(session, comment) == []


def test_a_comment_in_a_finished_project_can_still_be_reported(app, client, session, author, reader):
    comment = comment_by(app, session, author, slug="radverkehr")
    chapter = soup(client.get("/de/projects/radverkehr/chapters/sicher-unterwegs"))
    assert not chapter.find("textarea", id="body")  # commenting is over ...
    assert chapter.find("a", href=report_url(comment, "radverkehr"))  # ... reporting is not
    response = send(client, report_url(comment, "radverkehr"), reason="insult")
    assert response.status_code == 303 and "/projects/radverkehr/" in response.headers["Location"]
    assert len(reports_of(session, comment)) == 1


def test_a_comment_is_reported_only_under_its_own_project(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    assert client.get(report_url(comment, "radverkehr")).status_code == 404
    assert send(client, report_url(comment, "radverkehr"), page="/de/account/", reason="spam").status_code == 404
    assert client.get("/de/projects/smart-city/comments/2147483648/report").status_code == 404


def test_reporting_is_rate_limited_per_account_with_the_text_kept(app, client, session, author, reader):
    comments = [comment_by(app, session, author) for _ in range(6)]
    assert send(client, report_url(comments[0])).status_code == 422  # a mistake does not count
    for comment in comments[:5]:
        assert send(client, report_url(comment), reason="spam").status_code == 303
    response = send(client, report_url(comments[5]), reason="insult", explanation="Bitte ansehen")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    html = soup(response)
    assert "warten" in html.find(role="alert").get_text()
    assert html.find("textarea", id="explanation").get_text().strip() == "Bitte ansehen"
    assert html.find("input", value="insult").has_attr("checked")
    assert reports_of(session, comments[5]) == []
    other = app.test_client()  # per account, not for everyone
    login(other, make_user(app))
    assert send(other, report_url(comments[5]), reason="spam").status_code == 303


def test_the_limit_comes_from_the_configuration(app, client, session, author, reader):
    comments = [comment_by(app, session, author) for _ in range(2)]
    app.config["REPORT_RATE_LIMIT"] = "1 per hour"
    try:
        assert send(client, report_url(comments[0]), reason="spam").status_code == 303
        assert send(client, report_url(comments[1]), reason="spam").status_code == 429
    finally:
        app.config["REPORT_RATE_LIMIT"] = "5 per hour;20 per day"


def test_the_data_download_contains_the_readers_reports(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    send(client, report_url(comment), reason="off_topic", explanation="Passt nicht")
    data = json.loads(client.get("/de/account/data.json").data)
    [entry] = data["reports"]
    assert entry["comment_id"] == comment.id and entry["reason"] == "off_topic"
    assert entry["explanation"] == "Passt nicht" and datetime.fromisoformat(entry["created_at"]).tzinfo


def test_a_deleted_account_leaves_its_reports_for_the_moderators(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    send(client, report_url(comment), reason="insult", explanation="Beleidigend")
    response = post_form(client, "/de/account/delete", {"current_password": PASSWORD}, page="/de/account/delete")
    assert response.status_code == 303
    [kept] = reports_of(session, comment)
    assert kept.reporter_id is None and (kept.reason, kept.explanation) == ("insult", "Beleidigend")
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Report).where(Report.reporter_id == reader.id)).one() == 0


def test_the_report_page_speaks_every_language_mode(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    headings = {prefix: soup(client.get(report_url(comment, prefix=prefix))).h1.get_text()
                for prefix in ("de", "en", "einfach")}
    assert headings == {"de": "Kommentar melden", "en": "Report comment", "einfach": "Kommentar melden"}
    simple = soup(client.get(report_url(comment, prefix="einfach")))
    assert simple.find("label", attrs={"for": "reason-3"}).get_text() == "Er passt nicht zum Thema"


def test_in_a_text_browser_no_reason_looks_chosen_before_the_reader_chooses(app, client, session, author, reader):
    """Lynx shows the first button of a group with none checked as chosen ("(*) Er beleidigt ..."), and sends it:
    the first is an empty choice that only text browsers show (``hidden``), which sends no reason."""
    comment = comment_by(app, session, author)
    fieldset = soup(client.get(report_url(comment))).find("main").find("form", method="post").find("fieldset")
    first = fieldset.find("input", type="radio")
    assert first["value"] == "" and first.has_attr("hidden") and first.find_parent(attrs={"hidden": True})
    assert fieldset.find("label", attrs={"for": first["id"]}).get_text() == "(Noch kein Grund gewählt)"
    assert fieldset.find("input", id="reason")["value"] == "insult"  # the error summary's link lands on a shown control
    response = send(client, report_url(comment), reason="")
    assert response.status_code == 422 and reports_of(session, comment) == []
    chosen = send(client, report_url(comment), reason="spam", explanation="x" * 1001)  # a mistake elsewhere
    assert not soup(chosen).find("input", type="radio", value="")  # once a reason is chosen, no empty one


def test_a_refusal_does_not_list_mistakes_of_a_form_it_does_not_show(app, client, session, author, reader):
    comment = comment_by(app, session, author)
    send(client, report_url(comment), reason="spam")
    response = send(client, report_url(comment), page="/de/account/", explanation="Ohne Grund")
    assert response.status_code == 409
    html = soup(response)
    assert not html.find(id="error-summary") and not html.title.get_text().startswith("Fehler:")
    assert html.find("textarea", id="kept-text").get_text() == "Ohne Grund"
