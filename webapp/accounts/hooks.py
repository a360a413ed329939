"""What the floors above tell accounts about names, addresses and accounts that go (DESIGN.md: a lower floor
offers a hook, a higher one fills it).

accounts stands on the kernel floor and imports none of the rooms that know these things; the app factory
(``webapp/__init__.py``) connects them once:

- ``staff_names()``: the names of everyone with a staff role, whose look-alikes others may not take (roles);
- ``name_held(key)``: whether a block that outlived its account still reserves this name (conduct);
- ``address_refused(email_key)``: the site-wide block that keeps this address from registering, if any;
- ``address_claimed(user)``: a new account, or a newly confirmed address, takes on the blocks of its address;
- ``blocks(user)``: the blocks that keep a person out now, each with its project (the account page);
- ``rated_by(user_ids)`` and ``recount(comment_ids)``: the comments that accounts about to go have rated, and
  their counters set again afterwards (participation);
- ``loaded_with()``: what is read with the logged-in person in the same query, as loader options built once and
  their parameters (conduct: whether a block holds now, so a person without one costs no query of blocks).

Asked before they are connected, they refuse (a ``RuntimeError``) rather than answer "nothing held": a blocked
name must never come free because the app was made another way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Hooks:
    staff_names: Callable[[], list[str]]
    name_held: Callable[[str], bool]
    address_refused: Callable[[str], Optional[Any]]
    address_claimed: Callable[[Any], Any]
    blocks: Callable[[Any], list]
    rated_by: Callable[[list[int]], list[int]]
    recount: Callable[[list[int]], None]
    loaded_with: Callable[[], tuple[tuple, dict]]


_connected: Optional[Hooks] = None


def connect(hooks: Hooks) -> None:
    """Connect the hooks (the app factory does, for every app it makes; the same functions each time)."""
    global _connected
    _connected = hooks


def hooks() -> Hooks:
    if _connected is None:
        raise RuntimeError("accounts' hooks are not connected: make the app with webapp.create_app()")
    return _connected
