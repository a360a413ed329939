"""The audit log pages: every staff action, newest first, filtered by action and person.

Three logs read the same entries through one page:

- a project's log (its initiators and administrators): what happened in the project, and the
  blocks on the whole website, which keep people out of it too;
- an organisation's log (its initiators and administrators): who was made or stopped being its
  initiator, invited, and the projects deleted from it;
- the site log (administrators): everything that belongs to no project, such as appointing
  administrators, the organisations' changes and site-wide blocks.

A plain GET form filters (it works without JavaScript); it offers only actions and people that
occur in that log, so no choice can come up empty by construction. 50 entries a page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from flask import current_app, redirect, request, url_for
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from sqlalchemy import and_
from sqlmodel import col

from .. import fragmentcache, permissions
from ..audit import ACTIONS, SYSTEM
from ..audit.models import AuditEntry
from ..fragmentcache import Bounded
from ..htmx import render
from ..i18n import LanguageMode, current_mode
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..moderation.models import BLOCK_REASON_LABELS
from ..projects.models import Project
from ..projects.services import get_for_staff
from ..templating import datetime_text
from . import bp, queries

#: Entries on one page of the log.
PAGE_SIZE = 50

#: What an entry acted on, in words (object types other than these are shown by their key).
OBJECT_TYPES = {
    "comment": _l("Comment"),
    "user": _l("Person"),
    "invitation": _l("Invitation"),
    "project": _l("Project"),
    "chapter": _l("Chapter"),
    "paragraph": _l("Paragraph"),
}

#: Actions recorded without a project although they concern every project: blocks on the whole website.
SITE_WIDE_IN_PROJECTS = ("person.block", "person.unblock")


@dataclass(frozen=True)
class Row:
    """One entry as the table shows it: who in words, the object in words with a link where there is a page for it."""

    entry: AuditEntry
    action: str
    who: str
    object_text: str
    object_href: Optional[str]
    #: The reason in words: the one chosen from a fixed list (a block's), then what was written.
    reason: str
    #: The language the reason was written in (an html lang), where known.
    reason_lang: Optional[str] = None


@dataclass
class Log:
    """Which entries a log page shows, and how it names and links itself."""

    #: Which entries: disjoint conditions, each served by an index (see :mod:`.queries`).
    parts: tuple
    title: str
    subtitle: str
    intro: str
    empty: str
    endpoint: str
    url_args: dict = field(default_factory=dict)
    breadcrumbs: list = field(default_factory=list)
    project: Optional[Project] = None


@bp.after_request
def _never_stored(response):
    """The log names people and reasons: no browser or proxy keeps it."""
    response.cache_control.no_store = True
    return response


@bp.get("/projects/<slug:slug>/audit", endpoint="log")
def log(mode: LanguageMode, slug: str):
    """A project's audit log, newest first; ``action``, ``person`` and ``page`` come from the query."""
    project = get_for_staff(slug, table_of_contents=False, phases=False)
    permissions.authorize(permissions.may_see_audit_log(current_user, project))
    # Site-wide blocks since the project exists (the list of blocked people shows those that hold now).
    site_wide = and_(col(AuditEntry.project_id).is_(None), col(AuditEntry.organisation_id).is_(None),
                     col(AuditEntry.action).in_(SITE_WIDE_IN_PROJECTS), AuditEntry.created_at >= project.created_at)
    title = project.localized(mode.key).text.title
    crumbs = [(_("Staff area"), url_for("roles.staff"))]
    if project.published:
        crumbs.append((title, url_for("projects.detail", slug=project.slug)))
    return _page(Log(
        parts=(AuditEntry.project_id == project.id, site_wide), title=_("Audit log"), subtitle=title,
        intro=_("Every action of the staff in this project: who did what, when, and the reason given. Blocks on the "
                "whole website are listed too, as they keep people out of this project. Newest first."),
        empty=_("No staff action has been recorded in this project yet."),
        endpoint="audit.log", url_args={"slug": project.slug}, breadcrumbs=crumbs, project=project))


