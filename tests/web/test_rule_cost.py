"""Recurrence rules have a cost bound (issue 12, finding 4): a page or an API call expands a
series only over the range asked for, at most MAX_OCCURRENCES_PER_SERIES times, and a rule
more frequent than daily shows once per page with a note."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from dateutil.rrule import rrulestr
from django.contrib.auth.models import User
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between, series_starts
from tandem.meetings.rule_cost import MAX_OCCURRENCES_PER_SERIES, dense_rule_summary
from tandem.meetings.services import MeetingInput, meeting_create

from .conftest import BERLIN


def series(owner: User, rule: str, first: datetime, subject: str = "Ping") -> Meeting:
    """A series from Google (an invitation): the sync stores any rule, while a person may
    not write one more frequent than daily (issue 13)."""
    return meeting_create(
        owner=owner,
        origin="sync",
        data=MeetingInput(
            subject=subject,
            start=first,
            end=first + timedelta(minutes=1),
            time_zone="Europe/Berlin",
            recurrence=[rule],
        ),
    )


def boxes(owner: User, first: date, end: date, viewer: User | None = None) -> list:  # type: ignore[type-arg]
    return occurrences_between(
        viewer=viewer or owner, owner=owner, first_day=first, end_day=end, zone=BERLIN
    )


def test_a_secondly_rule_shows_once_on_the_week_page_with_a_note(alice: User) -> None:
    """A rule firing every second (604,800 times in the week) is one box, saying so."""
    series(alice, "RRULE:FREQ=SECONDLY", datetime(2026, 11, 30, 9, tzinfo=BERLIN))
    shown = boxes(alice, date(2026, 11, 30), date(2026, 12, 7))
    assert len(shown) == 1
    assert shown[0].entry.start == datetime(2026, 11, 30, 9, tzinfo=BERLIN)
    assert shown[0].note == "Repeats every second: shown once here."


def test_a_dense_rule_shows_at_its_first_occurrence_on_each_page(alice: User, bob: User) -> None:
    """A minutely series that began months before shows once on a later page too, at the
    page's first occurrence, for its owner and for a colleague."""
    series(alice, "RRULE:FREQ=MINUTELY;INTERVAL=15", datetime(2026, 1, 5, 9, 7, tzinfo=BERLIN))
    for viewer in (alice, bob):
        shown = boxes(alice, date(2026, 11, 30), date(2027, 1, 11), viewer=viewer)
        assert [o.entry.start for o in shown] == [datetime(2026, 11, 30, 0, 7, tzinfo=BERLIN)]
        assert shown[0].note == "Repeats every 15 minutes: shown once here."


def test_a_daily_rule_without_end_is_cut_at_the_per_series_maximum(alice: User) -> None:
    """Ten years of a daily meeting asked for at once: MAX_OCCURRENCES_PER_SERIES boxes, the
    last saying more are not shown."""
    series(alice, "RRULE:FREQ=DAILY", datetime(2000, 1, 3, 9, tzinfo=BERLIN), "Daily")
    shown = boxes(alice, date(2020, 1, 1), date(2030, 1, 1))
    # The walk starts a day before the page (zones are up to 14 h from UTC), so the first
    # of the maximum is that day's, which the page does not show.
    assert len(shown) == MAX_OCCURRENCES_PER_SERIES - 1
    assert shown[0].entry.start == datetime(2020, 1, 1, 9, tzinfo=BERLIN)
    assert shown[-1].note == "More occurrences of this series are not shown here."
    assert all(not o.note for o in shown[:-1])


def test_a_daily_rule_from_long_ago_fills_a_month_page_exactly(alice: User) -> None:
    """The bound changes nothing for an ordinary page: 42 days, 42 boxes, no note."""
    series(alice, "RRULE:FREQ=DAILY", datetime(1990, 1, 1, 9, tzinfo=BERLIN), "Daily")
    shown = boxes(alice, date(2026, 11, 30), date(2027, 1, 11))
    assert len(shown) == 42 and not any(o.note for o in shown)


