"""Roles: the staff overview, adding moderators and initiators by email, invitations, `flask users create-admin`.

Who may open or send each route is checked for every role in tests/authorization/ (test_roles.py and
test_staff_pages.py); here the flows: what a person sees, what a form does, what mail goes out and what its link does.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlmodel import Session, select

from tests.factories import CommentFactory, ReportFactory
from tests.support import PASSWORD, csrf_token, link_in, login, mails_to, make_user, soup
from webapp.accounts.models import User
from webapp.audit.models import AuditEntry
from webapp.comments.models import Comment
from webapp.moderation.models import Report
from webapp.projects.models import Organisation, Project
from webapp.roles.models import Invitation, OrganisationMember, ProjectModerator

MODERATORS = "/de/staff/projects/smart-city/moderators"
INITIATORS = "/de/staff/organisations/eichbrunn/initiators"


def new_address() -> str:
    return f"neu-{secrets.token_hex(4)}@example.org"


def logged_in(app, user):
    client = app.test_client()
    login(client, user)
    return client


def send(client, url: str, data: dict, page: str | None = None):
    """POST ``data`` to ``url`` with the CSRF token of ``page`` (default: ``url`` itself)."""
    return client.post(url, data={"csrf_token": csrf_token(client.get(page or url)), **data})


def main_text(response) -> str:
    return soup(response).find("main").get_text(" ", strip=True)


def flash_text(client, response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return soup(client.get(response.headers["Location"])).find(class_="flash").get_text(" ", strip=True)


def project(session, slug="smart-city") -> Project:
    return session.exec(select(Project).where(Project.slug == slug)).one()


def moderates(session, user_id, slug="smart-city") -> bool:
    session.expire_all()
    return session.exec(select(ProjectModerator).where(ProjectModerator.user_id == user_id,
                                                       ProjectModerator.project_id == project(session, slug).id)).first() is not None


def runs(session, user_id, organisation="eichbrunn") -> bool:
    session.expire_all()
    org = session.exec(select(Organisation).where(Organisation.slug == organisation)).one()
    return session.exec(select(OrganisationMember).where(OrganisationMember.user_id == user_id,
                                                         OrganisationMember.organisation_id == org.id)).first() is not None


def audit_entries(session, action: str, **where) -> list[AuditEntry]:
    session.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(session.exec(query).all())


def invite(app, inviter, address, url=MODERATORS):
    """Add ``address`` (no account) on ``url``: an invitation mail goes out; its link's path."""
    client = logged_in(app, inviter)
    response = send(client, url, {"email": address})
    assert "Einladung" in flash_text(client, response)
    [message] = mails_to(app, address)
    return link_in(message)


@pytest.fixture()
def draft(app, session):
    """An unpublished project of the city (the initiators' and administrators' to see)."""
    from tests.support import TODAY
    from webapp import demo

    org = session.exec(select(Organisation).where(Organisation.slug == "eichbrunn")).one()
    slug = f"entwurf-{secrets.token_hex(3)}"
    draft = demo.build_project(demo._read("spielplaetze.toml"), org, TODAY, slug=slug)
    draft.published = False
    for text in draft.texts:  # a title of its own: other tests find the demo's projects by title
        text.title = f"Entwurf {draft.slug}"
    session.add(draft)
    session.commit()
    return slug


# The staff overview ---------------------------------------------------------------------------------

def staff_links(response) -> dict[str, list[str]]:
    """Per project or organisation card of the overview: its heading and the names of its links."""
    cards = {}
    for card in soup(response).select("main .card"):
        heading = card.find("h3").get_text(" ", strip=True)
        cards[heading] = [a.get_text(" ", strip=True).split(":")[0].strip() for a in card.select(".link-list a")]
    return cards