@bp.get("/organisations/<slug:slug>/audit", endpoint="organisation_log")
def organisation_log(mode: LanguageMode, slug: str):
    """An organisation's log: its initiators, their invitations, its deleted projects."""
    organisation = queries.organisation(slug)
    permissions.authorize(permissions.may_see_organisation_log(current_user, organisation))
    return _page(Log(
        parts=(and_(AuditEntry.organisation_id == organisation.id, col(AuditEntry.project_id).is_(None)),),
        title=_("Audit log"), subtitle=organisation.name,
        intro=_("Every action of the staff that concerns this organisation as a whole: who became or stopped being "
                "one of its initiators, the invitations, and its projects that were deleted. What happens in each "
                "project is in that project's log. Newest first."),
        empty=_("No action has been recorded for this organisation yet."),
        endpoint="audit.organisation_log", url_args={"slug": organisation.slug},
        breadcrumbs=[(_("Staff area"), url_for("roles.staff"))]))


@bp.get("/audit", endpoint="site_log")
def site_log(mode: LanguageMode):
    """The site log for administrators: every entry that belongs to no project."""
    permissions.authorize(permissions.may_administer(current_user))
    return _page(Log(
        parts=(col(AuditEntry.project_id).is_(None),), title=_("Site audit log"), subtitle="",
        intro=_("Every action that belongs to no single project: administrators appointed, initiators of the "
                "organisations, blocks on the whole website, deleted projects. Newest first."),
        empty=_("No such action has been recorded yet."),
        endpoint="audit.site_log", breadcrumbs=[(_("Staff area"), url_for("roles.staff"))]))


#: Where each app keeps :func:`_answer`'s answers (made once, when the blueprint is registered).
ANSWERS = "audit_answers"


@bp.record_once
def _keep_answers(state) -> None:
    state.app.extensions[ANSWERS] = Bounded(2000, size=lambda _answer: 1)


def _answer(state: tuple, question: tuple, read: Callable[[], Any]) -> Any:
    """``read()``'s answer to ``question`` about the log's entries, kept in this process while the entries are in
    ``state`` (:func:`queries.state`): what actions and people occur and how many entries there are take a look
    at every entry of the log, 4 ms of PostgreSQL's time for 10,000; the state is one look along two indexes."""
    kept = current_app.extensions[ANSWERS]
    key = (state, question)
    answer = kept.get(key)
    if answer is None:
        answer = read()
        kept.put(key, answer)
    return answer


