"""The audit log: entries are stored with the change they record or not at all; the project's log page.

Who may read the log is checked for every role in tests/test_authorization.py.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlmodel import Session, select

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
    """Entries (actor name, action, minutes ago, reason) straight in the database, for the page."""
    with Session(app.extensions["db_engine"]) as session:
        for actor, action, minutes, reason in rows:
            session.add(AuditEntry(actor_name=actor, action=action, object_type="project", object_id=project_id,
                                   project_id=project_id, reason=reason,
                                   created_at=utcnow() - timedelta(minutes=minutes)))
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
    add_entries(app, draft.id, [("Anna Admin", "role.add_moderator", 30, ""),
                                ("Max Moderator", "comment.block", 5, "Beleidigung"),
                                ("system", "comment.auto_hide", 10, "")])
    response = log_page(app, draft.slug)
    html = soup(response)
    table = html.select_one("main table")
    assert table.caption.get_text(strip=True) == "3 Einträge"
    assert [th.get_text(strip=True) for th in table.select("thead th")] == ["Wann", "Wer", "Was", "Woran", "Begründung"]
    assert all(th["scope"] == "col" for th in table.select("thead th"))
    assert column(response, 1) == ["Max Moderator", "System (automatisch)", "Anna Admin"]
    assert column(response, 2) == ["Kommentar gesperrt", "Kommentar nach Meldungen ausgeblendet", "Moderation hinzugefügt"]
    assert column(response, 4) == ["Beleidigung", "keine angegeben", "keine angegeben"]
    when = table.select_one("tbody tr td time")
    assert when["datetime"].endswith(("+01:00", "+02:00")) and "Uhr" in when.get_text()  # Berlin time


def test_filters_by_action_and_person_with_a_plain_form(app, draft):
    add_entries(app, draft.id, [("Anna Admin", "role.add_moderator", 3, ""),
                                ("Max Moderator", "comment.block", 2, "Beleidigung"),
                                ("Max Moderator", "comment.restore", 1, "")])
    html = soup(log_page(app, draft.slug))
    form = html.select_one("main form")
    assert form["method"] == "get" and form.select_one("button[type=submit]") is not None
    assert form.find("label", attrs={"for": "action"}) and form.find("label", attrs={"for": "person"})
    assert [o["value"] for o in form.select("#person option")] == ["", "Anna Admin", "Max Moderator"]
    assert "comment.block" in [o["value"] for o in form.select("#action option")]

    by_person = log_page(app, draft.slug, person="Max Moderator")
    assert column(by_person, 2) == ["Kommentar wiederhergestellt", "Kommentar gesperrt"]
    assert soup(by_person).select_one("#person option[selected]")["value"] == "Max Moderator"
    assert soup(by_person).select_one("caption").get_text(strip=True) == "2 Einträge passen zur Auswahl"
    both = log_page(app, draft.slug, person="Max Moderator", action="comment.block")
    assert column(both, 4) == ["Beleidigung"]
    nothing = log_page(app, draft.slug, person="Anna Admin", action="comment.block")
    assert "Keine Einträge passen zu dieser Auswahl." in soup(nothing).find("main").get_text()
    # Values no form offers are ignored: the whole log.
    assert len(column(log_page(app, draft.slug, person="Mallory", action="drop table", page="x"), 1)) == 3


def test_fifty_entries_a_page_with_a_pager_that_keeps_the_filter(app, draft):
    add_entries(app, draft.id, [("Max Moderator", "comment.review", minute, "") for minute in range(60)]
                + [("Anna Admin", "role.add_moderator", 100, "")])
    first = log_page(app, draft.slug, person="Max Moderator")
    assert len(column(first, 1)) == 50
    pager = soup(first).select_one("nav.comment-pages")
    assert "Seite 1 von 2" in pager.get_text()
    next_link = pager.select_one("a[rel=next]")["href"]
    assert "person=Max+Moderator" in next_link and "page=2" in next_link
    second = log_page(app, draft.slug, person="Max Moderator", page="2")
    assert len(column(second, 1)) == 10 and "Seite 2 von 2" in soup(second).title.get_text()
    assert soup(second).select_one("nav.comment-pages a[rel=prev]") is not None
    assert len(column(log_page(app, draft.slug, page="99"), 1)) == 11  # past the end: the last page


def test_a_comment_acted_on_links_to_the_comment(app, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    comment = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.author_id.is_not(None),
                                                 Comment.parent_id.is_(None))).first()
    actor = f"Prüferin {secrets.token_hex(3)}"
    with Session(app.extensions["db_engine"]) as writer:
        writer.add(AuditEntry(actor_name=actor, action="comment.review", object_type="comment",
                              object_id=comment.id, project_id=project.id))
        writer.commit()
    response = log_page(app, "smart-city", person=actor)
    link = soup(response).select_one("main tbody a")
    assert link["href"] == f"/de/projects/smart-city/comments/{comment.id}"
    assert link.get_text().startswith(f"Kommentar von {comment.author.username} vom ")
    assert app.test_client().get(link["href"]).status_code == 302  # the permalink leads to the comment


def test_a_block_shows_the_reason_chosen_from_the_list_and_the_words_given(app, session):
    project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
    comment = session.exec(select(Comment).where(Comment.project_id == project.id, Comment.parent_id.is_(None))).first()
    actor = f"Sperrerin {secrets.token_hex(3)}"
    with Session(app.extensions["db_engine"]) as writer:
        for minutes, text in ((2, ""), (1, "Link zu einem Kreditportal")):
            writer.add(AuditEntry(actor_name=actor, action="comment.block", object_type="comment", object_id=comment.id,
                                  project_id=project.id, reason=text, details='{"reason_key": "spam"}',
                                  created_at=utcnow() - timedelta(minutes=minutes)))
        writer.commit()
    response = log_page(app, "smart-city", person=actor)
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
