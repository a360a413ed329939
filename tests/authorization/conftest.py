"""The authorization matrix's fixtures; ``app``, ``client`` and ``session`` come from tests/conftest.py."""

from functools import lru_cache

import pytest

from webapp.accounts import passwords


@pytest.fixture(autouse=True)
def _one_hash_per_password(monkeypatch):
    """make_user hashes each password once (argon2 is slow on purpose; 300 accounts need not be)."""
    monkeypatch.setattr(passwords, "hash_password", lru_cache(maxsize=8)(passwords.hash_password))