def _page(scope: Log):
    """The log page for ``scope``: filters from the query (unknown values redirect to the plain page), one page of rows."""
    state = queries.state()
    where = (scope.endpoint, tuple(sorted(scope.url_args.items())))
    occurring = _answer(state, ("actions", *where), lambda: queries.actions_in(scope.parts))
    actions = [key for key in ACTIONS if key in occurring]
    people = _people(_answer(state, ("actors", *where), lambda: queries.actors_in(scope.parts)))
    action, person = request.args.get("action", ""), request.args.get("person", "")
    wanted = {"action": action if action in actions else "", "person": person if person in people else ""}
    if (action and not wanted["action"]) or (person and not wanted["person"]):
        return _to_page(scope, 1, wanted)  # a choice that cannot match: the log without it, at one address
    chosen = []
    if wanted["action"]:
        chosen.append(AuditEntry.action == wanted["action"])
    if wanted["person"]:
        chosen.append(queries.person_condition(wanted["person"]))
    parts = tuple(and_(part, *chosen) for part in scope.parts)
    total = _answer(state, ("count", *where, tuple(sorted(wanted.items()))), lambda: queries.count(parts))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    asked = request.args.get("page", "")
    page = int(asked) if asked.isdigit() and 0 < len(asked) < 7 else 1
    if asked and (str(page) != asked or page > pages or page == 1):
        return _to_page(scope, min(page, pages), wanted)  # one address per page
    entries = queries.entries(parts, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    args = {key: value for key, value in wanted.items() if value}
    rows = _rows(entries)
    kept = _kept(rows)
    response = render("audit/log.html", scope=scope, rows=rows, kept=kept, total=total, page=page, pages=pages,
                      args=args, link_args={**scope.url_args, **args}, actions=[(key, ACTIONS[key].label) for key in actions],
                      people=people, filtered=bool(args))
    kept.keep()
    return response


def _kept(rows: list[Row]) -> fragmentcache.Pieces:
    """The table's rows as the template's ``entry_row`` makes them, each kept under all it shows: the entry's
    time and whether an account acted, the row's words, in the page's mode, locale and time zone."""
    page = ("audit-row", current_mode().key, str(get_locale()), str(get_timezone()))
    return fragmentcache.Pieces({i: (*page, row.entry.created_at, row.entry.actor_id is not None, row.action, row.who,
                                     row.object_text, row.object_href, row.reason, row.reason_lang)
                                 for i, row in enumerate(rows)})


def _to_page(scope: Log, page: int, wanted: dict):
    args = {key: value for key, value in wanted.items() if value}
    return redirect(url_for(scope.endpoint, **scope.url_args, **args, page=page if page > 1 else None), 303)


def who(entry: AuditEntry) -> str:
    """Who acted, in words: the name they had, "System (automatic)", or "Deleted account 7"."""
    if entry.actor_id is None and entry.former_actor_id is not None:
        return _("Deleted account %(number)s", number=entry.former_actor_id)
    if entry.actor_name == SYSTEM and entry.actor_id is None:
        return _("System (automatic)")
    return entry.actor_name or _("Deleted account")


def _people(actors: list[AuditEntry]) -> dict[str, str]:
    """The people who acted (one stand-in entry each, :func:`queries.actors_in`), as filter value → name, by name."""
    found = {queries.person_key(entry): who(entry) for entry in actors}
    found.pop("", None)
    return dict(sorted(found.items(), key=lambda item: (item[0] == SYSTEM, item[0][0] == "d", item[1].casefold())))


def _rows(entries: list[AuditEntry]) -> list[Row]:
    """The table's rows; the comments, projects and people acted on are read in one query each."""
    comments, projects, users, invitations = queries.acted_on(entries)
    rows = []
    for entry in entries:
        details = _details(entry)
        text, href = _object(entry, details, comments, projects, users, invitations)
        rows.append(Row(entry, str(ACTIONS[entry.action].label if entry.action in ACTIONS else entry.action), who(entry), text, href,
                        _reason(entry, details), details.get("reason_lang") or None))
    return rows


def _reason(entry: AuditEntry, details: dict) -> str:
    """"Advertising or spam: a link to a loan shop" — the chosen reason's name (in the reader's mode) and the words given."""
    chosen = BLOCK_REASON_LABELS.get(details.get("reason_key", ""))
    if chosen is None:
        return entry.reason
    return f"{chosen}: {entry.reason}" if entry.reason else str(chosen)


def _details(entry: AuditEntry) -> dict:
    try:
        details = json.loads(entry.details) if entry.details else {}
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def _object(entry: AuditEntry, details: dict, comments: dict, projects: dict, users: set,
            invitations: dict) -> tuple[str, Optional[str]]:
    """What the entry acted on, in words, and the address of its page where there is one.

    A comment is named by author and time, as everywhere (so two links never share a name), and
    linked to its moderation page, which shows it whole with its reports and history.
    """
    kind = entry.object_type
    label = str(OBJECT_TYPES.get(kind, kind))
    if kind == "comment" and entry.object_id:
        if entry.object_id not in comments:
            return _("Comment (no longer there)"), None
        _id, parent_id, created_at, name, slug = comments[entry.object_id]
        values = {"name": name or _("Deleted account"), "date": datetime_text(created_at)}
        text = _("Reply by %(name)s from %(date)s", **values) if parent_id else \
            _("Comment by %(name)s from %(date)s", **values)
        return text, url_for("moderation.item", slug=slug, comment_id=entry.object_id)
    if kind == "project":
        project = projects.get(entry.object_id)
        if project is not None:
            return f"{label}: {project.localized(current_mode().key).text.title}", \
                url_for("projects.detail", slug=project.slug) if project.published else None
        return f"{label}: {details.get('title') or _('no longer there')}", None
    if kind in ("chapter", "paragraph") and details.get("title"):
        return f"{label}: {details['title']}", None
    if kind == "user":
        if details.get("person") and entry.object_id in users:
            return f"{label}: {details['person']}", None
        if entry.object_id is not None and entry.object_id not in users:
            return f"{label}: " + _("Deleted account %(number)s", number=entry.object_id), None
        if details.get("person"):
            return f"{label}: {details['person']}", None
    if kind == "invitation":
        email = details.get("email") or invitations.get(entry.object_id)
        if email:
            return f"{label}: {email}", None
    return (f"{label} {entry.object_id}" if entry.object_id else label), None
