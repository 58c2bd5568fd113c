"""A series whose rule matches no day shows its first meeting alone, at once (issue 12,
finding 4: dateutil walked such a rule to the year 9999 whatever the page asked for)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from tandem.meetings.occurrences import occurrences_between
from tandem.meetings.services import MeetingInput, meeting_create

from .conftest import BERLIN


@pytest.mark.timeout(3)
@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
        "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000Z",
    ],
)
def test_a_rule_matching_no_day_shows_its_first_meeting_alone(alice: User, rule: str) -> None:
    first = datetime(2026, 12, 2, 9, tzinfo=BERLIN)
    meeting_create(
        owner=alice,
        origin="sync",  # as the sync stores any rule Google holds
        data=MeetingInput(
            subject="Never",
            start=first,
            end=first + timedelta(hours=1),
            time_zone="Europe/Berlin",
            recurrence=[rule],
        ),
    )
    shown = occurrences_between(
        viewer=alice,
        owner=alice,
        first_day=date(2026, 11, 30),
        end_day=date(2027, 1, 11),
        zone=BERLIN,
    )
    assert [o.entry.start for o in shown] == [first]
