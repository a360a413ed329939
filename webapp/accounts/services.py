"""Account rules: registering, confirming, logging in, changing and deleting accounts."""

from __future__ import annotations

from datetime import timedelta
from typing import Optional

from flask import current_app
from sqlalchemy import and_, or_
from sqlalchemy import delete as sa_delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from .. import db, mail
from ..clock import utcnow
from ..i18n import MODES
from ..i18n import gettext as _
from . import names
from .hooks import hooks
from .models import User, email_key, new_session_token, normalise_key
from .passwords import hash_password, needs_rehash, verify_password  # noqa: F401  (views use verify_password)
from .tokens import make_token, read_token

#: The demo's accounts; they cannot log in when the app runs in production mode.
DEMO_PASSWORD = "mitreden-demo"
DEMO_ACCOUNTS = (
    ("participant@example.org", "Paula Beispiel", "participant"),
    ("moderator@example.org", "Moderation Eichbrunn", "moderator"),
    ("initiator@example.org", "Stadtplanung Eichbrunn", "initiator"),
    ("admin@example.org", "Admin Eichbrunn", "admin"),
)
DEMO_EMAILS = frozenset(email for email, _name, _role in DEMO_ACCOUNTS)


class AccountError(Exception):
    """A refusal with a message for the reader; ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.message, self.field = message, field


def by_email(email: str) -> Optional[User]:
    return db.session().exec(select(User).where(User.email_key == email_key(email))).first()


def name_is_reserved(username: str) -> bool:
    """Whether ``username`` looks like the site's name, an office, or a moderator's or administrator's name."""
    staff = hooks().staff_names()
    return names.reserved(username, current_app.config["SITE_NAME"], tuple(staff))


def new_account(username: str, email: str, *, password: str = "", password_hash: str = "", language: str = "de",
                confirmed: bool = False, is_admin: bool = False, session=None) -> User:
    """The one place an account row is made, whoever makes it (registration, an invitation's link, ``flask
    users create-admin``, the demo): the name's and the address's comparison keys made the one way, the
    password hashed (or its hash given, made beforehand), the address confirmed now where the caller holds
    the proof (the invitation's link, the operator who typed it).

    Added to ``session`` (the request's by default) and flushed, so it has its id; an IntegrityError (the
    name or the address taken meanwhile) is the caller's to answer, in a savepoint where it must not end the
    caller's transaction.
    """
    session = session if session is not None else db.session()
    user = User(username=username, username_key=normalise_key(username), email=email, email_key=email_key(email),
                password_hash=password_hash or hash_password(password), language=language, is_admin=is_admin,
                email_confirmed_at=utcnow() if confirmed else None)
    session.add(user)
    session.flush()
    return user


def register(username: str, email: str, password: str, language: str) -> Optional[User]:
    """Create an unconfirmed account and mail the confirmation link (in the caller's transaction).

    For an address that has an account already, nothing is created: its owner is mailed a
    note instead (if it was them, they can log in or reset the password). Nor for an address
    whose deleted account is still blocked on the whole site: the address is told until when
    (a block of one project holds for the new account instead). The caller answers
    the same either way, and the password is hashed either way, so neither the answer nor its
    time tells whether an address has an account. Usernames are public, so a taken one is said.

    The caller commits (``with db.transaction():``); the account and its mail are stored together.
    Should a concurrent registration take the name or address meanwhile, the insert (in a
    savepoint) is undone alone and the rest of the caller's transaction stands.

    Returns:
        The new account, or ``None`` when the address had one.

    Raises:
        AccountError: when the username is taken.
    """
    _drop_expired_holders(username, email)
    if name_is_taken(username):
        raise AccountError(_("This username is taken. Please choose another one."), "username")
    if name_is_reserved(username):
        raise AccountError(_("This name looks like the name of this site or of its moderation. "
                             "Please choose another one."), "username")
    password_hash = hash_password(password)
    if by_email(email):
        _tell_owner_of_attempt(email)
        return None
    if (block := hooks().address_refused(email_key(email))) is not None:
        _tell_blocked_address(email, block, language)
        return None
    try:
        with db.savepoint():
            user = new_account(username, email, password_hash=password_hash, language=language)
    except IntegrityError:  # a concurrent registration took the name or address
        if by_email(email):
            _tell_owner_of_attempt(email)
            return None
        raise AccountError(_("This username is taken. Please choose another one."), "username") from None
    claim_blocks(user)
    send_confirmation(user)
    return user


