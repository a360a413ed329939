"""A project's discussion rules (per language mode) and its moderation settings.

Rules are Markdown, written by the project's initiators per mode; a mode without its own text
shows the project's German text (marked as German), and a project without rules shows the
default text of ``content/discussion_rules.toml`` in the reader's mode. Every comment form,
the report page and every moderation notice link to them.

The settings say whether, and after how many reports, a comment is hidden automatically
(``auto_hide_after``, off unless the project sets it). Hiding is the reports' work
(:mod:`webapp.moderation.autohide`): conduct reads no report. When a project sets a new threshold,
:func:`apply_new_threshold` asks the reports' room, through the hook it connected, to hide what has
reached it already.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Optional

from sqlmodel import select

from .. import audit, clock, db, permissions
from ..hook import Hook
from ..i18n import MODES
from ..localized import Localized, pick
from .models import DiscussionRules, ModerationSettings

#: Longest rules text per mode, in characters.
MAX_RULES = 20_000
#: What the settings page offers for automatic hiding: at least two people, so no one can hide a comment alone.
AUTO_HIDE_CHOICES = (2, 3, 4, 5, 7, 10, 15, 20)

CONTENT = Path(__file__).resolve().parent / "content" / "discussion_rules.toml"


@lru_cache(maxsize=1)
def _defaults() -> dict[str, str]:
    data = tomllib.loads(CONTENT.read_text(encoding="utf-8"))
    return {key: data[key]["body"].strip() for key in MODES}


def default_rules(mode_key: str) -> str:
    """The default rules text (Markdown) in mode ``mode_key``, German for unknown keys."""
    defaults = _defaults()
    return defaults.get(mode_key, defaults["de"])


def project_rules(project_id: int) -> dict[str, DiscussionRules]:
    """The rules the project wrote itself, by mode key (empty: it uses the default text)."""
    rows = db.session().exec(select(DiscussionRules).where(DiscussionRules.project_id == project_id)).all()
    return {row.language: row for row in rows}


def rules_for(project, mode_key: str) -> tuple[Localized[DiscussionRules], bool]:
    """The rules to show in mode ``mode_key`` and whether they are the default text.

    The project's text in that mode, else its German text (``is_fallback``), else the default text in that mode.
    """
    chosen = pick(project_rules(project.id).values(), mode_key)
    if chosen is not None:
        return chosen, False
    default = DiscussionRules(project_id=project.id, language=mode_key if mode_key in MODES else "de",
                              body=default_rules(mode_key))
    return Localized(default, default.language, False), True


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


@permissions.command
def save_rules(actor, project, texts: dict[str, str]) -> list[str]:
    """Store the rules in each mode of ``texts``; an empty text, or the default text itself, means "use the default".

    Returns the mode keys whose text changed (and writes one audit entry naming them, if any).
    Refused unless ``actor`` may author the project. The caller commits.
    """
    permissions.require(audit.may("project.rules", actor, project))
    session = db.session()
    existing = project_rules(project.id)
    changed = []
    for key, text in texts.items():
        text = (text or "").strip()
        row = existing.get(key)
        if not text or _same(text, default_rules(key)):
            if row is not None:
                session.delete(row)
                changed.append(key)
            continue
        if row is not None and row.body == text:
            continue
        row = row or DiscussionRules(project_id=project.id, language=key)
        row.body, row.updated_at, row.updated_by_id = text, clock.utcnow(), actor.id
        session.add(row)
        changed.append(key)
    if changed:
        audit.record(actor, "project.rules", "project", project.id, project_id=project.id, languages=changed)
    return changed


def settings_for(project_id: int) -> ModerationSettings:
    """The project's moderation settings (the defaults, not stored, when it has none)."""
    return db.session().get(ModerationSettings, project_id) or ModerationSettings(project_id=project_id)


@permissions.command
def save_settings(actor, project, auto_hide_after: Optional[int]) -> bool:
    """Store the project's automatic hiding (``None``: off); True and an audit entry if it changed.

    Refused unless ``actor`` may author the project. The caller commits.
    """
    permissions.require(audit.may("project.settings", actor, project))
    session = db.session()
    settings = session.get(ModerationSettings, project.id)
    before = settings.auto_hide_after if settings else None
    if before == auto_hide_after:
        return False
    settings = settings or ModerationSettings(project_id=project.id)
    settings.auto_hide_after, settings.updated_at = auto_hide_after, clock.utcnow()
    session.add(settings)
    audit.record(actor, "project.settings", "project", project.id, project_id=project.id,
                 auto_hide_after=auto_hide_after, before=before)
    return True


#: After :func:`save_settings` changed a project's threshold, in the caller's transaction,
#: ``apply_new_threshold(project)`` hides the comments whose reports have reached it already (a threshold set after
#: the reports came must not leave them visible) and says how many: moderation's ``autohide.hide_what_reached``,
#: connected by the app factory (``on_new_threshold``); unconnected it refuses rather than hide nothing.
apply_new_threshold = Hook("conduct's threshold hook")
on_new_threshold = apply_new_threshold.connect
