"""Authors' texts in several language modes, with a fallback to German.

Every model an author writes (project, phase, chapter, paragraph...) keeps its texts
in a companion table with one row per language mode. ``HasTexts.localized`` picks the
row for the reader's mode, or the German one, and says which it picked so that the
page can show a notice and mark the text with the right ``lang``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Optional, TypeVar

from sqlalchemy.orm import object_session

from .i18n import FALLBACK_KEY, MODES

T = TypeVar("T")


@dataclass(frozen=True)
class Localized(Generic[T]):
    """A text row chosen for a mode."""

    text: T
    language: str  #: the mode key the row is written in
    is_fallback: bool  #: True when the reader's mode had no version

    @property
    def html_lang(self) -> str:
        """The ``lang`` of the text, for marking a fallback inside another-language page."""
        return MODES[self.language].html_lang


def pick(texts: Iterable[T], mode_key: str) -> Localized[T] | None:
    """The text in ``mode_key``, else in German, else ``None``."""
    by_language = {text.language: text for text in texts}  # type: ignore[attr-defined]
    if mode_key in by_language:
        return Localized(by_language[mode_key], mode_key, False)
    if FALLBACK_KEY in by_language:
        return Localized(by_language[FALLBACK_KEY], FALLBACK_KEY, True)
    return None


class HasTexts:
    """Mixin for models whose ``texts`` relationship holds one row per language mode.

    (No annotation for ``texts`` here: SQLModel would take it for a column.)
    """

    def localized(self, mode_key: str) -> Localized[Any]:
        """The text for ``mode_key`` (see :func:`pick`); every model has at least German."""
        chosen = pick(self.texts, mode_key)  # type: ignore[attr-defined]
        if chosen is None:
            raise LookupError(f"{type(self).__name__} {getattr(self, 'id', '?')} has no German text")
        return chosen


def write_texts(owner, make, values: dict[str, Optional[dict[str, Any]]]) -> list[str]:
    """Store ``owner``'s text rows (its ``texts``) as authors entered them: for each mode key of ``values`` the
    columns of its row, or ``None`` for no version in that mode (readers then get German; the German row is
    never removed). ``make(language=..., **columns)`` makes a new row. Returns the mode keys whose row changed."""
    rows = {row.language: row for row in owner.texts}
    changed = []
    for key, columns in values.items():
        row = rows.get(key)
        if columns is None:
            if row is not None and key != FALLBACK_KEY:
                session = object_session(row)
                owner.texts.remove(row)
                if session is not None:
                    session.delete(row)
                changed.append(key)
            continue
        if row is None:
            owner.texts.append(make(language=key, **columns))
        elif any(getattr(row, name) != value for name, value in columns.items()):
            for name, value in columns.items():
                setattr(row, name, value)
        else:
            continue
        changed.append(key)
    return changed