def test_a_long_count_rule_begun_long_ago_fills_a_month_page(alice: User) -> None:
    """COUNT=100000 daily since 1950 is still going in 2026: 42 boxes, found without walking
    the 28,000 days before the page."""
    series(alice, "RRULE:FREQ=DAILY;COUNT=100000", datetime(1950, 1, 2, 7, tzinfo=BERLIN))
    shown = boxes(alice, date(2026, 11, 30), date(2027, 1, 11))
    assert len(shown) == 42 and not any(o.note for o in shown)


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=3",
        "FREQ=WEEKLY;BYDAY=MO,TH,SU;INTERVAL=2",
        "FREQ=WEEKLY;WKST=SU;BYDAY=SA,SU;INTERVAL=3",
        "FREQ=HOURLY;INTERVAL=7;BYMINUTE=0,30",
        "FREQ=MINUTELY;INTERVAL=97",
        "FREQ=DAILY;BYHOUR=8,20;BYMINUTE=15",
        "FREQ=WEEKLY;BYDAY=MO,WE;BYSETPOS=-1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=DAILY;COUNT=900",
        "FREQ=HOURLY;INTERVAL=5;COUNT=4000",
        "FREQ=WEEKLY;BYDAY=MO;COUNT=200",
        "FREQ=DAILY;COUNT=100",
        "FREQ=WEEKLY;UNTIL=20270105T000000Z",
    ],
)
def test_the_bounded_walk_finds_what_the_unbounded_one_does(alice: User, rule: str) -> None:
    """Restarting a rule near the range and cutting its UNTIL keep every occurrence in it."""
    first = datetime(2024, 3, 7, 10, 20, tzinfo=BERLIN)  # a Thursday, before a DST change
    meeting = series(alice, f"RRULE:{rule}", first)
    start, end = datetime(2026, 10, 20, tzinfo=BERLIN), datetime(2026, 11, 3, tzinfo=BERLIN)
    naive = rrulestr(
        rule.replace("20270105T000000Z", "20270105T010000"), dtstart=first.replace(tzinfo=None)
    )
    expected = [
        wall.replace(tzinfo=BERLIN)
        for wall in naive.between(start.replace(tzinfo=None), end.replace(tzinfo=None), inc=True)
    ]
    assert series_starts(series=meeting, start=start, end=end) == [m for m in expected if m < end]


@pytest.mark.timeout(60)
def test_an_occurrence_of_a_year_old_secondly_rule_can_be_cancelled(
    alice: User, client_alice: Client
) -> None:
    """Cancelling one occurrence checks it against the rule around that instant only (the
    old walk from the series' start took minutes for a year of seconds)."""
    meeting = series(alice, "RRULE:FREQ=SECONDLY;INTERVAL=5", datetime(2025, 12, 1, tzinfo=BERLIN))
    response = client_alice.delete(f"/api/v1/meetings/{meeting.pk}/occurrences/20261201T120005Z/")
    assert response.status_code == 204, response.content
    refused = client_alice.delete(f"/api/v1/meetings/{meeting.pk}/occurrences/20261201T120004Z/")
    assert refused.status_code == 400
    assert "no occurrence at that time" in refused.content.decode()


def test_the_month_page_of_a_dense_series_renders_it_once(
    alice: User, bob: User, client_alice: Client
) -> None:
    """The calendar page (owner's and a colleague's) carries the series once, with its note."""
    series(alice, "RRULE:FREQ=SECONDLY", datetime(2026, 11, 2, 9, tzinfo=BERLIN), "Flood")
    page = client_alice.get("/?view=month&date=2026-12-01").content.decode()
    assert page.count('title="Flood (Repeats every second: shown once here.)"') == 1
    assert page.count(">Flood<") == 1
    client_bob = Client()
    client_bob.force_login(bob)
    colleague = client_bob.get("/?view=week&date=2026-12-01&user=alice").content.decode()
    assert colleague.count(">Flood<") == 1
    assert (
        '<span class="entry-location entry-note">· Repeats every second: shown once here.</span>'
        in colleague
    )


def test_the_api_lists_a_dense_series_once(client_alice: Client, alice: User) -> None:
    """The API lists series, never their occurrences: one row with its rule as stored."""
    series(alice, "RRULE:FREQ=SECONDLY", datetime(2026, 11, 2, 9, tzinfo=BERLIN))
    rows = client_alice.get(
        "/api/v1/meetings/?start=2026-01-01T00:00:00Z&end=2036-01-01T00:00:00Z"
    ).json()["results"]
    assert [row["recurrence"] for row in rows] == [["RRULE:FREQ=SECONDLY"]]


@pytest.mark.parametrize(
    ("lines", "summary"),
    [
        (["RRULE:FREQ=SECONDLY"], "every second"),
        (["RRULE:FREQ=hourly;INTERVAL=2"], "every 2 hours"),
        (["EXDATE:20261201T090000Z", "RRULE:FREQ=DAILY;BYHOUR=9,17"], "2 times a day"),
        (["RRULE:FREQ=DAILY"], ""),
        (["RRULE:FREQ=WEEKLY;BYDAY=MO,TU"], ""),
        (["EXRULE:FREQ=MINUTELY"], ""),
    ],
)
def test_rules_more_frequent_than_daily_are_dense(lines: list[str], summary: str) -> None:
    """Google Calendar's screens offer days at most; what is denser is named."""
    assert dense_rule_summary(lines) == summary


def test_the_meeting_page_names_a_dense_rule(alice: User, client_alice: Client) -> None:
    """The series' page shows the rule as stored and says how the calendar shows it."""
    meeting = series(
        alice, "RRULE:FREQ=MINUTELY;INTERVAL=5", datetime(2026, 11, 2, 9, tzinfo=BERLIN)
    )
    page = client_alice.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "<code>RRULE:FREQ=MINUTELY;INTERVAL=5</code>" in page
    assert "Repeats every 5 minutes, more often than Google Calendar" in page
    assert "the calendar shows it once per page" in page
