"""The moderators' pages: a project's queue of comments, one comment with its actions, bulk actions.

Plain server-rendered pages and forms: they work without JavaScript. Every action is a POST
that redirects (303) back with a message; a form with a mistake comes back with 422, its
input kept. Who may see and do this is asked of :mod:`webapp.permissions` only.
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import urlencode

from flask import redirect, request, session, url_for
from flask_babel import ngettext
from flask_login import current_user

from .. import audit, db, permissions
from ..comments import services as comments
from ..comments.labels import comment_labels, excerpt
from ..comments.messages import flash_outcome
from ..comments.models import Comment
from ..errors import keeps_input
from ..htmx import render
from ..i18n import LanguageMode, current_mode
from ..i18n import gettext as _
from ..projects.services import get_for_staff
from . import actions, bp, services
from .forms import ActionForm, AnswerForm, BlockForm, BulkForm, NoteForm
from .fragments import queue_items
from .models import BLOCK_REASON_LABELS, REASON_LABELS

PREFIX = "/staff/projects/<slug:slug>/moderation"
COMMENT = "<int(max=2147483647):comment_id>"

#: What each action says once done.
FORMS = {"block": BlockForm, "answer": AnswerForm, "note": NoteForm}


def _project(slug: str, whole: bool = True):
    """The project (published or not) and whether the person may moderate it: login redirect or 403 otherwise.
    ``whole=False``: with its texts only, for the queue, which shows nothing else of it (the chapters its
    comments are on come with them, ``services.queue``)."""
    project = get_for_staff(slug, table_of_contents=whole, phases=whole)
    permissions.authorize(permissions.may_moderate(current_user, project))
    return project


def _queue_args(source) -> dict:
    """The queue's filter, sort and page from ``source`` (query or form), only known values."""
    args = {}
    if source.get("show") in services.FILTERS and source.get("show") != "all":
        args["show"] = source["show"]
    if source.get("sort") in services.SORTS and source.get("sort") != "reports":
        args["sort"] = source["sort"]
    page = source.get("page", "")
    if page.isdigit() and 1 < int(page) < 100000:
        args["page"] = int(page)
    return args


#: Where a bulk action leaves what it did not change, for the queue page it redirects to (once).
UNCHANGED_KEY = "moderation_bulk_unchanged"


@bp.get(PREFIX, endpoint="queue")
def queue(mode: LanguageMode, slug: str):
    """The project's comments for its moderators: open reports first, filtered and sorted as chosen.

    After a bulk action it names the comments the action left as they were, and keeps them ticked.
    """
    project = _project(slug, whole=False)
    return _queue_page(project, unchanged=_unchanged(project, session.pop(UNCHANGED_KEY, None)))


def _unchanged(project, stored) -> list[tuple[Comment, str]]:
    """The comments a bulk action left unchanged (stored in the session by :func:`bulk`), each with why."""
    if not stored or stored.get("project") != project.id:
        return []
    why = dict((int(comment_id), reason) for comment_id, reason in stored.get("comments", []))
    found = {c.id: c for c in services.comments_of(project, list(why))}
    return [(found[comment_id], _refusal(stored.get("action", ""), reason))
            for comment_id, reason in why.items() if comment_id in found]


def _refusal(action: str, reason: str) -> str:
    """Why a bulk action left a comment as it was, in the moderator's words."""
    if action == "block" and reason == "blocked":
        return _("This comment is blocked already.")
    return str(actions.REFUSALS.get(reason, actions.REFUSALS["deleted"]))


def _queue_page(project, form: Optional[BulkForm] = None, status: int = 200, unchanged=()):
    args = _queue_args(request.args if request.method == "GET" else request.form)
    listing = services.queue(project, args.get("show", "all"), args.get("sort", "reports"), args.get("page", 1))
    form = form or BulkForm(formdata=None)
    ticked = set(form.comment.data or []) if form.errors else {comment.id for comment, _why in unchanged}
    back = "?" + request.query_string.decode() if request.query_string else ""  # where each item's page leads back
    items = queue_items(listing, current_mode().key, project.slug, back, bool(form.comment.errors), ticked,
                        bool(form.all.data))
    response = render("moderation/queue.html", status=status, project=project, listing=listing, args=args,
                      form=form, ticked=ticked, back=back, items=items, filters=services.FILTERS, sorts=services.SORTS,
                      reason_labels=REASON_LABELS, block_labels=BLOCK_REASON_LABELS, unchanged=unchanged,
                      comment_labels=comment_labels, excerpt=excerpt,
                      has_errors=bool(form.errors))
    items.keep()
    return response


