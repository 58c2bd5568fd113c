"""The rules of a meeting's fields (tandem.meetings.rules), and the two places that follow
them: the services' ``normalised`` (a person's input, every problem keyed by field) and the
sync core's ``MeetingFields`` (every meeting the sync reads, the first problem). One table of
bad meetings runs through both, so they cannot drift apart again.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from tandem.meetings import rules
from tandem.meetings.models import Meeting, Visibility
from tandem.meetings.services import MeetingInput, normalised, validate_lengths
from tandem.sync.core.fields import InvalidFields, MeetingFields, fields_from_meeting_values

BERLIN = ZoneInfo("Europe/Berlin")
NINE = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
TEN = datetime(2026, 5, 4, 10, tzinfo=BERLIN)
MAY_4, MAY_5 = date(2026, 5, 4), date(2026, 5, 5)

TIMED = MeetingInput(subject="Planning", start=NINE, end=TEN, time_zone="Europe/Berlin")
ALL_DAY = MeetingInput(subject="Offsite", all_day=True, start_date=MAY_4, end_date=MAY_5)


def problems(data: MeetingInput) -> list[rules.Problem]:
    bounds = (data.start_date, data.end_date) if data.all_day else (data.start, data.end)
    return rules.meeting_problems(
        subject=rules.clean_subject(data.subject),
        description=data.description,
        location=data.location,
        visibility=data.visibility,
        all_day=data.all_day,
        start=bounds[0],
        end=bounds[1],
        time_zone=data.time_zone,
        recurrence=data.recurrence,
    )


def as_fields(data: MeetingInput) -> MeetingFields:
    """What the sync core makes of the same values (the CRM adapter's reading)."""
    return fields_from_meeting_values(
        subject=data.subject,
        all_day=data.all_day,
        start=data.start,
        end=data.end,
        start_date=data.start_date,
        end_date=data.end_date,
        time_zone=data.time_zone,
        description=data.description,
        location=data.location,
        visibility=data.visibility,
        recurrence=data.recurrence,
    )


def service_errors(data: MeetingInput) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        normalised(data)
    return refused.value.message_dict


# (why, input, field, message): one rule each, the same words on both sides.
BAD: list[tuple[str, MeetingInput, str, str]] = [
    ("empty subject", replace(TIMED, subject=""), "subject", "A meeting needs a subject."),
    ("blank subject", replace(TIMED, subject=" \t "), "subject", "A meeting needs a subject."),
    (
        "overlong subject",
        replace(TIMED, subject="s" * 1025),
        "subject",
        "A subject can have at most 1024 characters (it has 1025).",
    ),
    (
        "overlong location",
        replace(TIMED, location="l" * 1025),
        "location",
        "A location can have at most 1024 characters (it has 1025).",
    ),
    (
        "overlong description",
        replace(TIMED, description="d" * 8193),
        "description",
        "A description can have at most 8192 characters (it has 8193).",
    ),
    (
        "unknown visibility",
        replace(TIMED, visibility="secret"),
        "visibility",
        "Visibility must be one of: default, public, private, confidential.",
    ),
    (
        "unknown zone",
        replace(TIMED, time_zone="Mars/Olympus"),
        "time_zone",
        "“Mars/Olympus” is not an IANA time zone.",
    ),
    ("no start", replace(TIMED, start=None), "start", "A meeting needs a start time."),
    ("no end", replace(TIMED, end=None), "end", "A meeting needs an end time."),
    (
        "naive start",
        replace(TIMED, start=datetime(2026, 5, 4, 9)),
        "start",
        "The time 2026-05-04T09:00:00 has no time zone.",
    ),
    (
        "end before start",
        replace(TIMED, end=NINE - timedelta(hours=1)),
        "end",
        "The end cannot be before the start.",
    ),
    (
        "NUL in the subject",
        replace(TIMED, subject="Pitch\x00"),
        "subject",
        "The subject cannot contain NUL characters (\\0, often pasted by mistake).",
    ),
    (
        "lone surrogate in the location",
        replace(TIMED, location="Room \udc00"),
        "location",
        "The location contains a broken character (a lone UTF-16 surrogate, at position 6): "
        "write it again.",
    ),
    (
        "NUL in a recurrence line",
        replace(TIMED, recurrence=["RRULE:FREQ=DAILY\x00"]),
        "recurrence",
        "The recurrence cannot contain NUL characters (\\0, often pasted by mistake).",
    ),
    (
        "all-day without a first day",
        replace(ALL_DAY, start_date=None),
        "start_date",
        "An all-day meeting needs a first day.",
    ),
    (
        "all-day without a last day",
        replace(ALL_DAY, end_date=None),
        "end_date",
        "An all-day meeting needs a last day.",
    ),
    (
        "all-day ending on its first day",
        replace(ALL_DAY, end_date=MAY_4),
        "end_date",
        "The last day cannot be before the first.",
    ),
    (
        "all-day with a time for a day",
        replace(ALL_DAY, end_date=datetime(2026, 5, 5, tzinfo=UTC)),
        "end_date",
        "The start and the end must both be dates or both be times.",
    ),
    (
        "timed with a day for a time",
        replace(TIMED, end=MAY_5),
        "end",
        "The start and the end must both be dates or both be times.",
    ),
    (
        "blank recurrence line",
        replace(TIMED, recurrence=["RRULE:FREQ=WEEKLY", "  "]),
        "recurrence",
        "Recurrence lines must be non-empty strings.",
    ),
    (
        "recurrence line not text",
        replace(TIMED, recurrence=["RRULE:FREQ=WEEKLY", 7]),  # type: ignore[list-item]
        "recurrence",
        "Recurrence lines must be non-empty strings.",
    ),
]
CASES = [pytest.param(data, field, message, id=why) for why, data, field, message in BAD]


@pytest.mark.parametrize(("data", "field", "message"), CASES)
def test_each_rule_names_its_field_in_plain_words(data: MeetingInput, field: str, message: str):
    """A meeting that breaks one rule has exactly that one problem."""
    assert problems(data) == [(field, message)]


@pytest.mark.parametrize(("data", "field", "message"), CASES)
def test_the_services_refuse_with_the_rules_words_at_the_rules_field(
    data: MeetingInput, field: str, message: str
):
    assert service_errors(data) == {field: [message]}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    # A day for a timed meeting's time cannot come from the model's columns (the core's
    # TimedMoment says "The time must be a date and time, not datetime.date(...)"); the
    # core's own mix of a day and a time is refused as here (tests/sync_core/test_fields_exact).
    [case for case in CASES if case.id != "timed with a day for a time"],
)
def test_the_sync_core_refuses_the_same_meetings_with_the_same_words(
    data: MeetingInput, field: str, message: str
):
    """Where the CRM says no, the sync says no, for the same reason: a meeting the CRM
    accepts is one the sync can carry. (The core holds no zone for an all-day meeting,
    so it has no opinion on its time_zone column.)"""
    with pytest.raises(InvalidFields) as refused:
        as_fields(data)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    "data",
    [
        TIMED,
        ALL_DAY,
        replace(TIMED, description="d" * 8192, location="l" * 1024, subject="s" * 1024),
        replace(TIMED, visibility=Visibility.CONFIDENTIAL),
        replace(TIMED, recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"]),
        # 02:30 CEST, then 02:30 CET an hour later (the autumn change): on the wall clock the
        # same time, as UTC instants an hour apart.
        replace(
            TIMED,
            start=datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN),
            end=datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
        ),
        replace(TIMED, start=NINE.replace(microsecond=900), end=NINE + timedelta(seconds=1)),
    ],
    ids=["timed", "all-day", "at-the-limits", "confidential", "weekly", "dst-fold", "one-second"],
)
def test_a_good_meeting_passes_everywhere(data: MeetingInput):
    assert problems(data) == []
    normalised(data)
    as_fields(data)


