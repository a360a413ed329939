"""Account views: each parses a form, calls a service, and renders or redirects (303)."""

from __future__ import annotations

from flask import Response, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import db, ratelimits
from ..errors import keeps_input
from ..extensions import limiter
from ..forms import safe_next
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..ratelimits import form_again
from . import bp, drafts, services
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    MailLanguageForm,
    RegisterForm,
    ResetPasswordForm,
)
from .models import normalise_key


def current_password_ok(form, user) -> bool:
    """Sensitive changes need the current password; a wrong one is marked on its field."""
    if services.verify_password(user.password_hash, form.current_password.data):
        return True
    form.current_password.errors.append(_("The current password is not correct."))
    return False


def form_page(template: str, form, message: str | None = None, **context) -> Response:
    """The page of ``form``; 422 when it has errors, so htmx and tests can tell."""
    status = 422 if form.errors else 200
    return render(template, form=form, message=message, status=status, **context)


def _failed(response: Response) -> bool:
    return response.status_code == 422


#: Failed logins one account may have per hour from all addresses together (a brute force spread
#: over many addresses). Beyond it only a correct password from an address that has not itself
#: failed for this account within the hour logs in; everything else waits. So an attacker cannot
#: lock the owner out, and each of their addresses gets one guess an hour.
LOGIN_ACCOUNT_BRAKE = "50 per hour"
#: Marks an address that failed for an account (one failure uses it up).
LOGIN_ADDRESS_FAILED = "1 per hour"


def _login_account() -> str:
    return normalise_key(request.form.get("email", ""))[:254]


def _login_account_key() -> str:
    """The strict login limit counts per account *and* client address: failures elsewhere lock no one out."""
    return f"login:{_login_account()}:{request.remote_addr}"


def _login_breach(message: str) -> Response:
    return form_page("accounts/login.html", LoginForm(), message=message)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"],
               on_breach=form_again(lambda message: form_page("accounts/register.html", RegisterForm(), message)))
