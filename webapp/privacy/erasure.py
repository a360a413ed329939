"""Erasing an account: each domain forgets the person its own way, in one unit of work."""

from __future__ import annotations

from sqlalchemy import update as sa_update

from .. import db, permissions
from ..accounts.models import User
from ..audit.models import AuditEntry
from ..comments.services import rated_by_accounts, recount_ratings
from ..conduct.blocks import keep_after_deletion
from ..moderation.autohide import show_what_no_longer_counts
from ..moderation.models import ModeratorNote
from ..moderation.services import reported_open_by
from ..roles.services import end_roles_of


@permissions.command
def delete_account(actor: User, user: User) -> None:
    """Remove the account and its personal data (in the caller's transaction); its comments stay, shown as
    "deleted account". Refused (:class:`~webapp.permissions.Refused`) unless ``actor`` is its owner.

    Its ratings go with it (the database cascades), so the comments it rated are recounted.
    Its reports of comments stay for the moderators, without the reporter (the database sets it empty); they no
    longer count towards hiding a comment automatically, so one hidden by them alone is shown again.
    What a staff member wrote or did stays with the project (moderator notes, audit entries), without
    their name but under a stable pseudonym, "deleted account 7" (the account's number), so one person's
    actions still read as one person's; their roles end with an audit entry each (security report N5).
    A block that still holds outlives the account (see :func:`webapp.conduct.blocks.keep_after_deletion`).
    """
    permissions.require(permissions.may_delete_account(actor, user))
    session = db.session()
    rated = rated_by_accounts([user.id])
    reported = reported_open_by(user.id)
    end_roles_of(user)
    keep_after_deletion(user)
    session.execute(sa_update(ModeratorNote).where(ModeratorNote.author_id == user.id)
                    .values(author_name="", former_author_id=user.id))
    session.execute(sa_update(AuditEntry).where(AuditEntry.actor_id == user.id)
                    .values(actor_name="", former_actor_id=user.id))
    session.delete(user)
    session.flush()
    recount_ratings(rated)
    show_what_no_longer_counts(reported)  # their reports no longer count towards hiding a comment
