"""Views of a document: a chapter page and a single paragraph's page, each with its discussion.

``chapter_page`` and ``paragraph_page`` render those pages for the reading views here and
for the comment views, which show them again with a form in error or a notice.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Optional

from flask import redirect, request, url_for
from flask_login import current_user

from .. import pagecache, permissions
from ..comments import messages, rules
from ..comments import services as comments
from ..comments.forms import CommentForm
from ..comments.fragments import Shown
from ..comments.labels import comment_labels
from ..comments.models import CATEGORY_LABELS
from ..htmx import render
from ..i18n import LanguageMode, current_mode, show_in_switcher
from ..phases.services import timeline
from ..projects.models import Project
from ..projects.services import get_published
from . import bp
from .models import Paragraph
from .services import ChapterInContext, find_chapter, find_paragraph, paragraph_at


def paragraph_number(current: ChapterInContext, paragraph: Paragraph) -> int:
    """The paragraph's number in its chapter (1-based): its address and its label."""
    return next(n for n, p in enumerate(current.chapter.paragraphs, start=1) if p.id == paragraph.id)


def discussion_context(project: Project, current: ChapterInContext, paragraph: Optional[Paragraph] = None,
                       form: Optional[CommentForm] = None, notice: Optional[str] = None,
                       discussion: Optional[comments.Discussion] = None) -> dict:
    """Everything the discussion area needs, in a fixed number of queries.

    The same values are available to the page template by name and, bundled as ``ctx``,
    to the discussion macros (which are imported without the template's context). ``discussion``: the comments
    to show, where the caller has them (else the page asked for, read here).
    """
    line = timeline(project.phases)
    target = comments.Target(project.id, current.chapter, paragraph)
    user = current_user._get_current_object()  # the object itself: the template asks it per comment
    category = request.args.get("category") if request.args.get("category") in project.categories else None
    page = request.args.get("page", default=1, type=int) or 1
    # "More comments" (htmx) appends a page to those shown: ``start`` is the first page on screen.
    first_page = request.args.get("start", default=page, type=int) or page
    decision = rules.may_comment(user, line)
    permissions.read_roles_and_badges(user, project.id)  # both asked below: one query
    if form is None and decision:
        form = CommentForm(formdata=None, categories=project.categories)  # empty, also after a POST
    endpoint, args = ("documents.paragraph", {"slug": project.slug, "chapter": current.chapter.slug,
                                              "number": paragraph_number(current, paragraph)}) if paragraph else \
        ("documents.chapter", {"slug": project.slug, "chapter": current.chapter.slug})
    # After a form was sent to a POST-only address, the language links lead to this page.
    show_in_switcher(endpoint, **args, page=page if page > 1 else None, sort=request.args.get("sort"), category=category)
    context = {
        "mode": current_mode(),
        "user": user,
        "notice": notice,
        "level": 3,
        "page_endpoint": endpoint,
        "page_args": args,
        "rules": rules,
        "category_labels": CATEGORY_LABELS,
        "labels": comment_labels(),
        "project": project,
        "current": current,
        "timeline": line,
        "target": target,
        "may_comment": decision,
        # Staff of the project see a "Moderate" link at every comment (asked once, not per comment).
        "may_moderate": bool(permissions.may_moderate(user, project)) if user.is_authenticated else False,
        "comment_form": form,
        "discussion": discussion or comments.discussion(target, user.id if user.is_authenticated else None,
                                                        request.args.get("sort", "newest"), category, min(page, 10**6)),
        "first_page": max(1, min(first_page, page)),
        # Every count on the page (table of contents, paragraph links, discussion heading) from one query.
        "comment_counts": comments.comment_counts([c.id for c in project.document.chapters]),
    }
    context["listed"] = _listed(context["discussion"], context["first_page"])
    shown = [*context["discussion"].comments, *(r for replies in context["discussion"].replies.values() for r in replies)]
    context["messages_at"] = messages.place({c.id for c in shown})
    ctx = SimpleNamespace(**context)
    # Each comment's HTML as kept for readers who see what this one sees (comments.fragments).
    ctx.shown = context["shown"] = Shown(ctx, shown)
    return {**context, "ctx": ctx}


def _listed(discussion: comments.Discussion, first_page: int) -> Optional[str]:
    """What the comment form tells the server of the list it stands above, when that list is the discussion's
    first page, newest first, unfiltered, and not empty: its first comment and how many comments (not replies)
    the discussion has (``"<id>:<number>"``). A comment published there can be put at the top of it
    (:func:`placed`)."""
    d = discussion
    if d.sort != "newest" or d.category or d.page != 1 or first_page != 1 or not d.comments:
        return None
    return f"{d.comments[0].id}:{d.total}"


#: ``listed`` as :func:`_listed` writes it; anything else sent is answered with the whole discussion.
_LISTED = re.compile(r"([0-9]{1,10}):([0-9]{1,7})")


