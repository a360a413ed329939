"""A session that ends while someone writes: the text survives logging in again (WCAG 2.2.5), with and
without JavaScript, and every way back to logging in leads to the page the form belongs to."""

import secrets

import pytest

from tests.support import PASSWORD, csrf_token, login, make_user, soup

CHAPTER = "/de/projects/smart-city/chapters/mobil"


@pytest.fixture()
def writer(app, client):
    user = make_user(app)
    login(client, user)
    return user


def expire(client) -> None:
    """The session ends (it ran out, or the person logged out in another tab): the cookie is gone."""
    client.delete_cookie("session")


def login_form_in(html):
    form = html.find("form", action="/de/account/login")
    assert form is not None, "a login form where the comment was refused"
    return form


def send(client, form, **data):
    values = {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}
    values.update({area["name"]: area.get_text() for area in form.find_all("textarea") if area.get("name")})
    values.update(data)
    return client.post(form["action"], data=values)


@pytest.mark.parametrize("where", ["chapter", "paragraph"])
def test_a_comment_refused_after_the_session_ended_comes_back_after_logging_in(client, writer, where):
    page = CHAPTER if where == "chapter" else f"{CHAPTER}/paragraph-2"
    token = csrf_token(client.get(page))
    text = f"Ein langer Gedanke\nüber zwei Zeilen {secrets.token_hex(3)}"
    expire(client)
    refused = client.post(page + "/comments", data={"csrf_token": token, "body": text,
                                                    "submission_key": secrets.token_hex(8)})
    assert refused.status_code == 403
    html = soup(refused)
    notice = html.find(id="discussion-notice").get_text()
    assert "Sitzung ist abgelaufen" in notice and "Ihr Text bleibt erhalten" in notice
    assert "Ihr Konto" not in html.find("header").get_text()
    form = login_form_in(html.find(id="discussion"))
    assert form.find("textarea", attrs={"name": "draft"}).get_text() == text
    assert form.find("input", attrs={"name": "next"})["value"] == page + "#discussion"

    back = send(client, form, email=writer.email, password=PASSWORD)
    assert back.status_code == 200
    html = soup(back)
    assert html.find("textarea", id="body").get_text().strip() == text
    assert html.find(id="restored-notice").find("a")["href"] == "#body"
    assert writer.username in html.find("header").get_text()
    assert [a["href"] for a in html.select("nav.languages a")][0] == page  # the language links: the page itself
    published = client.post(page + "/comments", data={"csrf_token": csrf_token(back), "body": text,
                                                      "submission_key": secrets.token_hex(8)})
    assert published.status_code == 303


def test_a_wrong_password_on_the_way_keeps_the_text_too(client, writer):
    token = csrf_token(client.get(CHAPTER))
    text = f"Noch ein Gedanke {secrets.token_hex(3)}"
    expire(client)
    form = login_form_in(soup(client.post(CHAPTER + "/comments", data={"csrf_token": token, "body": text})))
    wrong = send(client, form, email=writer.email, password="not the password at all")
    assert wrong.status_code == 422
    html = soup(wrong)
    assert html.find("textarea", id="kept-text").get_text() == text  # shown on the login page, too
    again = html.find("main").find("form")
    assert again.find("input", attrs={"name": "draft"})["value"] == text
    back = send(client, again, email=writer.email, password=PASSWORD)
    assert soup(back).find("textarea", id="body").get_text().strip() == text


def test_a_reply_refused_after_the_session_ended_comes_back_after_logging_in(app, client, session, writer):
    from sqlmodel import select

    from webapp.models import Comment

    parent = session.exec(select(Comment).where(Comment.parent_id.is_(None), Comment.deleted_at.is_(None),
                                                Comment.blocked_at.is_(None), Comment.hidden_at.is_(None),
                                                Comment.project_id == 1)).first()
    url = f"/de/projects/smart-city/comments/{parent.id}/reply"
    token = csrf_token(client.get(url))
    text = f"Meine Antwort {secrets.token_hex(3)}"
    expire(client)
    refused = client.post(url, data={"csrf_token": token, f"reply-{parent.id}-body": text})
    assert refused.status_code == 403
    html = soup(refused)
    assert "Sitzung ist abgelaufen" in html.find(class_="notice").get_text()
    back = send(client, login_form_in(html), email=writer.email, password=PASSWORD)
    assert back.status_code == 200
    assert soup(back).find("textarea", id=f"reply-{parent.id}-body").get_text().strip() == text


def test_with_htmx_the_header_stops_saying_logged_in(client, writer):
    token = csrf_token(client.get(CHAPTER))
    expire(client)
    answer = client.post(CHAPTER + "/comments", data={"csrf_token": token, "body": "Text"},
                         headers={"HX-Request": "true", "HX-Current-URL": f"http://localhost{CHAPTER}"})
    assert answer.status_code == 403
    html = soup(answer)
    menu = html.find(id="main-menu-list")
    assert menu is not None and menu["data-hx-swap-oob"] == "true"
    assert "Ihr Konto" not in menu.get_text() and menu.find("a", href=f"/de/account/login?next={CHAPTER}")
    assert login_form_in(html.find(id="discussion"))


def test_after_a_refused_post_the_headers_login_link_leads_to_the_page_of_the_form(client):
    """Not to the POST-only address, which would answer 405 after logging in (and lose the text)."""
    refused = client.post(CHAPTER + "/comments", data={"body": "Text"})
    assert refused.status_code == 403
    link = soup(refused).find("header").find("a", string="Anmelden")
    assert link["href"] == f"/de/account/login?next={CHAPTER}"
    paragraph = client.post(f"{CHAPTER}/paragraph-1/comments", data={"body": "Text"})
    link = soup(paragraph).find("header").find("a", string="Anmelden")
    assert link["href"] == f"/de/account/login?next={CHAPTER}/paragraph-1"
