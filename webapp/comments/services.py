"""Comment threads: listing a page of them in a fixed number of queries, and changing them.

A *target* is what a discussion hangs on: a chapter, or one paragraph of it.

The commands (:func:`create`, :func:`edit`, :func:`delete`, :func:`rate`) take the actor first and
check the participants' rules (:mod:`.rules`) themselves, against the project's phases as they are
now: called by a view, a job or a command line alike, they refuse with
:class:`webapp.permissions.Refused` and change nothing.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from flask import g, url_for
from sqlalchemy import and_, bindparam, case, exists, func, literal_column, or_, update
from sqlalchemy import delete as delete_rows  # this module has its own delete()
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

from .. import contentversion, db, permissions
from ..accounts.models import User
from ..clock import utcnow
from ..documents.models import Chapter, Paragraph
from ..documents.services import find_chapter, find_paragraph
from ..i18n import LanguageMode
from ..i18n import lazy_gettext as _l
from ..phases.services import Timeline, timeline
from ..projects.models import Project
from . import rules
from .models import Comment, Rating

PAGE_SIZE = 20


@dataclass(frozen=True)
class Sort:
    """One order of a discussion: its name in the "Order" menu and the query's ORDER BY."""

    label: object
    order: tuple


#: How comments can be ordered, key beside name and order; the first is the default.
SORTS = {
    "newest": Sort(_l("Newest first"), (col(Comment.created_at).desc(), col(Comment.id).desc())),
    "oldest": Sort(_l("Oldest first"), (col(Comment.created_at).asc(), col(Comment.id).asc())),
    "agreed": Sort(_l("Most agreed"),
                   (col(Comment.agree_count).desc(), col(Comment.created_at).desc(), col(Comment.id).desc())),
    "discussed": Sort(_l("Most discussed"),
                      (col(Comment.reply_count).desc(), col(Comment.created_at).desc(), col(Comment.id).desc())),
}
DOUBLE_SUBMIT_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Target:
    """A chapter, or one paragraph of it, that comments attach to."""

    project_id: int
    chapter: Chapter
    paragraph: Optional[Paragraph] = None

    def where(self):
        paragraph_id = self.paragraph.id if self.paragraph else None
        return and_(Comment.chapter_id == self.chapter.id,
                    Comment.paragraph_id == paragraph_id if paragraph_id else Comment.paragraph_id.is_(None))


@dataclass
class Discussion:
    """One page of a target's comments, with their replies and the reader's own ratings."""

    comments: list[Comment]
    replies: dict[int, list[Comment]]
    total: int
    page: int
    sort: str
    category: Optional[str]
    my_ratings: dict[int, int] = field(default_factory=dict)
    #: With a category chosen: how many comments readers find in it (as CommentCounts counts: replies included).
    category_count: Optional[int] = None

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / PAGE_SIZE))


def _top_level(target: Target, category: Optional[str]):
    """The condition for the target's comments (not replies), of one category if given."""
    condition = and_(target.where(), Comment.parent_id.is_(None))
    return and_(condition, Comment.category == category) if category else condition


def page_count(target: Target, category: Optional[str] = None) -> int:
    """How many pages of comments the target's discussion has (at least one): one count query."""
    total = db.session().exec(select(func.count()).select_from(Comment).where(_top_level(target, category))).one()
    return max(1, math.ceil(total / PAGE_SIZE))


def _newest(on_paragraph: bool):
    """:func:`newest`'s statement for a chapter's own discussion or a paragraph's, built once (``db.read``)."""
    return (select(Comment.id).where(
        Comment.chapter_id == bindparam("chapter"), Comment.parent_id.is_(None),
        Comment.paragraph_id == bindparam("paragraph") if on_paragraph else Comment.paragraph_id.is_(None))
        .order_by(*SORTS["newest"].order).limit(bindparam("count")))


_NEWEST = {on_paragraph: _newest(on_paragraph) for on_paragraph in (False, True)}


def _came_after(on_paragraph: bool) -> tuple:
    """What the insert of a comment (not a reply) answers beside its id, built once: the id of the newest other comment
    of its discussion, and whether none sorts before the new one in the newest-first order."""
    table = Comment.__table__
    other = table.alias("other")

    def new(name: str):  # the inserted row's column (SQLAlchemy correlates no subquery of a RETURNING with it)
        return literal_column(f"{table.name}.{name}", type_=table.c[name].type)

    same = and_(other.c.chapter_id == new("chapter_id"), other.c.parent_id.is_(None), other.c.id != new("id"),
                other.c.paragraph_id == new("paragraph_id") if on_paragraph else other.c.paragraph_id.is_(None))
    previous = select(other.c.id).where(same).order_by(other.c.created_at.desc(), other.c.id.desc()).limit(1)
    newer = or_(other.c.created_at > new("created_at"),
                and_(other.c.created_at == new("created_at"), other.c.id > new("id")))
    return previous.scalar_subquery(), ~exists().where(same, newer)


