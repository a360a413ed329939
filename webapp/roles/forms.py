"""Forms of the staff's role pages and of the invitation link. Every message comes from our catalogs."""

from __future__ import annotations

from wtforms import PasswordField
from wtforms.validators import InputRequired, Length, ValidationError

from ..accounts.forms import RegisterForm, _email_field
from ..accounts.passwords import MAX_LENGTH, password_problem
from ..forms import BaseForm
from ..i18n import lazy_gettext as _l


class AddPersonForm(BaseForm):
    """Add a moderator or initiator by their email address (an invitation goes out if it has no account)."""

    email = _email_field(_l("Email address"), autocomplete="off")


class ButtonForm(BaseForm):
    """A button only (remove, withdraw, accept): its CSRF token and nothing else."""


class InvitationRegisterForm(RegisterForm):
    """Registration through an invitation link: the address is the invitation's, shown and not editable."""

    email = None  # the invitation's address; the link proves it

    def __init__(self, *args, invited_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email

    def context_for_password(self):
        return (self.username.data or "", self.invited_email)


class CreateAdminForm(BaseForm):
    """What ``flask users create-admin`` checks before it creates an account: the registration's rules."""

    username = RegisterForm.username
    email = _email_field(_l("Email address"))
    password = PasswordField(_l("Password"), validators=[
        InputRequired(_l("Enter a password.")), Length(max=MAX_LENGTH, message=_l("The password is too long."))])

    def validate_password(self, field):
        problem = password_problem(field.data or "", self.username.data or "", self.email.data or "")
        if problem:
            raise ValidationError(problem)