def test_the_overview_shows_each_role_what_it_may_do(app, draft):
    """Every staff page is reached from the overview by the roles that may use it (staff report S1)."""
    everything = ["Edit project", "Moderation queue", "Blocked people", "Moderation settings", "Moderators", "Audit log"]
    admin_client = logged_in(app, make_user(app, role="admin"))
    admin = staff_links(admin_client.get("/en/staff/"))
    assert admin["Eichbrunn Smart City Strategy"] == everything
    assert admin["Stadt Eichbrunn – Amt für Mobilität"] == ["Name and contact", "New project", "Initiators",
                                                            "Audit log"]  # every organisation
    assert any("Radverkehr" in title or "cycling" in title.lower() for title in admin)
    assert soup(admin_client.get("/en/staff/")).find("a", string="Site audit log")["href"] == "/en/staff/audit"

    initiator = logged_in(app, make_user(app, role="initiator"))
    cards = staff_links(initiator.get("/en/staff/"))
    assert cards["Eichbrunn Smart City Strategy"] == everything
    # Their organisation's new projects and log; only administrators add initiators.
    assert cards["Stadt Eichbrunn"] == ["New project", "Audit log"]
    assert "Stadt Eichbrunn – Amt für Mobilität" not in cards  # another organisation
    assert not any("cycling" in title.lower() for title in cards)  # another organisation's project
    page = initiator.get("/en/staff/")
    assert "not published yet" in main_text(page)  # the draft: theirs to author
    assert f"/en/staff/projects/{draft}/moderators" in page.get_data(as_text=True)
    assert "Site audit log" not in main_text(page)

    moderator = logged_in(app, make_user(app, role="moderator"))
    cards = staff_links(moderator.get("/en/staff/"))
    assert cards == {"Eichbrunn Smart City Strategy": ["Moderation queue", "Blocked people"]}


def test_the_overview_counts_what_needs_review_per_project(app, session):
    moderator = logged_in(app, make_user(app, role="moderator"))
    card = soup(moderator.get("/en/staff/")).select_one("main .card")
    waiting = session.exec(select(Comment).where(Comment.project_id == project(session).id, Comment.deleted_at.is_(None),
                                                 Comment.blocked_at.is_(None))).all()
    count = sum(1 for c in waiting if c.open_report_count or c.hidden_at)
    expected = f"{count} comments need review" if count != 1 else "1 comment needs review"
    assert expected in card.get_text(" ", strip=True) if count else "Nothing needs review" in card.get_text()


def test_the_overview_shows_a_moderator_the_number_of_comments_with_open_reports(app):
    """A comment reported and not yet decided counts on /de/staff/, in the card of its project, until it is gone
    (the count is moderation's; the page is the staff home's, webapp/staffhome/, above roles and moderation)."""
    moderator = logged_in(app, make_user(app, role="moderator"))

    def waiting() -> str:
        (card,) = soup(moderator.get("/de/staff/")).select("main .card")  # the one project they moderate
        assert card.find("h3").get_text(strip=True) == "Smart-City-Strategie Eichbrunn"
        return card.select(".state")[-1].get_text(" ", strip=True)  # after the organisation's name

    before = waiting()
    found = re.fullmatch(r"(\d+) Kommentare? (?:muss|müssen) geprüft werden", before)
    count = int(found.group(1)) if found else 0
    assert found or before == "Nichts muss geprüft werden"
    comment = CommentFactory(app=app, report_count=1, open_report_count=1)
    ReportFactory(app=app, comment=comment)
    try:
        assert waiting() == (f"{count + 1} Kommentare müssen geprüft werden" if count else
                             "1 Kommentar muss geprüft werden")
    finally:
        with Session(app.extensions["db_engine"]) as session:  # taken away again: other tests count the reports
            session.execute(delete(Report).where(Report.comment_id == comment.id))
            session.execute(delete(Comment).where(Comment.id == comment.id))
            session.commit()
    assert waiting() == before


def test_the_overview_hides_drafts_from_those_who_only_moderate_them(app, session, draft):
    moderator = make_user(app, role="moderator", project=draft)
    page = logged_in(app, moderator).get("/de/staff/")
    assert page.status_code == 200
    assert draft not in page.get_data(as_text=True)
    assert "Hier gibt es noch keine Projekte für Sie." in main_text(page)


def test_participants_are_refused_and_anonymous_readers_sent_to_log_in(app, client):
    response = logged_in(app, make_user(app)).get("/de/staff/")
    assert response.status_code == 403
    assert "nur für die Mitarbeitenden" in main_text(response).replace("Diese Seite ist für die Mitarbeitenden",
                                                                        "nur für die Mitarbeitenden")
    response = client.get("/de/staff/")
    assert response.status_code == 302 and "/de/account/login?next=" in response.headers["Location"]


def test_the_main_menu_links_to_the_staff_area_for_staff_only(app, client):
    def menu(user):
        return [a.get_text(strip=True) for a in soup(logged_in(app, user).get("/de/")).select(".main-menu a")]

    assert "Verwaltung" in menu(make_user(app, role="moderator"))
    assert "Verwaltung" in menu(make_user(app, role="admin"))
    assert "Verwaltung" not in menu(make_user(app))
    assert "Verwaltung" not in [a.get_text(strip=True) for a in soup(client.get("/de/")).select(".main-menu a")]
    simple = logged_in(app, make_user(app, role="initiator")).get("/einfach/")
    assert "Für Mitarbeitende" in [a.get_text(strip=True) for a in soup(simple).select(".main-menu a")]