def name_is_taken(username: str) -> bool:
    """Whether an account has this username (compared by its key), or a block of a deleted account still
    reserves it (security report N3: a blocked person does not come back under their own name)."""
    key = normalise_key(username)
    return db.session().exec(select(User.id).where(User.username_key == key)).first() is not None or \
        hooks().name_held(key)


def claim_blocks(user: User) -> None:
    """A new account, or a newly confirmed address: blocks that still hold for a deleted account of this address
    hold for it (security report N3). The answer to the person is the same either way."""
    hooks().address_claimed(user)


def _unconfirmed_before():
    """The condition "never confirmed, registered longer ago than UNCONFIRMED_ACCOUNT_DAYS"."""
    cutoff = utcnow() - timedelta(days=current_app.config["UNCONFIRMED_ACCOUNT_DAYS"])
    return and_(User.email_confirmed_at.is_(None), User.created_at < cutoff)


def expire_unconfirmed() -> int:
    """Delete the accounts never confirmed within UNCONFIRMED_ACCOUNT_DAYS; how many there were.

    Such an account could not comment, rate or report; should one have ratings all the same,
    the comments it rated are recounted. ``flask users expire-unconfirmed`` and a daily job run
    this, in their transaction.
    """
    session = db.session()
    expired = list(session.exec(select(User.id).where(_unconfirmed_before())).all())
    _delete_unconfirmed(expired, _unconfirmed_before())
    return len(expired)


def _delete_unconfirmed(ids: list[int], *conditions) -> None:
    """Delete these never-confirmed accounts (still matching ``conditions``); the comments they rated are recounted."""
    if not ids:
        return
    session = db.session()
    rated = hooks().rated_by(ids)
    session.execute(sa_delete(User).where(col(User.id).in_(ids), User.email_confirmed_at.is_(None), *conditions))
    session.flush()
    hooks().recount(sorted(set(rated)))


def drop_unconfirmed_holder(address: str) -> Optional[str]:
    """An account that holds ``address`` but never confirmed it gives way, in the caller's transaction.

    Anyone can register with anyone's address; until the address is confirmed, nothing shows that
    the account's password belongs to the address's owner. When the owner proves the address another
    way (the link of an invitation mailed there, an operator who typed it on the command line), such
    an account must not receive what is meant for the owner (staff report N1): it is deleted, and
    the owner gets a fresh account of their own. Returns the deleted account's username, or ``None``.
    """
    holder = by_email(address)
    if holder is None or holder.is_confirmed:
        return None
    name = holder.username
    _delete_unconfirmed([holder.id])
    return name


def _drop_expired_holders(username: str, email: str) -> None:
    """An expired unconfirmed account holding this username or address gives way to the new one."""
    session = db.session()
    holders = list(session.exec(select(User.id).where(
        or_(User.username_key == normalise_key(username), User.email_key == email_key(email)),
        _unconfirmed_before())).all())
    if holders:
        session.execute(sa_delete(User).where(col(User.id).in_(holders), _unconfirmed_before()))
        session.flush()


def _tell_owner_of_attempt(email: str) -> None:
    """Someone registered with an address that has an account: mail its owner, in their mode."""
    owner = by_email(email)
    if owner is None:  # pragma: no cover - deleted meanwhile
        return
    mail.send(owner.email, "registered_again", owner.language, user=owner,
              login_link=mail.link("accounts.login", owner.language),
              reset_link=mail.link("accounts.forgot_password", owner.language))


def _tell_blocked_address(email: str, block, language: str) -> None:
    """Someone registered with the address of a deleted account that is blocked on the whole site: no account,
    and the address learns why and until when (the one asking is told what everyone is)."""
    mail.send(email, "registration_blocked", language, block=block,
              imprint_link=mail.link("pages.show", language, name="imprint"))


def send_confirmation(user: User, address: Optional[str] = None) -> None:
    """Mail a link that confirms ``address`` (default: the account's address), in the caller's transaction."""
    address = address or user.email
    owner = by_email(address)
    if owner is not None and owner.id != user.id:
        # The address has an account already: no link goes there, and its owner learns that someone
        # tried (the one asking is told the same as for a free address: no account enumeration).
        mail.send(owner.email, "email_taken", owner.language, user=owner)
        return
    token = make_token("confirm", {"u": user.id, "e": email_key(address)})
    link = mail.link("accounts.confirm", user.language, token=token)
    # A new address for an account (not the one it registered with) gets a mail that says so.
    template = "confirm" if email_key(address) == user.email_key else "confirm_new_email"
    mail.send(address, template, user.language, user=user, link=link)