def test_every_problem_is_reported_at_once_in_field_order():
    """A form shows all its mistakes together; an end before the start is not hidden by a
    missing subject (the services used to hold it back until the rest was right)."""
    data = replace(
        TIMED, subject=" ", visibility="loud", time_zone="Nowhere", end=NINE - timedelta(hours=1)
    )
    assert [field for field, _ in problems(data)] == ["subject", "visibility", "time_zone", "end"]
    assert set(service_errors(data)) == {"subject", "visibility", "time_zone", "end"}


# -- where the two places disagreed, and what was chosen ---------------------------------


def test_surrounding_spaces_are_cleaned_from_a_subject_on_both_sides():
    """The services stripped them, the core refused them: now both strip, as a person
    expects (Google's summary was already stripped by the mapping)."""
    data = replace(TIMED, subject="  Kick-off \n")
    assert normalised(data)["subject"] == "Kick-off"
    assert as_fields(data).subject == "Kick-off"
    assert as_fields(data) == as_fields(replace(TIMED, subject="Kick-off"))


def test_a_subject_is_measured_without_its_surrounding_spaces():
    """1024 characters plus spaces fit on both sides (they are no part of the subject)."""
    data = replace(TIMED, subject=f"  {'s' * 1024}  ")
    assert len(normalised(data)["subject"]) == len(as_fields(data).subject) == 1024


