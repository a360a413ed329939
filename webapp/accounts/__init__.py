"""Accounts: registration, confirmation, login, password and email changes, deletion, export."""

from flask import Blueprint, Flask
from sqlalchemy import bindparam
from sqlmodel import select

from .. import db
from ..extensions import login_manager
from ..i18n import lazy_gettext as _l
from . import hooks
from .models import User

bp = Blueprint("accounts", __name__, url_prefix="/<mode:mode>/account")

#: The logged-in person's statement, by what is loaded with it (``hooks.loaded_with``).
_LOADS: dict = {}


def blueprint() -> Blueprint:
    """The blueprint with its routes (imported here, not above, to keep model imports cycle-free)."""
    from . import views  # noqa: F401  (routes register on import)

    return bp


def init_app(app: Flask) -> None:
    """Tell Flask-Login how to find the user of a session and where to send the logged out."""
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(value: str):
        user_id, _, token = value.partition(":")
        if not user_id.isdigit():
            return None
        options, parameters = hooks.hooks().loaded_with()
        statement = _LOADS.get(options)
        if statement is None:  # built once, with parameters (every request of someone logged in asks it)
            statement = _LOADS[options] = select(User).where(User.id == bindparam("user")).options(*options)
        user = db.session().execute(statement, {"user": int(user_id), **parameters}).scalars().first()
        # A rotated token (logout, password change) ends sessions that still carry the old one.
        return user if user is not None and token == user.session_token else None
