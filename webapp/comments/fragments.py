"""Each comment's HTML rendered once and kept until the comment or its reader's view of it changes.

The ``comment`` macro of ``comments/_discussion.html`` stays the one definition of a comment's
HTML; :class:`Shown` calls it only for a comment it has not kept yet. The key of a kept comment
is everything the macro shows, so no command has to remember to invalidate anything:

- the comment's state as the page shows it (:data:`STATE`: text, category, language, dates,
  counts, moderation state) and its author's name and staff badge (a role or a name that
  changes makes a new key);
- the page's language mode, locale and time zone, the project, the heading level;
- what this reader is offered at it (:func:`Shown.reader_bits`): their own rating, whether
  they may rate, reply, edit, delete, report or moderate. The permission predicates decide
  these as everywhere else; on one page they depend on the comment only through whether it
  is a reply, deleted, hidden, blocked or the reader's own, so they are asked once per such
  kind of comment, not once per comment.

The form token differs per reader: it is kept as a placeholder and put in on the way out. A
comment with a message placed at it (after an action) is rendered, not kept.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any

from flask import current_app
from flask_babel import get_locale, get_timezone
from markupsafe import Markup, escape

from .. import fragmentcache, permissions
from ..i18n import current_mode
from .models import Comment

#: What of a comment its HTML shows (with its author's name and badge): a change of any makes a new key.
STATE = ("id", "parent_id", "project_id", "author_id", "body", "category", "language", "created_at", "edited_at",
         "deleted_at", "agree_count", "disagree_count", "blocked_at", "block_reason", "block_text", "block_language",
         "hidden_at", "highlighted_at", "official")
_state = attrgetter(*STATE)


class Shown:
    """The comments of one discussion page, for one reader: their kept HTML, fetched in one go."""

    def __init__(self, ctx: Any, comments: list[Comment]) -> None:
        self.ctx = ctx
        self.cache = fragmentcache.cache()
        self.user = ctx.user
        self.own_id = self.user.id if self.user.is_authenticated else None
        self.badges = permissions.staff_badges(ctx.project.id)
        self.page = (ctx.mode.key, str(get_locale()), str(get_timezone()), ctx.project.slug, ctx.may_moderate)
        self._kinds: dict[tuple, tuple] = {}
        self.keys = {c.id: self.key(c) for c in comments} if self.cache.enabled else {}
        self.list_key = self._list_key() if self.keys else None
        # Fetched in one go: each comment by its id, the whole list as "list".
        self.pieces = fragmentcache.Pieces({**self.keys, "list": self.list_key} if self.list_key else self.keys)

    def _list_key(self):
        """The key of the page's whole list of threads: its comments' keys, thread by thread (``None`` when one
        of them is not kept: a message stands at it)."""
        discussion = self.ctx.discussion
        if any(c_id in self.ctx.messages_at for c_id in self.keys):
            return None
        return ("list", tuple((self.keys[c.id], tuple(self.keys[r.id] for r in discussion.replies.get(c.id, ())))
                              for c in discussion.comments))

    def reader_bits(self, c: Comment) -> tuple:
        """What this reader is offered at ``c``: (rate, reply, delete, edit, report), then their rating."""
        own = self.own_id is not None and c.author_id == self.own_id
        kind = (c.parent_id is None, c.deleted_at is not None, c.blocked_at is not None, c.hidden_at is not None, own)
        bits = self._kinds.get(kind)
        if bits is None:
            rules, user, line = self.ctx.rules, self.user, self.ctx.timeline
            offers_report = current_app.jinja_env.globals["offers_report"]
            bits = self._kinds[kind] = (bool(rules.may_rate(user, c, line)), bool(rules.may_reply(user, c, line)),
                                        bool(rules.may_delete(user, c, line)), bool(rules.may_edit(user, c, line)),
                                        bool(offers_report(user, c)))
        return bits + (self.ctx.discussion.my_ratings.get(c.id),)

    def key(self, c: Comment) -> tuple:
        author = c.author.username if c.author is not None else None
        badge = self.badges.get(c.author_id) if c.author_id else None
        level = self.ctx.level + (c.parent_id is not None)
        return (self.page, level, _state(c), author, badge, self.reader_bits(c))

    def render(self, c: Comment, level: int, macro: Callable[..., Markup]) -> Markup:
        """``c``'s HTML at heading ``level``: kept, or made by ``macro`` (the template's ``comment``) and kept."""
        key = self.keys.get(c.id)
        if key is None or key[1] != level or c.id in self.ctx.messages_at:
            return macro(c, level, self.ctx)
        return self.pieces.kept_or_made(key, lambda: macro(c, level, self.ctx), holds_token=key[-1][0])  # rating form

    def listing(self, thread: Callable[..., Markup]) -> Markup:
        """Every thread of the page: kept as one piece, or made by ``thread`` (the template's macro) and kept."""
        def made() -> Markup:
            return Markup("").join(thread(c, self.ctx) for c in self.ctx.discussion.comments)

        if self.list_key is None:
            return made()
        return self.pieces.kept_or_made(self.list_key, made,
                                        holds_token=any(key[-1][0] for key in self.keys.values()))

    def keep(self) -> None:
        """Keep what this page rendered (after the page is made: one write to Redis)."""
        self.pieces.keep()


#: Where an empty comment form's account of the list below it stands in its kept HTML (never in escaped text).
LISTED = "<!--listed-->"


def comment_form(macro: Callable[..., Markup], form: Any, action: str, fragment: bool, project: Any = None,
                 listed: Any = None, oob: bool = False) -> Markup:
    """The comment form as ``macro`` (the template's ``comment_form``) makes it. An empty one, which every
    discussion and every answer to a published comment shows, is kept per language, address, project and
    categories (about 1 ms of template and form); its own values, the form token, its submission key and what
    it says of the list below it, are put in on the way out."""
    cache = fragmentcache.cache()
    empty = not form.errors and not form.body.data and not form.website.data and not (
        form.category and form.category.data)
    if not cache.enabled or not empty:
        return macro(form, action, fragment, project, listed, oob)
    key = ("comment-form", str(get_locale()), current_mode().key, action, project.slug if project else None,
           tuple(choice for choice, _label in form.category.choices) if form.category else None, fragment, oob,
           listed is not None)
    html = cache.get_many([key]).get(key)
    if html is None:
        made = str(macro(form, action, fragment, project, listed, oob))
        html = fragmentcache.without_keys(fragmentcache.without_token(made))
        if listed is not None:
            html = html.replace(f'id="comment-listed" value="{escape(listed)}"', f'id="comment-listed" value="{LISTED}"')
        cache.put_many({key: html})
    return Markup(fragmentcache.with_token(html).replace(fragmentcache.SUBMISSION_KEY, form.submission_key.data)
                  .replace(LISTED, escape(listed) if listed is not None else ""))
