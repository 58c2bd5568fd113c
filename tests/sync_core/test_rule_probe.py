"""A rule whose filters match no day is found out in bounded time (issue 12, finding 4):
dateutil would walk it to the year 9999 whatever its UNTIL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dateutil.rrule import rrule, rrulestr

from tandem.sync.core.rule_probe import never_matches
from tandem.sync.core.series_end import series_last_end

FIRST = datetime(2026, 1, 5, 9)


def probe(text: str) -> bool:
    rule = rrulestr(text, dtstart=FIRST)
    assert isinstance(rule, rrule)
    return never_matches(rule, text, first=FIRST)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231T000000",
        "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31",
        "FREQ=WEEKLY;BYDAY=MO;BYSETPOS=2",
        "FREQ=MONTHLY;BYDAY=5MO;BYMONTH=2;BYMONTHDAY=1,2,3",
        "FREQ=MINUTELY;BYYEARDAY=367",
    ],
)
def test_rules_matching_no_day_are_found(text: str) -> None:
    assert probe(text)


@pytest.mark.parametrize(
    "text",
    [
        "FREQ=DAILY",
        "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=MONTHLY;BYMONTHDAY=31",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=TH",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "FREQ=HOURLY;BYDAY=SA;BYHOUR=9",
    ],
)
def test_rules_that_match_some_day_are_not(text: str) -> None:
    assert not probe(text)


@pytest.mark.timeout(3)
@pytest.mark.parametrize(
    "line",
    [
        "RRULE:FREQ=SECONDLY;UNTIL=99991231T000000Z;BYMONTH=2;BYMONTHDAY=30",
        "RRULE:FREQ=DAILY;UNTIL=99991231T000000Z;BYMONTH=2;BYMONTHDAY=30",
    ],
)
def test_a_rule_matching_no_day_does_not_hold_up_the_window_test(line: str) -> None:
    """The sync's window test of a hostile invitation ends at once (it walked dateutil to the
    year 9999 before: 7 to 13 s an event, every run) and the series ends with its start."""
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    assert series_last_end(start=start, end=start, zone="UTC", lines=(line,)) == start


def test_a_long_until_is_taken_as_going_on() -> None:
    """A rule of seconds until 2030 is more than the counting walks: never over."""
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    line = "RRULE:FREQ=SECONDLY;UNTIL=20300101T000000Z"
    assert series_last_end(start=start, end=start, zone="UTC", lines=(line,)) is None