def placed(project: Project, current: ChapterInContext, paragraph: Optional[Paragraph], comment,
           listed: Optional[str]) -> Optional[comments.Discussion]:
    """For a comment just published with htmx: the discussion to answer with when the reader's list is the first
    page, newest first, as the server has it now but for this comment (``listed``, see :func:`_listed`): the comment
    alone, which the page's ``posted`` answer puts at the top of that list (out of band, with the counts and an
    empty form, taking out the comment that moved on to the next page). ``None`` otherwise: the whole discussion
    is the answer then. A few kilobytes instead of the whole discussion, and none of its queries.

    Nothing is counted or read: where this comment is the newest and came right after the list's first (as its
    insert saw it, ``comments.came_after``), no other comment came since the list was shown (a new one is always the
    newest, and none is ever taken out of the list: a deleted or blocked comment keeps its place), so the discussion
    has the list's number and this one."""
    sent = _LISTED.fullmatch(listed or "")
    if sent is None:
        return None
    if comments.came_after(comment, comments.Target(project.id, current.chapter, paragraph)) != int(sent[1]):
        return None  # someone else's comment came first: the whole discussion
    before = comments.Discussion([], {}, int(sent[2]), 1, "newest", None)
    shown = comments.Discussion([comment], {comment.id: []}, before.total + 1, 1, "newest", None)
    if shown.pages != before.pages:
        return None  # it starts a new page of the list: the whole discussion, with its pages
    return shown


def _render_page(template: str, context: dict, status: int, render_options: dict):
    """htmx asks either for more comments (appended to the list, focus on the first new one)
    or for the whole discussion; everyone else gets the page."""
    if request.headers.get("HX-Target") == "comment-list":
        comments_shown = context["discussion"].comments
        if comments_shown:
            render_options.setdefault("focus", f"#comment-{comments_shown[0].id}")
        response = render(template, "more_comments", status, **context, **render_options)
    else:
        response = render(template, "discussion", status, **context, **render_options)
    context["shown"].keep()
    return response


def chapter_page(project: Project, current: ChapterInContext, *, form: Optional[CommentForm] = None,
                 status: int = 200, notice: Optional[str] = None, discussion: Optional[comments.Discussion] = None,
                 **render_options):
    return _render_page("documents/chapter.html", discussion_context(project, current, None, form, notice, discussion),
                        status, render_options)


def paragraph_page(project: Project, current: ChapterInContext, paragraph: Paragraph, number: int, *,
                   form: Optional[CommentForm] = None, status: int = 200, notice: Optional[str] = None,
                   discussion: Optional[comments.Discussion] = None, **render_options):
    context = discussion_context(project, current, paragraph, form, notice, discussion)
    return _render_page("documents/paragraph.html", {**context, "paragraph": paragraph, "number": number}, status,
                        render_options)


def _number(value: Optional[str]) -> Optional[int]:
    """A page number as the page cache keeps it (ASCII digits, up to 1,000,000), else ``None``."""
    kept = pagecache.page_number(value or "")
    return int(kept) if kept is not None else None


def _canonical_address(project: Project, current: ChapterInContext, paragraph: Optional[Paragraph] = None):
    """A redirect to the one address of the page asked for, or ``None`` when it is that address.

    Every variant of an address would be a page to render (and to keep in the page cache), so
    random values could bypass the cache and force a render each:

    - a category the project does not have: the page without it;
    - ``page`` past the last page: the last page; ``page=1``, ``0`` or no number: without it;
    - ``start`` (the first page on screen when htmx appends "More comments") where it says
      nothing: on any request but that htmx one, and when it is not a page before ``page``.

    An unknown category alone answers 301: a project's categories stay. Anything about pages
    answers 303: the last page depends on today's comments (``page=7`` may exist next week),
    and browsers and search engines would keep a 301 for good.
    """
    args = request.args.to_dict()  # the first value of each parameter, as the page reads them
    category = args.get("category")
    status = None
    if category and category not in project.categories:  # empty: "all categories", as the filter sends it
        del args["category"]
        category, status = None, 301
    raw_page, raw_start = args.pop("page", None), args.pop("start", None)
    page = _number(raw_page)
    if page is not None and page > 1:
        page = min(page, comments.page_count(comments.Target(project.id, current.chapter, paragraph), category))
    page = page if page and page > 1 else None
    start = _number(raw_start) if request.headers.get("HX-Target") == "comment-list" else None
    start = start if start and page and start < page else None
    if page:
        args["page"] = str(page)
    if start:
        args["start"] = str(start)
    if (args.get("page"), args.get("start")) != (raw_page, raw_start):
        status = 303
    if status is None:
        return None
    return redirect(url_for(request.endpoint, **request.view_args, **args), status)


@bp.get("/chapters/<slug:chapter>")
def chapter(mode: LanguageMode, slug: str, chapter: str):
    """A chapter with its paragraphs, navigation and discussion."""
    project = get_published(slug)
    current = find_chapter(project, chapter)
    return _canonical_address(project, current) or chapter_page(project, current)


@bp.get("/chapters/<slug:chapter>/paragraph-<int(max=100000):number>")
def paragraph(mode: LanguageMode, slug: str, chapter: str, number: int):
    """One paragraph, addressable on its own by its number in the chapter, with its own discussion."""
    project = get_published(slug)
    current = find_chapter(project, chapter)
    found = paragraph_at(current, number)
    return _canonical_address(project, current, found) or paragraph_page(project, current, found, number)


@bp.get("/chapters/<slug:chapter>/paragraphs/<int(max=2147483647):paragraph_id>")
def paragraph_by_id(mode: LanguageMode, slug: str, chapter: str, paragraph_id: int):
    """The old address of a paragraph (by its database id): moved for good to its number in the chapter."""
    project = get_published(slug)
    current = find_chapter(project, chapter)
    _found, number = find_paragraph(current, paragraph_id)
    return redirect(url_for("documents.paragraph", slug=slug, chapter=chapter, number=number, **request.args), 301)
