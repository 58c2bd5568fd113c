"""All-day meetings are dates with an EXCLUSIVE end date, as in Google Calendar; their
start/end are midnights in the meeting's zone so one range query finds both kinds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from tandem.meetings.selectors import meetings_of
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update

from .helpers import BERLIN, UTC, timed


def all_day(first: date, after_last: date, zone: str = "UTC") -> MeetingInput:
    return MeetingInput(
        subject="Offsite", all_day=True, start_date=first, end_date=after_last, time_zone=zone
    )


def test_a_one_day_meeting_on_january_31_ends_on_february_1(alice: User):
    meeting = meeting_create(owner=alice, data=all_day(date(2026, 1, 31), date(2026, 2, 1)))
    meeting.refresh_from_db()
    assert (meeting.start_date, meeting.end_date) == (date(2026, 1, 31), date(2026, 2, 1))
    assert meeting.start == datetime(2026, 1, 31, tzinfo=UTC)
    assert meeting.end == datetime(2026, 2, 1, tzinfo=UTC)


def test_a_meeting_on_december_31_ends_on_january_1_of_the_next_year(alice: User):
    meeting = meeting_create(owner=alice, data=all_day(date(2026, 12, 31), date(2027, 1, 1)))
    assert meeting.end - meeting.start == timedelta(days=1)
    in_january = meetings_of(
        owner=alice,
        start=datetime(2027, 1, 1, tzinfo=UTC),
        end=datetime(2027, 2, 1, tzinfo=UTC),
    )
    in_december = meetings_of(
        owner=alice,
        start=datetime(2026, 12, 1, tzinfo=UTC),
        end=datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert list(in_january) == []  # the exclusive end day is not part of the meeting
    assert list(in_december) == [meeting]


def test_a_leap_day_meeting_spans_february_29(alice: User):
    meeting = meeting_create(owner=alice, data=all_day(date(2028, 2, 28), date(2028, 3, 1)))
    assert meeting.end - meeting.start == timedelta(days=2)


def test_a_multi_day_meeting_across_a_month_end_is_in_both_months(alice: User):
    meeting = meeting_create(owner=alice, data=all_day(date(2026, 4, 29), date(2026, 5, 3)))
    for month_start, month_end in [
        (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)),
        (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)),
    ]:
        assert list(meetings_of(owner=alice, start=month_start, end=month_end)) == [meeting]


def test_all_day_midnights_are_in_the_meetings_zone(alice: User):
    """An all-day meeting in Berlin starts at Berlin's midnight (22:00 or 23:00 UTC before)."""
    meeting = meeting_create(
        owner=alice, data=all_day(date(2026, 7, 1), date(2026, 7, 2), "Europe/Berlin")
    )
    meeting.refresh_from_db()
    assert meeting.start == datetime(2026, 6, 30, 22, tzinfo=UTC)
    assert meeting.start.astimezone(BERLIN).hour == 0


def test_an_all_day_meeting_on_the_spring_dst_day_lasts_23_hours(alice: User):
    """Berlin skips 02:00-03:00 on 2026-03-29: the day is 23 hours long, still one date."""
    meeting = meeting_create(
        owner=alice, data=all_day(date(2026, 3, 29), date(2026, 3, 30), "Europe/Berlin")
    )
    # Read back in UTC: Python subtracts two datetimes of one ZoneInfo on the wall clock.
    meeting.refresh_from_db()
    assert meeting.end - meeting.start == timedelta(hours=23)
    assert meeting.end.astimezone(BERLIN).date() == date(2026, 3, 30)


def test_an_all_day_meeting_on_the_autumn_dst_day_lasts_25_hours(alice: User):
    meeting = meeting_create(
        owner=alice, data=all_day(date(2026, 10, 25), date(2026, 10, 26), "Europe/Berlin")
    )
    meeting.refresh_from_db()
    assert meeting.end - meeting.start == timedelta(hours=25)


@pytest.mark.parametrize(
    ("first", "after_last", "field"),
    [
        (date(2026, 5, 4), date(2026, 5, 4), "end_date"),
        (date(2026, 5, 4), date(2026, 5, 3), "end_date"),
        (None, date(2026, 5, 4), "start_date"),
        (date(2026, 5, 4), None, "end_date"),
    ],
)
def test_an_all_day_meeting_needs_an_end_date_after_its_start_date(
    alice: User, first: date | None, after_last: date | None, field: str
):
    with pytest.raises(ValidationError) as refused:
        meeting_create(
            owner=alice,
            data=MeetingInput(subject="Off", all_day=True, start_date=first, end_date=after_last),
        )
    assert field in refused.value.message_dict


def test_turning_a_timed_meeting_into_an_all_day_one_clears_nothing_it_needs(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    meeting_update(meeting=meeting, data=all_day(date(2026, 5, 4), date(2026, 5, 5)))
    meeting.refresh_from_db()
    assert meeting.all_day and meeting.start == datetime(2026, 5, 4, tzinfo=UTC)
    meeting_update(meeting=meeting, data=timed())
    meeting.refresh_from_db()
    assert not meeting.all_day
    assert meeting.start_date is None and meeting.end_date is None
    assert meeting.start == datetime(2026, 5, 4, 9, tzinfo=UTC)
