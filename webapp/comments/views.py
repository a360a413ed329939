"""Comment views. Every action is a plain POST form; htmx requests get fragments instead.

Without JavaScript, success redirects (303) to the comment's anchor with a flash
message; with htmx, the discussion is swapped in place, focus moves to the comment and
the live region announces what happened. Errors re-render the page (or the fragment)
with the reader's text kept.
"""

from __future__ import annotations

from typing import Optional

from flask import current_app, redirect, request
from flask_babel import ngettext
from flask_login import current_user

from .. import db
from ..accounts.drafts import receives_drafts
from ..documents.services import find_chapter, paragraph_at
from ..documents.views import chapter_page, paragraph_page, placed
from ..errors import keeps_input, session_notice, with_login_link
from ..extensions import limiter
from ..htmx import fragment, render, wants_fragment
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..phases.services import timeline
from ..projects.services import get_published, get_published_for_action
from ..ratelimits import form_again
from . import bp, fragments, rules, services
from .forms import CommentForm, DeleteForm, RatingForm, ReplyForm
from .labels import comment_labels, names
from .messages import at_top, flash_at, outcome
from .models import Comment
from .text import render as render_text

# What every page's discussion parts and messages use in templates: registered with the blueprint, so that
# infrastructure (webapp/templating.py) knows no domain.
bp.add_app_template_filter(render_text, "comment_text")
for _name, _function in (("flashed_at_top", at_top), ("flashed_outcome", outcome), ("comment_names", names),
                         ("block_here", rules.block_here), ("comment_sorts", services.SORTS),
                         ("kept_comment_form", fragments.comment_form)):
    bp.add_app_template_global(_function, _name)

#: Why a comment or reply was refused after the session ended, and how the text comes back.
SESSION_ENDED = {
    "comment": lambda: _("Your session has ended, so your comment was not published. Log in again here: "
                         "your text is kept and comes back into the form."),
    "reply": lambda: _("Your session has ended, so your reply was not published. Log in again here: "
                       "your text is kept and comes back into the form."),
}


def comment_limit() -> str:
    """The per-account comment limit, read per request (COMMENT_RATE_LIMIT, see config.py)."""
    return current_app.config["COMMENT_RATE_LIMIT"]


def _account_key() -> str:
    return f"comment:{current_user.id}" if current_user.is_authenticated else f"comment-ip:{request.remote_addr}"


def _target_page(project, current, paragraph_number, **options):
    """The chapter page, or the paragraph's page when the comment belongs to a paragraph."""
    if paragraph_number is None:
        return chapter_page(project, current, **options)
    paragraph, number = paragraph_number
    return paragraph_page(project, current, paragraph, number, **options)


def _load(slug: str, chapter: str, number: Optional[int], for_action: bool = False):
    """The project, the chapter in context, and the paragraph numbered ``number`` with its number (or None).

    ``for_action``: the project with its phases only, and its chapters as the chapter is found (what publishing a
    comment needs); :func:`_whole` adds the rest where a page or the whole discussion is shown after all."""
    project = get_published_for_action(slug, chapters=True) if for_action else get_published(slug)
    current = find_chapter(project, chapter, paragraphs=not for_action or number is not None)
    return project, current, ((paragraph_at(current, number), number) if number is not None else None)


def _whole(project, current):
    """The project and chapter of a :func:`_load` ``for_action``, with everything their pages show loaded as well
    (the same objects, completed)."""
    project = get_published(project.slug)
    return project, find_chapter(project, current.chapter.slug)


def _breach(message: str):
    """Rate limited: the page again, with the text and how long to wait."""
    args = request.view_args
    project, current, paragraph = _load(args["slug"], args["chapter"], args.get("number"))
    form = CommentForm(categories=project.categories)
    form.validate()
    if not wants_fragment():  # the page opens at the top: the error summary there leads to the kept text
        form.refuse(message, form.body)
    return _target_page(project, current, paragraph, form=form, notice=message, focus="#discussion-notice")


