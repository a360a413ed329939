"""Accounts as people use them: register, confirm by mail, log in and out, and look after the account."""

import json
import secrets

import pytest

from tests.support import PASSWORD, csrf_token, link_in, login, mails_to, make_user, post_form, soup
from webapp.forms import safe_next


def register(client, **fields):
    data = {"username": f"Neu {secrets.token_hex(3)}", "email": f"{secrets.token_hex(5)}@example.org",
            "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y", **fields}
    token = csrf_token(client.get("/de/account/register"))
    return data, client.post("/de/account/register", data={"csrf_token": token, **data})


def test_register_confirm_by_mail_and_comment(app, client):
    data, response = register(client)
    assert response.status_code == 303 and response.headers["Location"].startswith("/de/account/login")
    assert "E-Mail an" in soup(client.get(response.headers["Location"])).find(class_="flash").get_text()
    assert login_attempt(client, data["email"], data["password"]).status_code == 303  # registering logs no one in
    overview = soup(client.get("/de/account/"))
    assert "noch nicht bestätigt" in overview.get_text() or "not yet confirmed" in overview.get_text()
    mail = mails_to(app, data["email"])[-1]
    assert "Hallo" in mail.get_content() and mail["Content-Language"] == "de"
    path = link_in(mail)
    page = client.get(path)
    assert page.status_code == 200 and soup(page).find("form", method="post")  # opening the link changes nothing
    response = client.post(path, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert "noch nicht bestätigt" not in soup(client.get("/de/account/")).get_text()


def test_mail_goes_out_in_the_language_mode_of_registration(app, client):
    token = csrf_token(client.get("/en/account/register"))
    email = f"{secrets.token_hex(5)}@example.org"
    client.post("/en/account/register", data={"csrf_token": token, "username": f"English {secrets.token_hex(3)}",
                                              "email": email, "password": PASSWORD, "password_repeat": PASSWORD,
                                              "accept_terms": "y"})
    mail = mails_to(app, email)[-1]
    assert mail["Content-Language"] == "en" and "Hello" in mail.get_content()
    assert link_in(mail).startswith("/en/account/confirm/")


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"password": "kurz", "password_repeat": "kurz"}, "password", "12"),
        ({"password": "passwordpassword", "password_repeat": "passwordpassword"}, "password", ""),
        ({"password": "aaaaaaaaaaaaaaaa", "password_repeat": "aaaaaaaaaaaaaaaa"}, "password", ""),
        ({"password_repeat": "something else entirely"}, "password_repeat", ""),
        ({"email": "no-address"}, "email", ""),
        ({"username": "x"}, "username", ""),
        ({"username": "<script>"}, "username", ""),
        ({"accept_terms": ""}, "accept_terms", ""),
    ],
)
def test_registration_errors_are_explained_and_input_is_kept(client, fields, field_id, message):
    data, response = register(client, **fields)
    assert response.status_code == 422
    html = soup(response)
    assert html.title.get_text().startswith("Fehler:")
    summary = html.find(id="error-summary")
    assert summary.find("a", href=f"#{field_id}")
    assert message in html.find(id=f"{field_id}-error").get_text()
    assert html.find(id=field_id)["aria-describedby"].split().count(f"{field_id}-error") == 1
    assert html.find(id=field_id).get("aria-invalid") == "true"
    if field_id != "username":
        assert html.find(id="username")["value"] == data["username"]


def test_a_taken_username_is_said_but_a_taken_address_answers_like_a_new_one(app, client, session):
    """Registering with an address that has an account said so ("there is already an account"):
    anyone could learn who takes part. Now the answer is the new registration's, word for word,
    and the owner is mailed a note instead; usernames are public, so a taken one is still said."""
    from sqlmodel import select

    from webapp.accounts.models import User

    user = make_user(app)
    _data, response = register(client, username=user.username.upper())
    assert response.status_code == 422 and soup(response).find(id="username-error")

    def answer(email):
        fresh = app.test_client()
        token = csrf_token(fresh.get("/de/account/register"))
        response = fresh.post("/de/account/register", data={
            "csrf_token": token, "username": f"Neu {secrets.token_hex(3)}", "email": email, "password": PASSWORD,
            "password_repeat": PASSWORD, "accept_terms": "y"})
        page = fresh.get(response.headers["Location"])
        return (response.status_code, response.headers["Location"], str(soup(page).find(class_="flash")).replace(email, "ADDRESS"),
                fresh.get("/de/account/").status_code)  # the flash said the same, and no one is logged in

    new_email = f"{secrets.token_hex(5)}@example.org"
    assert answer(user.email.upper()) == answer(new_email)
    assert session.exec(select(User).where(User.email_key == user.email)).one().username == user.username
    note = mails_to(app, user.email)[-1]
    assert note["Subject"] == "Jemand wollte sich mit Ihrer E-Mail-Adresse registrieren"
    assert "/de/account/login" in note.get_content() and "/de/account/password/forgot" in note.get_content()


