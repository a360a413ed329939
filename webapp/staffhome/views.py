"""The staff home on the roles blueprint (``roles.staff``, ``/<mode>/staff/``); see :mod:`webapp.staffhome`."""

from __future__ import annotations

from flask_login import current_user

from .. import permissions
from ..htmx import render
from ..i18n import LanguageMode
from ..moderation.services import needs_review_counts
from ..roles import bp
from ..roles.services import organisations as all_organisations
from ..roles.services import staff_projects


@bp.get("/staff/")
def staff(mode: LanguageMode):
    """The staff overview: the projects one may moderate or run, and (administrators) the organisations."""
    permissions.authorize(permissions.may_see_staff_area(current_user))
    user = current_user._get_current_object()
    roles = permissions.roles_of(user)
    organisations = all_organisations() if roles.is_admin or roles.initiator_of else []
    projects = staff_projects(user)
    return render("roles/staff.html", projects=projects, roles=roles,
                  organisations=[o for o in organisations if roles.is_admin or o.id in roles.initiator_of],
                  my_organisations=[o for o in organisations if o.id in roles.initiator_of],
                  waiting=needs_review_counts(p.id for p in projects if permissions.may_moderate(user, p)))
