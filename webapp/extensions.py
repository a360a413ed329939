"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

import threading
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage (``mitreden-memory://``, the default without Redis), swept by one thread.

    limits' own (5.8) forgets expired counts in a ``threading.Timer`` of 10 ms that it starts again on the first
    count after the last one ran: a request after a quiet moment waited about 2 ms for a new thread to start,
    and under load a thread went through every key a hundred times a second. Here one daemon thread goes through
    them once every :data:`SWEEP_SECONDS`; a count that has run out is forgotten when it is read in any case
    (``get``), so limits hold as before. ``tests/test_ratelimit_storage.py`` checks both.
    """

    STORAGE_SCHEME = ["mitreden-memory"]
    SWEEP_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # limits' private hook, called on every count
        sweeper = getattr(self, "_sweeper", None)
        if sweeper is not None and sweeper.is_alive():
            return
        with _SWEEPER_START:
            if getattr(self, "_sweeper", None) is None or not self._sweeper.is_alive():  # a fork leaves it behind
                self._sweeper = threading.Thread(target=self._sweep, name="rate-limit-sweeper", daemon=True)
                self._sweeper.start()

    def _sweep(self) -> None:
        while True:
            time.sleep(self.SWEEP_SECONDS)
            self._MemoryStorage__expire_events()


_SWEEPER_START = threading.Lock()

csrf = CSRFProtect()
login_manager = LoginManager()
#: Rate limits; storage is Redis when ``REDIS_URL`` is set (shared by all app instances), else memory.
#: When Redis cannot be reached, limits fail open: they count in this process's memory, with a logged
#: warning ("Rate limit storage unreachable"), and go back to Redis once it answers again; any other
#: storage error is logged and the request goes on. Never a 500 because of a rate limit.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, in_memory_fallback_enabled=True,
                  swallow_errors=True)
