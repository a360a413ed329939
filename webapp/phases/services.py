"""Which phase is active now, and what it allows.

Pages never compare dates themselves: they ask :func:`timeline` and the predicates here,
so that the rules live in one place (issue 3 adds ``may_comment`` on top of ``allows``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from ..clock import utcnow
from .models import Phase

#: What each kind of phase allows readers to do.
CAPABILITIES: dict[str, frozenset[str]] = {
    "information": frozenset(),
    "commenting": frozenset({"comment"}),
    "results": frozenset(),
}


@dataclass(frozen=True)
class Timeline:
    """A project's phases seen at one moment."""

    phases: Sequence[Phase]
    now: datetime

    @property
    def active(self) -> Optional[Phase]:
        """The phase running now, if any."""
        return next((p for p in self.phases if p.starts_at <= self.now < p.ends_at), None)

    @property
    def state(self) -> str:
        """``upcoming`` before the first phase, ``finished`` after the last, else ``running``."""
        if not self.phases or self.now < self.phases[0].starts_at:
            return "upcoming"
        if self.now >= max(p.ends_at for p in self.phases):
            return "finished"
        return "running"

    @property
    def starts_at(self) -> Optional[datetime]:
        return self.phases[0].starts_at if self.phases else None

    @property
    def ends_at(self) -> Optional[datetime]:
        return max(p.ends_at for p in self.phases) if self.phases else None

    def allows(self, action: str) -> bool:
        """Whether the active phase allows ``action`` (e.g. ``"comment"``)."""
        active = self.active
        return active is not None and action in CAPABILITIES.get(active.kind, frozenset())

    def window(self, action: str) -> Optional[Phase]:
        """The phase that allows ``action``: the active one, else the next, else the last past one."""
        allowing = [p for p in self.phases if action in CAPABILITIES.get(p.kind, frozenset())]
        if not allowing:
            return None
        current = [p for p in allowing if p.starts_at <= self.now < p.ends_at]
        upcoming = [p for p in allowing if p.starts_at > self.now]
        return (current or upcoming or allowing[-1:])[0]

    def comment_status(self) -> str:
        """``open``, ``not_yet`` (opens later), ``closed`` (was open), or ``none`` (never opens)."""
        window = self.window("comment")
        if window is None:
            return "none"
        if self.allows("comment"):
            return "open"
        return "not_yet" if window.starts_at > self.now else "closed"


def timeline(phases: Sequence[Phase], now: Optional[datetime] = None) -> Timeline:
    """The timeline of ``phases`` (ordered by start) at ``now`` (aware, default: now)."""
    return Timeline(tuple(sorted(phases, key=lambda p: p.starts_at)), now or utcnow())
