"""Account forms. Every message comes from our catalogs."""

from __future__ import annotations

import re
import unicodedata

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, EqualTo, InputRequired, Length, Regexp, ValidationError

from ..forms import BaseForm, Honeypot, no_control_characters, normalise_prose, normalise_text
from ..i18n import lazy_gettext as _l
from . import names
from .models import email_key, normalise_key
from .passwords import MAX_LENGTH, password_problem


def _key_fits(length: int, message, key=normalise_key):
    """The comparison key (NFKC and case-folded, or punycode for a domain) may be longer than the input: check it."""

    def check(_form, field):
        if field.data and len(key(field.data)) > length:
            raise ValidationError(message)

    return check


def _ordinary_characters(_form, field):
    """Full-width letters and other compatibility forms ("ｎｅｗ@", "ﬁ") are refused in addresses.

    Mail delivers "ｎｅｗ@example.org" to another mailbox than "new@example.org", yet both
    read alike: refusing them is clearer than an account whose address looks like someone else's.
    """
    if field.data and unicodedata.normalize("NFKC", field.data) != field.data:
        raise ValidationError(_l("Please type the email address in ordinary characters: it contains "
                                 "full-width or other special forms of letters or digits."))


USERNAME_PATTERN = re.compile(r"^[\w][\w .\-]{1,38}[\w.]$", re.UNICODE)


def _strip(value):
    return normalise_text(value) if isinstance(value, str) else value


def _looks_like_itself(_form, field):
    """No invisible characters and one script: a name cannot pass for another one (see names.py)."""
    name = field.data or ""
    if names.invisible_characters(name):
        raise ValidationError(_l("Please remove the invisible characters from your username."))
    if names.mixes_scripts(name):
        raise ValidationError(_l("Please write your username in one alphabet: for example, do not mix Latin "
                                 "and Cyrillic letters."))


def _email_field(label, autocomplete="email"):
    """An email address field; for logging in (``autocomplete="username"``) a text field typed as email.

    Password managers pair the login name with the password by ``autocomplete="username"``; the
    HTML checkers we run disagree on whether it may sit on ``type=email`` (IBM Equal Access refuses
    it), so that field is ``type=text`` with the email keyboard (``inputmode``) and no capitals.
    """
    login = autocomplete == "username"
    render_kw = {"autocomplete": autocomplete, "spellcheck": "false"}
    if login:
        render_kw.update({"inputmode": "email", "autocapitalize": "none"})
    return (StringField if login else EmailField)(
        label,
        filters=[_strip],
        render_kw=render_kw,
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("The email address is too long.")),
            _ordinary_characters,
            Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
            _key_fits(254, _l("The email address is too long."), key=email_key),
        ],
    )


def _new_password():
    return PasswordField(_l("Password"), validators=[InputRequired(_l("Enter a password."))],
                         render_kw={"autocomplete": "new-password"})


def _password_repeat():
    return PasswordField(
        _l("Repeat the password"),
        validators=[InputRequired(_l("Repeat the password.")), EqualTo("password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )


class NewPasswordMixin:
    """Checks a new password for length and commonness. Forms declare ``password`` and
    ``password_repeat`` themselves, where they belong in the order people fill them in."""

    def context_for_password(self) -> tuple[str, ...]:
        return ()

    def validate_password(self, field):
        problem = password_problem(field.data or "", *self.context_for_password())
        if problem:
            raise ValidationError(problem)


class RegisterForm(NewPasswordMixin, BaseForm):
    username = StringField(
        _l("Username"),
        filters=[_strip, names.collapse_spaces],
        validators=[
            InputRequired(_l("Enter a username.")),
            Length(min=3, max=40, message=_l("Use 3 to 40 characters for your username.")),
            _looks_like_itself,
            Regexp(USERNAME_PATTERN, message=_l("Use letters, digits, spaces, dots, hyphens or underscores.")),
            _key_fits(40, _l("Use 3 to 40 characters for your username.")),
            no_control_characters,
        ],
        render_kw={"autocomplete": "nickname", "spellcheck": "false"},
    )
    email = _email_field(_l("Email address"))
    password = _new_password()
    password_repeat = _password_repeat()
    accept_terms = BooleanField(
        _l("I accept the terms of use and have read the privacy notice."),
        validators=[InputRequired(_l("Please accept the terms of use to register."))],
    )
    website = Honeypot(_l("Website"))

    def context_for_password(self):
        return (self.username.data or "", self.email.data or "")


class LoginForm(BaseForm):
    email = _email_field(_l("Email address"), autocomplete="username")
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=MAX_LENGTH, message=_l("The password is too long."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()
    #: A comment or reply written while the session ran out: it comes back into its form after the login
    #: (accounts/drafts.py). Never checked here: it is the person's text, whatever it says.
    draft = HiddenField(filters=[normalise_prose])
    draft_category = HiddenField()


class ForgotPasswordForm(BaseForm):
    email = _email_field(_l("Email address"))


class ResetPasswordForm(NewPasswordMixin, BaseForm):
    password = _new_password()
    password_repeat = _password_repeat()


class ChangePasswordForm(NewPasswordMixin, BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})
    password = _new_password()
    password_repeat = _password_repeat()


class ChangeEmailForm(BaseForm):
    email = _email_field(_l("New email address"))
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})


class DeleteAccountForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[InputRequired(_l("Enter your current password."))],
                                     render_kw={"autocomplete": "current-password"})


_CHOOSE_LANGUAGE = _l("Please choose the language of your emails.")


class MailLanguageForm(BaseForm):
    """The language mode of every mail to the account: standard German, English or simple German."""

    language = RadioField(_l("Language of your emails"), validate_choice=False,
                          validators=[DataRequired(_CHOOSE_LANGUAGE), AnyOf(("de", "en", "simple"), message=_CHOOSE_LANGUAGE)])

    def __init__(self, **kwargs):
        super().__init__(prefix="mail-", **kwargs)
        # Named in the page's language (a name in another language would need its own lang attribute).
        self.language.choices = [("de", _l("German")), ("en", _l("English")), ("simple", _l("Simple German"))]


class ConfirmForm(BaseForm):
    """A button only: state changes by POST, never by opening a link."""
