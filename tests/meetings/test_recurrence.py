"""Recurrence rules a person makes: the form's choices and their RRULE, the checks of a
written rule, a rule in words, and a series cut in two (tandem/meetings/recurrence*.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tandem.meetings.recurrence import (
    Repeat,
    lines_before,
    lines_from,
    lines_until_for,
    recurrence_problems,
    repeat_of,
    rule_line,
    split_until,
)
from tandem.meetings.recurrence_words import rule_in_words

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = date(2026, 12, 8)  # the second Tuesday of December 2026


@pytest.mark.parametrize(
    "repeat, line",
    [
        (Repeat(frequency="DAILY"), "RRULE:FREQ=DAILY"),
        (Repeat(frequency="DAILY", interval=3), "RRULE:FREQ=DAILY;INTERVAL=3"),
        (
            Repeat(frequency="WEEKLY", weekdays=("MO", "TH"), ends="after", count=10),
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10",
        ),
        (Repeat(frequency="MONTHLY"), "RRULE:FREQ=MONTHLY;BYMONTHDAY=8"),
        (Repeat(frequency="MONTHLY", monthly="weekday"), "RRULE:FREQ=MONTHLY;BYDAY=2TU"),
        (
            Repeat(frequency="YEARLY", ends="on", until=date(2030, 12, 31)),
            # The last second of 2030-12-31 in Berlin, in UTC (RFC 5545 §3.3.10).
            "RRULE:FREQ=YEARLY;UNTIL=20301231T225959Z",
        ),
    ],
)
def test_the_forms_choices_make_google_calendars_rule_and_read_back(
    repeat: Repeat, line: str
) -> None:
    assert rule_line(repeat, start=TUESDAY, zone=BERLIN, all_day=False) == line
    assert repeat_of([line], start=TUESDAY, zone=BERLIN, all_day=False) == repeat


def test_weekdays_are_read_in_the_weeks_order() -> None:
    lines = ["RRULE:FREQ=WEEKLY;BYDAY=TH,MO"]
    repeat = repeat_of(lines, start=TUESDAY, zone=BERLIN, all_day=False)
    assert repeat == Repeat(frequency="WEEKLY", weekdays=("MO", "TH"))


def test_a_fifth_weekday_is_the_last_one_of_the_month() -> None:
    repeat = Repeat(frequency="MONTHLY", monthly="weekday")
    line = rule_line(repeat, start=date(2026, 12, 29), zone=BERLIN, all_day=False)
    assert line == "RRULE:FREQ=MONTHLY;BYDAY=-1TU"


def test_an_all_day_series_ends_on_a_date() -> None:
    repeat = Repeat(frequency="WEEKLY", ends="on", until=date(2027, 1, 31))
    line = rule_line(repeat, start=TUESDAY, zone=BERLIN, all_day=True)
    assert line == "RRULE:FREQ=WEEKLY;UNTIL=20270131"
    assert repeat_of([line], start=TUESDAY, zone=BERLIN, all_day=True) == repeat


@pytest.mark.parametrize(
    "lines",
    [
        ["RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR"],
        ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=Europe/Berlin:20261214T090000"],
        ["RRULE:FREQ=WEEKLY;UNTIL=20270101T080000Z"],  # not the end of a day in Berlin
        ["RRULE:FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=MO"],  # WKST matters every 2 weeks
        ["RRULE:FREQ=MONTHLY;BYMONTHDAY=15"],  # not the start's day: the form would move it
        ["RRULE:FREQ=HOURLY"],
    ],
)
def test_a_rule_the_form_cannot_show_is_a_custom_rule(lines: list[str]) -> None:
    assert repeat_of(lines, start=TUESDAY, zone=BERLIN, all_day=False) is None


def test_googles_week_start_changes_nothing_of_a_weekly_rule() -> None:
    lines = ["RRULE:FREQ=WEEKLY;WKST=SU;BYDAY=TU"]
    repeat = repeat_of(lines, start=TUESDAY, zone=BERLIN, all_day=False)
    assert repeat == Repeat(frequency="WEEKLY", weekdays=("TU",))


@pytest.mark.parametrize(
    "lines, all_day, words",
    [
        (["RRULE:FREQ=HOURLY"], False, "more often than daily"),
        (["RRULE:FREQ=MINUTELY;INTERVAL=15"], False, "more often than daily"),
        (["RRULE:FREQ=DAILY;BYHOUR=9,15"], False, "more often than daily"),
        (["RRULE:FREQ=DAILY;COUNT=3;UNTIL=20261231T225959Z"], False, "both COUNT and UNTIL"),
        (["RRULE:FREQ=DAILY;UNTIL=20261231"], False, "UNTIL must be a UTC time"),
        (["RRULE:FREQ=DAILY;UNTIL=20261231T225959Z"], True, "ends on a date"),
        (["RRULE:FREQ=FORTNIGHTLY"], False, "cannot be read as an RFC 5545 rule"),
        (["RRULE:FREQ=DAILY;COUNT=0"], False, "COUNT must be between 1 and 1000"),
        (["DTSTART:20261208T090000Z"], False, "is not a recurrence line"),
        (["EXDATE:20261208T090000Z"], False, "needs an RRULE line"),
    ],
)
def test_a_rule_a_person_writes_is_refused_with_a_reason(
    lines: list[str], all_day: bool, words: str
) -> None:
    problems = recurrence_problems(lines, all_day=all_day)
    assert len(problems) == 1 and words in problems[0]


@pytest.mark.parametrize(
    "lines, all_day",
    [
        ([], False),
        (["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10"], False),
        (["RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR"], False),
        (["RRULE:FREQ=DAILY;UNTIL=20261231"], True),
        (["RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20261215T090000"], False),
    ],
)
def test_rules_google_calendar_takes_are_accepted(lines: list[str], all_day: bool) -> None:
    assert recurrence_problems(lines, all_day=all_day) == []


def _words(lines: list[str], *, viewer_zone: str = "Europe/Berlin") -> tuple[str, bool]:
    start = datetime(2026, 12, 7, 9, tzinfo=BERLIN)  # a Monday
    words = rule_in_words(
        lines,
        start=start,
        zone=BERLIN,
        all_day=False,
        format_day=lambda day: day.strftime("%d.%m.%Y"),
        viewer_zone=viewer_zone,
    )
    return words.text, words.exact


@pytest.mark.parametrize(
    "line, text",
    [
        ("RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10", "Weekly on Monday and Thursday, 10 times"),
        ("RRULE:FREQ=WEEKLY", "Weekly on Monday"),
        (
            "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR",
            "Every 2 weeks on Monday, Wednesday and Friday",
        ),
        ("RRULE:FREQ=DAILY", "Daily"),
        ("RRULE:FREQ=DAILY;INTERVAL=3;COUNT=1", "Every 3 days, once"),
        ("RRULE:FREQ=MONTHLY;BYDAY=2TU", "Monthly on the second Tuesday"),
        ("RRULE:FREQ=MONTHLY;BYDAY=-1FR", "Monthly on the last Friday"),
        ("RRULE:FREQ=MONTHLY", "Monthly on day 7"),
        ("RRULE:FREQ=YEARLY", "Annually on December 7"),
        # The last day on the series' own calendar, in the reader's date format.
        ("RRULE:FREQ=DAILY;UNTIL=20261231T225959Z", "Daily, until 31.12.2026"),
    ],
)
def test_a_rule_in_words(line: str, text: str) -> None:
    assert _words([line]) == (text, True)


def test_a_custom_rule_in_words_says_it_is_not_exact() -> None:
    """The pages then show the rule as stored too: never shown simpler than it is."""
    text, exact = _words(["RRULE:FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR"])
    assert (text, exact) == ("Monthly, by a custom rule", False)


def test_exceptions_and_another_zone_are_said() -> None:
    lines = ["RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Berlin:20261214T090000,20261221T090000"]
    assert _words(lines, viewer_zone="America/New_York") == (
        "Weekly on Monday, except on 2 dates (Europe/Berlin time)",
        True,
    )


def test_cutting_a_series_ends_the_rule_and_moves_count_and_dates() -> None:
    lines = [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        "EXDATE;TZID=Europe/Berlin:20261214T090000,20261228T090000",
    ]
    split = datetime(2026, 12, 21, 9)  # the third occurrence, wall time
    until = split_until(
        previous=datetime(2026, 12, 14, 9, tzinfo=BERLIN),
        split=split.replace(tzinfo=BERLIN),
        zone=BERLIN,
        all_day=False,
    )
    assert until == "20261214T225959Z"  # the end of the previous occurrence's day
    assert lines_before(lines, until=until, split=split, zone=BERLIN) == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20261214T225959Z",
        "EXDATE;TZID=Europe/Berlin:20261214T090000",
    ]
    assert lines_from(lines, split=split, done=2, zone=BERLIN) == [
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8",
        "EXDATE;TZID=Europe/Berlin:20261228T090000",
    ]


def test_a_cut_between_two_occurrences_of_one_day_ends_at_the_earlier_one() -> None:
    until = split_until(
        previous=datetime(2026, 12, 14, 9, tzinfo=BERLIN),
        split=datetime(2026, 12, 14, 15, tzinfo=BERLIN),
        zone=BERLIN,
        all_day=False,
    )
    assert until == "20261214T080000Z"


NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "lines, all_day, zone, written",
    [
        # A date UNTIL beside a timed start: the last second of that day in the series'
        # zone, in UTC (RFC 5545 §3.3.10), as the form writes "ends on" for a timed series.
        (["RRULE:FREQ=WEEKLY;UNTIL=20261215"], False, BERLIN, "UNTIL=20261215T225959Z"),
        (["RRULE:FREQ=DAILY;UNTIL=20261215;BYDAY=MO"], False, NEW_YORK, "20261216T045959Z;"),
        # A UTC UNTIL beside an all-day start: its day in the series' zone (a cut at a
        # Berlin occurrence at 09:00 is 08:00 UTC, the same day; 02:00 UTC on the 16th is
        # still the 15th in New York).
        (["RRULE:FREQ=WEEKLY;UNTIL=20261215T080000Z"], True, BERLIN, "UNTIL=20261215"),
        (["RRULE:FREQ=WEEKLY;UNTIL=20261216T020000Z"], True, NEW_YORK, "UNTIL=20261215"),
        (["EXRULE:FREQ=WEEKLY;until=20261215"], False, BERLIN, "until=20261215T225959Z"),
    ],
)
def test_an_until_is_written_again_for_the_kind_of_its_series_start(
    lines: list[str], all_day: bool, zone: ZoneInfo, written: str
) -> None:
    """RFC 5545 §3.3.10: UNTIL has DTSTART's value type, in UTC when DTSTART has a zone.
    A series made timed or all-day keeps its last day (the sync's merge, core/merge.py)."""
    (line,) = lines_until_for(lines, all_day=all_day, zone=zone)
    assert written.upper() in line.upper()
    assert line.split(":", 1)[0] == lines[0].split(":", 1)[0]


@pytest.mark.parametrize(
    "lines, all_day",
    [
        (["RRULE:FREQ=WEEKLY;UNTIL=20261215T225959Z"], False),
        (["RRULE:FREQ=WEEKLY;UNTIL=20261215"], True),
        (["RRULE:FREQ=WEEKLY;COUNT=4"], False),
        (["RRULE:FREQ=WEEKLY;UNTIL=2026-12-15"], False),  # unreadable: left for Google to say
        (["RDATE;VALUE=DATE:20261215", "EXDATE:20261222T080000Z"], True),
        (["X-UNTIL=20261215"], False),
    ],
)
def test_an_until_of_its_start_s_kind_and_other_lines_stay_as_they_are(
    lines: list[str], all_day: bool
) -> None:
    assert lines_until_for(lines, all_day=all_day, zone=BERLIN) == tuple(lines)
