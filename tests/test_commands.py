"""Every command refuses an actor who may not, whoever calls it, and writes nothing (issue 15, part 1).

A command is a service that changes rows for an actor: it takes the actor first and asks
``permissions.require`` before it writes (``@permissions.command`` lists it in
``permissions.COMMANDS``). Here each one is called directly, as an import job, a CLI command or
an API would call it, with someone who may not: it raises ``permissions.Refused`` with the reason
the pages would give, and not one INSERT, UPDATE or DELETE reaches the database, nor a mail the
outbox. A guard reads the source: every public function that takes an ``actor`` first or writes an
audit entry is a command, or named below as the system's own work with why.
"""

from __future__ import annotations

import ast
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import event
from sqlmodel import select

from tests.factories import CommentFactory, PersonBlockFactory
from tests.support import make_user
from webapp import db, permissions
from webapp.accounts.models import User
from webapp.authoring import services as authoring
from webapp.clock import utcnow
from webapp.comments import services as comments
from webapp.conduct import blocks
from webapp.conduct import rules as discussion_rules
from webapp.documents import commands as chapter_commands
from webapp.documents import services as documents
from webapp.i18n import MODES
from webapp.models import PersonBlock, Project
from webapp.moderation import actions
from webapp.moderation import services as moderation
from webapp.phases import commands as phase_commands
from webapp.privacy import erasure
from webapp.roles import services as roles
from webapp.roles.models import Invitation

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"

#: Public functions that take an actor first or write an audit entry, but are not commands an actor calls.
NOT_COMMANDS = {
    "webapp.audit.record": "the audit entry itself, written by the commands",
    "webapp.moderation.autohide.maybe_hide": "the system hides a comment after a report (report's work)",
    "webapp.moderation.autohide.show_what_no_longer_counts": "the system, after an erasure (delete_account)",
    "webapp.roles.services.end_roles_of": "part of delete_account, which refuses for it",
    "webapp.roles.services.make_admin": "`flask users create-admin`: the operator of the machine, no account",
    "webapp.roles.services.create_admin": "`flask users create-admin`: the operator of the machine, no account",
}


