"""A moderator's choice of mail about reports, on the account page."""

from __future__ import annotations

from flask import redirect, url_for
from flask_login import current_user, login_required

from .. import db, permissions
from ..comments.messages import flash_outcome
from ..errors import keeps_input
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from . import bp, services
from .forms import ReportMailForm

MESSAGES = {
    "each": lambda: _("You will get a mail for each reported comment; more reports of it within 10 minutes come in one mail."),
    "digest": lambda: _("You will get one mail a day when there are new reports."),
    "none": lambda: _("You will get no mail about reports."),
}


@bp.post("/account/report-mail", endpoint="report_mail")
@login_required
@keeps_input
def report_mail(mode: LanguageMode):
    """Save the choice; back to the account page with a message."""
    permissions.authorize(permissions.may_get_report_mail(current_user))
    form = ReportMailForm()
    if not form.validate_on_submit():
        return render("moderation/report_mail.html", status=422, form=form, has_errors=True)
    with db.transaction():
        services.choose_report_mail(current_user._get_current_object(), form.report_mail.data)
    flash_outcome(MESSAGES[form.report_mail.data]())
    return redirect(url_for("accounts.overview", _anchor="outcome"), 303)


@bp.app_template_global("report_mail_form")
def report_mail_form():
    """The form for the account page, filled with the person's choice, or ``None`` for those who moderate nothing."""
    if not permissions.may_get_report_mail(current_user):
        return None
    return ReportMailForm(formdata=None, data={"report_mail": current_user.report_mail})
