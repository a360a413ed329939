"""The account's pages for its personal data: delete the account, download one's data (on the accounts
blueprint: ``accounts.delete``, ``accounts.download_data``)."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, session, url_for
from flask_login import current_user, login_required, logout_user

from .. import db
from ..accounts import bp
from ..accounts.forms import DeleteAccountForm
from ..accounts.views import current_password_ok, form_page
from ..errors import keeps_input
from ..i18n import LanguageMode
from ..i18n import gettext as _
from .erasure import delete_account
from .export import export


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@keeps_input
def delete(mode: LanguageMode):
    form = DeleteAccountForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and current_password_ok(form, user):
        logout_user()
        with db.transaction():
            delete_account(user, user)  # its owner, who has just given the password
        session.clear()
        flash(_("Your account is deleted. Your comments remain, shown as from a deleted account."), "success")
        return redirect(url_for("projects.index"), 303)
    return form_page("accounts/delete.html", form)


@bp.get("/data.json")
@login_required
def download_data(mode: LanguageMode):
    """Everything we hold about the reader, as a JSON file."""
    body = json.dumps(export(current_user._get_current_object(), mode.key), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="mitreden-my-data.json"',
                             "Cache-Control": "no-store"})