def test_honeypot_registration_stores_nothing(app, client):
    data, response = register(client, website="http://spam.example")
    # Text browsers show the field: a person who filled it in is told so, the input kept.
    assert response.status_code == 422
    html = soup(response)
    assert html.find(class_="error-summary").find("a", href="#website")
    assert html.find(id="website")["value"] == "http://spam.example" and html.find(id="username")["value"]
    assert not mails_to(app, data["email"])
    assert login_attempt(client, data["email"], PASSWORD).status_code == 422


def login_attempt(client, email, password, next_url=""):
    token = csrf_token(client.get("/de/account/login"))
    return client.post("/de/account/login", data={"email": email, "password": password, "next": next_url,
                                                  "csrf_token": token})


def test_login_returns_to_where_the_reader_was_and_logout_is_a_post(app, client):
    user = make_user(app)
    response = login_attempt(client, user.email, PASSWORD, "/de/projects/smart-city#discussion")
    assert response.headers["Location"] == "/de/projects/smart-city#discussion"
    assert user.username in soup(client.get("/de/")).find("header").get_text()
    assert client.get("/de/account/logout").status_code == 405
    token = csrf_token(client.get("/de/account/"))
    assert client.post("/de/account/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/de/account/").status_code == 302  # to the login page


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "http:/evil", "/ok\r\nSet-Cookie: x=1"])
def test_next_is_same_site_only(app, client, target):
    user = make_user(app)
    response = login_attempt(client, user.email, PASSWORD, target)
    assert response.headers["Location"] == "/de/"
    assert safe_next(target) is None


def test_wrong_password_and_unknown_address_get_the_same_answer(app, client):
    user = make_user(app)
    wrong = soup(login_attempt(client, user.email, "wrong password here"))
    unknown = soup(login_attempt(client, "nobody@example.org", "wrong password here"))
    assert wrong.find(id="email-error").get_text() == unknown.find(id="email-error").get_text()
    assert wrong.find(id="email")["value"] == user.email


