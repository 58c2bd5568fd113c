"""When a recurring meeting is over, at its edges: the series' own time zone, RDATE lines
in each of their forms, the counting bound, the walk's horizon, rules that never match.
``series_last_end`` decides whether a series is outside the sync window (DESIGN.md §3),
so an error here imports or pushes a series that is over, or leaves one out that is not.
Written after mutation testing (docs/testing.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from dateutil.rrule import rrule, rrulestr

from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.planner import plan_item
from tandem.sync.core.rule_probe import never_matches
from tandem.sync.core.series_end import MAX_COUNTED, MAX_PERIODS, series_last_end
from tandem.sync.core.state import CrmMeeting, Link, SyncSettings

FIRST = datetime(2026, 1, 5, 9, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def last_end(*lines: str, first: datetime = FIRST, zone: str | None = None) -> datetime | None:
    return series_last_end(start=first, end=first + HALF_HOUR, zone=zone, lines=lines)


def test_a_series_keeps_its_wall_clock_across_daylight_saving() -> None:
    """Weekly at 09:00 in Paris from 19 October 2026: the third meeting, after the clocks
    went back on 25 October, is at 09:00 Paris = 08:00 UTC (not 07:00, as a walk in UTC
    would have it)."""
    first = datetime(2026, 10, 19, 7, tzinfo=UTC)  # 09:00 in Paris (summer time)
    expected = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    assert last_end("RRULE:FREQ=WEEKLY;COUNT=3", first=first, zone="Europe/Paris") == expected
    fields = MeetingFields(
        subject="Weekly",
        start=TimedMoment(first, "Europe/Paris"),
        end=TimedMoment(first + HALF_HOUR, "Europe/Paris"),
        recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",),
    )
    assert not fields.ends_before(expected - timedelta(seconds=1))
    assert fields.ends_before(expected)


def test_rdates_in_each_form_extend_the_series() -> None:
    """A list of dates, a date with its VALUE parameter, a UTC time and a floating time
    (read on the series' wall clock) each extend the series to the last of them."""
    weekly = "RRULE:FREQ=WEEKLY;COUNT=2"
    assert last_end(weekly, "RDATE:20260301T090000Z,20260401T090000Z") == datetime(
        2026, 4, 1, 9, 30, tzinfo=UTC
    )
    assert last_end(weekly, "RDATE:20260301T100000", zone="Europe/Paris") == datetime(
        2026, 3, 1, 9, 30, tzinfo=UTC
    )
    assert last_end(weekly, "RDATE:20260301T100000") == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    offsite = series_last_end(
        start=date(2026, 1, 5),
        end=date(2026, 1, 6),
        zone=None,
        lines=("RRULE:FREQ=DAILY;COUNT=3", "RDATE;VALUE=DATE:20260301"),
    )
    assert offsite == datetime(2026, 3, 2, tzinfo=UTC)


def test_an_unreadable_rdate_makes_the_series_go_on() -> None:
    """An RDATE that cannot be read: the end is unknown, so the series is kept."""
    assert last_end("RRULE:FREQ=WEEKLY;COUNT=2", "RDATE:2026-03-01") is None


def test_a_rule_without_any_occurrence_does_not_hide_the_lines_after_it() -> None:
    """A rule that matches no day adds nothing; an RDATE after it still counts."""
    lines = ("RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "RDATE:20260301T090000Z")
    assert last_end(*lines) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_a_series_of_exactly_the_counted_maximum_is_counted_one_more_is_not() -> None:
    """Up to MAX_COUNTED occurrences are counted to their end; beyond, the series goes on."""
    day = timedelta(days=1)
    assert last_end(f"RRULE:FREQ=DAILY;COUNT={MAX_COUNTED}") == FIRST + (MAX_COUNTED - 1) * day + (
        HALF_HOUR
    )
    assert last_end(f"RRULE:FREQ=DAILY;COUNT={MAX_COUNTED + 1}") is None


def test_a_yearly_series_ends_with_its_last_year() -> None:
    """Yearly rules (whose horizon of periods passes the year 9999) are counted to the end."""
    assert last_end("RRULE:FREQ=YEARLY;COUNT=3") == datetime(2028, 1, 5, 9, 30, tzinfo=UTC)
    assert last_end("RRULE:FREQ=YEARLY;UNTIL=20300101T000000Z") == datetime(
        2029, 1, 5, 9, 30, tzinfo=UTC
    )


def test_the_horizon_counts_periods_of_the_rules_interval() -> None:
    """Every fifth day, 4,100 times: 20,495 days, past 20,000 days but within 20,000 of its
    periods, so it is counted to its end."""
    assert last_end("RRULE:FREQ=DAILY;INTERVAL=5;COUNT=4100") == FIRST + timedelta(
        days=5 * 4099
    ) + (HALF_HOUR)


LEAP_DAYS = "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=29"


def test_a_rule_ending_past_its_horizon_is_taken_as_going_on() -> None:
    """A rule whose end lies more than MAX_PERIODS periods ahead (daily: 20,000 days, about
    2080) is taken as going on, by UNTIL or by COUNT, though few of its days match."""
    assert last_end(f"RRULE:{LEAP_DAYS};UNTIL=21000101T000000Z") is None
    assert last_end(f"RRULE:{LEAP_DAYS};COUNT=20") is None  # 20 leap days: 80 years


def test_a_rule_ending_exactly_at_its_horizon_is_counted() -> None:
    """An UNTIL exactly MAX_PERIODS periods ahead is within the horizon: its last leap day
    (29 February 2080) ends the series."""
    until = (FIRST + timedelta(days=MAX_PERIODS)).strftime("%Y%m%dT%H%M%SZ")
    assert last_end(f"RRULE:{LEAP_DAYS};UNTIL={until}") == datetime(2080, 2, 29, 9, 30, tzinfo=UTC)


def test_an_all_day_series_ending_on_a_date_is_over_after_its_last_day() -> None:
    """Daily from 2 March 2026 until 5 March: over at midnight after 5 March."""
    offsite = series_last_end(
        start=date(2026, 3, 2),
        end=date(2026, 3, 3),
        zone=None,
        lines=("RRULE:FREQ=DAILY;UNTIL=20260305",),
    )
    assert offsite == datetime(2026, 3, 6, tzinfo=UTC)


def test_an_all_day_series_over_before_the_window_is_no_deletion_when_unlisted() -> None:
    """A full listing (timeMin = window start) leaves out an all-day series that ended a
    year ago: that is no deletion, as for a series ended by COUNT (data loss otherwise: the
    CRM's meeting is deleted, through the breaker)."""
    window = SyncSettings(window_start=datetime(2026, 4, 1, tzinfo=UTC))
    for rule in ("RRULE:FREQ=DAILY;COUNT=4", "RRULE:FREQ=DAILY;UNTIL=20250305"):
        offsite = MeetingFields(
            subject="Offsite", start=date(2025, 3, 2), end=date(2025, 3, 3), recurrence=(rule,)
        )
        link = Link(
            calendar_id="cal",
            meeting_id=7,
            event_id="ev1",
            base=offsite,
            etag='"e1"',
            crm_version=3,
            origin="google",
        )
        result = plan_item(
            link=link,
            crm=CrmMeeting(7, 3, offsite),
            google=None,
            settings=window,
            listing_complete=True,
        )
        assert (result.why, result.actions) == ("event out of the window", ()), rule


# -- rule_probe: whether a rule matches any day at all --------------------------------


def probe(text: str, first: datetime = datetime(2026, 1, 5, 9)) -> bool:
    rule = rrulestr(text, dtstart=first)
    assert isinstance(rule, rrule)
    return never_matches(rule, text, first=first)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY;BYMONTH=3;UNTIL=20270101T000000",
        "FREQ=HOURLY;BYDAY=SA;UNTIL=20270101T000000",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=2",
    ],
)
def test_a_rule_that_ended_long_ago_still_matches_some_day(text: str) -> None:
    """The probe asks whether the rule's filters match any day, not whether it still runs:
    an UNTIL or COUNT of the rule does not make it a rule without occurrences."""
    assert not probe(text)


