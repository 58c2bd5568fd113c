"""A rule a person writes whose UNTIL falls before the series' start is refused by the
services, with the UNTIL and the start named: such a series has no occurrence at all, so it
would vanish from the calendar and Google would hold a series without an instance. UNTIL
is inclusive (RFC 5545 §3.3.10): an UNTIL at the start is one occurrence, and accepted. A
rule from Google is stored as it is (the sync takes any rule Google holds)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update

from .helpers import BERLIN, timed

START = datetime(2026, 11, 3, 9, 0, tzinfo=BERLIN)  # 08:00 UTC
FIRST_DAY = date(2026, 11, 3)


def berlin(**changes: object) -> MeetingInput:
    values = {"start": START, "end": START + timedelta(hours=1), "time_zone": "Europe/Berlin"}
    return timed(**(values | changes))


def all_day(**changes: object) -> MeetingInput:
    return MeetingInput(
        subject="Trade fair",
        all_day=True,
        start_date=FIRST_DAY,
        end_date=FIRST_DAY + timedelta(days=1),
        time_zone="Europe/Berlin",
        **changes,  # type: ignore[arg-type]
    )


def refusal(owner: User, data: MeetingInput) -> str:
    with pytest.raises(ValidationError) as raised:
        meeting_create(owner=owner, data=data)
    assert not Meeting.objects.exists()
    (message,) = raised.value.message_dict["recurrence"]
    return message


def test_a_timed_series_ending_the_day_before_it_starts_is_refused(alice: User) -> None:
    # "Ends on 2026-11-02" as the form writes it: the last second of that day in Berlin.
    message = refusal(alice, berlin(recurrence=["RRULE:FREQ=DAILY;UNTIL=20261102T225959Z"]))
    assert "2026-11-02 at 23:59" in message and "2026-11-03 at 09:00" in message
    assert "UNTIL=20261102T225959Z" in message and "Europe/Berlin" in message
    assert "no occurrence" in message and "on or after 2026-11-03" in message


def test_a_timed_series_ending_a_second_before_its_start_is_refused(alice: User) -> None:
    message = refusal(alice, berlin(recurrence=["RRULE:FREQ=WEEKLY;UNTIL=20261103T075959Z"]))
    assert "2026-11-03 at 08:59" in message


def test_an_all_day_series_ending_the_day_before_it_starts_is_refused(alice: User) -> None:
    message = refusal(alice, all_day(recurrence=["RRULE:FREQ=WEEKLY;UNTIL=20261102"]))
    assert "ends on 2026-11-02 (UNTIL=20261102)" in message
    assert "starts on 2026-11-03" in message


@pytest.mark.parametrize(
    "data",
    [
        berlin(recurrence=["RRULE:FREQ=DAILY;UNTIL=20261103T080000Z"]),  # the start itself
        berlin(recurrence=["RRULE:FREQ=DAILY;UNTIL=20261103T225959Z"]),  # ends on its day
        all_day(recurrence=["RRULE:FREQ=WEEKLY;UNTIL=20261103"]),
    ],
)
def test_an_until_at_the_start_is_one_occurrence_and_accepted(
    alice: User, data: MeetingInput
) -> None:
    assert meeting_create(owner=alice, data=data).recurrence == data.recurrence


def test_moving_the_start_after_the_until_is_refused_and_nothing_is_written(
    alice: User,
) -> None:
    rule = ["RRULE:FREQ=DAILY;UNTIL=20261110T225959Z"]
    series = meeting_create(owner=alice, data=berlin(recurrence=rule))
    later = START + timedelta(days=8)
    moved = berlin(recurrence=rule, start=later, end=later + timedelta(hours=1))
    with pytest.raises(ValidationError) as raised:
        meeting_update(meeting=series, data=moved)
    assert "2026-11-11 at 09:00" in raised.value.message_dict["recurrence"][0]
    series.refresh_from_db()
    assert (series.start, series.version) == (START, 1)


def test_a_rule_ending_before_the_start_may_come_from_google(alice: User) -> None:
    """Google may hold such a rule (another client wrote it); refusing it would lose the
    meeting, and a later change of its subject in the CRM is no change of its rule."""
    rule = ["RRULE:FREQ=DAILY;UNTIL=20261102T225959Z"]
    series = meeting_create(owner=alice, data=berlin(recurrence=rule), origin="sync")
    changed = meeting_update(meeting=series, data=berlin(recurrence=rule, subject="Renamed"))
    assert (changed.recurrence, changed.subject) == (rule, "Renamed")
