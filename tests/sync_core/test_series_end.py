"""What "outside the window" means for a recurring meeting: its last occurrence's end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from msgspec.structs import replace

from tandem.sync.core.fields import MeetingFields, TimedMoment

START = datetime(2026, 10, 10, 17, tzinfo=UTC)
WEEKLY = MeetingFields(
    subject="Weekly",
    start=TimedMoment(START, "Asia/Kolkata"),
    end=TimedMoment(START + timedelta(minutes=30), "Asia/Kolkata"),
    recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",),
)


def test_a_finite_series_is_over_when_its_last_occurrence_is() -> None:
    last_end = START + timedelta(weeks=2, minutes=30)
    assert not WEEKLY.ends_before(last_end - timedelta(seconds=1))
    assert WEEKLY.ends_before(last_end)
    until = replace(WEEKLY, recurrence=("RRULE:FREQ=DAILY;UNTIL=20261012T170000Z",))
    assert until.ends_before(START + timedelta(days=2, minutes=30))
    assert not until.ends_before(START + timedelta(days=2, minutes=29))


def test_a_series_that_never_ends_or_is_too_long_to_count_is_never_over() -> None:
    far = START + timedelta(days=3650)
    assert not replace(WEEKLY, recurrence=("RRULE:FREQ=WEEKLY",)).ends_before(far)
    dense = replace(WEEKLY, recurrence=("RRULE:FREQ=SECONDLY;COUNT=1000000",))
    assert not dense.ends_before(far)


def test_an_rdate_after_the_rule_extends_the_series() -> None:
    extra = replace(WEEKLY, recurrence=(*WEEKLY.recurrence, "RDATE:20261201T170000Z"))
    assert not extra.ends_before(datetime(2026, 12, 1, 17, 29, tzinfo=UTC))
    assert extra.ends_before(datetime(2026, 12, 1, 17, 30, tzinfo=UTC))


def test_an_all_day_series_ends_at_midnight_after_its_last_day() -> None:
    days = MeetingFields(
        subject="Off",
        start=date(2026, 10, 10),
        end=date(2026, 10, 11),
        recurrence=("RRULE:FREQ=DAILY;COUNT=3",),
    )
    assert not days.ends_before(datetime(2026, 10, 12, 23, 59, tzinfo=UTC))
    assert days.ends_before(datetime(2026, 10, 13, tzinfo=UTC))
