"""Timed meetings across DST changes keep their length in absolute time and their wall-clock
times in their own zone. Dates: Europe/Berlin switches on 2026-03-29 (02:00 → 03:00) and
2026-10-25 (03:00 → 02:00); America/New_York on 2026-03-08 and 2026-11-01."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from tandem.meetings.services import meeting_create

from .helpers import timed


@pytest.mark.parametrize(
    ("zone", "start", "end", "duration"),
    [
        # Spring forward: 01:00 to 04:00 on the clock is only two hours.
        ("Europe/Berlin", datetime(2026, 3, 29, 1), datetime(2026, 3, 29, 4), timedelta(hours=2)),
        # Fall back: 01:00 to 04:00 on the clock is four hours.
        ("Europe/Berlin", datetime(2026, 10, 25, 1), datetime(2026, 10, 25, 4), timedelta(hours=4)),
        ("America/New_York", datetime(2026, 3, 8, 1), datetime(2026, 3, 8, 4), timedelta(hours=2)),
        ("America/New_York", datetime(2026, 11, 1), datetime(2026, 11, 1, 3), timedelta(hours=4)),
    ],
)
def test_a_meeting_across_a_dst_change_keeps_its_absolute_duration_and_wall_clock_times(
    alice: User, zone: str, start: datetime, end: datetime, duration: timedelta
):
    tz = ZoneInfo(zone)
    meeting = meeting_create(
        owner=alice,
        data=timed(start=start.replace(tzinfo=tz), end=end.replace(tzinfo=tz), time_zone=zone),
    )
    meeting.refresh_from_db()  # read back what the database kept (stored in UTC)
    assert meeting.end - meeting.start == duration
    assert meeting.start.astimezone(tz).replace(tzinfo=None) == start
    assert meeting.end.astimezone(tz).replace(tzinfo=None) == end
    assert meeting.time_zone == zone


def test_a_week_long_daily_slot_across_the_change_stays_at_nine_local(alice: User):
    """Nine o'clock in Berlin is 08:00 UTC before the spring change and 07:00 UTC after."""
    berlin = ZoneInfo("Europe/Berlin")
    before = meeting_create(
        owner=alice,
        data=timed(
            start=datetime(2026, 3, 27, 9, tzinfo=berlin),
            end=datetime(2026, 3, 27, 10, tzinfo=berlin),
            time_zone="Europe/Berlin",
        ),
    )
    after = meeting_create(
        owner=alice,
        data=timed(
            start=datetime(2026, 3, 30, 9, tzinfo=berlin),
            end=datetime(2026, 3, 30, 10, tzinfo=berlin),
            time_zone="Europe/Berlin",
        ),
    )
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.start.utcoffset() == timedelta(0)  # stored as UTC
    assert (before.start.hour, after.start.hour) == (8, 7)
    assert before.start.astimezone(berlin).hour == after.start.astimezone(berlin).hour == 9


def test_the_ambiguous_hour_of_the_autumn_change_is_told_apart_by_fold(alice: User):
    """02:30 happens twice in Berlin on 2026-10-25; fold=1 is the second (CET) one."""
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 2, 30, tzinfo=berlin)
    second = first.replace(fold=1)
    meeting = meeting_create(
        owner=alice, data=timed(start=first, end=second, time_zone="Europe/Berlin")
    )
    meeting.refresh_from_db()
    assert meeting.end - meeting.start == timedelta(hours=1)
