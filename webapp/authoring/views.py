"""The authoring pages: a project's dashboard (what it lacks, publishing), its texts, and a new project.

Plain server-rendered pages and forms that need no JavaScript. Every change is a POST that redirects (303)
with a message saying what happened; a form with a mistake comes back with 422 and everything typed; a
refusal to publish comes back with 409 and the checklist. Who may is asked of :mod:`webapp.permissions`
(through the commands' actions); every page here is sent ``no-store``.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import db, permissions
from ..comments.messages import flash_outcome
from ..errors import back_when_expired, keeps_input
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..projects.services import get_for_staff
from ..roles.services import organisation_by_slug
from . import bp, services
from .forms import ButtonForm, NewProjectForm, ProjectTextsForm

STAFF = "/staff/projects/<slug:slug>"


@bp.after_request
def _never_stored(response):
    """Authoring pages show drafts: no browser or proxy keeps them."""
    response.cache_control.no_store = True
    return response


def _actor():
    return current_user._get_current_object()


def _project(slug: str):
    """The project (published or not) if the person may author it: the login page or a 403 page otherwise."""
    project = get_for_staff(slug)
    permissions.authorize(permissions.may_author(current_user, project))
    return project


def _dashboard(project, status: int = 200, refused: bool = False):
    return render("authoring/project.html", status=status, has_errors=refused, project=project,
                  checklist=services.checklist(project),
                  paragraphs=services.paragraph_counts(project), form=ButtonForm(), refused=refused)


@bp.get(f"{STAFF}/edit", endpoint="project")
def project(mode: LanguageMode, slug: str):
    """A project's dashboard: where it stands, what it still lacks, its parts, and publishing."""
    return _dashboard(_project(slug))


@bp.route(f"{STAFF}/edit/texts", methods=["GET", "POST"], endpoint="texts")
@keeps_input
def texts(mode: LanguageMode, slug: str):
    """The project's title, teaser, description, background (and image text), side by side in the three modes."""
    project = _project(slug)
    if request.method == "POST":
        form = ProjectTextsForm()
        if form.validate_on_submit():
            with db.transaction():
                changed = services.save_texts(_actor(), project, form.texts())
            flash_outcome(_("The project's texts are saved.") if changed else _("Nothing was changed."))
            return redirect(url_for(".project", slug=project.slug, _anchor="outcome"), 303)
        status = 422
    else:
        rows = {row.language: row for row in project.texts}
        form = ProjectTextsForm(data={f"{name}_{key}": getattr(rows[key], name) or ""
                                      for key in services.MODE_KEYS if key in rows for name in services.TEXT_FIELDS})
        status = 200
    return render("authoring/texts.html", status=status, project=project, form=form)


@bp.post(f"{STAFF}/publish", endpoint="publish")
@back_when_expired(lambda slug: url_for("authoring.project", slug=slug))
def publish(mode: LanguageMode, slug: str):
    """Publish the project, when the checklist names nothing more; the dashboard with the checklist (409) otherwise."""
    project = _project(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        with db.transaction():
            published = services.publish(_actor(), project)
    except services.AuthoringError:
        return _dashboard(project, 409, refused=True)
    flash_outcome(_("The project is published: everyone can read it now.") if published
                  else _("The project was published already. Nothing was changed."))
    return redirect(url_for(".project", slug=project.slug, _anchor="outcome"), 303)


@bp.post(f"{STAFF}/unpublish", endpoint="unpublish")
@back_when_expired(lambda slug: url_for("authoring.project", slug=slug))
def unpublish(mode: LanguageMode, slug: str):
    """Make the project a draft again: only its staff can see it; its comments are kept."""
    project = _project(slug)
    if not ButtonForm().validate_on_submit():
        abort(400)
    with db.transaction():
        unpublished = services.unpublish(_actor(), project)
    flash_outcome(_("The project is a draft again: only its staff can see it. Its comments are kept.") if unpublished
                  else _("The project was a draft already. Nothing was changed."))
    return redirect(url_for(".project", slug=project.slug, _anchor="outcome"), 303)


@bp.route("/staff/organisations/<slug:slug>/projects/new", methods=["GET", "POST"], endpoint="new_project")
@keeps_input
def new_project(mode: LanguageMode, slug: str):
    """A new draft project of the organisation, from the "text review" starter."""
    organisation = organisation_by_slug(slug)
    if organisation is None:
        raise db.NotFound(f"organisation {slug!r}")
    permissions.authorize(permissions.may_create_project(current_user, organisation))
    form = NewProjectForm()
    if form.validate_on_submit():
        try:
            with db.transaction():
                slug = form.slug.data or services.address_for(form.title.data)
                created = services.create_project(_actor(), organisation, slug, form.title.data, form.teaser.data)
        except services.AuthoringError as error:
            form.slug.errors.append(error.message)
        except IntegrityError:  # the same address, taken a moment ago by someone else
            form.slug.errors.append(_("Another project has this address already. Please choose another one."))
        else:
            flash_outcome(_("The project is created as a draft. Only its staff can see it until you publish it."))
            return redirect(url_for(".project", slug=created.slug, _anchor="outcome"), 303)
    return render("authoring/new_project.html", status=422 if form.errors else 200, organisation=organisation,
                  form=form)
