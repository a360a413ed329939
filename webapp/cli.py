"""Command-line tasks: ``flask demo load``, ``flask translate ...`` and ``flask users expire-unconfirmed``."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from . import db, demo, jobs, mail
from .accounts.services import DEMO_ACCOUNTS, DEMO_PASSWORD, drop_unconfirmed_holder, expire_unconfirmed
from .backup import backup_cli
from .clock import utcnow
from .roles import services
from .roles.forms import CreateAdminForm

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
#: Interface catalogs; English is the source language and needs none.
CATALOG_LOCALES = ("de", "de@simple")

demo_cli = AppGroup("demo", help="Demo content.")
translate_cli = AppGroup("translate", help="Interface translations (wraps pybabel).")
users_cli = AppGroup("users", help="Accounts.")


@users_cli.command("expire-unconfirmed")
def users_expire_unconfirmed() -> None:
    """Delete accounts never confirmed within UNCONFIRMED_ACCOUNT_DAYS (default 7) of registering.

    The worker that runs periodic jobs does this daily (``flask jobs worker``); their addresses
    and usernames become free again (registering with them also replaces such an account).
    """
    with db.transaction():
        count = expire_unconfirmed()
    days = current_app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    click.echo(f"Deleted {count} account(s) not confirmed within {days:g} days.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--username", help="For a new account: its public username (asked for when missing).")
@click.option("--password", help="For a new account: its password (asked for, hidden, when missing).")
def users_create_admin(email: str, username: str | None, password: str | None) -> None:
    """Make the account with EMAIL a site administrator, or create a confirmed administrator account.

    An account that has EMAIL but never confirmed it is replaced by a new one (it says so): whoever
    registered it chose its password, and nothing shows that was the address's owner.

    The first administrator of a new site is made here; then they add initiators in the staff area.
    The change is recorded in the audit log, done by the system.
    """
    email = email.strip()
    with db.transaction():
        existing = services.by_email(email)
        if existing is not None and existing.is_confirmed:
            user, was = services.make_admin(email)
            click.echo(f"{user.username} <{user.email}> " + ("is an administrator already." if was else
                                                              "is an administrator now."))
        else:
            if existing is not None:  # registered by anyone, never confirmed: it gets no rights (staff report N1)
                click.echo(f"The account {existing.username!r} has this address but never confirmed it. Anyone can "
                           "register with any address, so it is not made an administrator: it is deleted, and a new, "
                           "confirmed account is created for the address.")
                drop_unconfirmed_holder(email)
            username = username or click.prompt("Username (shown publicly)")
            password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
            with current_app.test_request_context(), force_locale("en"):  # the registration's rules, in English
                form = CreateAdminForm(formdata=MultiDict({"username": username, "email": email, "password": password}),
                                       meta={"csrf": False})
                if not form.validate():
                    raise click.ClickException(" ".join(str(errors[0]) for errors in form.errors.values()))
                username, email = form.username.data, form.email.data
            try:
                user = services.create_admin(username, email, password)
            except services.RoleError as error:
                raise click.ClickException(error.message) from None
            click.echo(f"Created the administrator account {user.username} <{user.email}> (confirmed).")
        login, staff = mail.link("accounts.login", "de"), mail.link("roles.staff", "de")
    if current_app.config.get("PUBLIC_BASE_URL_GIVEN"):
        where = f"(These addresses start with PUBLIC_BASE_URL, {current_app.config['PUBLIC_BASE_URL']}.)"
    else:
        # make run's default address comes from HOST and PORT of *its* shell: this one may not share them.
        login, staff = urlsplit(login).path, urlsplit(staff).path
        where = ("(PUBLIC_BASE_URL is not set in this shell, so the site's address is not known here: put it "
                 "before these paths, e.g. the address `make run` printed, such as http://127.0.0.1:5000.)")
    click.echo("Next steps:\n"
               f"  1. Log in at {login}\n"
               f"  2. Open the staff area: {staff} (\"Verwaltung\" in the menu)\n"
               "  3. Add initiators to your organisations there: they run the projects and add moderators.\n"
               f"{where}")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when projects exist already.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Place phases around this day.")
def demo_load(if_empty: bool, today) -> None:
    """Load the demo projects of the fictional city of Eichbrunn into an empty database."""
    if current_app.config["PRODUCTION"]:
        raise click.ClickException("The demo (with its public passwords) is not loaded in production mode.")
    with Session(db.engine()) as session:
        if if_empty and not demo.is_empty(session):
            click.echo("Demo content: the database has projects already, left as it is.")
        elif not demo.is_empty(session):
            # Loading again would clash with the demo's own projects; replacing them would take what
            # people wrote with them, which the database refuses (migration 0006). Nothing is changed.
            raise click.ClickException(
                "The database has projects already, so the demo is not loaded: it goes into an empty database "
                "only, and projects people commented on are never deleted to make room. Use an empty database "
                "(another DATABASE_URL), or pass --if-empty to leave this one as it is.")
        else:
            projects = demo.load(session, (today.date() if today else date.today()))
            demo.load_accounts(session)
            demo.load_comments(session, utcnow())
            demo.load_moderation(session, utcnow())
            click.echo(f"Demo content loaded: {', '.join(p.slug for p in projects)}.")
    click.echo(f"Demo accounts (password {DEMO_PASSWORD!r}): " + ", ".join(email for email, _n, _r in DEMO_ACCOUNTS))


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def translate_extract() -> None:
    """Collect the interface strings into translations/messages.pot."""
    _pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
             "--project", "Mitreden", "-o", str(POT), ".")


@translate_cli.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every catalog."""
    translate_extract.callback()  # type: ignore[misc]
    for locale in CATALOG_LOCALES:
        _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale, "--no-fuzzy-matching",
                 "--ignore-obsolete")


@translate_cli.command("compile")
def translate_compile() -> None:
    """Compile the catalogs to .mo files (``make`` does this too)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(demo_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(jobs.jobs_cli)
    app.cli.add_command(backup_cli)
