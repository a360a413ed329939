"""Email keys as mail sees addresses, and unconfirmed accounts that expire (issue 9, item 8).

The key was NFKC and case-folded: "ｎｅｗｖｉｃｔｉｍ@" (full-width) took "newvictim@"'s place
before its owner registered, and "straße@" and "strasse@" were one account, though mail
delivers each to its own mailbox. Unconfirmed accounts stayed for ever, holding their
address and username.
"""

import secrets
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from tests.support import PASSWORD, alembic_config, csrf_token, login, mails_to, make_user, soup
from tests.test_migrations import _first_release_rows, scratch_url  # noqa: F401  (the fixture)
from webapp import db
from webapp.accounts.models import email_key
from webapp.models import User


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def register(client, email, username=None, prefix="de"):
    url = f"/{prefix}/account/register"
    return client.post(url, data={
        "csrf_token": csrf_token(client.get(url)), "username": username or f"Neu {secrets.token_hex(4)}",
        "email": email, "password": PASSWORD, "password_repeat": PASSWORD, "accept_terms": "y"})


def accounts(session, key):
    session.expire_all()
    return session.exec(select(User).where(User.email_key == key)).all()


def test_keys_fold_only_what_mail_treats_as_one_address():
    assert email_key(" NewVictim@Example.ORG ") == "newvictim@example.org"
    assert email_key(full_width("newvictim") + "@example.org") != "newvictim@example.org"
    assert email_key("straße@example.org") != email_key("strasse@example.org")
    assert email_key("a@BÜCHER.de") == email_key("a@xn--bcher-kva.de") == "a@xn--bcher-kva.de"


@pytest.mark.parametrize(("prefix", "expected"), [("de", "normalen Zeichen"), ("en", "ordinary characters"),
                                                  ("einfach", "normalen Buchstaben")])
def test_a_full_width_address_cannot_squat_the_ascii_one(app, client, session, prefix, expected):
    victim = f"newvictim{secrets.token_hex(4)}"
    squat = full_width(victim) + "@example.org"
    response = register(client, squat, prefix=prefix)
    assert response.status_code == 422
    assert expected in soup(response).find(id="email-error").get_text()
    assert soup(response).find("input", id="email")["value"] == squat  # kept to be corrected
    assert accounts(session, email_key(squat)) == [] and accounts(session, f"{victim}@example.org") == []
    assert register(app.test_client(), f"{victim}@example.org").status_code == 303
    assert len(accounts(session, f"{victim}@example.org")) == 1
    assert mails_to(app, f"{victim}@example.org")  # the owner got the confirmation link


def test_a_full_width_address_is_refused_at_login_too(app, client):
    user = make_user(app)
    token = csrf_token(client.get("/de/account/login"))
    response = client.post("/de/account/login", data={"csrf_token": token, "email": full_width(user.email),
                                                      "password": PASSWORD})
    assert response.status_code == 422 and soup(response).find(id="email-error")


def test_strasse_and_strasse_with_eszett_are_two_accounts(app, client, session):
    tag = secrets.token_hex(4)
    with_eszett, with_ss = f"straße{tag}@example.org", f"strasse{tag}@example.org"
    assert register(client, with_eszett).status_code == 303
    assert register(app.test_client(), with_ss).status_code == 303
    [first], [second] = accounts(session, with_eszett), accounts(session, with_ss)
    assert first.id != second.id and (first.email, second.email) == (with_eszett, with_ss)
    assert mails_to(app, with_eszett) and mails_to(app, with_ss)


def test_an_address_in_other_case_is_still_the_same_account(app, client, session):
    user = make_user(app)
    assert register(client, user.email.upper()).status_code == 303  # the same answer; nothing created
    assert len(accounts(session, user.email_key)) == 1
    login(app.test_client(), SimpleNamespace(email=user.email.upper()))  # logs in (303)


def _age(app, user_id, days):
    with app.app_context(), Session(db.engine()) as session:
        row = session.get(User, user_id)
        row.created_at = datetime.now(UTC) - timedelta(days=days)
        session.add(row)
        session.commit()