def confirm(token: str) -> Optional[User]:
    """Confirm the address in ``token``: the account's own or its pending new one (in the caller's transaction).

    A new address that takes effect is told to the old one too (``email_changed``).

    Returns:
        The account, or ``None`` for a link that is invalid, expired, or names an address taken meanwhile.
    """
    payload = read_token("confirm", token)
    if not payload:
        return None
    session = db.session()
    user = session.get(User, payload.get("u"))
    if user is None:
        return None
    old = None
    if user.pending_email and email_key(user.pending_email) == payload.get("e"):
        if by_email(user.pending_email):
            return None
        old = user.email
        user.email, user.email_key, user.pending_email = user.pending_email, email_key(user.pending_email), None
    elif user.email_key != payload.get("e"):
        return None
    try:
        with db.savepoint():  # the unique address decides a race with another account's change
            user.email_confirmed_at = utcnow()  # the address in the link is proven now
            session.add(user)
            session.flush()
    except IntegrityError:
        return None
    claim_blocks(user)  # a new address may be one whose deleted account is still blocked
    if old is not None:  # the old address is told: if someone else made the change, its owner learns of it
        mail.send(old, "email_changed", user.language, user=user, new_email=user.email,
                  link=mail.link("pages.show", user.language, name="imprint"))
    return user


def authenticate(email: str, password: str) -> Optional[User]:
    """The account for these credentials, or ``None``. Demo accounts are refused in production.

    An outdated password hash is replaced by a current one, in the caller's transaction.
    """
    user = by_email(email)
    if user is None:
        hash_password(password)  # spend the same time as a real check: no account enumeration by timing
        return None
    if not verify_password(user.password_hash, password):
        return None
    if current_app.config["PRODUCTION"] and user.email_key in DEMO_EMAILS:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session().add(user)
    return user


def end_all_sessions(user: User) -> None:
    """Rotate the session token (in the caller's transaction): every login cookie of this account stops working."""
    user.session_token = new_session_token()
    db.session().add(user)


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists (in the caller's transaction); the caller answers the same either way."""
    user = by_email(email)
    if user is None:
        return
    token = make_token("reset", {"u": user.id, "h": user.password_hash[-16:]})
    link = mail.link("accounts.reset_password", user.language, token=token)
    mail.send(user.email, "reset", user.language, user=user, link=link)


def user_for_reset(token: str) -> Optional[User]:
    """The account of a reset link that is valid, unexpired and unused (the hash has not changed)."""
    payload = read_token("reset", token)
    if not payload:
        return None
    user = db.session().get(User, payload.get("u"))
    if user is None or user.password_hash[-16:] != payload.get("h"):
        return None
    return user


def set_password(user: User, password: str) -> None:
    """A new password ends every other session (in the caller's transaction)."""
    user.password_hash = hash_password(password)
    user.session_token = new_session_token()
    db.session().add(user)


def confirm_address_by_reset(user: User) -> None:
    """A reset link reached the inbox: that proves the address as a confirmation link would (caller's transaction)."""
    user.email_confirmed_at = utcnow()
    db.session().add(user)


def request_email_change(user: User, new_email: str) -> None:
    """Ask to move ``user`` to ``new_email``; the same whether or not that address has an account.

    A free address gets the confirmation link; the owner of a taken one gets a note instead
    (see :func:`send_confirmation`), and confirming could not move the account there anyway.
    The caller commits the change and the mail together (``with db.transaction():``).

    Raises:
        AccountError: when ``new_email`` is the account's own address already.
    """
    if email_key(new_email) == user.email_key:
        raise AccountError(_("This is your email address already."), "email")
    user.pending_email = new_email
    db.session().add(user)
    send_confirmation(user, new_email)


def set_mail_language(user: User, language: str) -> None:
    """The language mode ``user``'s mails are written in from now on (a mode's key), in the caller's transaction."""
    if language not in MODES:
        raise ValueError(f"unknown language mode {language!r}")
    user.language = language
    db.session().add(user)


def blocks_with_places(user: User) -> list:
    """The blocks that keep ``user`` from taking part now, each with its project (``None``: the whole site)."""
    return hooks().blocks(user)
