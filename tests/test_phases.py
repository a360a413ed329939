"""The phase service decides what is open; pages only ask it."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.models import Phase  # all models, so the mappers can configure
from webapp.phases.services import timeline

T0 = datetime(2027, 3, 1, tzinfo=UTC)


def phases():
    day = timedelta(days=1)
    return [
        Phase(kind="results", starts_at=T0 + 20 * day, ends_at=T0 + 30 * day),
        Phase(kind="information", starts_at=T0, ends_at=T0 + 10 * day),
        Phase(kind="commenting", starts_at=T0 + 10 * day, ends_at=T0 + 15 * day),
    ]


@pytest.mark.parametrize(
    ("offset_days", "state", "active_kind", "may_comment", "comment_status"),
    [
        (-1, "upcoming", None, False, "not_yet"),
        (0, "running", "information", False, "not_yet"),
        (12, "running", "commenting", True, "open"),
        (17, "running", None, False, "closed"),  # between two phases
        (25, "running", "results", False, "closed"),
        (30, "finished", None, False, "closed"),  # ends are exclusive
    ],
)
def test_timeline_at_each_moment(offset_days, state, active_kind, may_comment, comment_status):
    line = timeline(phases(), T0 + timedelta(days=offset_days))
    assert line.state == state
    assert (line.active.kind if line.active else None) == active_kind
    assert line.allows("comment") is may_comment
    assert line.comment_status() == comment_status


def test_phases_are_ordered_and_the_commenting_window_is_found():
    line = timeline(phases(), T0)
    assert [p.kind for p in line.phases] == ["information", "commenting", "results"]
    assert line.window("comment").kind == "commenting"
    assert line.starts_at == T0 and line.ends_at == T0 + timedelta(days=30)


def test_a_project_without_commenting_never_opens():
    line = timeline([Phase(kind="information", starts_at=T0, ends_at=T0 + timedelta(days=5))], T0)
    assert line.window("comment") is None
    assert line.comment_status() == "none"


def test_a_project_without_phases_is_upcoming():
    assert timeline([], T0).state == "upcoming"