@bp.post("/chapters/<slug:chapter>/comments", endpoint="create_on_chapter")
@bp.post("/chapters/<slug:chapter>/paragraph-<int(max=100000):number>/comments", endpoint="create_on_paragraph")
@limiter.limit(comment_limit, key_func=_account_key, on_breach=form_again(_breach))
@keeps_input
def create(mode: LanguageMode, slug: str, chapter: str, number: Optional[int] = None):
    """Publish a comment on a chapter or one of its paragraphs (``number``: its number in the chapter)."""
    project, current, paragraph = _load(slug, chapter, number, for_action=True)
    form = CommentForm(categories=project.categories)
    decision = rules.may_comment(current_user, timeline(project.phases))
    if not decision:
        form.validate()  # keep the text, drop nothing
        # Not logged in, yet the form is only shown to those who are: their session ended while they wrote.
        notice = SESSION_ENDED["comment"]() if decision.reason == "login" and form.body.data else decision.message
        return _target_page(*_whole(project, current), paragraph, form=form, status=403, notice=notice,
                            focus="#discussion-notice")
    if not form.validate_on_submit():
        return _target_page(*_whole(project, current), paragraph, form=form, status=422, focus="#error-summary")
    target = services.Target(project.id, current.chapter, paragraph[0] if paragraph else None)
    with db.transaction():
        comment = services.create(current_user, target, form.body.data,
                                  form.category.data if "category" in form else None,
                                  submission_key=form.submission_key.data, mode=mode)
    message = _("Your comment has been published.")
    if wants_fragment():  # put in place in the list the reader has, where it is the current first page
        shown = placed(project, current, paragraph[0] if paragraph else None, comment, request.form.get("listed"))
        if shown is not None:
            answer = _target_page(project, current, paragraph, discussion=shown, posted=comment, announce=message,
                                  focus=f"#comment-{comment.id}")
            answer.headers["HX-Reswap"] = "none"  # everything in it is swapped out of band
            return answer
        project, current = _whole(project, current)  # the whole discussion, as its page shows it
    return _published(project, current, paragraph, comment, message)


def _published(project, current, paragraph, comment: Comment, message: str):
    if wants_fragment():
        return _target_page(project, current, paragraph, announce=message, focus=f"#comment-{comment.id}")
    flash_at(comment.id, message)
    return redirect(services.comment_url(project, comment), 303)


@bp.route("/comments/<int(max=2147483647):comment_id>/reply", methods=["GET", "POST"])
@limiter.limit(comment_limit, key_func=_account_key, methods=["POST"],
               on_breach=form_again(lambda message: _reply_page(message=message, status=429)))
@keeps_input
def reply(mode: LanguageMode, slug: str, comment_id: int):
    """The reply form of one comment (its own page without JavaScript, inline with htmx)."""
    return _reply_page()


def _reply_page(message: Optional[str] = None, status: int = 200):
    project = get_published(request.view_args["slug"])
    parent = services.get(request.view_args["comment_id"], project.id)
    current, paragraph = services.context_of(project, parent)
    form = ReplyForm(parent.id)
    line = timeline(project.phases)
    decision = rules.may_reply(current_user, parent, line)
    slot = f"#reply-form-{parent.id}"
    if decision.reason == "login" and request.method == "POST" and form.body.data:
        refusal = SESSION_ENDED["reply"]()  # the session ended while they wrote: the page offers the login
    elif decision.reason == "login":
        refusal = with_login_link(decision.message)
    else:
        refusal = decision.message
    if request.method == "POST" and message is None:
        if not decision:
            form.validate()
            return render("comments/reply.html", "reply_form", 403 if decision.reason != "reply_to_reply" else 400,
                          project=project, current=current, parent=parent, form=form, notice=refusal,
                          may_reply=decision, focus=f"{slot} .notice", retarget=slot)
        if form.validate_on_submit():
            target = services.Target(project.id, current.chapter, paragraph[0] if paragraph else None)
            with db.transaction():  # the reply and its parent's reply count, or neither
                comment = services.create(current_user, target, form.body.data, parent=parent,
                                          submission_key=form.submission_key.data, mode=request.view_args["mode"])
            return _published(project, current, paragraph, comment, _("Your reply has been published."))
        status = 422
    elif message:
        form.validate()
        if not wants_fragment():  # its own page: the error summary at the top leads to the kept text
            form.refuse(message, form.body)
    if form.errors:
        focus = f"#{form._prefix}error-summary"
    elif message or not decision:
        focus = f"{slot} .notice"
    else:
        focus = f"{slot} textarea"
    return render("comments/reply.html", "reply_form", status, project=project, current=current, parent=parent,
                  form=form, notice=message or (None if decision else refusal), may_reply=decision,
                  focus=focus, retarget=slot if request.method == "POST" else None)


@bp.route("/comments/<int(max=2147483647):comment_id>/edit", methods=["GET", "POST"])
@keeps_input
def edit(mode: LanguageMode, slug: str, comment_id: int):
    project = get_published(slug)
    comment = services.get(comment_id, project.id)
    current, paragraph = services.context_of(project, comment)
    decision = rules.may_edit(current_user, comment, timeline(project.phases))
    categories = project.categories if comment.parent_id is None else []
    if request.method == "GET":
        form = CommentForm(categories=categories, data={"body": comment.body, "category": comment.category or ""})
    else:
        form = CommentForm(categories=categories)
    if not decision:
        if request.method == "POST":
            form.validate()
        return render("comments/edit.html", status=403, project=project, current=current, comment=comment,
                      form=form, notice=decision.message, allowed=False)
    if form.validate_on_submit():
        with db.transaction():
            services.edit(current_user, comment, form.body.data, form.category.data if "category" in form else None)
        flash_at(comment.id, _("Your changes have been saved."))
        return redirect(services.comment_url(project, comment), 303)
    return render("comments/edit.html", status=422 if form.errors else 200, project=project, current=current,
                  comment=comment, form=form, allowed=True)