def test_staff_pages_are_never_stored(app):
    client = logged_in(app, make_user(app, role="admin"))
    for url in ("/de/staff/", MODERATORS, INITIATORS, "/de/staff/projects/smart-city/audit"):
        response = client.get(url)
        assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"], url
    assert "no-store" in app.test_client().get("/de/invitation/unknown").headers["Cache-Control"]
    from webapp.pagecache import CACHEABLE  # the page cache keeps only these reading pages, for anonymous readers

    assert not [endpoint for endpoint in CACHEABLE if endpoint.startswith(("roles.", "audit."))]


# Moderators ----------------------------------------------------------------------------------------

def test_an_initiator_adds_an_existing_account_as_moderator_who_is_told_by_mail(app, session):
    initiator = make_user(app, role="initiator")
    person = make_user(app, language="en")
    client = logged_in(app, initiator)
    response = send(client, MODERATORS, {"email": person.email.upper()})  # addresses compare as mail does
    assert f"{person.email.upper()} moderiert jetzt dieses Projekt" in flash_text(client, response)
    assert moderates(session, person.id)
    [message] = mails_to(app, person.email)
    assert message["Subject"] == "You are now a moderator of “Eichbrunn Smart City Strategy”"  # their language
    assert link_in(message) in ("/en/staff/projects/smart-city/moderation", "/en/staff/")
    [entry] = audit_entries(session, "role.add_moderator", object_id=person.id)
    assert entry.actor_id == initiator.id and entry.project_id == project(session).id
    page = client.get(MODERATORS)
    assert person.username in main_text(page)


def test_adding_someone_twice_says_so_and_keeps_the_input(app, session):
    client = logged_in(app, make_user(app, role="admin"))
    person = make_user(app)
    assert send(client, MODERATORS, {"email": person.email}).status_code == 303
    response = send(client, MODERATORS, {"email": person.email})
    assert response.status_code == 422
    html = soup(response)
    assert "moderiert dieses Projekt schon" in html.select_one(".error-summary").get_text()
    assert html.select_one(".error-summary a")["href"] == "#email"
    assert html.find("input", id="email")["value"] == person.email
    assert html.title.get_text().startswith("Fehler:")
    address = new_address()
    assert send(client, MODERATORS, {"email": address}).status_code == 303
    response = send(client, MODERATORS, {"email": address})
    assert response.status_code == 422 and "An diese Adresse ist schon eine Einladung unterwegs" in main_text(response)
    assert len(mails_to(app, address)) == 1


@pytest.mark.parametrize("address", ["", "not an address", "ｎｅｗ@example.org", "a@" + "b" * 260 + ".org"])
def test_an_invalid_address_is_refused_with_the_form_macros(app, address):
    client = logged_in(app, make_user(app, role="initiator"))
    response = send(client, MODERATORS, {"email": address})
    assert response.status_code == 422
    html = soup(response)
    assert html.select_one(".error-summary a")["href"] == "#email"
    assert html.find("input", id="email")["aria-invalid"] == "true"


def test_removing_a_moderator_ends_the_role_and_is_logged(app, session):
    initiator = make_user(app, role="initiator")
    person = make_user(app, role="moderator")
    client = logged_in(app, initiator)
    page = client.get(MODERATORS)
    button = soup(page).find("form", action=f"{MODERATORS}/{person.id}/remove").button
    assert button.get_text(" ", strip=True) == f"Entfernen : {person.username}"  # says whom it removes
    response = send(client, f"{MODERATORS}/{person.id}/remove", {}, page=MODERATORS)
    assert f"{person.username} moderiert dieses Projekt nicht mehr." in flash_text(client, response)
    assert not moderates(session, person.id)
    assert audit_entries(session, "role.remove_moderator", object_id=person.id)
    again = send(client, f"{MODERATORS}/{person.id}/remove", {}, page=MODERATORS)
    assert "Es wurde nichts geändert" in flash_text(client, again)


def test_moderators_of_an_unpublished_project_are_managed_by_slug(app, session, draft):
    client = logged_in(app, make_user(app, role="initiator"))
    person = make_user(app)
    url = f"/de/staff/projects/{draft}/moderators"
    assert "Noch niemand hat hier diese Aufgabe." in main_text(client.get(url))
    assert send(client, url, {"email": person.email}).status_code == 303
    assert moderates(session, person.id, draft)
    assert client.get("/de/staff/projects/no-such-project/moderators").status_code == 404


# Initiators ----------------------------------------------------------------------------------------

