"""Fixtures: see tests/support.py."""

from tests.support import _fresh_rate_limits, app, client, database_url, session  # noqa: F401