@bp.route("/comments/<int(max=2147483647):comment_id>/delete", methods=["GET", "POST"])
def delete(mode: LanguageMode, slug: str, comment_id: int):
    project = get_published(slug)
    comment = services.get(comment_id, project.id)
    current, _paragraph = services.context_of(project, comment)
    decision = rules.may_delete(current_user, comment, timeline(project.phases))
    form = DeleteForm()
    if decision and form.validate_on_submit():
        with db.transaction():
            services.delete(current_user, comment)
        flash_at(comment.id, _("Your comment has been deleted."))
        return redirect(services.comment_url(project, comment), 303)
    return render("comments/delete.html", status=200 if decision else 403, project=project, current=current,
                  comment=comment, form=form, notice=None if decision else decision.message)


@bp.post("/comments/<int(max=2147483647):comment_id>/rating")
@limiter.limit("60 per minute", key_func=_account_key)
def rate(mode: LanguageMode, slug: str, comment_id: int):
    """Agree or disagree; the same button again takes the rating back."""
    project = get_published_for_action(slug)
    comment = services.get(comment_id, project.id)
    line = timeline(project.phases)
    decision = rules.may_rate(current_user, comment, line)
    # The pressed button's name says which (its value is its label, as text browsers show it).
    choice = next((key for key in ("agree", "disagree") if key in request.form), request.form.get("value", ""))
    value = {"agree": 1, "disagree": -1}.get(choice)
    if not decision or value is None or not RatingForm().validate_on_submit():
        if wants_fragment() and decision.reason == "login":  # the session ended: said in place, as everywhere
            return session_notice()
        status = 400 if decision and value is None else 403
        message = decision.message if not decision else _("Please choose agree or disagree.")
        if wants_fragment():
            return fragment("comments/rating_fragment.html", status, comment=comment, mine=None, may_rate=decision,
                            announce=message, project=project, labels=comment_labels())
        current, _paragraph = services.context_of(project, comment)
        return render("accounts/message.html", status=status, title=message, text=message,
                      link=(services.comment_url(project, comment), _("Back to the discussion")))
    with db.transaction():  # the rating and the comment's counters, or neither
        mine = services.rate(current_user, comment, value)
    message = " ".join([
        _("Your rating has been saved.") if mine is not None else _("Your rating has been taken back."),
        ngettext("%(num)d person agrees,", "%(num)d people agree,", comment.agree_count),
        ngettext("%(num)d person disagrees.", "%(num)d people disagree.", comment.disagree_count),
    ])
    if wants_fragment():
        pressed = {1: "agree", -1: "disagree"}.get(mine or 0, choice)
        return fragment("comments/rating_fragment.html", comment=comment, mine=mine, may_rate=decision,
                        announce=message, focus=f"#rate-{comment.id}-{pressed}", project=project,
                        labels=comment_labels())
    flash_at(comment.id, message)
    return redirect(services.comment_url(project, comment), 303)


@receives_drafts("documents.chapter", "documents.paragraph")
def _discussion_with_draft(args: dict, text: str, category: Optional[str]):
    """After logging in again (accounts.drafts): the chapter or paragraph page, the text back in its comment form."""
    try:
        project, current, paragraph = _load(args["slug"], args["chapter"], args.get("number"))
    except db.NotFound:
        return None
    form = CommentForm(formdata=None, categories=project.categories,
                       data={"body": text, "category": category if category in project.categories else ""})
    decision = rules.may_comment(current_user, timeline(project.phases))
    return _target_page(project, current, paragraph, form=form, notice=None if decision else decision.message,
                        restored=bool(decision))


@receives_drafts("comments.reply")
def _reply_with_draft(args: dict, text: str, _category: Optional[str]):
    """After logging in again (accounts.drafts): the reply page, the text back in the reply form."""
    try:
        project = get_published(args["slug"])
        parent = services.get(args["comment_id"], project.id)
    except db.NotFound:
        return None
    current, _paragraph = services.context_of(project, parent)
    decision = rules.may_reply(current_user, parent, timeline(project.phases))
    return render("comments/reply.html", project=project, current=current, parent=parent,
                  form=ReplyForm(parent.id, formdata=None, data={"body": text}),
                  notice=None if decision else decision.message, may_reply=decision, restored=bool(decision))


@bp.get("/comments/<int(max=2147483647):comment_id>")
def permalink(mode: LanguageMode, slug: str, comment_id: int):
    """A comment's permanent address: the page and anchor where it is shown."""
    project = get_published(slug)
    comment = services.get(comment_id, project.id)
    return redirect(services.comment_url(project, comment), 302)
