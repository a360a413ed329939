"""Blocking a person: who may, what the person is told, what they can no longer do, and when it ends."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import event
from sqlmodel import select

from tests.factories import CommentFactory, PersonBlockFactory
from tests.support import PASSWORD, csrf_token, mails_to, make_user, soup
from webapp import clock
from webapp.accounts.models import User, email_key
from webapp.audit.models import AuditEntry
from webapp.models import Comment, PersonBlock, Project, Rating, Report

BERLIN = ZoneInfo("Europe/Berlin")
CHAPTERS = {"smart-city": "nachhaltig", "radverkehr": "sicher-unterwegs"}


def sign_in(client, user):
    """Logged in as Flask-Login records it (the login form itself is tested elsewhere)."""
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = user.get_id(), True


def project_of(session, slug="smart-city") -> Project:
    return session.exec(select(Project).where(Project.slug == slug)).one()


def comment_by(session, author, slug="smart-city", parent=None) -> Comment:
    return CommentFactory(session=session, project=slug, chapter=CHAPTERS[slug], author=author, parent_id=parent,
                          body=f"Ein Beitrag {secrets.token_hex(4)}")


def block_url(person, slug="smart-city", prefix="de"):
    return f"/{prefix}/staff/projects/{slug}/people/{person.id}/block"


def blocks_url(slug="smart-city", prefix="de"):
    return f"/{prefix}/staff/projects/{slug}/people/blocked"


def send_block(client, person, slug="smart-city", **data):
    """The block form as a moderator sends it (7 days unless said otherwise)."""
    url = block_url(person, slug)
    token = csrf_token(client.get(url))
    return client.post(url, data={"csrf_token": token, "duration": "7", "reason": "Beleidigungen", **data})


def blocks_of(session, person) -> list[PersonBlock]:
    session.expire_all()
    return list(session.exec(select(PersonBlock).where(PersonBlock.user_id == person.id).order_by(PersonBlock.id)).all())


def audit(session, action, user_id) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.object_id == user_id)
                             .order_by(AuditEntry.id)).all())  # oldest first (PostgreSQL keeps no order by itself)


@pytest.fixture()
def person(app, session):
    """A participant who wrote a comment in smart-city, in English mode (so their mail is English)."""
    user = make_user(app, language="en", name=f"Laut {secrets.token_hex(3)}")
    comment_by(session, user)
    return user


@pytest.fixture()
def moderator(app):
    return make_user(app, role="moderator")


@pytest.fixture()
def blocked(app, client, session, person, moderator):
    """``person`` blocked from smart-city for 7 days by ``moderator``; ``client`` then logged in as ``person``."""
    moderator_client = app.test_client()
    sign_in(moderator_client, moderator)
    assert send_block(moderator_client, person).status_code == 303
    sign_in(client, person)
    return blocks_of(session, person)[-1]


def test_a_moderator_blocks_a_person_who_is_told_by_mail_in_their_mode(app, client, session, person, moderator):
    sign_in(client, moderator)
    page = soup(client.get(block_url(person)))
    assert person.username in page.h1.get_text()
    assert not page.select("input[name=scope]")  # the whole site is for administrators only
    before = clock.utcnow()
    response = send_block(client, person, reason="Wiederholt beleidigend")
    assert response.status_code == 303 and response.headers["Location"].endswith(blocks_url() + "#outcome")
    [row] = blocks_of(session, person)
    project = project_of(session)
    assert row.project_id == project.id and row.reason == "Wiederholt beleidigend" and row.created_by_id == moderator.id
    assert timedelta(days=7) <= row.ends_at - before < timedelta(days=7, minutes=5)
    [entry] = audit(session, "person.block", person.id)
    assert entry.actor_id == moderator.id and entry.project_id == project.id and entry.reason == "Wiederholt beleidigend"
    [mail] = mails_to(app, person.email)
    text = mail.get_content()
    assert mail["Subject"] == "You have been blocked from taking part" and mail["Content-Language"] == "en"
    assert "Wiederholt beleidigend" in text and "Smart City" in text
    assert format_date(row.ends_at.astimezone(BERLIN), "long", locale="en_GB") in text
    assert "/en/projects/smart-city/rules" in text
    listing = soup(client.get(blocks_url()))
    assert person.username in listing.main.get_text() and "Wiederholt beleidigend" in listing.main.get_text()


def test_the_blocked_person_cannot_comment_reply_rate_or_report_and_is_told_until_when_and_why(
        app, client, session, person, blocked):
    other = make_user(app)
    theirs = comment_by(session, other)
    token = csrf_token(client.get("/de/"))
    until = format_date(blocked.ends_at.astimezone(BERLIN), "long", locale="de")
    chapter = "/de/projects/smart-city/chapters/nachhaltig"

    page = soup(client.get(chapter))
    notice = page.select_one("#discussion-blocked")
    assert notice is not None and until in notice.get_text() and "Beleidigungen" in notice.get_text()
    assert page.select_one("#comment-form") is None
    assert page.select_one("#discussion a[href='/de/projects/smart-city/rules']") is not None
    assert not page.select(f"#comment-{theirs.id} a[href$='/report']")  # no actions they cannot take
    assert not page.select(f"#comment-{theirs.id} form.rating")

    body = f"Trotzdem {secrets.token_hex(4)}"
    response = client.post(f"{chapter}/comments", data={"csrf_token": token, "body": body, "submission_key": "k1"})
    assert response.status_code == 403 and until in soup(response).select_one("#discussion-notice").get_text()
    reply = client.post(f"/de/projects/smart-city/comments/{theirs.id}/reply",
                        data={"csrf_token": token, f"reply-{theirs.id}-body": body})
    assert reply.status_code == 403 and "Beleidigungen" in reply.get_data(as_text=True)
    rating = client.post(f"/de/projects/smart-city/comments/{theirs.id}/rating", data={"csrf_token": token, "value": "agree"})
    assert rating.status_code == 403 and until in rating.get_data(as_text=True)
    report_url = f"/de/projects/smart-city/comments/{theirs.id}/report"
    assert client.get(report_url).status_code == 403
    report = client.post(report_url, data={"csrf_token": token, "reason": "spam"})
    assert report.status_code == 403 and "Beleidigungen" in soup(report).select_one(".notice").get_text()
    session.expire_all()
    assert not session.exec(select(Comment).where(Comment.body == body)).first()
    assert not session.exec(select(Rating).where(Rating.comment_id == theirs.id)).first()
    assert not session.exec(select(Report).where(Report.comment_id == theirs.id)).first()


def test_the_blocked_person_cannot_edit_their_comments_but_may_delete_them(app, client, session, person, blocked):
    """Editing would be a way round the block; taking back one's words stays open to everyone."""
    [own] = session.exec(select(Comment).where(Comment.author_id == person.id)).all()
    original = own.body
    page = soup(client.get("/de/projects/smart-city/chapters/nachhaltig"))
    assert not page.select(f"#comment-{own.id} a[href$='/edit']")
    assert page.select(f"#comment-{own.id} a[href$='/delete']")

    edit = f"/de/projects/smart-city/comments/{own.id}/edit"
    refused = client.get(edit)
    assert refused.status_code == 403 and "Beleidigungen" in refused.get_data(as_text=True)
    changed = f"Anders gesagt {secrets.token_hex(4)}"
    response = client.post(edit, data={"csrf_token": csrf_token(client.get("/de/")), "body": changed})
    assert response.status_code == 403
    assert soup(response).select_one("#kept-text").get_text() == changed  # what they typed is not lost
    assert soup(refused).select_one("#kept-text") is None  # nothing typed yet: no "not saved" text
    session.expire_all()
    assert session.get(Comment, own.id).body == original

    delete = f"/de/projects/smart-city/comments/{own.id}/delete"
    response = client.post(delete, data={"csrf_token": csrf_token(client.get(delete))})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Comment, own.id).is_deleted


