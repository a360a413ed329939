"""Messages after an action: at the comment it concerns, or as the outcome of a staff action.

Without JavaScript an action redirects to the comment's anchor; a message at the top of
the page would sit out of view and go unread. It is flashed with the comment's id, and the
discussion shows it inside the comment the page opens at. A message whose comment is not on
the page falls back to the usual place at the top of ``main``.
"""

from __future__ import annotations

from flask import flash, g, get_flashed_messages

PREFIX = "comment-"
#: The category of a staff action's outcome: the page it leads back to opens at the message (``#outcome``),
#: focuses it and names it in the title, so a keyboard or screen-reader user learns at once what happened.
OUTCOME = "outcome"


def flash_outcome(message: str) -> None:
    """Flash what a staff action did (or why it did nothing), for the top of the page it redirects to;
    redirect to that page with ``_anchor="outcome"``."""
    flash(message, OUTCOME)


def outcome() -> str | None:
    """The outcome of the action that led here, if any (for the page's title)."""
    for category, message in get_flashed_messages(with_categories=True):
        if category == OUTCOME:
            return message
    return None


def flash_at(comment_id: int, message: str) -> None:
    """Flash ``message`` to be shown at comment ``comment_id``."""
    flash(message, f"{PREFIX}{comment_id}")


def place(shown_ids: set[int]) -> dict[int, list[str]]:
    """The messages for comments on this page, by comment id; they are then left out at the top."""
    placed: dict[int, list[str]] = {}
    for category, message in get_flashed_messages(with_categories=True):
        if category.startswith(PREFIX) and category[len(PREFIX):].isdigit():
            comment_id = int(category[len(PREFIX):])
            if comment_id in shown_ids:
                placed.setdefault(comment_id, []).append(message)
    g.placed_messages = {f"{PREFIX}{i}" for i in placed}
    return placed


def at_top() -> list[str]:
    """The messages for the top of ``main``: all but those shown at their comment."""
    placed = g.get("placed_messages", set())
    return [message for category, message in get_flashed_messages(with_categories=True) if category not in placed]
