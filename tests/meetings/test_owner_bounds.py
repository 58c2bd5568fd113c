"""Issue 14, performance: a calendar range's queries are bounded from below by the owner's
longest meeting (tandem.meetings.owner_bounds), so their cost follows what the range
shows, not the owner's total; and the bound never hides a meeting."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
PAGE_FIRST, PAGE_END = date(2026, 12, 1), date(2026, 12, 8)


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def _meeting(owner: User, subject: str, start: datetime, end: datetime, **extra: object) -> Meeting:
    data = MeetingInput(subject=subject, start=start, end=end, time_zone="Europe/Berlin", **extra)  # type: ignore[arg-type]
    return meeting_create(owner=owner, data=data)


def _shown(owner: User) -> list[str]:
    return [
        o.entry.subject
        for o in occurrences_between(
            viewer=owner, owner=owner, first_day=PAGE_FIRST, end_day=PAGE_END, zone=BERLIN
        )
    ]


def _old_meetings(owner: User, count: int, *, before: datetime) -> None:
    """``count`` one-hour meetings, one a day, ending before ``before`` (rows written as an
    import writes them: the bound must hold whoever wrote them)."""
    Meeting.objects.bulk_create(
        Meeting(
            owner=owner,
            subject=f"Old {n}",
            start=before - timedelta(days=n + 1),
            end=before - timedelta(days=n + 1) + timedelta(hours=1),
            time_zone="Europe/Berlin",
        )
        for n in range(count)
    )


@contextmanager
def _sqlite_steps() -> Iterator[list[int]]:
    """Counts SQLite's virtual machine steps (in hundreds) while the block runs."""
    counted = [0]
    connection.ensure_connection()
    raw = connection.connection

    def step() -> int:
        counted[0] += 1
        return 0

    raw.set_progress_handler(step, 100)
    try:
        yield counted
    finally:
        raw.set_progress_handler(None, 100)


@pytest.mark.django_db
def test_a_long_meeting_that_began_long_before_the_range_is_shown(alice: User) -> None:
    """A conference of twelve days that began ten days before the page's first day: the
    bound is the owner's longest meeting, so it still reaches it."""
    _meeting(
        alice,
        "Trade fair",
        _at(PAGE_FIRST, 9) - timedelta(days=10),
        _at(PAGE_FIRST, 18) + timedelta(days=2),
    )
    _meeting(alice, "Call", _at(PAGE_FIRST, 9), _at(PAGE_FIRST, 10))
    assert _shown(alice) == ["Trade fair", "Call"]


@pytest.mark.django_db
def test_a_meeting_made_longer_is_found_at_once(alice: User) -> None:
    """The bound is read again after every change: lengthening a meeting so that it
    reaches the range shows it on the next read."""
    _meeting(alice, "Call", _at(PAGE_FIRST, 9), _at(PAGE_FIRST, 10))
    workshop = _meeting(
        alice,
        "Workshop",
        _at(PAGE_FIRST, 9) - timedelta(days=5),
        _at(PAGE_FIRST, 10) - timedelta(days=5),
    )
    assert _shown(alice) == ["Call"]
    meeting_update(
        meeting=workshop,
        data=MeetingInput(
            subject="Workshop",
            start=workshop.start,
            end=_at(PAGE_FIRST, 12),
            time_zone="Europe/Berlin",
        ),
    )
    assert _shown(alice) == ["Workshop", "Call"]


@pytest.mark.django_db
def test_a_series_that_began_years_ago_is_still_expanded(alice: User) -> None:
    _meeting(
        alice,
        "Weekly review",
        _at(date(2020, 12, 1), 9),
        _at(date(2020, 12, 1), 10),
        recurrence=["RRULE:FREQ=WEEKLY"],
    )
    assert _shown(alice) == ["Weekly review"]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="counts SQLite's own steps")
def test_the_ranges_cost_does_not_grow_with_older_meetings(alice: User) -> None:
    """Four times as many meetings before the range cost (nearly) nothing more to read the
    range: before the bound, both queries walked every earlier meeting of the owner."""
    _meeting(alice, "Call", _at(PAGE_FIRST, 9), _at(PAGE_FIRST, 10))
    first_before = _at(PAGE_FIRST, 0) - timedelta(days=2)
    _old_meetings(alice, 1000, before=first_before)
    _shown(alice)  # the bounds are read once after a change; measure the steady state
    with _sqlite_steps() as few:
        assert _shown(alice) == ["Call"]
    _old_meetings(alice, 3000, before=first_before - timedelta(days=1001))
    _meeting(alice, "Note", _at(PAGE_FIRST, 11), _at(PAGE_FIRST, 11))  # a change: new bounds
    _shown(alice)
    with _sqlite_steps() as many:
        assert _shown(alice) == ["Call", "Note"]
    assert many[0] <= few[0] + 20, (few[0], many[0])