_CAME_AFTER = {on_paragraph: _came_after(on_paragraph) for on_paragraph in (False, True)}
#: Where :func:`create` notes, per new comment, what its insert answered (``flask.g``, this request).
_CAME_AFTER_SEEN = "comments_came_after"


def came_after(comment: Comment, target: Target) -> Optional[int]:
    """The comment that was the newest of the discussion before ``comment`` (not a reply) came, where ``comment`` is
    the newest now, else ``None``: as its insert saw it (:func:`create`), else as the discussion is now."""
    known = g.get(_CAME_AFTER_SEEN, {})
    if comment.id in known:
        return known[comment.id]
    ids = newest(target, 2)
    return ids[1] if len(ids) == 2 and ids[0] == comment.id else None


def newest(target: Target, count: int) -> list[int]:
    """The ids of the target's first ``count`` comments (not replies), newest first: along the thread index."""
    paragraph = target.paragraph.id if target.paragraph else None
    return list(db.read(_NEWEST[paragraph is not None],
                        {"chapter": target.chapter.id, "paragraph": paragraph, "count": count}).scalars())


def discussion(target: Target, user_id: Optional[int], sort: str = "newest", category: Optional[str] = None,
               page: int = 1) -> Discussion:
    """A page of top-level comments with all their replies: four queries, whatever the numbers (five with a category)."""
    session = db.session()
    sort = sort if sort in SORTS else "newest"
    condition = _top_level(target, category)
    total = session.exec(select(func.count()).select_from(Comment).where(condition)).one()
    page = min(max(1, page), max(1, math.ceil(total / PAGE_SIZE)))
    comments = list(session.exec(
        select(Comment).where(condition).order_by(*SORTS[sort].order)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE).options(joinedload(Comment.author).load_only(User.id, User.username))
    ).all())
    replies: dict[int, list[Comment]] = {c.id: [] for c in comments}
    if comments:
        for reply in session.exec(
            select(Comment).where(col(Comment.parent_id).in_(list(replies)))
            .order_by(Comment.created_at, Comment.id).options(joinedload(Comment.author).load_only(User.id, User.username))
        ).all():
            replies[reply.parent_id].append(reply)
    shown = [c.id for c in comments] + [r.id for rs in replies.values() for r in rs]
    my_ratings = {}
    if user_id and shown:
        my_ratings = dict(session.exec(
            select(Rating.comment_id, Rating.value).where(Rating.user_id == user_id, col(Rating.comment_id).in_(shown))
        ).all())
    category_count = None
    if category:
        readable = and_(Comment.deleted_at.is_(None), Comment.blocked_at.is_(None), Comment.hidden_at.is_(None))
        in_category = select(Comment.id).where(target.where(), Comment.parent_id.is_(None), Comment.category == category)
        category_count = session.exec(select(func.count()).select_from(Comment).where(
            target.where(), readable,
            (Comment.id.in_(in_category.scalar_subquery())) | (Comment.parent_id.in_(in_category.scalar_subquery())))).one()
    return Discussion(comments, replies, total, page, sort, category, my_ratings, category_count)


@dataclass(frozen=True)
class CommentCounts:
    """How many comments a reader finds, for every number the pages show.

    One definition: a comment is a comment or reply that is not deleted, nor removed or hidden
    by the moderators (whose placeholders are not comments anyone can read). A deleted comment
    with replies stays in its thread as a placeholder ("deleted by its author"), but it is no
    longer a comment anyone can read, so it is not counted; its replies are.

    - ``by_chapter``: a chapter's comments, on the whole chapter and on its paragraphs
      (the table of contents, "N comments in this chapter");
    - ``on_chapter``: those on the whole chapter only (the chapter page's discussion heading);
    - ``by_paragraph``: those on one paragraph (its link on the chapter page, its own heading).
    """

    by_chapter: dict[int, int]
    on_chapter: dict[int, int]
    by_paragraph: dict[int, int]

    def of(self, target: Target) -> int:
        """The comments of one discussion: a paragraph's, or the whole chapter's."""
        if target.paragraph is not None:
            return self.by_paragraph.get(target.paragraph.id, 0)
        return self.on_chapter.get(target.chapter.id, 0)


