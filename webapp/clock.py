"""The time as the database stores it (aware UTC, SQLModel's UTCDateTime columns), and the days people think in."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

#: The time zone authors enter and readers see dates in.
BERLIN = ZoneInfo("Europe/Berlin")


def utcnow() -> datetime:
    """Now, in UTC with its offset (Babel converts to Europe/Berlin for display)."""
    return datetime.now(UTC)


def berlin_today() -> date:
    """Today's date in Berlin."""
    return utcnow().astimezone(BERLIN).date()


def berlin_moment(day: date, at: time) -> datetime:
    """A Berlin wall-clock moment, in UTC."""
    return datetime.combine(day, at, tzinfo=BERLIN).astimezone(UTC)