def commands_in_the_source() -> set[str]:
    """"module.function" of every public module-level function whose first parameter is ``actor`` or that calls
    ``audit.record``; the rights' own predicates (``may_*``) aside."""
    found = set()
    for path in sorted(WEBAPP.rglob("*.py")):
        module = ".".join(("webapp",) + path.relative_to(WEBAPP).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith(("_", "may_")):
                continue
            first = node.args.args[0].arg if node.args.args else None
            audits = any(isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                         and call.func.attr == "record" and getattr(call.func.value, "id", "") == "audit"
                         for call in ast.walk(node))
            if first == "actor" or audits:
                found.add(f"{module}.{node.name}")
    return found


def test_every_function_that_acts_for_someone_is_a_command_or_the_systems_own_work(app):
    found = commands_in_the_source()
    unmarked = found - set(permissions.COMMANDS) - set(NOT_COMMANDS)
    assert not unmarked, (f"{sorted(unmarked)} act for someone: mark them @permissions.command, call "
                          "permissions.require(...) before any write, and add them to CASES below "
                          "(or, for the system's own work, to NOT_COMMANDS with why)")
    assert not set(NOT_COMMANDS) - found, "NOT_COMMANDS names a function that is gone: take it off"


class World:
    """The demo's Smart City project, a comment in it, and people with and without rights there."""

    def __init__(self, app):
        self.ids = {
            "participant": make_user(app).id,
            "author": make_user(app).id,
            "unconfirmed": make_user(app, confirmed=False).id,
            "moderator": make_user(app, role="moderator").id,
            "initiator": make_user(app, role="initiator").id,
        }
        session = db.session()
        self.project = session.exec(select(Project).where(Project.slug == "smart-city")).one()
        chapter = self.project.document.chapters[0]
        self.target = comments.Target(self.project.id, chapter)
        self.comment = CommentFactory(session=session, chapter=chapter, author_id=self.ids["author"])
        self.site_block = PersonBlockFactory(session=session, user_id=self.ids["participant"], site_wide=True,
                                             reason="Beleidigungen", ends_at=utcnow() + timedelta(days=3))
        self.invitation = Invitation(email=f"{secrets.token_hex(5)}@example.org", role="moderator",
                                     project_id=self.project.id, invited_by_id=self.ids["initiator"])
        self.invitation.email_key = self.invitation.email
        session.add(self.invitation)
        session.commit()

    def __getattr__(self, role: str) -> User:
        return db.session().get(User, self.ids[role])

    @property
    def nobody(self):
        return AnonymousUserMixin()


#: Each command, called with someone who may not: (who, the call, the reason the refusal gives).
CASES = {
    "webapp.comments.services.create": [
        ("nobody", lambda w, actor: comments.create(actor, w.target, "Hallo", mode=MODES["de"]), "login"),
        ("unconfirmed", lambda w, actor: comments.create(actor, w.target, "Hallo", mode=MODES["de"]), "unconfirmed"),
        ("participant (blocked site-wide)",
         lambda w, actor: comments.create(actor, w.target, "Hallo", parent=w.comment, mode=MODES["de"]), "blocked"),
    ],
    "webapp.comments.services.edit": [
        ("moderator", lambda w, actor: comments.edit(actor, w.comment, "Anders", None), "author")],
    "webapp.comments.services.delete": [
        ("initiator", lambda w, actor: comments.delete(actor, w.comment), "author")],
    "webapp.comments.services.rate": [
        ("author", lambda w, actor: comments.rate(actor, w.comment, 1), "own"),
        ("nobody", lambda w, actor: comments.rate(actor, w.comment, 1), "login")],
    "webapp.moderation.services.report": [
        ("author", lambda w, actor: moderation.report(actor, w.comment, "spam"), "own"),
        ("unconfirmed", lambda w, actor: moderation.report(actor, w.comment, "spam"), "unconfirmed")],
    "webapp.moderation.services.choose_report_mail": [
        ("initiator", lambda w, actor: moderation.choose_report_mail(actor, "none"), "moderator")],
    "webapp.moderation.actions.block": [
        ("author", lambda w, actor: actions.block(actor, w.project, w.comment, "spam", "Werbung"), "moderator")],
    "webapp.moderation.actions.restore": [
        ("participant", lambda w, actor: actions.restore(actor, w.project, w.comment), "moderator")],
    "webapp.moderation.actions.review": [
        ("unconfirmed", lambda w, actor: actions.review(actor, w.project, w.comment), "unconfirmed")],
    "webapp.moderation.actions.highlight": [
        ("author", lambda w, actor: actions.highlight(actor, w.project, w.comment), "moderator")],
    "webapp.moderation.actions.unhighlight": [
        ("nobody", lambda w, actor: actions.unhighlight(actor, w.project, w.comment), "login")],
    "webapp.moderation.actions.answer": [
        ("author", lambda w, actor: actions.answer(actor, w.project, w.comment, "Amtlich", "de"), "moderator")],
    "webapp.moderation.actions.note": [
        ("author", lambda w, actor: actions.note(actor, w.project, w.comment, "Notiz"), "moderator")],
    "webapp.moderation.actions.bulk": [
        ("author", lambda w, actor: actions.bulk(actor, w.project, [w.comment], "review"), "moderator")],
    "webapp.conduct.blocks.block_person": [
        ("author", lambda w, actor: blocks.block_person(actor, w.participant, w.project, site_wide=False,
                                                         ends_at=None, reason="Beleidigungen"), "moderator"),
        ("moderator", lambda w, actor: blocks.block_person(actor, w.author, w.project, site_wide=True,
                                                            ends_at=None, reason="Beleidigungen"), "admin")],
    "webapp.conduct.blocks.end_block": [
        ("moderator", lambda w, actor: blocks.end_block(actor, db.session().get(PersonBlock, w.site_block.id),
                                                         w.project), "admin")],
    "webapp.conduct.rules.save_rules": [
        ("moderator", lambda w, actor: discussion_rules.save_rules(actor, w.project, {"de": "Seien Sie freundlich."}),
         "initiator")],
    "webapp.conduct.rules.save_settings": [
        ("moderator", lambda w, actor: discussion_rules.save_settings(actor, w.project, 1), "initiator")],
    "webapp.roles.services.add_moderator": [
        ("moderator", lambda w, actor: roles.add_moderator(actor, w.project, "neu@example.org", "de"), "initiator")],
    "webapp.roles.services.remove_moderator": [
        ("participant", lambda w, actor: roles.remove_moderator(actor, w.project, w.ids["moderator"]),
         "initiator")],
    "webapp.roles.services.add_initiator": [
        ("initiator", lambda w, actor: roles.add_initiator(actor, w.project.organisation, "neu@example.org",
                                                               "de"), "admin")],
    "webapp.roles.services.remove_initiator": [
        ("initiator", lambda w, actor: roles.remove_initiator(actor, w.project.organisation, w.ids["initiator"]),
         "admin")],
    "webapp.roles.services.invite_again": [
        ("moderator", lambda w, actor: roles.invite_again(actor, db.session().get(Invitation, w.invitation.id),
                                                             "de"), "initiator")],
    "webapp.roles.services.withdraw_invitation": [
        ("moderator", lambda w, actor: roles.withdraw_invitation(
            actor, db.session().get(Invitation, w.invitation.id)), "initiator")],
    "webapp.roles.services.accept_invitation": [
        ("participant", lambda w, actor: roles.accept_invitation(
            actor, db.session().get(Invitation, w.invitation.id)), "invitation")],
    "webapp.privacy.erasure.delete_account": [
        ("moderator", lambda w, actor: erasure.delete_account(actor, w.author), "own_account"),
        ("nobody", lambda w, actor: erasure.delete_account(actor, w.author), "login")],
    "webapp.authoring.services.create_project": [
        ("moderator", lambda w, actor: authoring.create_project(actor, w.project.organisation, "neu-1", "Neu", "Kurz"),
         "organisation")],
    "webapp.authoring.services.create_organisation": [
        ("initiator", lambda w, actor: authoring.create_organisation(actor, {"name": "Neu"}), "admin")],
    "webapp.authoring.services.edit_organisation": [
        ("initiator", lambda w, actor: authoring.edit_organisation(actor, w.project.organisation, {"name": "Neu"}),
         "admin")],
    "webapp.authoring.services.save_texts": [
        ("moderator", lambda w, actor: authoring.save_texts(actor, w.project, {"en": None}), "initiator")],
    "webapp.authoring.services.publish": [
        ("moderator", lambda w, actor: authoring.publish(actor, w.project), "initiator")],
    "webapp.authoring.services.unpublish": [
        ("participant", lambda w, actor: authoring.unpublish(actor, w.project), "initiator")],
    "webapp.phases.commands.add_phase": [
        ("moderator", lambda w, actor: phase_commands.add_phase(actor, w.project, phase_commands.PhaseInput(
            "results", utcnow() + timedelta(days=400), utcnow() + timedelta(days=401), {"de": {"title": "Neu", "description": ""}})),
         "initiator")],
    "webapp.phases.commands.edit_phase": [
        ("participant", lambda w, actor: phase_commands.edit_phase(actor, w.project, w.project.phases[0],
                                                                   phase_commands.PhaseInput(
            "results", utcnow() + timedelta(days=400), utcnow() + timedelta(days=401), {"de": {"title": "Neu", "description": ""}})),
         "initiator")],
    "webapp.phases.commands.remove_phase": [
        ("moderator", lambda w, actor: phase_commands.remove_phase(actor, w.project, w.project.phases[0]),
         "initiator")],
    "webapp.documents.commands.add_chapter": [
        ("moderator", lambda w, actor: chapter_commands.add_chapter(actor, w.project, {"de": {"title": "Neu"}}), "initiator")],
    "webapp.documents.commands.edit_chapter": [
        ("participant", lambda w, actor: chapter_commands.edit_chapter(actor, w.project, w.target.chapter,
                                                                       {"de": {"title": "Neu"}}), "initiator")],
    "webapp.documents.commands.move_chapter": [
        ("moderator", lambda w, actor: chapter_commands.move_chapter(actor, w.project, w.target.chapter, 1),
         "initiator")],
    "webapp.documents.commands.add_paragraph": [
        ("moderator", lambda w, actor: chapter_commands.add_paragraph(actor, w.project, w.target.chapter,
                                                                      {"de": {"heading": "", "body": "Neu"}}), "initiator")],
    "webapp.documents.commands.edit_paragraph": [
        ("author", lambda w, actor: chapter_commands.edit_paragraph(actor, w.project, w.target.chapter.paragraphs[0],
                                                                    {"de": {"heading": "", "body": "Neu"}}), "initiator")],
    "webapp.documents.commands.move_paragraph": [
        ("moderator", lambda w, actor: chapter_commands.move_paragraph(actor, w.project,
                                                                       w.target.chapter.paragraphs[0], 1), "initiator")],
    "webapp.documents.services.delete_project": [
        ("moderator", lambda w, actor: documents.delete_project(actor, w.project), "initiator")],
    "webapp.documents.services.delete_chapter": [
        ("moderator", lambda w, actor: documents.delete_chapter(actor, w.target.chapter), "initiator")],
    "webapp.documents.services.delete_paragraph": [
        ("author", lambda w, actor: documents.delete_paragraph(actor, w.target.chapter.paragraphs[0]),
         "initiator")],
}


def test_every_command_has_its_cases(app):
    assert set(CASES) == set(permissions.COMMANDS), (
        f"commands without a refused call here: {sorted(set(permissions.COMMANDS) - set(CASES))}; "
        f"cases of no command: {sorted(set(CASES) - set(permissions.COMMANDS))}")


@pytest.fixture()
def world(app):
    with app.test_request_context("/de/"):
        yield World(app)


@pytest.mark.parametrize("name, who, call, reason", [
    pytest.param(name, who, call, reason, id=f"{name.removeprefix('webapp.')}-{who.split()[0]}")
    for name, cases in CASES.items() for who, call, reason in cases])
def test_a_command_called_directly_refuses_who_may_not_and_writes_nothing(app, world, name, who, call, reason):
    actor = getattr(world, who.split()[0])
    written: list[str] = []

    def watch(_connection, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            written.append(statement.split("\n")[0][:120])

    engine = db.engine()
    event.listen(engine, "before_cursor_execute", watch)
    try:
        with pytest.raises(permissions.Refused) as refused, db.transaction():
            call(world, actor)
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert refused.value.decision.reason == reason
    assert refused.value.decision.message  # the reader is told why
    assert written == [], f"{name} wrote before it refused: {written}"
