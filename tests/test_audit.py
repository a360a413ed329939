"""The audit log: entries are stored with the change they record or not at all; the project's log page.

Who may read the log is checked for every role in tests/authorization/test_staff_pages.py.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.factories import CommentFactory
from tests.support import TODAY, login, make_user, soup
from webapp import audit, db
from webapp.audit.models import AuditEntry
from webapp.clock import utcnow
from webapp.comments.models import Comment
from webapp.mail.models import OutboxMessage
from webapp.projects.models import Organisation, Project
from webapp.roles.models import ProjectModerator


@pytest.fixture()
def draft(app, session) -> Project:
    """An unpublished project of the city with an empty log."""
    from webapp import demo

    org = session.exec(select(Organisation).where(Organisation.slug == "eichbrunn")).one()
    project = demo.build_project(demo._read("spielplaetze.toml"), org, TODAY, slug=f"log-{secrets.token_hex(3)}")
    project.published = False
    for text in project.texts:  # a title of its own: other tests find the demo's projects by title
        text.title = f"Entwurf {project.slug}"
    session.add(project)
    session.commit()
    session.refresh(project)
    return project


def entries(session, **where) -> list[AuditEntry]:
    session.expire_all()
    query = select(AuditEntry)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return list(session.exec(query).all())


def add_entries(app, project_id: int, rows: list[tuple]) -> None:
    """Entries (actor: an account or "system", action, minutes ago, reason) straight in the database, for the page."""
    with Session(app.extensions["db_engine"]) as session:
        for actor, action, minutes, reason in rows:
            session.add(AuditEntry(actor_id=getattr(actor, "id", None), actor_name=getattr(actor, "username", actor),
                                   action=action, object_type="project", object_id=project_id,
                                   project_id=project_id, reason=reason, created_at=utcnow() - timedelta(minutes=minutes)))
        session.commit()


def log_page(app, slug, **query):
    client = app.test_client()
    login(client, make_user(app, role="initiator"))
    return client.get(f"/de/staff/projects/{slug}/audit", query_string=query)


def column(response, index: int) -> list[str]:
    """The cells of column ``index``, without the label the narrow layout shows above each."""
    cells = [row.find_all("td")[index] for row in soup(response).select("main table tbody tr")]
    for cell in cells:
        cell.select_one(".audit-table__label").extract()
    return [cell.get_text(" ", strip=True) for cell in cells]


# Stored with the change, or not at all ---------------------------------------------------------------

def test_an_entry_is_stored_with_the_change_it_records(app, session, draft):
    admin = make_user(app, role="admin")
    with app.test_request_context("/de/"), db.transaction():
        audit.record(admin, "project.settings", "project", draft.id, project_id=draft.id, reason="Neue Regeln",
                     threshold=3)
    [entry] = entries(session, project_id=draft.id)
    assert (entry.actor_id, entry.actor_name, entry.action, entry.reason) == (admin.id, admin.username,
                                                                               "project.settings", "Neue Regeln")
    assert entry.details == '{"threshold": 3}'


def test_a_failed_unit_of_work_leaves_neither_the_change_nor_its_entry_nor_its_mail(app, session, draft):
    from webapp.accounts.models import User
    from webapp.roles import services

    initiator, person = make_user(app, role="initiator"), make_user(app)
    with app.test_request_context("/de/"):
        with pytest.raises(RuntimeError), db.transaction():
            services.add_moderator(db.session().get(User, initiator.id), db.session().get(Project, draft.id),
                                   person.email, "de")
            db.session().flush()  # the rows were written, inside the transaction
            raise RuntimeError("something later in the same unit of work fails")
    assert entries(session, project_id=draft.id) == []
    assert session.exec(select(ProjectModerator).where(ProjectModerator.user_id == person.id)).first() is None
    assert session.exec(select(OutboxMessage).where(OutboxMessage.recipient == person.email)).first() is None


def test_an_unknown_action_is_refused(app):
    with app.test_request_context("/de/"), pytest.raises(ValueError):
        audit.record(None, "comment.vanish", "comment", 1)


def test_the_system_acts_as_system(app, session, draft):
    with app.test_request_context("/de/"), db.transaction():
        audit.record(None, "comment.auto_hide", "comment", None, project_id=draft.id)
    [entry] = entries(session, project_id=draft.id)
    assert entry.actor_id is None and entry.actor_name == audit.SYSTEM


# The log page ----------------------------------------------------------------------------------------

def test_an_empty_log_says_so(app, draft):
    response = log_page(app, draft.slug)
    assert response.status_code == 200
    main = soup(response).find("main")
    assert main.find("table") is None
    assert "In diesem Projekt wurde noch keine Aktion protokolliert." in main.get_text()


def test_the_log_lists_newest_first_in_a_table_with_caption_and_headers(app, draft):
    anna, max_ = make_user(app, name=f"Anna Admin {secrets.token_hex(2)}"), make_user(app, name=f"Max Moderator {secrets.token_hex(2)}")
    add_entries(app, draft.id, [(anna, "role.add_moderator", 30, ""),
                                (max_, "comment.block", 5, "Beleidigung"),
                                ("system", "comment.auto_hide", 10, "")])
    response = log_page(app, draft.slug)
    html = soup(response)
    table = html.select_one("main table")
    assert table.caption.get_text(strip=True) == "3 Einträge"
    assert [th.get_text(strip=True) for th in table.select("thead th")] == ["Wann", "Wer", "Was", "Woran", "Begründung"]
    assert all(th["scope"] == "col" for th in table.select("thead th"))
    assert column(response, 1) == [max_.username, "System (automatisch)", anna.username]
    assert column(response, 2) == ["Kommentar gesperrt", "Kommentar nach Meldungen ausgeblendet", "Moderation hinzugefügt"]
    assert column(response, 4) == ["Beleidigung", "keine angegeben", "keine angegeben"]
    when = table.select_one("tbody tr td time")
    assert when["datetime"].endswith(("+01:00", "+02:00")) and "Uhr" in when.get_text()  # Berlin time


def test_filters_by_action_and_person_with_a_plain_form_offering_only_what_occurs(app, draft):
    anna, max_ = make_user(app, name=f"Anna Admin {secrets.token_hex(2)}"), make_user(app, name=f"Max Moderator {secrets.token_hex(2)}")
    add_entries(app, draft.id, [(anna, "role.add_moderator", 3, ""),
                                (max_, "comment.block", 2, "Beleidigung"),
                                (max_, "comment.restore", 1, "")])
    html = soup(log_page(app, draft.slug))
    form = html.select_one("main form")
    assert form["method"] == "get" and form.select_one("button[type=submit]") is not None
    assert form.find("label", attrs={"for": "action"}) and form.find("label", attrs={"for": "person"})
    assert [(o["value"], o.get_text()) for o in form.select("#person option")] == [
        ("", "Alle Personen"), (f"u{anna.id}", anna.username), (f"u{max_.id}", max_.username)]
    # Only actions that occur in this log are offered (security report N4, staff report S2).
    assert [o["value"] for o in form.select("#action option")] == ["", "role.add_moderator", "comment.block",
                                                                   "comment.restore"]

    by_person = log_page(app, draft.slug, person=f"u{max_.id}")
    assert column(by_person, 2) == ["Kommentar wiederhergestellt", "Kommentar gesperrt"]
    assert soup(by_person).select_one("#person option[selected]")["value"] == f"u{max_.id}"
    assert soup(by_person).select_one("caption").get_text(strip=True) == "2 Einträge passen zur Auswahl"
    both = log_page(app, draft.slug, person=f"u{max_.id}", action="comment.block")
    assert column(both, 4) == ["Beleidigung"]
    nothing = log_page(app, draft.slug, person=f"u{anna.id}", action="comment.block")
    assert "Keine Einträge passen zu dieser Auswahl." in soup(nothing).find("main").get_text()
    # Values no form offers lead to the whole log, at its one address.
    odd = log_page(app, draft.slug, person="Mallory", action="drop table", page="x")
    assert odd.status_code == 303 and odd.headers["Location"] == f"/de/staff/projects/{draft.slug}/audit"


def test_fifty_entries_a_page_with_a_pager_that_keeps_the_filter(app, draft):
    max_, anna = make_user(app, name=f"Max {secrets.token_hex(2)}"), make_user(app, name=f"Anna {secrets.token_hex(2)}")
    add_entries(app, draft.id, [(max_, "comment.review", minute, "") for minute in range(60)]
                + [(anna, "role.add_moderator", 100, "")])
    first = log_page(app, draft.slug, person=f"u{max_.id}")
    assert len(column(first, 1)) == 50
    pager = soup(first).select_one("nav.comment-pages")
    assert "Seite 1 von 2" in pager.get_text()
    next_link = pager.select_one("a[rel=next]")["href"]
    assert f"person=u{max_.id}" in next_link and "page=2" in next_link
    second = log_page(app, draft.slug, person=f"u{max_.id}", page="2")
    assert len(column(second, 1)) == 10 and "Seite 2 von 2" in soup(second).title.get_text()
    assert soup(second).select_one("nav.comment-pages a[rel=prev]") is not None
    past = log_page(app, draft.slug, page="99")  # past the end: the last page, at its own address
    assert past.status_code == 303 and past.headers["Location"] == f"/de/staff/projects/{draft.slug}/audit?page=2"


def test_a_comment_acted_on_links_to_its_moderation_page(app, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    comment = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.author_id.is_not(None),
                                                 Comment.parent_id.is_(None))).first()
    actor = make_user(app, name=f"Prüferin {secrets.token_hex(3)}")
    add_comment_entry(app, actor, "comment.review", comment, project)
    response = log_page(app, "smart-city", person=f"u{actor.id}")
    link = soup(response).select_one("main tbody a")
    assert link["href"] == f"/de/staff/projects/smart-city/moderation/comments/{comment.id}"
    assert link.get_text().startswith(f"Kommentar von {comment.author.username} vom ")


def add_comment_entry(app, actor, action, comment, project, **fields) -> None:
    with Session(app.extensions["db_engine"]) as writer:
        writer.add(AuditEntry(actor_id=actor.id, actor_name=actor.username, action=action, object_type="comment",
                              object_id=comment.id, project_id=project.id, **fields))
        writer.commit()


def test_a_block_shows_the_reason_chosen_from_the_list_and_the_words_given(app, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    comment = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.parent_id.is_(None))).first()
    actor = make_user(app, name=f"Sperrerin {secrets.token_hex(3)}")
    for minutes, text in ((2, ""), (1, "Link zu einem Kreditportal")):
        add_comment_entry(app, actor, "comment.block", comment, project, reason=text, details='{"reason_key": "spam"}',
                          created_at=utcnow() - timedelta(minutes=minutes))
    response = log_page(app, "smart-city", person=f"u{actor.id}")
    assert column(response, 4) == ["Werbung oder Spam: Link zu einem Kreditportal", "Werbung oder Spam"]


def test_the_log_shows_the_roles_pages_actions(app, session, draft):
    """Adding a moderator on the moderators page shows up in the log with who and whom."""
    initiator, person = make_user(app, role="initiator"), make_user(app)
    client = app.test_client()
    login(client, initiator)
    page = client.get(f"/de/staff/projects/{draft.slug}/moderators")
    token = soup(page).find("input", attrs={"name": "csrf_token"})["value"]
    client.post(f"/de/staff/projects/{draft.slug}/moderators", data={"csrf_token": token, "email": person.email})
    response = client.get(f"/de/staff/projects/{draft.slug}/audit")
    assert column(response, 1) == [initiator.username]
    assert column(response, 3) == [f"Person: {person.username}"]


# The organisation's and the site's logs (security report N4, staff report S2) ----------------------------

def staff_client(app, user):
    client = app.test_client()
    login(client, user)
    return client


def post_with_token(client, url, data, page=None):
    from tests.support import csrf_token

    return client.post(url, data={"csrf_token": csrf_token(client.get(page or url)), **data})


def test_what_belongs_to_no_project_is_in_the_organisation_and_site_logs(app, session):
    admin = make_user(app, role="admin")
    admin_client = staff_client(app, admin)
    newcomer, chief = make_user(app), make_user(app)
    initiators = "/de/staff/organisations/eichbrunn-mobilitaet/initiators"
    assert post_with_token(admin_client, initiators, {"email": newcomer.email}).status_code == 303
    assert post_with_token(admin_client, f"{initiators}/{newcomer.id}/remove", {}, page=initiators).status_code == 303
    assert app.test_cli_runner().invoke(args=["users", "create-admin", chief.email]).exit_code == 0
    organisation_log = admin_client.get("/de/staff/organisations/eichbrunn-mobilitaet/audit")
    mine = [row for row in zip(column(organisation_log, 2), column(organisation_log, 3), strict=True)
            if newcomer.username in row[1]]
    assert mine == [("Mitglied des Projektteams entfernt", f"Person: {newcomer.username}"),
                    ("Mitglied des Projektteams hinzugefügt", f"Person: {newcomer.username}")]
    assert "Zur Administration ernannt" not in column(organisation_log, 2)  # the site's, not the organisation's
    site_log = admin_client.get("/de/staff/audit")
    assert ("Zur Administration ernannt", f"Person: {chief.username}") in zip(column(site_log, 2), column(site_log, 3),
                                                                             strict=True)
    assert f"Person: {newcomer.username}" in column(site_log, 3)
    # The initiators of the organisation read its log; those of another, and moderators, do not.
    from tests.support import make_user as new

    their_initiator = staff_client(app, new(app, role="initiator", project="radverkehr"))
    assert their_initiator.get("/de/staff/organisations/eichbrunn-mobilitaet/audit").status_code == 200
    assert their_initiator.get("/de/staff/organisations/eichbrunn/audit").status_code == 403
    assert their_initiator.get("/de/staff/audit").status_code == 403


def test_a_projects_log_pages_its_own_entries_and_the_site_wide_blocks_as_one_list_newest_first(app, session, draft):
    """The log reads its two parts on their own (webapp.auditlog.queries); the pages are still one list."""
    start = session.get(Project, draft.id).created_at
    with Session(app.extensions["db_engine"]) as writing:
        for number in range(150):  # more of each part than one page: each part must give its newest page * 50
            site_wide = number % 3 == 0  # blocks on the whole website since the project exists
            writing.add(AuditEntry(actor_name="system", action="person.block" if site_wide else "comment.review",
                                   object_type="user" if site_wide else "comment", object_id=number,
                                   project_id=None if site_wide else draft.id, reason=f"Eintrag {number:02}",
                                   created_at=start + timedelta(milliseconds=number)))
        writing.commit()
    shown = []
    for page in ("", "2", "3"):
        response = log_page(app, draft.slug, **({"page": page} if page else {}))
        shown += [reason for reason in column(response, 4) if reason.startswith("Eintrag")]
    assert shown == [f"Eintrag {number:02}" for number in reversed(range(150))]
    blocks = [reason for reason in column(log_page(app, draft.slug, action="person.block"), 4) if reason.startswith("Eintrag")]
    assert blocks == [f"Eintrag {number:02}" for number in reversed(range(0, 150, 3))][:50]


def test_a_site_wide_block_is_in_every_projects_log_and_filters_offer_only_what_can_match(app, session):
    admin_client = staff_client(app, make_user(app, role="admin"))
    person = make_user(app, name=f"Überall {secrets.token_hex(3)}")
    CommentFactory(session=session, author=person, body="Hallo")
    block = f"/de/staff/projects/smart-city/people/{person.id}/block"
    assert post_with_token(admin_client, block, {"scope": "site", "duration": "forever",
                                                 "reason": "Hetze überall"}).status_code == 303
    for slug in ("smart-city", "radverkehr"):
        log = admin_client.get(f"/de/staff/projects/{slug}/audit", query_string={"action": "person.block"})
        assert f"Person: {person.username}" in column(log, 3), slug
    radverkehr = soup(admin_client.get("/de/staff/projects/radverkehr/audit"))
    offered = [o["value"] for o in radverkehr.select("#action option")]
    assert "person.block" in offered and "role.add_initiator" not in offered and "role.make_admin" not in offered
    assert f"Person: {person.username}" in column(staff_client(app, make_user(app, role="admin")).get("/de/staff/audit"), 3)


# What outlives an account or a deleted item (security report N5, and every delete) -----------------------

def test_a_deleted_staff_members_entries_keep_one_pseudonym_and_their_roles_end_on_record(app, session):
    from tests.support import PASSWORD, csrf_token

    moderator = make_user(app, role="moderator", name=f"Nora Neumod {secrets.token_hex(2)}")
    client = staff_client(app, moderator)
    comment = CommentFactory(session=session, body=f"Werbung {secrets.token_hex(2)}")
    item = f"/de/staff/projects/smart-city/moderation/comments/{comment.id}"
    assert post_with_token(client, f"{item}/note", {"note-text": "Schon wieder Werbung"}, item).status_code == 303
    assert post_with_token(client, f"{item}/block", {"block-reason": "spam"}, item).status_code == 303
    assert client.post("/de/account/delete", data={"csrf_token": csrf_token(client.get("/de/account/delete")),
                                                   "current_password": PASSWORD}).status_code == 303
    pseudonym = f"Gelöschtes Konto {moderator.id}"
    log = log_page(app, "smart-city", person=f"d{moderator.id}")
    assert column(log, 1) == [pseudonym, pseudonym] and column(log, 2) == ["Kommentar gesperrt",
                                                                            "Notiz der Moderation hinzugefügt"]
    offered = {o["value"]: o.get_text() for o in soup(log).select("#person option")}
    assert offered[f"d{moderator.id}"] == pseudonym
    ended = log_page(app, "smart-city", action="role.remove_moderator", person="system")
    assert f"Person: {pseudonym}" in column(ended, 3)
    page = staff_client(app, make_user(app, role="moderator")).get(item)
    assert pseudonym in soup(page).main.get_text()  # the note, under the same name


def test_what_the_filters_and_the_count_offer_follows_every_change_of_the_entries_at_once(app, session, draft):
    """The log keeps what actions and people occur and how many entries there are while its entries stay as they
    are (auditlog.views._answer): a new entry, an erasure that takes a name out, the oldest entries removed,
    each shows on the next view of a log viewed just before."""
    from sqlalchemy import delete

    from tests.support import PASSWORD, csrf_token

    initiator = make_user(app, role="initiator")
    reader = staff_client(app, initiator)
    path = f"/de/staff/projects/{draft.slug}/audit"

    def view(**query) -> tuple[str, dict[str, str], dict[str, str]]:
        page = soup(reader.get(path, query_string=query))
        return (page.select_one("caption").get_text(strip=True),
                {o["value"]: o.get_text() for o in page.select("#action option")},
                {o["value"]: o.get_text() for o in page.select("#person option")})

    person = make_user(app, name=f"Paula Protokoll {secrets.token_hex(2)}")
    add_entries(app, draft.id, [(person, "comment.block", 3, "")])
    assert view()[0] == "1 Eintrag" and f"u{person.id}" in view()[2]
    add_entries(app, draft.id, [("system", "comment.restore", 2, ""), (person, "comment.block", 1, "")])
    caption, actions, people = view()
    assert caption == "3 Einträge" and "comment.restore" in actions and "system" in people
    assert view(person=f"u{person.id}")[0] == "2 Einträge passen zur Auswahl"
    # The account erased: its entries keep a pseudonym, offered at once.
    client = staff_client(app, person)
    assert client.post("/de/account/delete", data={"csrf_token": csrf_token(client.get("/de/account/delete")),
                                                   "current_password": PASSWORD}).status_code == 303
    people = view()[2]
    assert f"u{person.id}" not in people and people[f"d{person.id}"] == f"Gelöschtes Konto {person.id}"
    # The oldest entries of the whole log removed (the first entry's number changes).
    with Session(app.extensions["db_engine"]) as work:
        oldest = work.exec(select(AuditEntry).where(AuditEntry.project_id == draft.id)
                           .order_by(AuditEntry.id)).first()
        work.execute(delete(AuditEntry).where(AuditEntry.id <= oldest.id))
        work.commit()
    assert view()[0] == "2 Einträge"


def test_every_delete_is_logged_before_the_row_goes_and_stays_readable(app, session, draft):
    from webapp.accounts.models import User
    from webapp.documents.services import delete_chapter, delete_paragraph, delete_project

    admin = make_user(app, role="admin")
    chapter_title = draft.document.chapters[1].localized("de").text.title
    project_title = draft.localized("de").text.title
    with app.test_request_context("/de/"), db.transaction():
        actor = db.session().get(User, admin.id)
        found = db.session().get(Project, draft.id)
        delete_paragraph(actor, found.document.chapters[0].paragraphs[0])
        delete_chapter(actor, found.document.chapters[1])
    log = log_page(app, draft.slug)
    assert column(log, 2) == ["Kapitel gelöscht", "Absatz gelöscht"]
    assert column(log, 3)[0] == f"Kapitel: {chapter_title}" and column(log, 3)[1].startswith("Absatz: ")
    with app.test_request_context("/de/"), db.transaction():
        delete_project(db.session().get(User, admin.id), db.session().get(Project, draft.id))
    organisation_log = staff_client(app, admin).get("/de/staff/organisations/eichbrunn/audit")
    assert ("Projekt gelöscht", f"Projekt: {project_title}") in zip(column(organisation_log, 2),
                                                                   column(organisation_log, 3), strict=True)


def test_the_kept_rows_make_the_page_rendered_without_them(app, draft):
    """Each row's HTML is kept under the words it shows (auditlog.views._kept): the page is the same."""
    from tests.test_fragments import cache_off, normalised

    anna = make_user(app, name=f"Anna Admin {secrets.token_hex(2)}")
    add_entries(app, draft.id, [(anna, "role.add_moderator", 3, ""), ("system", "comment.block", 2, "Werbung")])
    reader = staff_client(app, make_user(app, role="initiator"))
    reader.get("/de/imprint")  # the "logged in" message shown once
    for mode in ("de", "en", "einfach"):
        path = f"/{mode}/staff/projects/{draft.slug}/audit"
        with cache_off(app):
            expected = normalised(reader.get(path))
        assert normalised(reader.get(path)) == expected and normalised(reader.get(path)) == expected