def test_bysetpos_picks_within_the_rules_own_period() -> None:
    """Hourly, at 09:00 or 10:00, the second of each hour: an hour holds one of them, so
    there is never a second (read by the day, there would be)."""
    assert probe("FREQ=HOURLY;BYHOUR=9,10;BYSETPOS=2")
    assert not probe("FREQ=HOURLY;BYHOUR=9,10;BYSETPOS=1")


def test_a_series_starting_on_29_february_is_probed_from_its_day() -> None:
    """The probe's year (9972) is a leap year, so a series starting on 29 February keeps its
    day there."""
    first = datetime(2028, 2, 29, 9)
    assert not probe("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", first=first)
    assert probe("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", first=first)


def test_an_all_day_series_ending_on_a_date_west_of_utc_keeps_its_last_day() -> None:
    """The date UNTIL is the series' own day: in New York its last day still counts (a
    bound at midnight UTC would cut it, 05:00 UTC being the day's start there)."""
    offsite = series_last_end(
        start=date(2026, 3, 2),
        end=date(2026, 3, 3),
        zone="America/New_York",
        lines=("RRULE:FREQ=DAILY;UNTIL=20260305",),
    )
    assert offsite == datetime(2026, 3, 6, tzinfo=UTC)  # all-day ends read as UTC days
