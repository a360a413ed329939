"""Each item of the moderation queue rendered once and kept until what it shows changes (issue 16).

A queue page shows 20 comments, each with its states, where it stands, the comment it answers,
its reports and notes: about 0.7 ms of template each. The ``queue_item`` macro of
``moderation/queue.html`` stays the one definition of an item; :func:`queue_items` has it called only
for an item not kept yet, in :mod:`webapp.fragmentcache` (in each process, and in Redis
with ``REDIS_URL``). As for comments (:mod:`webapp.comments.fragments`), the key names
everything the item shows, so nothing is invalidated and no command has to remember anything:

- the comment's row, every column, and its author's name; the same of the comment it answers;
- the title of its chapter and the text of its paragraph, in the page's language mode;
- its report reasons with their counts, and its number of notes;
- the page's language mode, locale and time zone, the project, the queue's address (each item
  links back to it), whether the box is ticked and whether the choice of comments was refused.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from flask_babel import get_locale, get_timezone

from .. import fragmentcache
from ..comments.models import Comment

#: Every column of a comment: the item shows its text, dates, counts and states.
_row = attrgetter(*Comment.__table__.columns.keys())


def _person(c: Comment):
    return c.author.username if c.author is not None else None


def queue_items(listing: Any, mode_key: str, slug: str, back: str, refused: bool, ticked: set,
                all_ticked: bool) -> fragmentcache.Pieces:
    """The items of one queue page, by comment id: kept, or made by the template's ``queue_item`` and kept."""
    page = ("queue-item", mode_key, str(get_locale()), str(get_timezone()), slug, back, refused)

    def item(c: Comment) -> tuple:
        parent = listing.parents.get(c.parent_id) if c.parent_id else None
        chapter = listing.chapters.get(c.chapter_id)
        paragraph = listing.paragraphs.get(c.paragraph_id) if c.paragraph_id else None
        text = paragraph.localized(mode_key).text if paragraph is not None else None
        return (*page, _row(c), _person(c), (_row(parent), _person(parent)) if parent is not None else None,
                chapter.localized(mode_key).text.title if chapter is not None else None,
                (text.heading, text.body) if text is not None else None,
                tuple(listing.reasons.get(c.id, ())), listing.notes.get(c.id), all_ticked or c.id in ticked)

    return fragmentcache.Pieces({c.id: item(c) for c in listing.comments})