def test_recurrence_lines_are_checked_and_trimmed_by_the_services_too():
    """The services stored any recurrence; the core refused a blank line, so such a meeting
    could never sync. Now both refuse it, and both keep lines without surrounding spaces."""
    data = replace(TIMED, recurrence=[" RRULE:FREQ=WEEKLY ", "EXDATE:20260511T070000Z"])
    assert normalised(data)["recurrence"] == ["RRULE:FREQ=WEEKLY", "EXDATE:20260511T070000Z"]
    assert as_fields(data).recurrence == ("RRULE:FREQ=WEEKLY", "EXDATE:20260511T070000Z")


def test_a_zero_length_meeting_is_a_meeting_on_both_sides():
    """End equal to start (reminders, deadlines: Google has them) is accepted by the
    services and the core alike (issue 12, must-have 6); a meeting shorter than a second
    is one too, read by the core (whole seconds, Google's precision) as zero-length."""
    zero = replace(TIMED, end=NINE)
    assert normalised(zero)["end"] == NINE
    assert as_fields(zero).start == as_fields(zero).end
    short = replace(TIMED, start=NINE, end=NINE + timedelta(microseconds=500_000))
    normalised(short)
    assert as_fields(short).start == as_fields(short).end
    inverted = replace(
        TIMED, start=NINE.replace(microsecond=900), end=NINE.replace(microsecond=100)
    )
    assert service_errors(inverted) == {"end": ["The end cannot be before the start."]}


def test_an_all_day_meetings_zone_is_still_the_services_business():
    """The model keeps a zone for every meeting (its midnights), so the services check it on
    an all-day meeting too; the core holds none for it (Google has none)."""
    data = replace(ALL_DAY, time_zone="Mars/Olympus")
    assert service_errors(data) == {"time_zone": ["“Mars/Olympus” is not an IANA time zone."]}
    assert as_fields(data).all_day


def test_start_and_end_in_two_zones_is_a_problem_where_a_meeting_can_have_two():
    """The model has one time_zone for both bounds; the sync core's bounds carry their own,
    and the CRM could not keep two."""
    assert rules.bounds_problems(
        all_day=False, start=NINE, end=TEN, time_zone="Europe/Berlin", end_zone="UTC"
    ) == [("end", "The start and the end must be in the same time zone.")]


# -- the services' second look, and the limits' one home ---------------------------------


def test_a_meeting_changed_after_normalised_is_checked_again_before_it_is_saved():
    meeting = Meeting(**normalised(TIMED))
    validate_lengths(meeting)
    meeting.location = "l" * 1025
    meeting.visibility = "loud"
    with pytest.raises(ValidationError) as refused:
        validate_lengths(meeting)
    assert set(refused.value.message_dict) == {"location", "visibility"}


def test_the_rules_limits_and_values_are_the_models():
    """The model keeps its own numbers for the schema; they must be the rules'."""
    field: Any = Meeting._meta.get_field
    assert field("subject").max_length == rules.SUBJECT_MAX_LENGTH
    assert field("location").max_length == rules.LOCATION_MAX_LENGTH
    assert field("description").max_length == rules.DESCRIPTION_MAX_LENGTH
    assert tuple(Visibility.values) == rules.VISIBILITIES


def test_the_rules_and_the_sync_core_import_no_django():
    """The sync core must stay free of Django, and it imports the rules."""
    script = (
        "import sys, tandem.meetings.rules, tandem.sync.core, tandem.sync.core.mapping, "
        "tandem.sync.core.planner; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"


@given(
    start=st.sampled_from([date(1900, 1, 1), date(2201, 1, 1)]).flatmap(
        lambda edge: st.dates(edge - timedelta(days=400), edge + timedelta(days=400))
    ),
    days=st.integers(min_value=-400, max_value=400),
    all_day=st.booleans(),
)
def test_a_bound_is_out_of_range_exactly_when_its_year_is(
    start: date, days: int, all_day: bool
) -> None:
    """Out of range: a bound whose year falls outside FIRST_YEAR..LAST_YEAR; an all-day
    end is exclusive, so the day after the last one allowed is still in range. (The check
    has a fast path for bounds in range; this draws around both edges.)"""
    try:
        end = start + timedelta(days=days)
    except OverflowError:
        return
    first, last = rules.FIRST_YEAR, rules.LAST_YEAR
    if all_day:
        bounds: tuple[date, date] = (start, end)
        names = ("start_date", "end_date")
        last_day = end - timedelta(days=1) if end.year > last else end
    else:
        bounds = (
            datetime.combine(start, datetime.min.time(), UTC),
            datetime.combine(end, datetime.min.time(), UTC),
        )
        names = ("start", "end")
        last_day = end
    found = {
        name
        for name, problem in rules.bounds_problems(
            all_day=all_day, start=bounds[0], end=bounds[1], time_zone="UTC"
        )
        if problem == rules.OUT_OF_RANGE
    }
    expected = {
        name
        for name, day in zip(names, (start, last_day), strict=True)
        if not first <= day.year <= last
    }
    assert found == expected
