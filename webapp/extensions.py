"""Flask extensions, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
login_manager = LoginManager()
#: Rate limits; storage is Redis when ``REDIS_URL`` is set (shared by all app instances), else memory.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