@keeps_input
def register(mode: LanguageMode):
    """Create an account; the confirmation link goes out by mail. Nothing here tells whether
    the address had an account already."""
    if current_user.is_authenticated:
        return redirect(url_for(".overview"), 303)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with db.transaction():  # the account and its confirmation mail, or neither
                services.register(form.username.data, form.email.data, form.password.data, mode.key)
        except services.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            # The same answer whether the address was new or had an account (whose owner got a note):
            # no one is logged in here, and the login page says what to do next.
            flash(_("Thank you! We have sent an email to %(email)s. Please open the link in it to confirm "
                    "your address. Then you can log in.", email=form.email.data), "success")
            return redirect(url_for(".login", next=safe_next(request.args.get("next"))), 303)
    return form_page("accounts/register.html", form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 15 minutes", methods=["POST"], deduct_when=_failed, on_breach=form_again(_login_breach))
@limiter.limit("5 per 15 minutes", methods=["POST"], key_func=_login_account_key, deduct_when=_failed,
               on_breach=form_again(_login_breach))
@keeps_input
def login(mode: LanguageMode):
    """Log in and return to where the reader was (same site only)."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        brake, address = f"login-account:{_login_account()}", f"login-failed:{_login_account()}:{request.remote_addr}"
        braked = not ratelimits.within(LOGIN_ACCOUNT_BRAKE, brake)
        with db.transaction():  # an outdated password hash is replaced on the way
            user = services.authenticate(form.email.data, form.password.data)
        if user is not None and braked and not ratelimits.within(LOGIN_ADDRESS_FAILED, address):
            user = None  # under the brake, an address that has failed for this account waits
        if user is None:
            ratelimits.count(LOGIN_ACCOUNT_BRAKE, brake)
            ratelimits.count(LOGIN_ADDRESS_FAILED, address)
            if braked:
                return ratelimits.refuse(_login_breach, ratelimits.reset_at(LOGIN_ACCOUNT_BRAKE, brake))
        if user is not None:
            target = safe_next(form.next.data)
            session.clear()  # a fresh session for the logged-in reader
            g.pop("csrf_token", None)  # and a form token of its own, should this request render a form
            login_user(user)
            # Text written while the session ran out: its page, the text back in the form.
            page = drafts.give_back(target, form.draft.data, form.draft_category.data or None)
            if page is not None:
                return page
            flash(_("You are logged in."), "success")
            return redirect(target or url_for("projects.index"), 303)
        form.email.errors.append(_("The email address or the password is not correct."))
    return form_page("accounts/login.html", form)


@bp.post("/logout")
@login_required
def logout(mode: LanguageMode):
    """Log out: the account's session token changes, so no copy of the cookie stays valid."""
    with db.transaction():
        services.end_all_sessions(current_user._get_current_object())
    logout_user()
    session.clear()
    flash(_("You are logged out."), "success")
    return redirect(url_for("projects.index"), 303)


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(mode: LanguageMode, token: str):
    """A confirmation link opens a page with a button; only the POST confirms."""
    form = ConfirmForm()
    if form.validate_on_submit():
        with db.transaction():
            user = services.confirm(token)
        if user is None:
            return render("accounts/message.html", status=400, title=_("The link is not valid"),
                          text=_("The confirmation link is invalid or has expired. Log in and ask for a new one."))
        flash(_("Thank you! Your email address is confirmed."), "success")
        return redirect(url_for(".overview") if current_user.is_authenticated else url_for(".login"), 303)
    return render("accounts/confirm.html", form=form)


@bp.post("/confirm/resend")
@login_required
@limiter.limit("3 per hour", key_func=lambda: f"resend:{current_user.id}")
def resend_confirmation(mode: LanguageMode):
    if not current_user.is_confirmed or current_user.pending_email:
        with db.transaction():
            services.send_confirmation(current_user._get_current_object(), current_user.pending_email)
        flash(_("We have sent the email again. Please also look in your spam folder."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for(".overview"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"],
               on_breach=form_again(lambda message: form_page("accounts/forgot.html", ForgotPasswordForm(), message)))
@keeps_input
def forgot_password(mode: LanguageMode):
    """The same answer whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with db.transaction():
            services.request_password_reset(form.email.data)
        return render("accounts/message.html", title=_("Check your email"),
                      text=_("If there is an account for %(email)s, we have sent a link to reset the password. "
                             "The link is valid for one hour.", email=form.email.data))
    return form_page("accounts/forgot.html", form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@keeps_input
def reset_password(mode: LanguageMode, token: str):
    user = services.user_for_reset(token)
    if user is None:
        return render("accounts/message.html", status=400, title=_("The link is not valid"),
                      text=_("The link to reset the password is invalid, expired or used already. You can ask for a new one."),
                      link=(url_for(".forgot_password"), _("Ask for a new link")))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with db.transaction():  # the new password and the proven address, or neither
            services.set_password(user, form.password.data)
            if not user.is_confirmed:
                services.confirm_address_by_reset(user)
        flash(_("Your password is changed. Please log in with it."), "success")
        return redirect(url_for(".login"), 303)
    return form_page("accounts/reset.html", form)


@bp.get("/")
@login_required
def overview(mode: LanguageMode):
    """The account: name, address, settings, and any block that keeps the person from taking part."""
    return render("accounts/overview.html", user=current_user, form=ConfirmForm(),
                  blocks=services.blocks_with_places(current_user._get_current_object()),
                  language_form=MailLanguageForm(formdata=None, data={"language": current_user.language}))


#: What the account page says once the mail language is saved.
MAIL_LANGUAGE_SAVED = {
    "de": lambda: _("Your emails will come in German from now on."),
    "en": lambda: _("Your emails will come in English from now on."),
    "simple": lambda: _("Your emails will come in simple German from now on."),
}


@bp.route("/mail-language", methods=["GET", "POST"])
@login_required
@keeps_input
def mail_language(mode: LanguageMode):
    """Choose the language mode of every mail (it was the mode one registered in): back to the account page."""
    form = MailLanguageForm() if request.method == "POST" else \
        MailLanguageForm(formdata=None, data={"language": current_user.language})
    if form.validate_on_submit():
        with db.transaction():
            services.set_mail_language(current_user._get_current_object(), form.language.data)
        flash(MAIL_LANGUAGE_SAVED[form.language.data](), "success")
        return redirect(url_for(".overview"), 303)
    return form_page("accounts/mail_language.html", form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@keeps_input
def change_password(mode: LanguageMode):
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and current_password_ok(form, user):
        with db.transaction():
            services.set_password(user, form.password.data)
        login_user(user)  # this session goes on with the new token; all others end
        flash(_("Your password is changed. You are logged out everywhere else."), "success")
        return redirect(url_for(".overview"), 303)
    return form_page("accounts/change_password.html", form)


def _change_email_breach(message: str) -> Response:
    return form_page("accounts/change_email.html", ChangeEmailForm(), message)


@bp.route("/email", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"], on_breach=form_again(_change_email_breach))
@limiter.limit("10 per hour;20 per day", methods=["POST"], key_func=lambda: f"email-change:{current_user.id}",
               on_breach=form_again(_change_email_breach))
@keeps_input
def change_email(mode: LanguageMode):
    """Ask to move the account to a new address: the same answer whether or not that address has an account."""
    form = ChangeEmailForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and current_password_ok(form, user):
        try:
            with db.transaction():  # the pending address and its mail, or neither
                services.request_email_change(user, form.email.data)
        except services.AccountError as error:
            form.email.errors.append(error.message)
        else:
            flash(_("We have sent a link to %(email)s. Your new address counts once you open it.", email=form.email.data), "success")
            return redirect(url_for(".overview"), 303)
    return form_page("accounts/change_email.html", form)
