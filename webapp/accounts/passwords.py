"""Passwords: argon2 hashes, and the one rule that matters (long and not commonly used).

No composition rules (NIST SP 800-63B): at least 12 characters, and not among the most
common passwords or easily guessed from the account's own name and address (zxcvbn).
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Optional

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from ..i18n import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 256
#: argon2's standard parameters (RFC 9106: 64 MiB, 3 passes, about 0.1 s a hash here), and its cheapest, for the
#: test suite only (``PASSWORD_HASHING=test``, refused in production: see webapp/config.py).
HASHERS = {"standard": PasswordHasher(), "test": PasswordHasher.from_parameters(profiles.CHEAPEST)}


def _hasher() -> PasswordHasher:
    name = current_app.config.get("PASSWORD_HASHING") if has_app_context() else os.environ.get("PASSWORD_HASHING")
    return HASHERS.get(name or "standard", HASHERS["standard"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises for a wrong or malformed hash."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *context: str) -> Optional[str]:
    """Why ``password`` is not good enough, or ``None``. ``context``: username, email..."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(count)s characters.", count=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(count)s characters.", count=MAX_LENGTH))
    if password.casefold() in _common():
        return str(_l("This password is one of the most commonly used. Please choose another one."))
    # zxcvbn's estimate: repeats, sequences, keyboard patterns and the user's own data.
    if zxcvbn(password[:100], user_inputs=[c for c in context if c])["score"] < 2:
        return str(_l("This password is too easy to guess. A few unrelated words make a good one."))
    return None
