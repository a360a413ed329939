"""Reporting a comment: a page with a form (GET), sent as a plain POST.

Success stores the report and redirects (303) to the comment with a thank-you message.
Errors show the page again with the reader's text kept: 422 for the form, 403 when the
reader may not report this comment, 409 when they have reported it already, 429 when
they have reported too many comments lately.
"""

from __future__ import annotations

from typing import Optional

from flask import current_app, redirect, request
from flask_login import current_user

from .. import db
from ..comments import services as comments
from ..comments.messages import flash_at
from ..comments.models import Comment
from ..errors import keeps_input
from ..extensions import limiter, login_manager
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..projects.services import get_published
from ..ratelimits import form_again
from . import bp, rules, services
from .forms import ReportForm

# The discussion's "Report" link (comments/_discussion.html) asks this, registered with the blueprint: the
# chapter and paragraph pages that show the discussion need not know the reports' room.
bp.add_app_template_global(rules.offers_report, "offers_report")


def report_limit() -> str:
    """The per-account report limit, read per request (REPORT_RATE_LIMIT, see config.py)."""
    return current_app.config["REPORT_RATE_LIMIT"]


def _reporter_key() -> str:
    return f"report:{current_user.id}" if current_user.is_authenticated else f"report-ip:{request.remote_addr}"


def _stored(response) -> bool:
    """Only reports sent count against the limit, not forms with a mistake in them."""
    return response.status_code == 303


def _address_key() -> str:
    return f"report-address:{request.remote_addr}"


def _address_and_comment_key() -> str:
    return f"report-address-comment:{request.remote_addr}:{request.view_args['comment_id']}"


_AGAIN = form_again(lambda message: _report_page(message=message, status=429))


@bp.route("/projects/<slug:slug>/comments/<int(max=2147483647):comment_id>/report", methods=["GET", "POST"], endpoint="report")
@limiter.limit(report_limit, key_func=_reporter_key, methods=["POST"], deduct_when=_stored, on_breach=_AGAIN)
@limiter.limit(lambda: current_app.config["REPORT_ADDRESS_RATE_LIMIT"], key_func=_address_key, methods=["POST"],
               deduct_when=_stored, on_breach=_AGAIN)
@limiter.limit(lambda: current_app.config["REPORT_COMMENT_ADDRESS_LIMIT"], key_func=_address_and_comment_key,
               methods=["POST"], deduct_when=_stored, on_breach=_AGAIN)
@keeps_input
def report(mode: LanguageMode, slug: str, comment_id: int):
    """Report a comment to the moderators (in every phase: a closed discussion stays readable)."""
    return _report_page()


def _report_page(message: Optional[str] = None, status: int = 200):
    project = get_published(request.view_args["slug"])
    comment = comments.get(request.view_args["comment_id"], project.id)
    if request.method != "POST" and not current_user.is_authenticated and not comment.is_deleted:
        return login_manager.unauthorized()  # to the login page, and back here afterwards
    already = current_user.is_authenticated and services.has_reported(comment.id, current_user.id)
    decision = rules.may_report(current_user, comment, already)
    form = ReportForm()
    if request.method == "POST" and message is None:
        if not decision:
            form.validate()  # keep the text
            return _page(project, comment, form, 409 if decision.reason == "already_reported" else 403,
                         decision.message, decision)
        if form.validate_on_submit():
            with db.transaction():
                stored = services.report(current_user, comment, form.reason.data, form.explanation.data)
            if stored:
                flash_at(comment.id, _("Thank you. The moderators will check this comment."))
                return redirect(comments.comment_url(project, comment), 303)
            # Stored a moment ago by the same reader (the form sent twice at once).
            decision = rules.refused("already_reported")
            return _page(project, comment, form, 409, decision.message, decision)
        status = 422
    elif message:
        form.validate()
    elif not decision and decision.reason != "already_reported":
        status = 403
    return _page(project, comment, form, status, message or (None if decision else decision.message), decision)


def _page(project, comment: Comment, form: ReportForm, status: int, notice: Optional[str], decision):
    """The report page; when refused, the form is not shown, so neither are its errors."""
    current, _paragraph = comments.context_of(project, comment)
    return render("moderation/report.html", status=status, project=project, current=current,
                  comment=comment, form=form, notice=notice, decision=decision,
                  has_errors=bool(decision) and bool(form.errors))