#: Every page with a discussion asks it: built once with parameters (``db.read``).
_COUNTS = (select(Comment.chapter_id, Comment.paragraph_id, func.count())
           .where(col(Comment.chapter_id).in_(bindparam("chapters", expanding=True)), Comment.deleted_at.is_(None),
                  Comment.blocked_at.is_(None), Comment.hidden_at.is_(None))
           .group_by(Comment.chapter_id, Comment.paragraph_id))


def comment_counts(chapter_ids: list[int]) -> CommentCounts:
    """The counts of these chapters and all their paragraphs: one grouped query, whatever their number."""
    by_chapter: dict[int, int] = {}
    on_chapter: dict[int, int] = {}
    by_paragraph: dict[int, int] = {}
    if chapter_ids:
        rows = db.read(_COUNTS, {"chapters": list(chapter_ids)}).all()
        for chapter_id, paragraph_id, count in rows:
            by_chapter[chapter_id] = by_chapter.get(chapter_id, 0) + count
            if paragraph_id is None:
                on_chapter[chapter_id] = count
            else:
                by_paragraph[paragraph_id] = count
    return CommentCounts(by_chapter, on_chapter, by_paragraph)


def get(comment_id: int, project_id: int) -> Comment:
    """The comment ``comment_id`` of the project; :class:`webapp.db.NotFound` (a 404 page) otherwise."""
    comment = db.session().get(Comment, comment_id)
    if comment is None or comment.project_id != project_id:
        raise db.NotFound(f"comment {comment_id} of project {project_id}")
    return comment


def parent_of(comment: Comment) -> Optional[Comment]:
    """The comment a reply answers (``None`` for a comment)."""
    return db.session().get(Comment, comment.parent_id) if comment.parent_id else None


def _timeline(project_id: int) -> Timeline:
    """The project's phases as they are now (no query when the caller has read the project already)."""
    return timeline(db.session().get(Project, project_id).phases)


@permissions.command
def create(actor: User, target: Target, body: str, category: Optional[str] = None,
           parent: Optional[Comment] = None, submission_key: Optional[str] = None, *,
           mode: LanguageMode) -> Comment:
    """``actor`` publishes a comment (or a reply to ``parent``), stored once however often the same form is sent.

    Refused (:class:`~webapp.permissions.Refused`) unless :func:`.rules.may_comment` (or :func:`.rules.may_reply`)
    allows it now.

    ``mode`` is the mode of the page it was written on: the comment keeps its ``lang``, so
    pages in other modes can mark it (a German comment on an English page is read as German).

    A second submit of the same form (same ``submission_key``), or the same text by the
    same author on the same target within a minute, returns the comment stored first.

    In the caller's transaction (``with db.transaction():``): the comment and its parent's reply
    count are stored together, or neither. The unique form key decides a double submit at the same
    moment: the losing request's insert does nothing (``ON CONFLICT DO NOTHING``), it gets the first
    comment back, and the rest of its transaction stands.
    """
    line = _timeline(target.project_id)
    permissions.require(rules.may_reply(actor, parent, line) if parent is not None
                        else rules.may_comment(actor, line, target.project_id))
    author_id = actor.id
    session = db.session()
    db.write_lock()  # what the insert looks for is all there, and stays so until the commit
    comment = Comment(project_id=target.project_id, chapter_id=target.chapter.id,
                      paragraph_id=target.paragraph.id if target.paragraph else None,
                      parent_id=parent.id if parent else None, author_id=author_id, body=body,
                      category=category or None, submission_key=submission_key or None,
                      language=mode.html_lang)
    # Stored with every value set here (the model's defaults included), unless it is stored already: this form
    # (its key), else the same text here within the window. The unique form key decides a double submit at the
    # same moment as well: the insert then does nothing either.
    kind = (bool(submission_key), parent is not None, target.paragraph is not None)
    since = {"since": utcnow() - DOUBLE_SUBMIT_WINDOW}
    stored = db.insert_unless_there(
        Comment, unless=_stored_already(*kind), extra=since, returning=() if parent else _CAME_AFTER[kind[2]],
        **{column.name: getattr(comment, column.name) for column in Comment.__table__.columns if column.name != "id"})
    if stored is None:  # the one stored first is the answer, this form's first
        values = {"author_id": author_id, "submission_key": submission_key, "chapter_id": target.chapter.id,
                  "paragraph_id": comment.paragraph_id, "body": body, "parent_id": comment.parent_id, **since}
        return session.execute(_first_stored(*kind), values).scalars().one()
    if parent is None:  # what the insert saw came before it, while no one else could write (the write lock)
        key, previous, first = stored
        g.setdefault(_CAME_AFTER_SEEN, {})[key] = previous if first else None
    else:
        key = stored
    db.add_inserted(comment, key)  # the session has it as stored, and keeps it after the commit
    if parent is not None:
        session.execute(update(Comment).where(Comment.id == parent.id).values(reply_count=Comment.reply_count + 1))
    return comment


