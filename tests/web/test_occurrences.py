"""Expanding recurring meetings for the calendar (Google's RRULE/EXDATE/RDATE lines)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

from django.contrib.auth.models import User

from tandem.meetings.calendar_grid import period_for
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between, series_starts

from .conftest import BERLIN, all_day, timed


def weekly_standup(owner: User, *rules: str) -> Meeting:
    return timed(
        owner,
        "Standup",
        datetime(2026, 11, 2, 9, tzinfo=BERLIN),
        datetime(2026, 11, 2, 9, 30, tzinfo=BERLIN),
        recurrence=list(rules),
    )


def starts(meeting: Meeting, first: date, end: date) -> list[datetime]:
    return series_starts(
        series=meeting,
        start=datetime.combine(first, datetime.min.time(), tzinfo=BERLIN),
        end=datetime.combine(end, datetime.min.time(), tzinfo=BERLIN),
    )


def days(owner: User, viewer: User, first: date, end: date) -> list[tuple[date, str]]:
    return [
        (o.first_day, o.entry.subject)
        for o in occurrences_between(
            viewer=viewer, owner=owner, first_day=first, end_day=end, zone=BERLIN
        )
    ]


def test_a_series_started_long_ago_still_shows_this_month(alice: User) -> None:
    """A weekly series whose first meeting was months ago appears in today's window."""
    meeting = weekly_standup(alice, "RRULE:FREQ=WEEKLY")
    found = starts(meeting, date(2027, 3, 1), date(2027, 3, 8))
    assert found == [datetime(2027, 3, 1, 9, tzinfo=BERLIN)]


def test_until_in_utc_is_honoured(alice: User) -> None:
    """UNTIL written in UTC (Google's form) ends the series on that day."""
    meeting = weekly_standup(alice, "RRULE:FREQ=WEEKLY;UNTIL=20261116T080000Z")
    found = starts(meeting, date(2026, 11, 1), date(2026, 12, 1))
    assert [moment.day for moment in found] == [2, 9, 16]


def test_exdate_with_a_tzid_removes_one_occurrence(alice: User) -> None:
    """EXDATE;TZID=Europe/Berlin removes exactly that week."""
    meeting = weekly_standup(
        alice, "RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE;TZID=Europe/Berlin:20261109T090000"
    )
    found = starts(meeting, date(2026, 11, 1), date(2026, 12, 1))
    assert [moment.day for moment in found] == [2, 16, 23]


def test_rdate_adds_an_occurrence(alice: User) -> None:
    """An RDATE in UTC adds an extra occurrence at that instant."""
    meeting = weekly_standup(alice, "RRULE:FREQ=WEEKLY;COUNT=1", "RDATE:20261105T130000Z")
    found = starts(meeting, date(2026, 11, 1), date(2026, 12, 1))
    assert found == [
        datetime(2026, 11, 2, 9, tzinfo=BERLIN),
        datetime(2026, 11, 5, 13, tzinfo=UTC),
    ]


def test_an_unreadable_rule_shows_the_first_occurrence_only(alice: User) -> None:
    """A rule we cannot parse (Google's to send; a person's is refused) does not break the
    page: the first meeting still shows."""
    meeting = weekly_standup(alice, "RRULE:FREQ=WEEKLY")
    Meeting.objects.filter(pk=meeting.pk).update(recurrence=["RRULE:FREQ=SOMETIMES"])
    meeting.refresh_from_db()
    found = starts(meeting, date(2026, 11, 1), date(2026, 12, 1))
    assert found == [datetime(2026, 11, 2, 9, tzinfo=BERLIN)]


def test_changed_and_cancelled_occurrences_replace_the_rule(alice: User) -> None:
    """A moved occurrence shows at its new time instead of the original one; a cancelled
    occurrence does not show at all."""
    series = weekly_standup(alice, "RRULE:FREQ=WEEKLY;COUNT=3")
    moved = timed(
        alice,
        "Standup (moved)",
        datetime(2026, 11, 10, 11, tzinfo=BERLIN),
        datetime(2026, 11, 10, 11, 30, tzinfo=BERLIN),
    )
    Meeting.objects.filter(pk=moved.pk).update(
        series=series, original_start=datetime(2026, 11, 9, 9, tzinfo=BERLIN)
    )
    cancelled = timed(
        alice,
        "Standup",
        datetime(2026, 11, 16, 9, tzinfo=BERLIN),
        datetime(2026, 11, 16, 9, 30, tzinfo=BERLIN),
    )
    Meeting.objects.filter(pk=cancelled.pk).update(
        series=series,
        original_start=datetime(2026, 11, 16, 9, tzinfo=BERLIN),
        is_cancelled_occurrence=True,
    )
    assert days(alice, alice, date(2026, 11, 1), date(2026, 12, 1)) == [
        (date(2026, 11, 2), "Standup"),
        (date(2026, 11, 10), "Standup (moved)"),
    ]


def test_occurrences_of_a_private_series_are_busy_to_colleagues(alice: User, bob: User) -> None:
    """Every occurrence of a private series is masked for a colleague."""
    timed(
        alice,
        "1:1 with manager",
        datetime(2026, 11, 2, 9, tzinfo=BERLIN),
        datetime(2026, 11, 2, 9, 30, tzinfo=BERLIN),
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        visibility="confidential",
    )
    seen = days(alice, bob, date(2026, 11, 1), date(2026, 12, 1))
    assert [subject for _, subject in seen] == ["Busy", "Busy", "Busy"]


def test_a_yearly_all_day_series_falls_on_its_dates(alice: User) -> None:
    """A yearly all-day birthday on 31 December shows on 31 December each year, one day."""
    all_day(
        alice,
        "Birthday",
        date(2025, 12, 31),
        date(2026, 1, 1),
        recurrence=["RRULE:FREQ=YEARLY"],
    )
    found = occurrences_between(
        viewer=alice,
        owner=alice,
        first_day=date(2026, 12, 28),
        end_day=date(2027, 1, 4),
        zone=zoneinfo.ZoneInfo("Pacific/Auckland"),
    )
    assert [(o.first_day, o.end_day) for o in found] == [(date(2026, 12, 31), date(2027, 1, 1))]


def test_a_timed_meeting_ending_at_midnight_stays_on_its_day(alice: User) -> None:
    """A meeting from 23:00 to 00:00 covers one day only."""
    timed(
        alice,
        "Late",
        datetime(2026, 11, 24, 23, tzinfo=BERLIN),
        datetime(2026, 11, 25, 0, tzinfo=BERLIN),
    )
    (found,) = occurrences_between(
        viewer=alice,
        owner=alice,
        first_day=date(2026, 11, 23),
        end_day=date(2026, 11, 30),
        zone=BERLIN,
    )
    assert (found.first_day, found.end_day) == (date(2026, 11, 24), date(2026, 11, 25))


def test_periods_start_on_monday_and_move_by_their_length() -> None:
    """Month: six weeks from the Monday on or before the 1st; week: Monday to Sunday."""
    month = period_for(view="month", anchor=date(2026, 2, 14))
    assert (month.first_day, month.end_day) == (date(2026, 1, 26), date(2026, 3, 9))
    assert (month.previous, month.next) == (date(2026, 1, 1), date(2026, 3, 1))
    december = period_for(view="month", anchor=date(2026, 12, 5))
    assert december.next == date(2027, 1, 1)
    week = period_for(view="week", anchor=date(2026, 11, 29))
    assert (week.first_day, week.last_day) == (date(2026, 11, 23), date(2026, 11, 29))
