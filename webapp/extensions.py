"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
#: Rate limits; storage is Redis when ``REDIS_URL`` is set (shared by all app instances), else memory.
#: When Redis cannot be reached, limits fail open: they count in this process's memory, with a logged
#: warning ("Rate limit storage unreachable"), and go back to Redis once it answers again; any other
#: storage error is logged and the request goes on. Never a 500 because of a rate limit.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True, in_memory_fallback_enabled=True,
                  swallow_errors=True)