@functools.cache
def _stored_already(by_key: bool, reply: bool, on_paragraph: bool):
    """:func:`create`'s condition for the comment stored already, built once for each kind, with parameters named as
    the comment's columns (and ``since``): the same form (``by_key``), or the same text by the same author on the
    same target within the window."""
    c = Comment.__table__.c
    matches = and_(c.chapter_id == bindparam("chapter_id"),
                   c.paragraph_id == bindparam("paragraph_id") if on_paragraph else c.paragraph_id.is_(None),
                   c.body == bindparam("body"),
                   c.parent_id == bindparam("parent_id") if reply else c.parent_id.is_(None),
                   c.created_at > bindparam("since"))
    if by_key:
        matches = or_(c.submission_key == bindparam("submission_key"), matches)
    return and_(c.author_id == bindparam("author_id"), matches)


@functools.cache
def _first_stored(by_key: bool, reply: bool, on_paragraph: bool):
    """The comment :func:`_stored_already` finds, this form's first."""
    form_first = (case((Comment.submission_key == bindparam("submission_key"), 0), else_=1),) if by_key else ()
    return select(Comment).where(_stored_already(by_key, reply, on_paragraph)).order_by(*form_first, Comment.id).limit(1)


@permissions.command
def edit(actor: User, comment: Comment, body: str, category: Optional[str]) -> None:
    """The author's new text and category (in the caller's transaction); unchanged ones leave no "edited" mark.

    Refused unless :func:`.rules.may_edit` allows it now.
    """
    permissions.require(rules.may_edit(actor, comment, _timeline(comment.project_id)))
    if body != comment.body or (category or None) != comment.category:
        comment.body, comment.category, comment.edited_at = body, category or None, utcnow()
        db.session().add(comment)


@permissions.command
def delete(actor: User, comment: Comment) -> None:
    """The author's delete (in the caller's transaction): the text goes, a placeholder keeps the thread together.

    Refused unless :func:`.rules.may_delete` allows it (the comment as the caller read it: of a request that
    read it undeleted and lost the race to another, nothing is refused, and nothing counted twice).

    Only the request whose UPDATE actually marks the row deleted takes one off the parent's
    reply count: ten concurrent deletes of one reply (two tabs, a double click, a retry) count once.
    """
    permissions.require(rules.may_delete(actor, comment, _timeline(comment.project_id)))
    session = db.session()
    marked = session.execute(
        update(Comment).where(Comment.id == comment.id, Comment.deleted_at.is_(None))
        .values(deleted_at=utcnow(), body="", category=None).execution_options(synchronize_session=False)
    ).rowcount
    if marked == 1 and comment.parent_id is not None:
        session.execute(update(Comment).where(Comment.id == comment.parent_id, Comment.reply_count > 0)
                        .values(reply_count=Comment.reply_count - 1).execution_options(synchronize_session=False))
    if comment in session:
        session.expire(comment)  # read again, deleted, when next used


class _LostRace(Exception):
    """The same reader's other click changed the rating between our look and our change."""


@permissions.command
def rate(actor: User, comment: Comment, value: int, _tries: int = 3) -> Optional[int]:
    """``actor`` agrees (+1) or disagrees (-1); the same choice again takes the rating back (in the caller's
    transaction). Refused unless :func:`.rules.may_rate` allows it now.

    Returns the reader's rating afterwards (``None`` when taken back). Each counter moves only
    with a rating row that actually changed (inserted, deleted or switched by this request), by
    ``count = count ± 1`` in the database, so concurrent clicks of many readers stay exact.
    (Recounting from the ratings did not: on PostgreSQL each transaction counted without the
    others' uncommitted ratings, and the last to commit wrote its smaller count.)

    When the same reader's other click changes the rating between our look and our change, the
    step runs again (up to ``_tries`` times): each attempt makes one change or none (its one
    statement finds the row it expected, or the insert finds one there already), so a lost
    attempt has nothing to undo and no savepoint is needed.
    """
    permissions.require(rules.may_rate(actor, comment, _timeline(comment.project_id)))
    user_id = actor.id
    session = db.session()
    mine = and_(Rating.comment_id == comment.id, Rating.user_id == user_id)
    for _attempt in range(max(1, _tries)):
        try:
            result, moves = _change_rating(mine, comment.id, user_id, value)
        except _LostRace:  # a concurrent click of the same reader: look again
            continue
        counts = session.execute(update(Comment).where(Comment.id == comment.id).values(
            agree_count=Comment.agree_count + moves.get(1, 0),
            disagree_count=Comment.disagree_count + moves.get(-1, 0),
        ).returning(Comment.agree_count, Comment.disagree_count).execution_options(
            synchronize_session=False, **{contentversion.RESULT_KEPT: True})).one()
        # The counts as the database has them now, without reading the comment again (nor after the commit).
        set_committed_value(comment, "agree_count", counts.agree_count)
        set_committed_value(comment, "disagree_count", counts.disagree_count)
        return result
    session.refresh(comment)  # the other clicks won: their rating stands
    return session.exec(select(Rating.value).where(mine)).first()