def test_the_refusal_reads_in_every_mode(client, blocked):
    for prefix, words in (("de", "Sie sind bis"), ("en", "You have been blocked from taking part in this project until"),
                          ("einfach", "Sie dürfen")):
        page = soup(client.get(f"/{prefix}/projects/smart-city/chapters/nachhaltig"))
        text = page.select_one("#discussion-blocked").get_text()
        assert words in text and "Beleidigungen" in text, (prefix, text)


def test_a_project_block_leaves_other_projects_open(app, client, session, blocked):
    theirs = comment_by(session, make_user(app), slug="radverkehr")
    url = f"/de/projects/radverkehr/comments/{theirs.id}/report"
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url)), "reason": "spam"})
    assert response.status_code == 303


def test_the_block_ends_by_itself_when_its_time_is_up(app, client, session, blocked, monkeypatch):
    chapter = "/de/projects/smart-city/chapters/nachhaltig"
    assert soup(client.get(chapter)).select_one("#comment-form") is None
    later = blocked.ends_at + timedelta(minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    page = soup(client.get(chapter))
    assert page.select_one("#comment-form") is not None and page.select_one("#discussion-blocked") is None


def tell_ended(app, at) -> int:
    """The hourly job's work at ``at``, as the worker runs it: in an app context, with no request."""
    from sqlmodel import Session

    from webapp import db
    from webapp.conduct.blocks import tell_ended as job

    with app.app_context(), Session(db.engine()), db.transaction():
        return job(at)


def test_a_block_that_runs_out_tells_the_person_once_that_they_can_take_part_again(app, session, blocked, person):
    assert tell_ended(app, blocked.ends_at - timedelta(minutes=1)) >= 0
    assert len(mails_to(app, person.email)) == 1  # only the block's own mail so far
    assert tell_ended(app, blocked.ends_at + timedelta(minutes=30)) >= 1
    tell_ended(app, blocked.ends_at + timedelta(minutes=90))  # an hour later: the mail is not sent again
    mails = mails_to(app, person.email)
    assert len(mails) == 2
    assert mails[-1]["Subject"] == "You can take part again" and "Smart City" in mails[-1].get_content()
    assert "/en/projects/smart-city" in mails[-1].get_content()


def test_no_mail_while_another_block_still_holds_nor_for_one_long_over(
        app, client, session, person, moderator):
    staff = app.test_client()
    sign_in(staff, moderator)
    assert send_block(staff, person).status_code == 303  # 7 days
    [first] = blocks_of(session, person)
    admin = app.test_client()
    sign_in(admin, make_user(app, role="admin"))
    assert send_block(admin, person, scope="site", duration="30").status_code == 303  # site-wide, 30 days
    site = blocks_of(session, person)[-1]
    assert site.site_wide
    before = len(mails_to(app, person.email))
    tell_ended(app, first.ends_at + timedelta(minutes=30))  # the site-wide block still keeps them out
    tell_ended(app, site.ends_at + timedelta(minutes=30))  # the 7 days are long over; the site-wide block ran out
    mails = mails_to(app, person.email)[before:]
    assert [m["Subject"] for m in mails] == ["You can take part again"]
    assert "on the whole website" in mails[0].get_content()


def test_no_second_mail_for_a_block_ended_early(app, session, blocked, person, moderator):
    staff = app.test_client()
    sign_in(staff, moderator)
    assert staff.post(f"/de/staff/projects/smart-city/people/blocks/{blocked.id}/end",
                      data={"csrf_token": csrf_token(staff.get(blocks_url()))}).status_code == 303
    told = len(mails_to(app, person.email))  # the block, and its early end
    tell_ended(app, blocked.ends_at + timedelta(minutes=30))
    assert len(mails_to(app, person.email)) == told


def test_a_block_until_a_date_holds_all_of_that_day(app, client, session, person, moderator):
    sign_in(client, moderator)
    day = (datetime.now(BERLIN) + timedelta(days=10)).date()
    assert send_block(client, person, duration="date", until=day.isoformat()).status_code == 303
    [row] = blocks_of(session, person)
    end = row.ends_at.astimezone(BERLIN)
    assert end.date() == day and (end.hour, end.minute) == (23, 59)


@pytest.mark.parametrize(("data", "field"), [
    ({"reason": ""}, "reason"),
    ({"reason": "x" * 1001}, "reason"),
    ({"duration": ""}, "duration"),
    ({"duration": "365"}, "duration"),
    ({"duration": "date", "until": ""}, "until"),
    ({"duration": "date", "until": "31.13.2030"}, "until"),
    ({"duration": "date", "until": "morgen"}, "until"),
    ({"duration": "date", "until": date.today().isoformat()}, "until"),
    ({"duration": "date", "until": "2099-01-01"}, "until"),
])
def test_a_form_with_a_mistake_comes_back_with_the_input_and_blocks_no_one(app, client, session, person, moderator,
                                                                             data, field):
    sign_in(client, moderator)
    response = send_block(client, person, **{"reason": "Grund bleibt", **data})
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one(f".error-summary a[href='#{field}']") is not None
    assert page.title.get_text().startswith("Fehler:")
    if data.get("reason") is None:
        assert page.select_one("textarea#reason").get_text().strip() == "Grund bleibt"
    assert blocks_of(session, person) == []


def test_a_moderator_cannot_block_site_wide_an_administrator_can(app, client, session, person, moderator):
    sign_in(client, moderator)
    refused = send_block(client, person, scope="site")
    assert refused.status_code == 403 and "Administration" in soup(refused).select_one("main .lead").get_text()
    assert blocks_of(session, person) == []
    assert send_block(client, person).status_code == 303

    admin = make_user(app, role="admin")
    admin_client = app.test_client()
    sign_in(admin_client, admin)
    assert soup(admin_client.get(block_url(person))).select("input[name=scope]")
    assert send_block(admin_client, person, scope="site", duration="forever", reason="Hetze").status_code == 303
    row = blocks_of(session, person)[-1]
    assert row.project_id is None and row.ends_at is None
    [_, entry] = audit(session, "person.block", person.id)
    assert '"scope": "site"' in entry.details
    assert "whole website" in mails_to(app, person.email)[-1].get_content()

    # Site-wide: refused in the other project too, with the message saying so.
    sign_in(client, person)
    theirs = comment_by(session, make_user(app), slug="radverkehr")
    url = f"/en/projects/radverkehr/comments/{theirs.id}/report"
    response = client.post(url, data={"csrf_token": csrf_token(client.get("/de/")), "reason": "spam"})
    assert response.status_code == 403
    assert "on this website, with no end date. Reason: Hetze" in soup(response).main.get_text()
    assert soup(response).main.find(string="Hetze").parent.get("lang") == "de"  # written on a German page

    # Only administrators end a site-wide block; moderators read it.
    sign_in(client, moderator)
    site_entry = soup(client.get(blocks_url())).main.find(string=re.compile("Hetze")).find_parent("li", class_=None)
    assert site_entry.find("form") is None
    end = f"/de/staff/projects/smart-city/people/blocks/{row.id}/end"
    assert client.post(end, data={"csrf_token": csrf_token(client.get(blocks_url()))}).status_code == 403
    assert blocks_of(session, person)[-1].ended_at is None
    assert admin_client.post(end, data={"csrf_token": csrf_token(admin_client.get(blocks_url()))}).status_code == 303
    assert blocks_of(session, person)[-1].ended_at is not None


def test_a_new_block_replaces_the_one_in_the_same_place(app, client, session, person, moderator):
    sign_in(client, moderator)
    send_block(client, person)
    send_block(client, person, duration="forever", reason="Jetzt für immer")
    first, second = blocks_of(session, person)
    assert first.ended_at is not None and second.ended_at is None and second.ends_at is None
    page = soup(client.get(block_url(person)))
    assert "Jetzt für immer" in page.select_one(".block-facts").get_text()


def test_ending_a_block_early_tells_the_person_and_lets_them_take_part(app, client, session, person, moderator,
                                                                        blocked):
    moderator_client = app.test_client()
    sign_in(moderator_client, moderator)
    page = soup(moderator_client.get(blocks_url()))
    form = page.select_one(f"form[action$='/people/blocks/{blocked.id}/end']")
    assert person.username in form.button.get_text()
    response = moderator_client.post(form["action"], data={"csrf_token": csrf_token(moderator_client.get(blocks_url()))})
    assert response.status_code == 303
    row = blocks_of(session, person)[-1]
    assert row.ended_at is not None and row.ended_by_id == moderator.id
    assert audit(session, "person.unblock", person.id)[0].actor_id == moderator.id
    mail = mails_to(app, person.email)[-1]
    assert mail["Subject"] == "You can take part again" and "/en/projects/smart-city/rules" in mail.get_content()
    assert not soup(moderator_client.get(blocks_url())).select(f"#block-{blocked.id}")
    assert soup(client.get("/de/projects/smart-city/chapters/nachhaltig")).select_one("#comment-form") is not None
    # Ending it again changes nothing and sends nothing.
    count = len(mails_to(app, person.email))
    assert moderator_client.post(form["action"], data={"csrf_token": csrf_token(moderator_client.get(blocks_url()))}).status_code == 303
    assert len(mails_to(app, person.email)) == count


def test_who_may_open_the_block_pages(app, client, session, person):
    others = make_user(app, role="moderator", project="radverkehr")
    cases = [(None, 302, 302), (make_user(app), 403, 403), (others, 403, 403),
             (make_user(app, role="moderator"), 200, 200), (make_user(app, role="initiator"), 200, 200),
             (make_user(app, role="admin"), 200, 200),
             (make_user(app, role="initiator", project="radverkehr"), 403, 403)]
    for user, block_status, list_status in cases:
        visitor = app.test_client()
        if user is not None:
            sign_in(visitor, user)
        assert visitor.get(block_url(person)).status_code == block_status, user
        assert visitor.get(blocks_url()).status_code == list_status, user


def test_staff_act_on_the_people_of_their_discussion_only(app, client, session, moderator):
    stranger = make_user(app)  # never wrote in smart-city
    sign_in(client, moderator)
    assert client.get(block_url(stranger)).status_code == 404
    assert client.get("/de/staff/projects/smart-city/people/999999999/block").status_code == 404
    admin = app.test_client()
    sign_in(admin, make_user(app, role="admin"))
    assert admin.get(block_url(stranger)).status_code == 200


def test_the_projects_staff_cannot_be_blocked_from_it(app, client, session, moderator):
    colleague = make_user(app, role="moderator")
    comment_by(session, colleague)
    sign_in(client, moderator)
    page = soup(client.get(block_url(colleague)))
    assert "Verantwortlichen" in page.select_one(".notice").get_text() and page.select_one("main form") is None
    refused = send_block(client, colleague)
    assert refused.status_code == 409 and soup(refused).select_one(".error-summary") is None
    assert send_block(client, colleague, reason="").status_code == 409  # the form's mistakes do not matter then
    assert blocks_of(session, colleague) == []


def test_blocks_are_read_once_per_request_not_per_comment(app, client, session, blocked):
    for _ in range(5):
        comment_by(session, make_user(app))
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", remember)
    try:
        page = soup(client.get("/de/projects/smart-city/chapters/nachhaltig"))  # each comment asks may_rate, may_reply...
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    assert len(page.select("article.comment")) >= 5
    assert len([s for s in statements if s.lstrip().startswith("SELECT person_block.")]) == 1


def test_a_person_without_a_block_costs_no_query_of_blocks(app, client, session):
    """Whether a block stands is read with the logged-in person (conduct.blocks.loaded_with): one never blocked,
    or whose block was ended, gets no query of blocks on a page; the rules still let them take part."""
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["db_engine"]
    for blocked_once in (False, True):
        person = make_user(app)
        sign_in(client, person)
        if blocked_once:
            ended = PersonBlockFactory(session=session, user=person, project="smart-city")
            ended.ended_at = clock.utcnow()
            session.add(ended)
            session.commit()
        statements.clear()
        event.listen(engine, "before_cursor_execute", remember)
        try:
            page = soup(client.get("/de/projects/smart-city/chapters/nachhaltig"))
        finally:
            event.remove(engine, "before_cursor_execute", remember)
        assert page.select_one("#comment-form textarea") is not None, "the form: they may comment"
        assert not [s for s in statements if s.lstrip().startswith("SELECT person_block.")]


def test_site_wide_blocks_are_listed_in_every_project_and_only_administrators_end_them(app, client, session, person):
    """Moderators are not told "nobody is blocked" while a site-wide block keeps someone out (staff report M6)."""
    admin = app.test_client()
    sign_in(admin, make_user(app, role="admin"))
    send_block(admin, person, scope="site", reason="Überall")
    for slug in ("smart-city", "radverkehr"):
        sign_in(client, make_user(app, role="moderator", project=slug))
        listing = soup(client.get(blocks_url(slug)))
        entry = listing.find("bdi", string=person.username).find_parent("li")
        assert "Überall" in entry.get_text() and "Auf der ganzen Website" in entry.get_text()
        assert entry.find("button") is None and "Nur die Administration kann diese Sperre beenden" in entry.get_text()
        listing = soup(admin.get(blocks_url(slug)))
        entry = listing.find("bdi", string=person.username).find_parent("li")
        assert "Sperre beenden" in entry.find("button").get_text()


def test_end_needs_a_post_with_a_valid_token(app, client, session, moderator, blocked):
    sign_in(client, moderator)
    end = f"/de/staff/projects/smart-city/people/blocks/{blocked.id}/end"
    assert client.get(end).status_code == 405
    without = client.post(end, data={})  # no token: back to the list, which says nothing changed
    assert without.status_code == 303 and without.headers["Location"].endswith(blocks_url() + "#outcome")
    token = csrf_token(client.get(blocks_url()))
    assert client.post(end.replace(str(blocked.id), "999999999"), data={"csrf_token": token}).status_code == 404
    session.expire_all()
    assert session.get(PersonBlock, blocked.id).ended_at is None


def test_a_block_of_another_project_is_not_ended_from_this_one(app, client, session, blocked):
    sign_in(client, make_user(app, role="initiator", project="radverkehr"))
    end = f"/de/staff/projects/radverkehr/people/blocks/{blocked.id}/end"
    assert client.post(end, data={"csrf_token": csrf_token(client.get("/de/"))}).status_code == 404
    session.expire_all()
    assert session.get(PersonBlock, blocked.id).ended_at is None


def test_blocks_from_the_past_do_not_count(app, client, session, person):
    """A block that ended yesterday is history, not a refusal."""
    past = datetime.now(UTC) - timedelta(days=3)
    PersonBlockFactory(session=session, user=person, reason="Alt", created_at=past, ends_at=past + timedelta(days=1))
    sign_in(client, person)
    assert soup(client.get("/de/projects/smart-city/chapters/nachhaltig")).select_one("#comment-form") is not None


def test_a_persons_blocks_are_part_of_their_data(app, session, person, blocked):
    from webapp.conduct import blocks

    with app.test_request_context("/de/"):
        [row] = blocks.blocks_about(person)
    assert row["project"] == "smart-city" and row["reason"] == "Beleidigungen" and row["site_wide"] is False
    assert row["ends_at"] == blocked.ends_at.isoformat() and row["ended_at"] is None


#: Mails of this flow; each is sent, and each of its links opened, in every mode below.
PERSON_MAILS = {"person_blocked", "person_unblocked", "person_block_over", "registration_blocked"}


@pytest.mark.parametrize(("prefix", "language"), [("de", "de"), ("en", "en"), ("einfach", "simple")])
def test_every_link_in_the_block_mails_opens_in_every_mode(app, session, moderator, prefix, language):
    """The person opens them logged out: the rules and the contact are public."""
    import re
    from urllib.parse import urlsplit

    someone = make_user(app, language=language)
    comment_by(session, someone)
    staff = app.test_client()
    sign_in(staff, moderator)
    assert send_block(staff, someone).status_code == 303
    [block] = blocks_of(session, someone)
    assert staff.post(f"/de/staff/projects/smart-city/people/blocks/{block.id}/end",
                      data={"csrf_token": csrf_token(staff.get(blocks_url()))}).status_code == 303
    assert send_block(staff, someone).status_code == 303  # again, and this time it runs out
    tell_ended(app, blocks_of(session, someone)[-1].ends_at + timedelta(minutes=1))
    # Blocked on the whole site, the account deleted: registering again with the address is refused by mail.
    admin = app.test_client()
    sign_in(admin, make_user(app, role="admin"))
    assert send_block(admin, someone, scope="site", duration="forever").status_code == 303
    sign_in(own := app.test_client(), someone)
    delete_own_account(own)
    visitor = app.test_client()
    form = visitor.get(f"/{prefix}/account/register")
    assert visitor.post(f"/{prefix}/account/register", data={
        "csrf_token": csrf_token(form), "username": f"Neu {secrets.token_hex(3)}", "email": someone.email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"}).status_code == 303
    mails = mails_to(app, someone.email)
    assert len(mails) == 6  # blocked, unblocked, blocked, over, blocked site-wide, no account made
    assert "/imprint" in mails[-1].get_content() and "/confirm" not in mails[-1].get_content()
    reader = app.test_client()
    for message in mails:
        links = re.findall(r"https?://[^\s<>\"']+", message.get_content())
        assert links, message["Subject"]
        for url in links:
            assert url.startswith(app.config["PUBLIC_BASE_URL"] + f"/{prefix}/"), url
            parts = urlsplit(url)
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            assert reader.get(target, follow_redirects=True).status_code == 200, f"{url} in {message['Subject']!r}"


# Deleting the account does not lift a block (security report N3) ---------------------------------

def delete_own_account(client) -> None:
    url = "/de/account/delete"
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url)), "current_password": PASSWORD})
    assert response.status_code == 303


