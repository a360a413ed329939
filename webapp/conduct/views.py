"""Pages for how people take part: a project's discussion rules, its moderation settings, blocking people.

The rules page is public (published projects). The others are staff pages: blocking and the list
of blocked people for the project's moderators (:func:`~webapp.permissions.may_moderate`; the
whole site for administrators only), the settings for its initiators
(:func:`~webapp.permissions.may_author`). Plain forms that work without JavaScript: success
redirects (303) with a message, a form with a mistake comes back with 422 and the input kept.
"""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from .. import db, permissions
from ..comments.messages import flash_outcome
from ..errors import back_when_expired, keeps_input
from ..htmx import render
from ..i18n import LanguageMode
from ..i18n import gettext as _
from ..projects.services import get_for_staff, get_published
from . import blocks as person_blocks
from . import bp
from . import rules as discussion_rules
from .forms import BlockPersonForm, EndBlockForm, SettingsForm

STAFF = "/staff/projects/<slug:slug>"
ID = "int(max=2147483647)"


@bp.get("/projects/<slug:slug>/rules", endpoint="rules")
def rules(mode: LanguageMode, slug: str):
    """The project's discussion rules, in the reader's mode (or German, marked so; or the default text)."""
    project = get_published(slug)
    text, is_default = discussion_rules.rules_for(project, mode.key)
    return render("conduct/rules.html", project=project, rules=text, is_default=is_default,
                  auto_hide_after=discussion_rules.settings_for(project.id).auto_hide_after)


def _staff_project(slug: str, decide=permissions.may_moderate):
    """The project (published or not) if the person may act on it: the login page or a 403 page otherwise."""
    project = get_for_staff(slug)
    permissions.authorize(decide(current_user, project))
    return project


@bp.route(f"{STAFF}/people/<{ID}:user_id>/block", methods=["GET", "POST"], endpoint="block_person")
@keeps_input
def block_person(mode: LanguageMode, slug: str, user_id: int):
    """Block a person from the project (administrators: or from the whole site), for a time or for good."""
    project = _staff_project(slug)
    person = person_blocks.person_seen_by(current_user, user_id, project)
    site_allowed = permissions.may_administer(current_user)
    scope = request.form.get("scope") if request.method == "POST" else None
    if scope is not None and scope.strip().casefold() != "project":
        # "site", "Site", " SITE", or anything but this project: only administrators are offered a choice,
        # anyone else gets a 403 saying who may, never a quiet project block.
        permissions.authorize(site_allowed)
    form = BlockPersonForm(site_allowed=bool(site_allowed))
    # The refusal's words for the page (empty: the person can be blocked here).
    refusal = permissions.may_be_blocked(person, project, site_wide=False).message
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            refusal = permissions.may_be_blocked(person, project, form.site_wide).message
            if not refusal:
                with db.transaction():
                    person_blocks.block_person(current_user, person, project, site_wide=form.site_wide,
                                               ends_at=form.ends_at(), reason=form.reason.data, language=mode.html_lang)
                flash_outcome(_("%(name)s is blocked. We have told them by email.", name=person.username))
                return redirect(url_for("conduct.blocks", slug=project.slug, _anchor="outcome"), 303)
            status = 409
        else:
            status = 409 if refusal else 422
    return render("conduct/block_person.html", status=status, project=project, person=person, form=form,
                  refusal=refusal, current_block=person_blocks.block_for(person, project.id),
                  has_errors=bool(form.errors) and not refusal)


@bp.get(f"{STAFF}/people/blocked", endpoint="blocks")
def blocks(mode: LanguageMode, slug: str):
    """The people blocked from the project now, site-wide blocks included (they keep people out of it too),
    each with "end block"; site-wide blocks only administrators end, the others read them (staff report M6)."""
    project = _staff_project(slug)
    is_admin = bool(permissions.may_administer(current_user))
    return render("conduct/blocks.html", project=project,
                  rows=person_blocks.blocked_in(project, include_site_wide=True), may_end_site_wide=is_admin, form=EndBlockForm())


@bp.post(f"{STAFF}/people/blocks/<{ID}:block_id>/end", endpoint="unblock")
@back_when_expired(lambda slug, block_id: url_for("conduct.blocks", slug=slug))
def unblock(mode: LanguageMode, slug: str, block_id: int):
    """End a block now; the person is told by email."""
    project = _staff_project(slug)
    row = person_blocks.block_seen_from(block_id, project)
    if row.site_wide:
        permissions.authorize(permissions.may_administer(current_user))
    form = EndBlockForm()
    if not form.validate_on_submit():
        abort(400)
    person = person_blocks.person_of(row)
    name = person.username if person is not None else row.person_name or _("Deleted account")
    if row.ended_at is None:
        with db.transaction():
            person_blocks.end_block(current_user, row, project)
        flash_outcome(_("The block of %(name)s has ended. We have told them by email.", name=name) if person is not None else
              _("The block of %(name)s has ended. Their account was deleted, so nobody was told.", name=name))
    else:
        flash_outcome(_("The block of %(name)s had already ended.", name=name))
    return redirect(url_for("conduct.blocks", slug=project.slug, _anchor="outcome"), 303)


@bp.route(f"{STAFF}/moderation/settings", methods=["GET", "POST"], endpoint="settings")
@keeps_input
def settings(mode: LanguageMode, slug: str):
    """The project's discussion rules in each mode and its automatic hiding, for its initiators."""
    project = _staff_project(slug, permissions.may_author)
    current = discussion_rules.settings_for(project.id).auto_hide_after
    if request.method == "POST":
        form = SettingsForm(current)
        if form.validate_on_submit():
            with db.transaction():
                changed = discussion_rules.save_rules(current_user, project, form.texts())
                changed_settings = discussion_rules.save_settings(current_user, project, form.auto_hide)
                # A new threshold applies to the reports comments have already: hiding them is the reports' work
                # (moderation), asked through conduct's hook, in this same transaction.
                hidden = discussion_rules.apply_new_threshold(project) if changed_settings else 0
            flash_outcome(_("Your changes have been saved.") if changed or changed_settings else _("Nothing was changed."))
            if hidden:
                flash_outcome(ngettext("%(num)d comment had reached this number of reports already and is hidden now.",
                               "%(num)d comments had reached this number of reports already and are hidden now.",
                               hidden))
            return redirect(url_for("conduct.settings", slug=project.slug, _anchor="outcome"), 303)
        status = 422
    else:
        texts = {key: discussion_rules.rules_for(project, key)[0] for key in ("de", "en", "simple")}
        data = {f"rules_{key}": text.text.body if not text.is_fallback else "" for key, text in texts.items()}
        form = SettingsForm(current, data={**data, "auto_hide_after": str(current or "")})
        status = 200
    return render("conduct/settings.html", status=status, project=project, form=form)
