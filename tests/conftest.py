"""Fixtures: see tests/support.py."""

from tests.support import app, client, database_url, session  # noqa: F401
