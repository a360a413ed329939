"""The authoring pages: a new project, its page (what it lacks, publishing), its texts, phases, chapters and
paragraphs, which texts lack a translation, and organisations (administrators).

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
from ..comments.models import Comment
from ..documents import commands as chapter_commands
from ..documents.services import HasComments, comment_count, delete_chapter, delete_paragraph
from ..errors import back_when_expired, keeps_input
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..phases import commands as phase_commands
from ..phases.services import timeline
from ..projects.services import get_for_staff
from ..roles.services import organisation_by_slug
from . import bp, services
from .forms import (
    ButtonForm,
    ChapterForm,
    NewProjectForm,
    OrganisationForm,
    ParagraphForm,
    PhaseForm,
    ProjectTextsForm,
)

STAFF = "/staff/projects/<slug:slug>"
ID = "int(max=2147483647)"


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
                  paragraphs=services.paragraph_counts(project), refused=refused)


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
        form = ProjectTextsForm.filled(project.texts)
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


def _one_of(items, item_id: int, what: str):
    """The item of ``items`` (a project's phases, a document's chapters ...) with the id ``item_id``: a 404 page
    otherwise (an id of another project's, or none)."""
    found = next((item for item in items if item.id == item_id), None)
    if found is None:
        raise db.NotFound(f"{what} {item_id}")
    return found


def _phase(project, phase_id: int):
    return _one_of(project.phases, phase_id, "phase")


@bp.get(f"{STAFF}/edit/phases", endpoint="phases")
def phases(mode: LanguageMode, slug: str):
    """The project's phases, each with "change" and "remove", "add a phase", and the timeline as readers see it."""
    project = _project(slug)
    return render("authoring/phases.html", project=project, timeline=timeline(project.phases))


def _phase_form_page(project, form, phase=None, status: int = 200):
    return render("authoring/phase.html", status=status if not form.errors else 422, project=project, form=form,
                  phase=phase)


def _saved_phase(form: PhaseForm, save) -> bool:
    """Store the form's phase with ``save(values)`` in one unit of work: True, or False with the refusal on its field."""
    values = phase_commands.PhaseInput(form.kind.data, form.moment("starts"), form.moment("ends"), form.texts())
    try:
        with db.transaction():
            return save(values)
    except phase_commands.PhaseError as error:
        form[error.field or "starts_on"].errors.append(error.message)
        return False


@bp.route(f"{STAFF}/edit/phases/new", methods=["GET", "POST"], endpoint="new_phase")
@keeps_input
def new_phase(mode: LanguageMode, slug: str):
    """A new phase: what readers can do, its days and times (Berlin time), its texts in the three modes."""
    project = _project(slug)
    form = PhaseForm()
    if form.validate_on_submit() and _saved_phase(form, lambda values: phase_commands.add_phase(_actor(), project, values)):
        flash_outcome(_("The phase is added."))
        return redirect(url_for(".phases", slug=project.slug, _anchor="outcome"), 303)
    return _phase_form_page(project, form)


@bp.route(f"{STAFF}/edit/phases/<{ID}:phase_id>", methods=["GET", "POST"], endpoint="phase")
@keeps_input
def phase(mode: LanguageMode, slug: str, phase_id: int):
    """Change one phase."""
    project = _project(slug)
    existing = _phase(project, phase_id)
    form = PhaseForm() if request.method == "POST" else PhaseForm.of(existing)
    if request.method == "POST" and form.validate_on_submit():
        outcome = {}

        def save(values):
            outcome["changed"] = phase_commands.edit_phase(_actor(), project, existing, values)
            return True

        if _saved_phase(form, save):
            flash_outcome(_("The phase is changed.") if outcome["changed"] else _("Nothing was changed."))
            return redirect(url_for(".phases", slug=project.slug, _anchor="outcome"), 303)
    return _phase_form_page(project, form, existing)


@bp.route(f"{STAFF}/edit/phases/<{ID}:phase_id>/remove", methods=["GET", "POST"], endpoint="remove_phase")
@back_when_expired(lambda slug, phase_id: url_for("authoring.phases", slug=slug))
def remove_phase(mode: LanguageMode, slug: str, phase_id: int):
    """Ask, then remove one phase."""
    project = _project(slug)
    existing = _phase(project, phase_id)
    form = ButtonForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with db.transaction():
            phase_commands.remove_phase(_actor(), project, existing)
        flash_outcome(_("The phase is removed."))
        return redirect(url_for(".phases", slug=project.slug, _anchor="outcome"), 303)
    now = timeline(project.phases)
    return render("authoring/remove_phase.html", project=project, phase=existing, running=now.active is existing)


def _chapter(project, chapter_id: int):
    return _one_of(project.document.chapters if project.document else [], chapter_id, "chapter")


@bp.get(f"{STAFF}/edit/chapters", endpoint="chapters")
def chapters(mode: LanguageMode, slug: str):
    """The document's chapters in order, each with its paragraphs' number, "change", "move up" and "move down"."""
    project = _project(slug)
    return render("authoring/chapters.html", project=project, paragraphs=services.paragraph_counts(project),
                  chapters=list(project.document.chapters) if project.document else [])


@bp.route(f"{STAFF}/edit/chapters/new", methods=["GET", "POST"], endpoint="new_chapter")
@keeps_input
def new_chapter(mode: LanguageMode, slug: str):
    """A new last chapter: its title in the three modes."""
    project = _project(slug)
    form = ChapterForm()
    if form.validate_on_submit():
        with db.transaction():
            chapter_commands.add_chapter(_actor(), project, form.texts())
        flash_outcome(_("The chapter is added at the end."))
        return redirect(url_for(".chapters", slug=project.slug, _anchor="outcome"), 303)
    return render("authoring/chapter.html", status=422 if form.errors else 200, project=project, form=form,
                  chapter=None)


@bp.route(f"{STAFF}/edit/chapters/<{ID}:chapter_id>", methods=["GET", "POST"], endpoint="chapter")
@keeps_input
def chapter(mode: LanguageMode, slug: str, chapter_id: int):
    """Change one chapter's titles."""
    project = _project(slug)
    existing = _chapter(project, chapter_id)
    form = ChapterForm() if request.method == "POST" else ChapterForm.filled(existing.texts)
    if request.method == "POST" and form.validate_on_submit():
        with db.transaction():
            changed = chapter_commands.edit_chapter(_actor(), project, existing, form.texts())
        flash_outcome(_("The chapter's titles are saved.") if changed else _("Nothing was changed."))
        return redirect(url_for(".chapters", slug=project.slug, _anchor="outcome"), 303)
    return render("authoring/chapter.html", status=422 if form.errors else 200, project=project, form=form,
                  chapter=existing)


def _moved(item, items, move) -> tuple[str, int | None]:
    """Move ``item`` (a chapter or a paragraph) a place up or down (the form's ``step``) with ``move(step)`` in one
    unit of work: the step, and ``item``'s number in ``items()`` afterwards (``None``: it was first or last already)."""
    step = request.form.get("step")
    if not ButtonForm().validate_on_submit() or step not in ("up", "down"):
        abort(400)
    with db.transaction():
        moved = move(-1 if step == "up" else 1)
    return step, next(i for i, other in enumerate(items(), start=1) if other.id == item.id) if moved else None


@bp.post(f"{STAFF}/edit/chapters/<{ID}:chapter_id>/move", endpoint="move_chapter")
@back_when_expired(lambda slug, chapter_id: url_for("authoring.chapters", slug=slug))
def move_chapter(mode: LanguageMode, slug: str, chapter_id: int):
    """Move one chapter a place up or down (``step``: "up" or "down")."""
    project = _project(slug)
    existing = _chapter(project, chapter_id)
    step, number = _moved(existing, lambda: project.document.chapters,
                          lambda step: chapter_commands.move_chapter(_actor(), project, existing, step))
    title = existing.localized(mode.key).text.title
    if number:
        flash_outcome(_("“%(title)s” is now chapter %(number)d.", title=title, number=number))
    else:
        flash_outcome(_("“%(title)s” is already the first chapter.", title=title) if step == "up"
                      else _("“%(title)s” is already the last chapter.", title=title))
    return redirect(url_for(".chapters", slug=project.slug, _anchor="outcome"), 303)


def _paragraph_name(paragraph, mode) -> str:
    """How a paragraph is named in lists and messages: its heading, else its first words."""
    text = paragraph.localized(mode.key).text
    if text.heading:
        return text.heading
    words = text.body.split()
    return " ".join(words[:8]) + (" …" if len(words) > 8 else "")


def _paragraph(chapter, paragraph_id: int):
    return _one_of(chapter.paragraphs, paragraph_id, "paragraph")


CHAPTER = f"{STAFF}/edit/chapters/<{ID}:chapter_id>"


@bp.get(f"{CHAPTER}/paragraphs", endpoint="paragraphs")
def paragraphs(mode: LanguageMode, slug: str, chapter_id: int):
    """A chapter's paragraphs in order, each with "change", "move up" and "move down", and "add a paragraph"."""
    project = _project(slug)
    chapter = _chapter(project, chapter_id)
    return render("authoring/paragraphs.html", project=project, chapter=chapter,
                  names={p.id: _paragraph_name(p, mode) for p in chapter.paragraphs})


def _paragraph_page(project, chapter, form, paragraph=None, preview: bool = False):
    comments = comment_count(Comment.paragraph_id, paragraph.id) if paragraph is not None else 0
    return render("authoring/paragraph.html", status=422 if form.errors else 200, project=project, chapter=chapter,
                  form=form, paragraph=paragraph, preview=form.texts() if preview else None, comments=comments)


@bp.route(f"{CHAPTER}/paragraphs/new", methods=["GET", "POST"], endpoint="new_paragraph")
@keeps_input
def new_paragraph(mode: LanguageMode, slug: str, chapter_id: int):
    """A new last paragraph of the chapter: heading and text in the three modes, with a preview before saving."""
    project = _project(slug)
    chapter = _chapter(project, chapter_id)
    form = ParagraphForm()
    if form.validate_on_submit():
        if "preview" in request.form:
            return _paragraph_page(project, chapter, form, preview=True)
        with db.transaction():
            chapter_commands.add_paragraph(_actor(), project, chapter, form.texts())
        flash_outcome(_("The paragraph is added at the end of the chapter."))
        return redirect(url_for(".paragraphs", slug=project.slug, chapter_id=chapter.id, _anchor="outcome"), 303)
    return _paragraph_page(project, chapter, form)


@bp.route(f"{CHAPTER}/paragraphs/<{ID}:paragraph_id>", methods=["GET", "POST"], endpoint="paragraph")
@keeps_input
def paragraph(mode: LanguageMode, slug: str, chapter_id: int, paragraph_id: int):
    """Change one paragraph's heading and text, with a preview before saving."""
    project = _project(slug)
    chapter = _chapter(project, chapter_id)
    existing = _paragraph(chapter, paragraph_id)
    form = ParagraphForm() if request.method == "POST" else ParagraphForm.filled(existing.texts)
    if request.method == "POST" and form.validate_on_submit():
        if "preview" in request.form:
            return _paragraph_page(project, chapter, form, existing, preview=True)
        with db.transaction():
            changed = chapter_commands.edit_paragraph(_actor(), project, existing, form.texts())
        flash_outcome(_("The paragraph is saved.") if changed else _("Nothing was changed."))
        return redirect(url_for(".paragraphs", slug=project.slug, chapter_id=chapter.id, _anchor="outcome"), 303)
    return _paragraph_page(project, chapter, form, existing)


@bp.post(f"{CHAPTER}/paragraphs/<{ID}:paragraph_id>/move", endpoint="move_paragraph")
@back_when_expired(lambda slug, chapter_id, paragraph_id: url_for("authoring.paragraphs", slug=slug,
                                                                  chapter_id=chapter_id))
def move_paragraph(mode: LanguageMode, slug: str, chapter_id: int, paragraph_id: int):
    """Move one paragraph a place up or down in its chapter."""
    project = _project(slug)
    chapter = _chapter(project, chapter_id)
    existing = _paragraph(chapter, paragraph_id)
    step, number = _moved(existing, lambda: chapter.paragraphs,
                          lambda step: chapter_commands.move_paragraph(_actor(), project, existing, step))
    name = _paragraph_name(existing, mode)
    if number:
        flash_outcome(_("“%(name)s” is now paragraph %(number)d.", name=name, number=number))
    else:
        flash_outcome(_("“%(name)s” is already the first paragraph.", name=name) if step == "up"
                      else _("“%(name)s” is already the last paragraph.", name=name))
    return redirect(url_for(".paragraphs", slug=project.slug, chapter_id=chapter.id, _anchor="outcome"), 303)


@bp.get(f"{STAFF}/edit/translations", endpoint="translations")
def translations(mode: LanguageMode, slug: str):
    """Which texts of the project lack an English or simple German version, each gap a link to its field."""
    project = _project(slug)
    rows = services.translation_rows(project)
    missing = {key: sum(1 for row in rows if not row.present[key]) for key in services.MODE_KEYS}
    return render("authoring/translations.html", project=project, rows=rows, missing=missing)


@bp.route("/staff/organisations/new", methods=["GET", "POST"], endpoint="new_organisation")
@keeps_input
def new_organisation(mode: LanguageMode):
    """A new organisation (administrators): its name and contact."""
    permissions.authorize(permissions.may_administer_organisations(current_user))
    form = OrganisationForm()
    if form.validate_on_submit():
        with db.transaction():
            services.create_organisation(_actor(), form.values())
        flash_outcome(_("The organisation is created. Add its initiators next: they create and run its projects."))
        return redirect(url_for("roles.staff", _anchor="outcome"), 303)
    return render("authoring/organisation.html", status=422 if form.errors else 200, form=form, organisation=None)


@bp.route("/staff/organisations/<slug:slug>/edit", methods=["GET", "POST"], endpoint="organisation")
@keeps_input
def organisation(mode: LanguageMode, slug: str):
    """An organisation's name and contact (administrators)."""
    permissions.authorize(permissions.may_administer_organisations(current_user))
    existing = organisation_by_slug(slug)
    if existing is None:
        raise db.NotFound(f"organisation {slug!r}")
    form = OrganisationForm() if request.method == "POST" else OrganisationForm(obj=existing)
    if request.method == "POST" and form.validate_on_submit():
        with db.transaction():
            changed = services.edit_organisation(_actor(), existing, form.values())
        flash_outcome(_("The organisation's name and contact are saved.") if changed else _("Nothing was changed."))
        return redirect(url_for("roles.staff", _anchor="outcome"), 303)
    return render("authoring/organisation.html", status=422 if form.errors else 200, form=form, organisation=existing)


def _remove_page(project, what: str, name: str, back: str, count: int, status: int = 200, refusal: str = ""):
    return render("authoring/remove.html", status=status, project=project, what=what, name=name, back=back,
                  count=count, refusal=refusal, has_errors=bool(refusal))


def _removed(project, what: str, item, name: str, back: str, count_column, delete):
    """Ask before removing ``item`` (a chapter or paragraph): the page says what goes with it, and that one with
    comments cannot be removed (citizens' words are never deleted with it); POST removes it in one unit of work."""
    count = comment_count(count_column, item.id)
    if request.method == "POST":
        if not ButtonForm().validate_on_submit():
            abort(400)
        try:
            with db.transaction():
                delete(_actor(), item)
        except HasComments as refused:
            return _remove_page(project, what, name, back, count, 409, refused.message)
        flash_outcome(_("“%(name)s” is removed.", name=name))
        return redirect(f"{back}#outcome", 303)
    return _remove_page(project, what, name, back, count)


@bp.route(f"{CHAPTER}/remove", methods=["GET", "POST"], endpoint="remove_chapter")
@back_when_expired(lambda slug, chapter_id: url_for("authoring.chapters", slug=slug))
def remove_chapter(mode: LanguageMode, slug: str, chapter_id: int):
    """Ask, then remove a chapter with its paragraphs: only one nobody has commented on."""
    project = _project(slug)
    chapter = _chapter(project, chapter_id)
    return _removed(project, "chapter", chapter, chapter.localized(mode.key).text.title,
                    url_for(".chapters", slug=project.slug), Comment.chapter_id, delete_chapter)


@bp.route(f"{CHAPTER}/paragraphs/<{ID}:paragraph_id>/remove", methods=["GET", "POST"], endpoint="remove_paragraph")
@back_when_expired(lambda slug, chapter_id, paragraph_id: url_for("authoring.paragraphs", slug=slug,
                                                                  chapter_id=chapter_id))
def remove_paragraph(mode: LanguageMode, slug: str, chapter_id: int, paragraph_id: int):
    """Ask, then remove a paragraph: only one nobody has commented on."""
    project = _project(slug)
    chapter = _chapter(project, chapter_id)
    paragraph = _paragraph(chapter, paragraph_id)
    return _removed(project, "paragraph", paragraph, _paragraph_name(paragraph, mode),
                    url_for(".paragraphs", slug=project.slug, chapter_id=chapter.id), Comment.paragraph_id,
                    delete_paragraph)