def _change_rating(mine, comment_id: int, user_id: int, value: int) -> tuple[Optional[int], dict[int, int]]:
    """One attempt of :func:`rate`: the reader's rating afterwards and how each counter moves.

    Raises:
        _LostRace: when a concurrent click changed the rating meanwhile (nothing was changed then).
    """
    session = db.session()
    existing = session.exec(select(Rating.value).where(mine)).first()
    if existing is None:
        if db.insert_unless_there(Rating, comment_id=comment_id, user_id=user_id, value=value,
                                  created_at=utcnow()) is None:
            raise _LostRace
        return value, {value: 1}
    if existing == value:
        changed = session.execute(delete_rows(Rating).where(mine, Rating.value == value)).rowcount
        result, moves = None, {value: -1}
    else:
        changed = session.execute(update(Rating).where(mine, Rating.value == existing).values(value=value)
                                  .execution_options(synchronize_session=False)).rowcount
        result, moves = value, {existing: -1, value: 1}
    if changed != 1:
        raise _LostRace
    return result, moves


def recount_ratings(comment_ids: list[int]) -> None:
    """Set the comments' agree/disagree counters from their ratings (in the caller's transaction)."""
    if not comment_ids:
        return
    counts = select(func.count()).select_from(Rating).where(Rating.comment_id == Comment.id)
    db.session().execute(update(Comment).where(col(Comment.id).in_(comment_ids)).values(
        agree_count=counts.where(Rating.value == 1).scalar_subquery(),
        disagree_count=counts.where(Rating.value == -1).scalar_subquery(),
    ))


def rated_by_accounts(user_ids: list[int]) -> list[int]:
    """The comments any of ``user_ids`` has rated (once each), in one query."""
    return sorted(set(db.session().exec(select(Rating.comment_id).where(col(Rating.user_id).in_(user_ids))).all()))


def page_of(comment: Comment) -> int:
    """The page (default order) on which a comment, or the comment a reply belongs to, is shown."""
    session = db.session()
    top = session.get(Comment, comment.parent_id) if comment.parent_id else comment
    newer = session.exec(
        select(func.count()).select_from(Comment).where(
            Comment.chapter_id == top.chapter_id,
            Comment.paragraph_id == top.paragraph_id if top.paragraph_id else Comment.paragraph_id.is_(None),
            Comment.parent_id.is_(None),
            (Comment.created_at > top.created_at) | ((Comment.created_at == top.created_at) & (Comment.id > top.id)),
        )
    ).one()
    return newer // PAGE_SIZE + 1


def context_of(project, comment: Comment):
    """Where ``comment`` stands: its chapter in context, and its paragraph (with number) or None."""
    chapter = next(c for c in project.document.chapters if c.id == comment.chapter_id)
    current = find_chapter(project, chapter.slug)
    paragraph = find_paragraph(current, comment.paragraph_id) if comment.paragraph_id else None
    return current, paragraph


def comment_url(project, comment: Comment) -> str:
    """Where ``comment`` is shown: its chapter or paragraph page (by the paragraph's number), the right page of it,
    its anchor."""
    chapter = next(c for c in project.document.chapters if c.id == comment.chapter_id)
    args = {"slug": project.slug, "chapter": chapter.slug}
    page = page_of(comment)
    if page > 1:
        args["page"] = page
    if comment.paragraph_id:
        number = next(n for n, p in enumerate(chapter.paragraphs, start=1) if p.id == comment.paragraph_id)
        return url_for("documents.paragraph", number=number, **args) + f"#comment-{comment.id}"
    return url_for("documents.chapter", **args) + f"#comment-{comment.id}"