def test_login_is_throttled_per_account_and_says_how_long_to_wait(app, client):
    user = make_user(app)
    for _ in range(5):
        assert login_attempt(client, user.email, "wrong password here").status_code == 422
    response = login_attempt(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    html = soup(response)
    assert "Minuten" in html.get_text() or "Sekunden" in html.get_text()
    assert html.find(id="email")["value"] == user.email


def test_forgot_password_answers_the_same_and_the_link_works_once(app, client):
    user = make_user(app)
    answers = []
    for email in (user.email, "nobody@example.org"):
        response = post_form(client, "/de/account/password/forgot", {"email": email})
        answers.append(soup(response).h1.get_text())
    assert answers[0] == answers[1]
    path = link_in(mails_to(app, user.email)[-1])
    new = "a brand new passphrase for tests"
    response = post_form(client, path, {"password": new, "password_repeat": new}, page=path)
    assert response.status_code == 303
    assert login_attempt(client, user.email, new).status_code == 303
    assert client.get(path).status_code == 400  # used


def test_changing_the_password_ends_other_sessions(app, client):
    user = make_user(app)
    other = app.test_client()
    login(other, user)
    login(client, user)
    new = "another fine passphrase here"
    response = post_form(client, "/de/account/password", {"current_password": PASSWORD, "password": new,
                                                          "password_repeat": new}, page="/de/account/password")
    assert response.status_code == 303
    assert client.get("/de/account/").status_code == 200
    assert other.get("/de/account/").status_code == 302


def test_logout_invalidates_a_copied_session_cookie(app, client):
    user = make_user(app)
    login(client, user)
    cookie = client.get_cookie("session").value
    token = csrf_token(client.get("/de/account/"))
    client.post("/de/account/logout", data={"csrf_token": token})
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/de/account/").status_code == 302


def test_change_email_counts_after_confirmation(app, client):
    user = make_user(app)
    login(client, user)
    new = f"{secrets.token_hex(5)}@example.org"
    response = post_form(client, "/de/account/email", {"email": new, "current_password": PASSWORD},
                         page="/de/account/email")
    assert response.status_code == 303
    assert user.email in soup(client.get("/de/account/")).get_text()
    mail = mails_to(app, new)[-1]
    # Its own mail: about a new address for an account, not the registration's ("did not register?").
    assert mail["Subject"] == "Bitte bestätigen Sie Ihre neue E-Mail-Adresse"
    assert "registriert" not in mail.get_content() and "alte Adresse" in mail.get_content()
    assert mails_to(app, user.email) == []  # nothing has changed yet
    path = link_in(mail)
    client.post(path, data={"csrf_token": csrf_token(client.get(path))})
    assert new in soup(client.get("/de/account/")).get_text()
    # The old address is told of the change, and where to write if it was not its owner.
    [notice] = mails_to(app, user.email)
    assert notice["Subject"] == "Die E-Mail-Adresse Ihres Kontos wurde geändert"
    assert new in notice.get_content() and "/de/imprint" in notice.get_content()


def test_the_language_of_ones_emails_is_a_choice_on_the_account_page(app, client):
    """Mails come in the mode one registered in until one chooses another: then all of them do."""
    user = make_user(app, language="de")
    login(client, user)
    page = soup(client.get("/de/account/"))
    form = page.find("form", class_="mail-language-form")
    assert form.find("legend").get_text() == "Sprache Ihrer E-Mails"
    assert form.find("input", attrs={"name": "mail-language", "checked": True})["value"] == "de"
    response = post_form(client, "/de/account/mail-language", {"mail-language": "simple"}, page="/de/account/")
    assert response.status_code == 303 and response.headers["Location"] == "/de/account/"
    assert "Einfacher Sprache" in soup(client.get("/de/account/")).find(class_="flash").get_text()
    post_form(client, "/de/account/password/forgot", {"email": user.email}, page="/de/account/password/forgot")
    assert link_in(mails_to(app, user.email)[-1]).startswith("/einfach/account/password/reset/")
    assert soup(client.get("/de/account/")).find("input", attrs={"name": "mail-language", "checked": True})["value"] == "simple"


def test_an_empty_mail_language_choice_comes_back_with_the_usual_error(app, client):
    login(client, make_user(app))
    response = post_form(client, "/de/account/mail-language", {}, page="/de/account/")
    assert response.status_code == 422
    html = soup(response)
    assert html.title.get_text().startswith("Fehler:")
    assert html.find(id="mail-error-summary").find("a", href="#mail-language")


def test_the_account_page_does_not_repeat_a_heading_as_the_question_below_it(app, client):
    """A heading and the legend right after it with the same words are read twice (staff report m11)."""
    login(client, make_user(app, role="moderator"))
    main = soup(client.get("/de/account/")).find("main")
    headings = {h.get_text(" ", strip=True) for h in main.find_all(["h1", "h2", "h3"])}
    legends = [legend.get_text(" ", strip=True) for legend in main.find_all("legend")]
    assert len(legends) >= 2 and not headings & set(legends)


def test_download_own_data_as_json(app, client):
    user = make_user(app)
    login(client, user)
    response = client.get("/de/account/data.json")
    assert response.mimetype == "application/json" and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["account"]["email"] == user.email and data["comments"] == []
    assert data["account"]["report_mail"] == "digest" and data["account"]["report_digest_until"] is None
    # What the staff side holds about a person is in it too: roles, notes written, blocks.
    assert data["roles"] == {"administrator": False, "initiator_of": [], "moderator_of": []}
    assert data["moderator_notes"] == [] and data["blocks"] == []


def test_the_download_names_what_its_ids_mean_and_tells_the_moderation_of_ones_comments(app, client, session):
    """Readable: titles beside ids, names beside codes, in the reader's language; one's comments with what the
    moderators did with them (the person was mailed about each)."""
    from sqlmodel import select

    from webapp import audit, db
    from webapp.clock import utcnow
    from webapp.models import Comment

    user = make_user(app)
    login(client, user)
    page = client.get("/de/projects/smart-city/chapters/offen/paragraph-2")
    text = f"Mein Absatzkommentar {secrets.token_hex(3)}"
    client.post("/de/projects/smart-city/chapters/offen/paragraph-2/comments",
                data={"body": text, "category": "question", "csrf_token": csrf_token(page),
                      "submission_key": secrets.token_hex(8)})
    comment = session.exec(select(Comment).where(Comment.body == text)).one()
    comment.blocked_at, comment.block_reason, comment.block_text = utcnow(), "off_topic", "Bitte beim Thema bleiben."
    session.add(comment)
    session.commit()
    with app.test_request_context("/de/"), db.transaction():
        audit.record(None, "comment.block", "comment", comment.id, project_id=comment.project_id)
    data = json.loads(client.get("/de/account/data.json").data)
    assert data["explanation"]["comments"] and "UTC" in data["explanation"]["dates"]
    [mine] = data["comments"]
    assert mine["project"] == "Smart-City-Strategie Eichbrunn" and mine["chapter"].startswith("#offen")
    assert mine["paragraph"] == 2 and mine["address"].endswith(f"/de/projects/smart-city/comments/{comment.id}")
    assert mine["category"] == "question" and mine["category_name"] == "Frage"
    moderation = mine["moderation"]
    assert moderation["state"] == "blocked" and "Moderation" in moderation["state_name"]
    assert moderation["reason"] == "off_topic" and moderation["reason_name"] == "Gehört nicht zum Thema"
    assert moderation["moderators_words"] == "Bitte beim Thema bleiben."
    assert [step["what_name"] for step in moderation["history"]] == ["Kommentar gesperrt"]
    assert data["account"]["language_name"] == "Deutsch"
    english = json.loads(client.get("/en/account/data.json").data)
    assert english["comments"][0]["category_name"] == "Question"


def test_a_moderators_download_lists_their_roles(app, client):
    login(client, make_user(app, role="moderator"))
    data = json.loads(client.get("/de/account/data.json").data)
    assert data["roles"]["moderator_of"] == ["smart-city"]


def test_delete_account_keeps_comments_as_deleted_account(app, client):
    user = make_user(app)
    login(client, user)
    page = client.get("/de/projects/smart-city/chapters/offen")
    text = f"Mein Beitrag {secrets.token_hex(4)}"
    client.post("/de/projects/smart-city/chapters/offen/comments",
                data={"body": text, "csrf_token": csrf_token(page), "submission_key": secrets.token_hex(8)})
    response = post_form(client, "/de/account/delete", {"current_password": PASSWORD}, page="/de/account/delete")
    assert response.status_code == 303
    html = client.get("/de/projects/smart-city/chapters/offen").get_data(as_text=True)
    assert text in html and "Gelöschtes Konto" in html and user.username not in html
    assert login_attempt(client, user.email, PASSWORD).status_code == 422


def test_demo_accounts_are_refused_in_production(app, client):
    app.config["PRODUCTION"] = True
    try:
        assert login_attempt(client, "participant@example.org", "mitreden-demo").status_code == 422
    finally:
        app.config["PRODUCTION"] = False
    assert login_attempt(client, "participant@example.org", "mitreden-demo").status_code == 303


def test_account_pages_need_login(client):
    for path in ("/de/account/", "/de/account/password", "/de/account/email", "/de/account/delete",
                 "/de/account/data.json"):
        response = client.get(path)
        assert response.status_code == 302 and "/de/account/login" in response.headers["Location"]


def test_registration_asks_in_the_order_people_fill_in(client):
    names = [field["name"] for field in soup(client.get("/de/account/register")).select("main form input")
             if field.get("type") not in ("hidden",) and field["name"] != "website"]
    assert names == ["username", "email", "password", "password_repeat", "accept_terms"]


def test_deleting_an_account_takes_its_ratings_out_of_the_counts(app, client, session):
    from sqlmodel import select

    from webapp.models import Comment

    author, rater = make_user(app), make_user(app)
    writer = app.test_client()
    login(writer, author)
    page = writer.get("/de/projects/smart-city/chapters/offen")
    text = f"Zum Bewerten {secrets.token_hex(4)}"
    writer.post("/de/projects/smart-city/chapters/offen/comments",
                data={"body": text, "csrf_token": csrf_token(page), "submission_key": secrets.token_hex(8)})
    comment = session.exec(select(Comment).where(Comment.body == text)).one()
    login(client, rater)
    client.post(f"/de/projects/smart-city/comments/{comment.id}/rating",
                data={"value": "agree", "csrf_token": csrf_token(client.get("/de/account/"))})
    session.refresh(comment)
    assert comment.agree_count == 1
    post_form(client, "/de/account/delete", {"current_password": PASSWORD}, page="/de/account/delete")
    session.refresh(comment)
    assert comment.agree_count == 0


def test_shared_computers_every_personal_page_is_never_stored_and_logout_is_in_the_header(app, client, session):
    """Back after logging out must show nothing private: every page seen logged in is no-store."""
    from a11y.pages import participant_pages
    from webapp.i18n import MODES

    user = make_user(app)
    anonymous = app.test_client()
    for page in participant_pages(session)[:4]:
        assert "no-store" not in anonymous.get(page.url("de")).headers.get("Cache-Control", "")
    login(client, user)
    for page in participant_pages(session):
        for mode in MODES.values():
            response = client.get(page.url(mode.prefix), follow_redirects=True)  # a page past the last: the last
            assert "no-store" in response.headers["Cache-Control"], page.url(mode.prefix)
            logout = soup(response).select_one("header form[action$='/account/logout'] button")
            assert logout is not None and logout.get_text(strip=True), page.url(mode.prefix)
    assert "no-store" in client.get("/de/account/data").headers["Cache-Control"]
    header = soup(client.get("/de/"))
    response = client.post(header.select_one("header form[action$='/account/logout']")["action"],
                           data={"csrf_token": header.select_one("header form input[name=csrf_token]")["value"]})
    assert response.status_code == 303
    assert user.username not in client.get("/de/account/", follow_redirects=True).get_data(as_text=True)
