"""One function a lower room asks and a higher one gives, connected by the app factory (DESIGN.md: a lower floor
offers a hook, a higher one fills it; ``_connect_hooks`` in ``webapp/__init__.py``).

Asked before it is connected, a hook refuses (a ``RuntimeError``) rather than answer as if nothing were
there: a blocked person must never take part, nor a threshold hide nothing, because the app was made another
way. (accounts offers several at once: ``webapp/accounts/hooks.py``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Optional


class Hook:
    """``hook.connect(function)`` (the app factory, for every app it makes: the same function each time);
    ``hook(*args)`` calls it."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.function: Optional[Callable[..., Any]] = None

    def connect(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, *args: Any) -> Any:
        if self.function is None:
            raise RuntimeError(f"{self.what} is not connected: make the app with webapp.create_app()")
        return self.function(*args)
