"""Accounts: who may take part, and how they are known publicly (their username)."""

import secrets
import unicodedata
from datetime import datetime
from typing import Optional

import idna
from flask_login import UserMixin
from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from ..clock import utcnow


def normalise_key(value: str) -> str:
    """The comparison key of a username: NFKC and case-folded, so look-alikes collide."""
    return unicodedata.normalize("NFKC", value).strip().casefold()


def email_key(address: str) -> str:
    """The comparison key of an email address: one key for the spellings mail treats as one mailbox.

    The domain is case-insensitive and its Unicode and punycode forms are one domain (IDNA,
    UTS #46). The local part is only lower-cased: no NFKC and no case folding, because mail
    servers deliver "straße@" and "strasse@" (or a full-width "ｎｅｗ@" and "new@") to different
    mailboxes, and folding them let one address squat another's account. (The forms refuse
    full-width and other compatibility characters in addresses anyway, see accounts/forms.py.)
    """
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at:
        return address.lower()
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        pass
    return f"{local.lower()}@{domain.lower()}"


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, SQLModel, table=True):
    """A registered person. Deleting the row removes their personal data; comments stay anonymous."""

    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        CheckConstraint("report_mail IN ('each', 'digest', 'none')", name="user_report_mail"),
        # SQLite would otherwise give a deleted account's number to the next one (security report N3):
        # tokens, audit entries and blocks name accounts by number.
        {"sqlite_autoincrement": True},
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(max_length=40)
    username_key: str = Field(max_length=40, unique=True)
    email: str = Field(max_length=254)
    email_key: str = Field(max_length=254, unique=True)
    #: An address waiting for confirmation after a change of email.
    pending_email: Optional[str] = Field(default=None, max_length=254)
    password_hash: str = Field(max_length=200)
    #: A site administrator: adds initiators, sees every project's staff pages (other roles: webapp.roles).
    is_admin: bool = Field(default=False)
    #: For moderators: a mail for each new report ("each"), one a day ("digest", the default) or none ("none").
    report_mail: str = Field(default="digest", max_length=10)
    #: Reports made before this moment were in a digest already (or came while another choice held):
    #: the next digest lists those made since, however long the worker was down.
    report_digest_until: Optional[datetime] = None
    #: The language mode mails are written in (the mode they registered in).
    language: str = Field(default="de", max_length=16)
    email_confirmed_at: Optional[datetime] = None
    created_at: datetime = Field(default_factory=utcnow)
    #: Part of the login cookie; changing it logs out every session of this account.
    session_token: str = Field(default_factory=new_session_token, max_length=40)

    def get_id(self) -> str:
        """Flask-Login's id: the row id and the session token, so a rotated token ends old sessions."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None
