"""The time as the database stores it: aware UTC (SQLModel's UTCDateTime columns)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC with its offset (Babel converts to Europe/Berlin for display)."""
    return datetime.now(UTC)