def test_the_command_deletes_unconfirmed_accounts_older_than_the_setting(app, session):
    old_unconfirmed = make_user(app, confirmed=False)
    young_unconfirmed = make_user(app, confirmed=False)
    old_confirmed = make_user(app)
    _age(app, old_unconfirmed.id, 8)
    _age(app, young_unconfirmed.id, 6)
    _age(app, old_confirmed.id, 400)
    result = app.test_cli_runner().invoke(args=["users", "expire-unconfirmed"])
    assert result.exit_code == 0 and "within 7 days" in result.output, result.output
    session.expire_all()
    assert session.get(User, old_unconfirmed.id) is None
    assert session.get(User, young_unconfirmed.id) is not None
    assert session.get(User, old_confirmed.id) is not None

    client = app.test_client()  # the address and the username are free again
    assert register(client, old_unconfirmed.email, username=old_unconfirmed.username).status_code == 303
    [again] = accounts(session, old_unconfirmed.email_key)
    assert again.username == old_unconfirmed.username and again.email_confirmed_at is None
    assert mails_to(app, old_unconfirmed.email)


def test_registering_with_the_address_of_an_expired_unconfirmed_account_replaces_it(app, session):
    expired = make_user(app, confirmed=False)
    _age(app, expired.id, 8)
    assert register(app.test_client(), expired.email).status_code == 303
    [new] = accounts(session, expired.email_key)
    assert new.username != expired.username and new.created_at > datetime.now(UTC) - timedelta(hours=1)
    assert mails_to(app, expired.email)

    pending = make_user(app, confirmed=False)  # not expired yet: it keeps its address
    _age(app, pending.id, 2)
    assert register(app.test_client(), pending.email).status_code == 303
    assert [u.id for u in accounts(session, pending.email_key)] == [pending.id]


def test_the_setting_decides_when(app, session):
    user = make_user(app, confirmed=False)
    _age(app, user.id, 2)
    app.config["UNCONFIRMED_ACCOUNT_DAYS"] = 1
    try:
        assert "within 1 days" in app.test_cli_runner().invoke(args=["users", "expire-unconfirmed"]).output
    finally:
        app.config["UNCONFIRMED_ACCOUNT_DAYS"] = 7
    session.expire_all()
    assert session.get(User, user.id) is None


OLD_ROWS = [  # (email, the key 0004 stored, the key after 0005)
    ("Straße@Example.org", "strasse@example.org", "straße@example.org"),
    ("\uff4e\uff45\uff57@example.org", "new@example.org", "\uff4e\uff45\uff57@example.org"),
    ("Someone@BÜCHER.de", "someone@bücher.de", "someone@xn--bcher-kva.de"),
    ("Plain@Example.org", "plain@example.org", "plain@example.org"),
]


def test_0005_recomputes_the_keys_of_a_filled_database_and_back(scratch_url):  # noqa: F811
    """0004 filled with accounts whose keys the old rule made, upgraded: every key is mail's; downgrade restores."""
    command.upgrade(alembic_config(scratch_url), "0004")
    engine = create_engine(scratch_url)
    old = MetaData()
    old.reflect(engine)
    now = datetime.now(UTC)
    users = [{"id": i, "username": f"Alt {i}", "username_key": f"alt {i}", "email": email, "email_key": key,
              "pending_email": None, "password_hash": "x", "role": "participant", "language": "de",
              "email_confirmed_at": now, "created_at": now, "session_token": f"t{i}"}
             for i, (email, key, _new) in enumerate(OLD_ROWS, 1)]
    with engine.begin() as connection:
        for table, values in _first_release_rows(now).items():
            connection.execute(old.tables[table].insert(), values)
        connection.execute(old.tables["user_account"].insert(), users)
    table = old.tables["user_account"]

    def keys():
        with engine.connect() as connection:
            return dict(connection.execute(sa_select(table.c.id, table.c.email_key)).all())

    command.upgrade(alembic_config(scratch_url), "head")
    assert keys() == {i: new for i, (_e, _k, new) in enumerate(OLD_ROWS, 1)}
    current = MetaData()
    current.reflect(engine)  # the table as head has it (roles moved out of it in 0008)
    now_table = current.tables["user_account"]
    row = {**{key: value for key, value in users[0].items() if key in now_table.c}, "is_admin": False}
    with engine.begin() as connection:  # "strasse@" and "new@" are free now
        connection.execute(now_table.insert(), [
            {**row, "id": 10, "username_key": "x10", "email": "strasse@example.org", "email_key": "strasse@example.org"},
            {**row, "id": 11, "username_key": "x11", "email": "new@example.org", "email_key": "new@example.org"}])
        connection.execute(now_table.delete().where(now_table.c.id.in_([10, 11])))
    command.downgrade(alembic_config(scratch_url), "0004")
    assert keys() == {i: key for i, (_e, key, _n) in enumerate(OLD_ROWS, 1)}
    engine.dispose()