def test_an_administrator_adds_and_removes_an_initiator(app, session):
    admin = make_user(app, role="admin")
    person = make_user(app, language="simple")
    client = logged_in(app, admin)
    response = send(client, INITIATORS, {"email": person.email})
    assert "gehört jetzt zum Projektteam dieser Organisation" in flash_text(client, response)
    assert runs(session, person.id)
    [message] = mails_to(app, person.email)
    assert message["Subject"] == "Sie sind jetzt im Projektteam von Stadt Eichbrunn"  # simple German
    assert link_in(message) == "/einfach/staff/"
    assert audit_entries(session, "role.add_initiator", object_id=person.id)
    # The new initiator runs the city's projects now.
    assert "Protokoll" in main_text(logged_in(app, person).get("/de/staff/"))
    response = send(client, f"{INITIATORS}/{person.id}/remove", {}, page=INITIATORS)
    assert "gehört nicht mehr zum Projektteam" in flash_text(client, response)
    assert not runs(session, person.id)
    assert logged_in(app, person).get("/de/staff/").status_code == 403
    assert app.test_client().get("/de/staff/organisations/nowhere/initiators").status_code == 302
    assert client.get("/de/staff/organisations/nowhere/initiators").status_code == 404


def test_an_administrator_invites_an_initiator_who_registers_into_the_role(app, session):
    address = new_address()
    path = invite(app, make_user(app, role="admin"), address, INITIATORS)
    newcomer = app.test_client()
    page = newcomer.get(path)
    assert "ins Projektteam von Stadt Eichbrunn ein" in main_text(page)
    name = f"Neu {secrets.token_hex(3)}"
    response = send(newcomer, path, {"username": name, "password": PASSWORD, "password_repeat": PASSWORD,
                                     "accept_terms": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/de/staff/#outcome"
    user = session.exec(select(User).where(User.username == name)).one()
    assert runs(session, user.id)


# Invitations ---------------------------------------------------------------------------------------

def test_a_new_address_gets_an_invitation_and_registers_straight_into_the_role(app, session):
    initiator = make_user(app, role="initiator", name=f"Stadtplanung {secrets.token_hex(3)}")
    address = new_address()
    path = invite(app, initiator, address)
    [message] = mails_to(app, address)
    assert message["Subject"] == "Einladung: „Smart-City-Strategie Eichbrunn“ moderieren"
    assert initiator.username in message.get_content() and "14 Tage" in message.get_content()
    assert path.startswith("/de/invitation/")
    assert audit_entries(session, "role.invite", actor_id=initiator.id)

    newcomer = app.test_client()
    page = newcomer.get(path)
    assert page.status_code == 200 and "no-store" in page.headers["Cache-Control"]
    html = soup(page)
    assert address in html.find("dl").get_text()  # shown, not editable
    assert html.find("input", attrs={"name": "email"}) is None
    assert f"{initiator.username} lädt Sie ein" in main_text(page)
    name = f"Paul Neu {secrets.token_hex(3)}"
    response = send(newcomer, path, {"username": name, "password": PASSWORD, "password_repeat": PASSWORD,
                                     "accept_terms": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/de/staff/#outcome"
    overview = newcomer.get("/de/staff/")
    assert overview.status_code == 200  # logged in, with the role
    assert "Willkommen! Sie moderieren jetzt das Projekt „Smart-City-Strategie Eichbrunn“." in main_text(overview)
    user = session.exec(select(User).where(User.email_key == address)).one()
    assert user.username == name and user.is_confirmed and moderates(session, user.id)
    assert not mails_to(app, address)[1:], "no confirmation mail: the invitation proved the address"
    assert audit_entries(session, "role.accept_invitation", actor_id=user.id)
    # The link works once.
    used = app.test_client().get(path)
    assert used.status_code == 410 and "schon angenommen" in main_text(used)


def test_the_invitation_form_keeps_the_registration_rules(app, session):
    path = invite(app, make_user(app, role="initiator"), new_address())
    taken = make_user(app)
    newcomer = app.test_client()
    for data, message in (
        ({"username": taken.username}, "Dieser Benutzername ist schon vergeben"),
        ({"username": "Moderation Stadt"}, "Dieser Name sieht aus wie der Name dieser Seite oder ihrer Moderation"),
        ({"password": "password1234", "password_repeat": "password1234"}, "Passwort"),
        ({"accept_terms": ""}, "Nutzungsbedingungen"),
        ({"website": "http://spam.example"}, "leer"),
    ):
        fields = {"username": f"Neu {secrets.token_hex(3)}", "password": PASSWORD, "password_repeat": PASSWORD,
                  "accept_terms": "y", **data}
        response = send(newcomer, path, {k: v for k, v in fields.items() if v})
        assert response.status_code == 422, data
        summary = soup(response).select_one(".error-summary").get_text(" ", strip=True)
        assert message in summary, (data, summary)
        if "username" in data:
            assert soup(response).find("input", id="username")["value"] == data["username"]  # kept
    assert newcomer.get("/de/staff/").status_code == 302  # nobody was logged in


def test_an_invitation_to_an_address_with_an_account_is_accepted_after_logging_in(app, session):
    person = make_user(app)  # registered meanwhile, and confirmed
    initiator = make_user(app, role="initiator")
    client = logged_in(app, initiator)
    # The person registered after being invited: the invitation asks them to log in.
    with app.test_request_context("/de/"):
        from webapp import db
        from webapp.roles import services

        with db.transaction():
            services._invite(db.session().get(User, initiator.id), person.email, "moderator", "de",
                             project=db.session().get(Project, project(session).id))
    path = link_in(mails_to(app, person.email)[-1])
    reader = app.test_client()
    page = reader.get(path)
    assert "Bitte melden Sie sich damit an" in main_text(page)
    login_link = soup(page).find("a", string=re.compile("Anmelden und Einladung annehmen"))["href"]
    assert login_link.endswith("next=" + path.replace("/", "%2F")) or path in login_link
    assert send(reader, path, {}, page="/de/account/login").status_code == 403  # not logged in: nothing happens
    assert not moderates(session, person.id)
    # Someone else's session is refused too.
    assert "mit einem anderen Konto angemeldet" in main_text(client.get(path))
    assert send(client, path, {}).status_code == 403 and not moderates(session, person.id)
    # The owner logs in and accepts with one button.
    owner = logged_in(app, person)
    page = owner.get(path)
    assert soup(page).select_one("main form button").get_text(strip=True) == "Einladung annehmen"
    assert not moderates(session, person.id)  # opening the link changes nothing
    response = send(owner, path, {})
    assert response.status_code == 303 and response.headers["Location"] == "/de/staff/#outcome"
    assert moderates(session, person.id)


@pytest.mark.parametrize("url", [MODERATORS, INITIATORS])
def test_a_role_never_goes_to_an_account_that_never_confirmed_its_address(app, session, url):
    """Anyone can register with a coming staff member's address (security report N1): such an account gets
    no role, not even once the owner confirms it; the invitation's link proves the address and sets up a
    fresh account, and the squatter's account and sessions are gone."""
    address = new_address()
    squatter = make_user(app, confirmed=False, name=f"Neue Kollegin {secrets.token_hex(3)}")
    with Session(app.extensions["db_engine"]) as fix:  # make_user gives a random address; the squatter takes the owner's
        row = fix.get(User, squatter.id)
        row.email, row.email_key = address, address
        fix.add(row)
        fix.commit()
    squatter.email = address
    attacker = logged_in(app, squatter)
    staff = logged_in(app, make_user(app, role="admin" if url == INITIATORS else "initiator"))
    response = send(staff, url, {"email": address})
    message = flash_text(staff, response)
    assert "nie bestätigt" in message and "Einladung" in message, message
    assert not moderates(session, squatter.id) and not runs(session, squatter.id)
    page = staff.get(url)
    assert "Ein Konto hat diese Adresse, aber hat sie nie bestätigt" in main_text(page)
    [invitation_mail] = [m for m in mails_to(app, address) if "Einladung" in m["Subject"]]
    path = link_in(invitation_mail)
    # The squatter, logged in, is no staff member; the owner opens the link in their own browser.
    assert attacker.get("/de/staff/").status_code == 403
    owner = app.test_client()
    form = owner.get(path)
    assert form.status_code == 200 and soup(form).find("input", attrs={"name": "password"}) is not None
    name = f"Echte Kollegin {secrets.token_hex(3)}"
    response = send(owner, path, {"username": name, "password": PASSWORD, "password_repeat": PASSWORD,
                                  "accept_terms": "y"})
    assert response.status_code == 303 and owner.get("/de/staff/").status_code == 200
    session.expire_all()
    assert session.exec(select(User).where(User.username == squatter.username)).first() is None
    user = session.exec(select(User).where(User.email_key == address)).one()
    assert user.username == name and user.is_confirmed
    assert moderates(session, user.id) if url == MODERATORS else runs(session, user.id)
    # The squatter's session belonged to the deleted account: it is logged out.
    assert attacker.get("/de/staff/").status_code == 302


def test_create_admin_replaces_an_account_that_never_confirmed_its_address(app, session):
    address = new_address()
    squatter = make_user(app, confirmed=False, name=f"Chef Squat {secrets.token_hex(3)}")
    with Session(app.extensions["db_engine"]) as fix:
        row = fix.get(User, squatter.id)
        row.email, row.email_key = address, address
        fix.add(row)
        fix.commit()
    name = f"Chefin {secrets.token_hex(3)}"
    result = app.test_cli_runner().invoke(args=["users", "create-admin", address, "--username", name,
                                                "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "never confirmed" in result.output and squatter.username in result.output
    session.expire_all()
    assert session.exec(select(User).where(User.username == squatter.username)).first() is None
    user = session.exec(select(User).where(User.email_key == address)).one()
    assert user.username == name and user.is_admin and user.is_confirmed


def test_a_withdrawn_invitation_no_longer_works(app, session):
    initiator = make_user(app, role="initiator")
    address = new_address()
    path = invite(app, initiator, address)
    client = logged_in(app, initiator)
    invitation = session.exec(select(Invitation).where(Invitation.email_key == address)).one()
    page = client.get(MODERATORS)
    assert address in soup(page).select_one("main").get_text()
    response = send(client, f"/de/staff/invitations/{invitation.id}/withdraw", {}, page=MODERATORS)
    assert response.headers["Location"] == MODERATORS + "#outcome"
    assert f"Die Einladung an {address} ist zurückgezogen" in flash_text(client, response)
    assert audit_entries(session, "role.withdraw_invitation", object_id=invitation.id)
    refused = app.test_client().get(path)
    assert refused.status_code == 410 and "zurückgezogen" in main_text(refused)
    assert address not in main_text(client.get(MODERATORS))
    again = send(client, f"/de/staff/invitations/{invitation.id}/withdraw", {}, page=MODERATORS)
    assert "Es wurde nichts geändert" in flash_text(client, again)
    # After withdrawing, the address can be invited again.
    assert send(client, MODERATORS, {"email": address}).status_code == 303


def test_an_expired_or_unknown_invitation_says_what_to_do(app, session):
    address = new_address()
    path = invite(app, make_user(app, role="initiator"), address)
    invitation = session.exec(select(Invitation).where(Invitation.email_key == address)).one()
    invitation.created_at -= timedelta(days=15)
    session.add(invitation)
    session.commit()
    response = app.test_client().get(path)
    assert response.status_code == 410
    assert "abgelaufen" in main_text(response) and "neuen Einladung" in main_text(response)
    listing = soup(logged_in(app, make_user(app, role="admin")).get(MODERATORS))
    assert address not in listing.find("h2", string="Offene Einladungen").find_next(["ul", "p"]).get_text()  # not open
    assert address in listing.find("h2", string="Abgelaufene Einladungen").find_next("ul").get_text()  # but expired
    name = f"Zu spät {secrets.token_hex(3)}"
    late = app.test_client()
    assert send(late, path, {"username": name, "password": PASSWORD, "password_repeat": PASSWORD,
                             "accept_terms": "y"}, page="/de/account/login").status_code == 410
    assert session.exec(select(User).where(User.username == name)).first() is None
    for token in ("garbage", path.rsplit("/", 1)[1][:-3] + "abc"):
        response = app.test_client().get(f"/de/invitation/{token}")
        assert response.status_code == 404 and "Diesen Einladungslink kennen wir nicht" in main_text(response)


def test_role_mail_links_open_in_every_mode(app, session):
    """The links of role_added and invitation lead where they say, in the recipient's mode
    (tests/test_mail.py sends every other kind of mail)."""
    for language, prefix in (("de", "de"), ("en", "en"), ("simple", "einfach")):
        person = make_user(app, language=language)
        admin = logged_in(app, make_user(app, role="admin"))
        send(admin, f"/{prefix}/staff/organisations/eichbrunn/initiators", {"email": person.email})
        address = new_address()
        send(admin, f"/{prefix}/staff/projects/smart-city/moderators", {"email": address})
        for message, reader in ((mails_to(app, person.email)[-1], logged_in(app, person)),
                                (mails_to(app, address)[-1], app.test_client())):
            url = re.search(r"https?://\S+", message.get_content()).group(0)
            assert url.startswith(app.config["PUBLIC_BASE_URL"] + f"/{prefix}/"), url
            assert reader.get(link_in(message)).status_code == 200, url
            assert message["Content-Language"] == ("en" if language == "en" else "de")


# flask users create-admin --------------------------------------------------------------------------

def test_create_admin_creates_a_confirmed_administrator_and_says_what_next(app, session):
    address = new_address()
    name = f"Admin {secrets.token_hex(3)}"
    result = app.test_cli_runner().invoke(args=["users", "create-admin", address, "--username", name,
                                                "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email_key == address)).one()
    assert user.is_admin and user.is_confirmed and user.username == name
    assert "/de/account/login" in result.output
    assert "/de/staff/" in result.output and "initiators" in result.output
    [entry] = audit_entries(session, "role.make_admin", object_id=user.id)
    assert entry.actor_id is None and entry.actor_name == "system"
    client = app.test_client()
    login(client, user)
    assert "Initiators" in main_text(client.get("/en/staff/"))


@pytest.fixture()
def app_of_another_shell(app, monkeypatch):
    """The app as `flask` builds it in another shell than the server's: PUBLIC_BASE_URL as that shell has it."""
    from webapp import create_app

    def make(base_url):
        if base_url:
            monkeypatch.setenv("PUBLIC_BASE_URL", base_url)
        else:
            monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
        made.append(create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": app.config["SECRET_KEY"],
                                "TESTING": True}))
        return made[-1]

    made = []
    yield make
    for other in made:
        other.extensions["db_engine"].dispose()


def test_create_admin_prints_the_login_path_only_when_the_sites_address_is_unknown(app_of_another_shell):
    """The site runs on PORT=5101; `flask users create-admin` in another shell printed http://127.0.0.1:5000/...
    as if it knew (staff report 2026-12-06, m9)."""
    person = make_user(app_of_another_shell(None))
    result = app_of_another_shell(None).test_cli_runner().invoke(args=["users", "create-admin", person.email])
    assert result.exit_code == 0, result.output
    assert "Log in at /de/account/login\n" in result.output and "staff area: /de/staff/ " in result.output
    assert "http://127.0.0.1:5000/de" not in result.output and "PUBLIC_BASE_URL is not set" in result.output


def test_create_admin_prints_whole_addresses_from_public_base_url(app_of_another_shell):
    other = app_of_another_shell("https://beteiligung.example.org")
    result = other.test_cli_runner().invoke(args=["users", "create-admin", make_user(other).email])
    assert result.exit_code == 0, result.output
    assert "Log in at https://beteiligung.example.org/de/account/login" in result.output
    assert "PUBLIC_BASE_URL, https://beteiligung.example.org" in result.output


def test_create_admin_asks_for_name_and_password_hidden_and_twice(app, session):
    address = new_address()
    name = f"Gefragt {secrets.token_hex(3)}"
    result = app.test_cli_runner().invoke(args=["users", "create-admin", address],
                                          input=f"{name}\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # typed hidden
    assert "Repeat for confirmation" in result.output
    assert session.exec(select(User).where(User.email_key == address)).one().is_admin


def test_create_admin_promotes_an_existing_account_once(app, session):
    person = make_user(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create-admin", person.email])
    assert result.exit_code == 0 and "is an administrator now" in result.output
    session.expire_all()
    assert session.get(User, person.id).is_admin
    assert runner.invoke(args=["users", "create-admin", person.email]).output.count("already") == 1
    assert len(audit_entries(session, "role.make_admin", object_id=person.id)) == 1


@pytest.mark.parametrize(("username", "password", "message"), [
    ("A", PASSWORD, "Use 3 to 40 characters"),
    ("Mоderator", PASSWORD, "one alphabet"),  # a Cyrillic о
    ("Someone Else", "password1234", "password"),
])
def test_create_admin_keeps_the_registration_rules(app, session, username, password, message):
    address = new_address()
    result = app.test_cli_runner().invoke(args=["users", "create-admin", address, "--username", username,
                                                "--password", password])
    assert result.exit_code != 0 and message.lower() in result.output.lower(), result.output
    assert session.exec(select(User).where(User.email_key == address)).first() is None


def test_create_admin_refuses_a_taken_username(app, session):
    taken = make_user(app)
    address = new_address()
    result = app.test_cli_runner().invoke(args=["users", "create-admin", address, "--username", taken.username,
                                                "--password", PASSWORD])
    assert result.exit_code != 0 and "taken" in result.output
    assert session.exec(select(User).where(User.email_key == address)).first() is None


def test_expired_invitations_are_listed_with_their_dates_and_can_be_sent_again(app, session):
    """Staff report m7: an expired invitation no longer vanishes without a word."""
    from datetime import UTC, datetime

    initiator = logged_in(app, make_user(app, role="initiator"))
    address = new_address()
    invite(app, make_user(app, role="initiator"), address)
    invitation = session.exec(select(Invitation).where(Invitation.email == address)).one()
    page = main_text(initiator.get(MODERATORS))
    assert "Link gilt bis" in page  # the open one names its end
    invitation.created_at = datetime.now(UTC) - timedelta(days=15)
    session.add(invitation)
    session.commit()
    page = soup(initiator.get(MODERATORS))
    expired = page.find("h2", string="Abgelaufene Einladungen").find_next("ul")
    assert address in expired.get_text() and "abgelaufen am" in expired.get_text()
    button = expired.find("button")
    assert button.get_text(" ", strip=True) == f"Erneut senden : Einladung an {address}"
    response = send(initiator, button.find_parent("form")["action"], {}, page=MODERATORS)
    assert "Einladung" in flash_text(initiator, response)
    assert len(mails_to(app, address)) == 2
    page = soup(initiator.get(MODERATORS))
    listed = page.find("h2", string="Abgelaufene Einladungen")
    assert listed is None or address not in listed.find_next("ul").get_text()  # invited again: open, not expired
    assert address in page.find("h2", string="Offene Einladungen").find_next("ul").get_text()


def test_a_removed_moderator_is_told_by_mail_in_their_mode(app, session):
    """Staff report m10: they used to find out from a refusal."""
    initiator = logged_in(app, make_user(app, role="initiator"))
    person = make_user(app, role="moderator", language="en")
    response = send(initiator, f"{MODERATORS}/{person.id}/remove", {}, page=MODERATORS)
    assert response.status_code == 303
    [told] = [m for m in mails_to(app, person.email) if "no longer" in m["Subject"]]
    assert "Smart City" in told["Subject"] and told["Reply-To"]
    assert "/en/" in told.get_content()


def test_an_accepted_invitation_offers_the_staff_area_to_one_logged_in(app, session):
    address = new_address()
    path = invite(app, make_user(app, role="initiator"), address)
    newcomer = app.test_client()
    send(newcomer, path, {"username": f"Neu {secrets.token_hex(3)}", "password": PASSWORD, "password_repeat": PASSWORD,
                          "accept_terms": "y"})
    again = newcomer.get(path)
    assert again.status_code == 410
    links = [a.get_text() for a in soup(again).main.find_all("a")]
    assert "Zur Verwaltung" in links and "Anmelden" not in links


# --- Invitation mails are capped (security report 2026-12-06, N8) ------------------------------------

def _invite_and_withdraw(client, session, address):
    response = send(client, MODERATORS, {"email": address})
    if response.status_code != 303:
        return response
    invitation = session.exec(select(Invitation).where(Invitation.email_key == address)
                              .order_by(Invitation.id.desc())).first()
    assert send(client, f"/de/staff/invitations/{invitation.id}/withdraw", {}, page=MODERATORS).status_code == 303
    return response


@pytest.mark.parametrize(("prefix", "words"), [("de", "so viele Einladungen bekommen"),
                                               ("en", "as many invitations in the last 24 hours"),
                                               ("einfach", "schon 3 Einladungen geschickt")])
def test_one_address_gets_three_invitations_a_day_withdrawn_ones_counted(app, session, prefix, words):
    """Inviting and withdrawing in turn mailed an address without end."""
    address = new_address()
    client = logged_in(app, make_user(app, role="initiator"))
    for _ in range(3):
        assert _invite_and_withdraw(client, session, address).status_code == 303
    url = MODERATORS.replace("/de/", f"/{prefix}/")
    refused = send(client, url, {"email": address})
    assert refused.status_code == 422
    message = soup(refused).find(id="email-error").get_text(" ", strip=True)
    assert words in message and ("Stunden" in message or "hours" in message)
    assert soup(refused).find("input", id="email")["value"] == address  # what was typed stays
    assert len(mails_to(app, address)) == 3
    other = logged_in(app, make_user(app, role="initiator"))  # another inviter: the same address is still capped
    assert send(other, MODERATORS, {"email": address}).status_code == 422
    assert send(other, MODERATORS, {"email": new_address()}).status_code == 303  # other addresses are not


def test_one_person_sends_a_limited_number_of_invitations_a_day(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "INVITATIONS_PER_INVITER", 4)
    client = logged_in(app, make_user(app, role="initiator"))
    for _ in range(4):
        assert _invite_and_withdraw(client, session, new_address()).status_code == 303
    address = new_address()
    refused = send(client, MODERATORS, {"email": address})
    assert refused.status_code == 422 and not mails_to(app, address)
    assert "Sie haben in den letzten 24 Stunden so viele Einladungen verschickt" in main_text(refused)
    assert send(logged_in(app, make_user(app, role="initiator")), MODERATORS, {"email": address}).status_code == 303