@bp.post(PREFIX + "/bulk", endpoint="bulk")
@keeps_input
def bulk(mode: LanguageMode, slug: str):
    """One action for the comments ticked in the queue."""
    project = _project(slug)
    form = BulkForm()
    if not form.validate_on_submit():
        return _queue_page(project, form, 422)
    comments = services.comments_of(project, form.selected[:200])
    with db.transaction():
        done, skipped = actions.bulk(current_user, project, comments, form.action.data, form.reason.data,
                                     form.text.data or "", language=mode.html_lang)
    message = ngettext("%(num)d comment changed.", "%(num)d comments changed.", done)
    if skipped:
        message += " " + ngettext("%(num)d comment was left as it was: see below.",
                                  "%(num)d comments were left as they were: see below.", len(skipped))
        session[UNCHANGED_KEY] = {"project": project.id, "action": form.action.data,
                                  "comments": [[comment.id, reason] for comment, reason in skipped]}
    flash_outcome(message)
    args = _queue_args(request.form)
    # The outcome sits right above the bulk form, which comes before the list: the reader stays there.
    return redirect(url_for("moderation.queue", slug=project.slug, **args, _anchor="outcome"), 303)


@bp.get(PREFIX + "/comments/" + COMMENT, endpoint="item")
def item(mode: LanguageMode, slug: str, comment_id: int):
    """One comment in context, with its reports, notes and every action."""
    project = _project(slug)
    return _item_page(project, comments.get(comment_id, project.id))


def _item_page(project, comment: Comment, status: int = 200, forms: Optional[dict] = None, notice: Optional[str] = None):
    forms = forms or {}
    parent = comments.parent_of(comment)
    current, paragraph = comments.context_of(project, comment)
    back = request.args.get("back", "")
    author = comment.author if comment.author_id else None
    return render(
        "moderation/item.html", status=status, project=project, comment=comment, parent=parent, current=current,
        paragraph=paragraph, reports=actions.reports_on(comment), notes=actions.notes_on(comment),
        answers=actions.answers_to(comment),
        # "Block the author" only for someone who can be blocked here (not the project's staff, not administrators).
        blockable=author is not None and bool(permissions.may_be_blocked(author, project, site_wide=False)),
        block_form=forms.get("block") or BlockForm(formdata=None),
        answer_form=forms.get("answer") or AnswerForm(formdata=None),
        note_form=forms.get("note") or NoteForm(formdata=None), action_form=ActionForm(formdata=None),
        reason_labels=REASON_LABELS, block_labels=BLOCK_REASON_LABELS, notice=notice, excerpt=excerpt,
        comment_labels=comment_labels,
        back=back if back.startswith("?") else "", has_errors=any(f.errors for f in forms.values()))


@bp.post(PREFIX + "/comments/" + COMMENT + "/<any(" + ",".join(actions.ACTIONS) + "):action>", endpoint="act")
@keeps_input
def act(mode: LanguageMode, slug: str, comment_id: int, action: str):
    """One action on one comment; back to the comment's moderation page with a message."""
    project = _project(slug)
    comment = comments.get(comment_id, project.id)
    form = FORMS.get(action, ActionForm)()
    if not form.validate_on_submit():
        return _item_page(project, comment, 422, {action: form} if action in FORMS else {},
                          None if action in FORMS else _("This form has expired. Please send it again."))
    values = {"reason": getattr(getattr(form, "reason", None), "data", None),
              "text": getattr(getattr(form, "text", None), "data", "") or "", "language": mode.html_lang}
    try:
        with db.transaction():
            actions.apply(action, current_user, project, comment, **values)
    except actions.ActionRefused as refusal:
        db.session().refresh(comment)
        return _item_page(project, comment, 409, {action: form} if action in FORMS else {}, refusal.message)
    flash_outcome(str(audit.ACTIONS[f"comment.{action}"].done))
    target = url_for("moderation.item", slug=project.slug, comment_id=comment.id)
    back = request.args.get("back", "")
    if back.startswith("?"):
        target += "?" + urlencode({"back": back})
    return redirect(target + "#outcome", 303)


@bp.app_template_global("block_reason")
def block_reason(key: Optional[str]) -> str:
    """The name of a block reason in the reader's language, for the notice in the discussion."""
    return str(BLOCK_REASON_LABELS.get(key or "other", BLOCK_REASON_LABELS["other"]))