def register_again(app, email: str, username: str):
    """Register through the form and confirm by the mailed link; the client, logged in, and the answer."""
    from tests.support import link_in

    client = app.test_client()
    page = client.get("/de/account/register")
    response = client.post("/de/account/register", data={
        "csrf_token": csrf_token(page), "username": username, "email": email, "password": PASSWORD,
        "password_repeat": PASSWORD, "accept_terms": "y"})
    if response.status_code != 303:
        return client, response
    path = link_in(mails_to(app, email)[-1])
    client.post(path, data={"csrf_token": csrf_token(client.get(path))})
    response = client.post("/de/account/login", data={"csrf_token": csrf_token(client.get("/de/account/login")),
                                                      "email": email, "password": PASSWORD})
    assert response.status_code == 303
    return client, response


def test_a_block_outlives_the_account_and_holds_for_the_address_and_the_name(app, client, session, person, moderator):
    admin = app.test_client()
    sign_in(admin, make_user(app, role="admin"))
    assert send_block(admin, person, scope="site", duration="forever", reason="Immer wieder").status_code == 303
    [block] = blocks_of(session, person)
    sign_in(client, person)
    delete_own_account(client)
    session.expire_all()
    kept = session.get(PersonBlock, block.id)
    assert kept is not None and kept.user_id is None and kept.person_name == person.username
    assert person.email not in (kept.person_key or "")  # a keyed hash, not the address
    # The staff still see who is blocked, and why.
    staff = app.test_client()
    sign_in(staff, moderator)
    listing = soup(staff.get(blocks_url())).main.get_text(" ", strip=True)
    assert person.username in listing and "Immer wieder" in listing and "Konto gelöscht" in listing
    # The same name is not free.
    _client, refused = register_again(app, person.email, person.username)
    assert refused.status_code == 422 and "Benutzername ist schon vergeben" in soup(refused).main.get_text()
    # Nor is the address: the answer is everyone's (no address is given away), and the address learns why.
    before = len(mails_to(app, person.email))
    visitor = app.test_client()
    form = visitor.get("/de/account/register")
    answer = visitor.post("/de/account/register", data={
        "csrf_token": csrf_token(form), "username": f"Neu {secrets.token_hex(3)}", "email": person.email,
        "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})
    assert answer.status_code == 303
    [note] = mails_to(app, person.email)[before:]
    text = note.get_content()
    assert note["Subject"] == "Mit Ihrer E-Mail-Adresse wurde kein Konto angelegt"
    assert "ganzen Website gesperrt" in text and "Die Sperre hat kein Enddatum." in text and "Immer wieder" in text
    assert "/de/imprint" in text and "/confirm" not in text
    session.expire_all()
    assert session.exec(select(User).where(User.email_key == email_key(person.email))).first() is None
    assert session.get(PersonBlock, block.id).user_id is None


def test_a_project_block_outlives_the_account_and_holds_for_a_new_one_of_the_address(
        app, client, session, person, moderator):
    sign_in(staff := app.test_client(), moderator)
    assert send_block(staff, person, scope="project", duration="forever", reason="Immer wieder").status_code == 303
    [block] = blocks_of(session, person)
    sign_in(client, person)
    delete_own_account(client)
    again, response = register_again(app, person.email, f"Neu {secrets.token_hex(3)}")
    assert response.status_code == 303
    chapter = f"/de/projects/smart-city/chapters/{CHAPTERS['smart-city']}"
    page = again.get(chapter)
    answer = again.post(f"{chapter}/comments", data={"csrf_token": csrf_token(page), "body": "Ich bin wieder da."})
    assert answer.status_code == 403
    assert "Immer wieder" in soup(again.get(chapter)).main.get_text()
    session.expire_all()
    assert session.get(PersonBlock, block.id).user_id is not None


def test_a_block_that_ended_frees_the_address_and_the_name(app, client, session, person, blocked, monkeypatch):
    delete_own_account(client)
    later = blocked.ends_at + timedelta(minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    again, response = register_again(app, person.email, person.username)
    assert response.status_code == 303
    chapter = f"/de/projects/smart-city/chapters/{CHAPTERS['smart-city']}"
    assert soup(again.get(chapter)).select_one("#comment-form") is not None


def test_a_deleted_accounts_number_is_never_given_again(app, session):
    from webapp.accounts.models import User

    first = make_user(app)
    with app.app_context():
        from sqlmodel import Session

        from webapp import db
        from webapp.privacy import delete_account

        with Session(db.engine()), db.transaction():
            delete_account(*[db.session().get(User, first.id)] * 2)
    assert make_user(app).id > first.id


@pytest.mark.parametrize("scope", ["Site", "SITE", " site", "site ", "website", "all"])
def test_any_scope_but_this_project_from_a_moderator_is_refused_never_a_quiet_project_block(
        app, client, session, person, moderator, scope):
    """``scope=Site`` used to become a project block (security report 2026-12-06, I-c)."""
    sign_in(client, moderator)
    refused = send_block(client, person, scope=scope)
    assert refused.status_code == 403 and "Administration" in soup(refused).select_one("main .lead").get_text()
    assert blocks_of(session, person) == []
    assert send_block(client, person, scope="project").status_code == 303


def _next_christmas():
    today = datetime.now(BERLIN).date()
    return date(today.year + 1, 12, 24)


@pytest.mark.parametrize("typed", ["{d:%d.%m.%Y}", "{d:%d.%m.%y}", "{d:%Y-%m-%d}", "{d.day}.{d.month}.{d.year}", " {d:%d. %m. %Y} "])
def test_the_last_day_is_read_as_people_write_it(app, client, session, person, moderator, typed):
    """Text browsers show ``type="date"`` as a plain box: 24.12.2026 and 24.12.26 work as 2026-12-24 does
    (staff report 2026-12-06, M7)."""
    sign_in(client, moderator)
    day = _next_christmas()
    assert send_block(client, person, duration="date", until=typed.format(d=day)).status_code == 303
    [row] = blocks_of(session, person)
    assert row.ends_at.astimezone(BERLIN).date() == day


@pytest.mark.parametrize(("prefix", "words"), [("de", "Tag, Monat und Jahr, zum Beispiel 31.12."),
                                               ("en", "Day, month and year, for example 31.12."),
                                               ("einfach", "Zum Beispiel: 31.12.")])
def test_the_hint_names_the_date_format_before_the_field(app, client, person, moderator, prefix, words):
    sign_in(client, moderator)
    page = soup(client.get(block_url(person, prefix=prefix)))
    field = page.find("input", id="until")
    hint = page.find(id="until-hint")
    assert field["type"] == "date" and "until-hint" in field["aria-describedby"]
    assert hint.get_text().startswith(words) and str(datetime.now(BERLIN).year + 1) in hint.get_text()
    unreadable = soup(send_block(client, person, duration="date", until="Weihnachten"))
    assert "31.12." in unreadable.find(id="until-error").get_text()


# What the blocked person reads: one consistent notice, in the discussion and on the account page -----------

def _blocked(app, session, site_wide=False):
    user = make_user(app, language="simple")
    comment_by(session, user)
    PersonBlockFactory(session=session, user=user, site_wide=site_wide, reason="Beleidigungen",
                       ends_at=datetime.now(UTC) + timedelta(days=7))
    return user


@pytest.mark.parametrize("prefix", ["de", "einfach"])
def test_a_blocked_person_is_not_invited_and_told_what_still_works_and_whom_to_write(app, client, session, prefix):
    sign_in(client, _blocked(app, session))
    html = soup(client.get(f"/{prefix}/projects/smart-city/chapters/{CHAPTERS['smart-city']}"))
    discussion = html.find(id="discussion")
    state = discussion.find(class_="notice--open").get_text(" ", strip=True)
    assert ("anderen" in state) and "Sie können" not in state  # the phase is open for others, not an invitation
    notice = discussion.find(id="discussion-blocked").get_text(" ", strip=True)
    assert "Beleidigungen" in notice  # why
    assert "lesen" in notice and "löschen" in notice.lower()  # what still works
    assert "beteiligung@eichbrunn.example.org" in notice  # whom to write, as the mail says
    assert not discussion.find(class_="ratings-hint")  # no buttons, no hint about them
    assert not discussion.find("button", attrs={"name": "agree"})
    project = soup(client.get(f"/{prefix}/projects/smart-city")).find(class_="notice--open").get_text(" ", strip=True)
    assert "anderen" in project


def test_readers_without_rating_buttons_get_no_hint_about_them(client):
    html = soup(client.get(f"/de/projects/smart-city/chapters/{CHAPTERS['smart-city']}"))
    assert html.find("article", class_="comment") and not html.find(class_="ratings-hint")


@pytest.mark.parametrize("site_wide", [False, True])
def test_the_account_page_tells_about_a_block(app, client, session, site_wide):
    sign_in(client, _blocked(app, session, site_wide))
    html = soup(client.get("/einfach/account/"))
    block = html.find(class_="account-block")
    assert block is not None
    text = block.get_text(" ", strip=True)
    assert "Beleidigungen" in text and "löschen" in text.lower()
    assert re.search(r"[.:] Der Grund: Beleidigungen", text)  # a sentence each
    assert ("ganzen" in text) if site_wide else ("Projekt" in text and "beteiligung@eichbrunn.example.org" in text)


def test_the_reason_a_blocked_person_reads_carries_the_language_it_was_written_in(app, session, person, moderator):
    """Staff report M8: a reason written on an English page is marked English on German pages, not on English ones."""
    staff = app.test_client()
    sign_in(staff, moderator)
    url = block_url(person, prefix="en")
    assert staff.post(url, data={"csrf_token": csrf_token(staff.get(url)), "duration": "7",
                                 "reason": "Repeated insults"}).status_code == 303
    reader = app.test_client()
    sign_in(reader, person)
    for prefix, lang in (("de", "en"), ("einfach", "en"), ("en", None)):
        notice = soup(reader.get(f"/{prefix}/projects/smart-city/chapters/{CHAPTERS['smart-city']}")).select_one(
            "#discussion-blocked, .notice--not_yet")
        assert "Repeated insults" in notice.get_text(), prefix
        reason = notice.find(string=lambda text: "Repeated insults" in text)
        assert reason.parent.get("lang") == lang, prefix
        assert "<span" not in notice.get_text()  # marked up, not shown as text
