"""The fields' own rules at their edges, the breaker's verdicts, and the event id's refusal,
to the letter. ``InvalidFields`` messages reach the run's errors ("The CRM refused the
change: ..."), so each refusal says what is wrong. Written after mutation testing
(docs/testing.md).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from msgspec.structs import replace

from tandem.sync.core.actions import DeleteInGoogle, ItemPlan
from tandem.sync.core.breaker import BreakerVerdict, breaker_check
from tandem.sync.core.fields import (
    InvalidFields,
    MeetingFields,
    TimedMoment,
    changed_field_names,
    fields_from_meeting_values,
    meeting_values_from_fields,
)
from tandem.sync.core.identity import event_id_for_meeting
from tests.sync_core.strategies import all_day, timed

NINE = datetime(2026, 3, 1, 9, tzinfo=UTC)
TEN = datetime(2026, 3, 1, 10, tzinfo=UTC)
MARCH_1 = date(2026, 3, 1)


class NoOffset(tzinfo):
    """A tzinfo that knows no offset: Python calls such a datetime naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def meeting(**overrides: Any) -> MeetingFields:
    values: dict[str, Any] = {
        "subject": "Kick-off",
        "start": TimedMoment(NINE, "UTC"),
        "end": TimedMoment(TEN, "UTC"),
    }
    return MeetingFields(**(values | overrides))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: TimedMoment(MARCH_1, "UTC"), "The time must be a date and time, not "),  # type: ignore[arg-type]
        (
            lambda: TimedMoment(datetime(2026, 3, 1, 9), "UTC"),
            "The time 2026-03-01T09:00:00 has no time zone.",
        ),
        (
            lambda: TimedMoment(datetime(2026, 3, 1, 9, tzinfo=NoOffset()), "UTC"),
            "The time 2026-03-01T09:00:00 has no time zone.",
        ),
        (lambda: TimedMoment(NINE, "Mars/Base"), "“Mars/Base” is not an IANA time zone."),
        (lambda: meeting(subject="   "), "A meeting needs a subject."),
        (
            lambda: meeting(location="l" * 1025),
            "A location can have at most 1024 characters (it has 1025).",
        ),
        (
            lambda: meeting(visibility="secret"),
            "Visibility must be one of: default, public, private, confidential.",
        ),
        (
            lambda: meeting(end=TimedMoment(TEN, "Europe/Paris")),
            "The start and the end must be in the same time zone.",
        ),
        (
            lambda: meeting(end=TimedMoment(NINE - timedelta(seconds=1), "UTC")),
            "The end cannot be before the start.",
        ),
        (
            lambda: meeting(start=MARCH_1, end=MARCH_1),
            "The last day cannot be before the first.",
        ),
        (
            lambda: meeting(end=date(2026, 3, 2)),
            "The start and the end must both be dates or both be times.",
        ),
        (
            lambda: meeting(start=MARCH_1, end=TimedMoment(TEN, "UTC")),
            "The start and the end must both be dates or both be times.",
        ),
        (
            lambda: meeting(recurrence=("RRULE:FREQ=DAILY", "  ")),
            "Recurrence lines must be non-empty strings.",
        ),
    ],
)
def test_fields_that_make_no_meeting_are_refused_in_plain_words(build: Any, message: str) -> None:
    """Naive or zone-less times, a zero-length or inverted meeting, mixed bounds, blank
    recurrence lines... are refused, and the message says which rule was broken."""
    with pytest.raises(InvalidFields) as caught:
        build()
    assert str(caught.value).startswith(message)


def test_timed_moments_are_stored_in_utc_whatever_the_machines_zone() -> None:
    """``at`` is a UTC instant even on a worker whose local zone is not UTC."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    try:
        moment = TimedMoment(datetime(2026, 3, 1, 10, tzinfo=ZoneInfo("Europe/Paris")), "UTC")
        assert moment.at.utcoffset() == timedelta(0)
        assert moment.at.isoformat() == "2026-03-01T09:00:00+00:00"
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_recurrence_lines_are_kept_trimmed() -> None:
    """Lines are stored without surrounding spaces, so a re-read line compares equal."""
    fields = meeting(recurrence=[" RRULE:FREQ=DAILY ", "EXDATE:20260302T090000Z"])
    assert fields.recurrence == ("RRULE:FREQ=DAILY", "EXDATE:20260302T090000Z")
    assert fields == meeting(recurrence=("RRULE:FREQ=DAILY", "EXDATE:20260302T090000Z"))


def test_a_meeting_that_ends_at_the_window_start_is_outside_it() -> None:
    """The window keeps what ends *after* its start; all-day ends (exclusive) read as UTC
    midnight."""
    assert timed(9).ends_before(TEN)
    assert not timed(9).ends_before(TEN - timedelta(seconds=1))
    offsite = all_day(MARCH_1)  # ends (exclusive) on March 2
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    assert offsite.ends_before(midnight)
    assert not offsite.ends_before(midnight - timedelta(seconds=1))


def test_moving_one_bound_sends_both() -> None:
    """``start`` and ``end`` travel together whichever of them changed."""
    earlier = replace(timed(9), start=TimedMoment(NINE - timedelta(hours=1), "UTC"))
    later = replace(timed(9), end=TimedMoment(TEN + timedelta(hours=1), "UTC"))
    assert changed_field_names(timed(9), earlier) == ("start", "end")
    assert changed_field_names(timed(9), later) == ("start", "end")


COLUMNS: dict[str, Any] = {
    "subject": "Kick-off",
    "all_day": False,
    "start": NINE,
    "end": TEN,
    "start_date": None,
    "end_date": None,
    "time_zone": "Europe/Paris",
    "description": "<p>Agenda</p>",
    "location": "Room 4",
    "visibility": "confidential",
    "recurrence": ["RRULE:FREQ=WEEKLY"],
}


def test_every_meeting_column_reaches_the_fields() -> None:
    """The CRM adapter's reading keeps description, location, visibility and recurrence."""
    fields = fields_from_meeting_values(**COLUMNS)
    assert fields == MeetingFields(
        subject="Kick-off",
        start=TimedMoment(NINE, "Europe/Paris"),
        end=TimedMoment(TEN, "Europe/Paris"),
        description="<p>Agenda</p>",
        location="Room 4",
        visibility="confidential",
        recurrence=("RRULE:FREQ=WEEKLY",),
    )


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (
            {"all_day": True, "start_date": MARCH_1, "end_date": None},
            "An all-day meeting needs a last day.",
        ),
        (
            {"all_day": True, "start_date": None, "end_date": MARCH_1},
            "An all-day meeting needs a first day.",
        ),
        ({"end": None}, "A meeting needs an end time."),
        ({"start": None}, "A meeting needs a start time."),
        (
            {"visibility": "secret"},
            "Visibility must be one of: default, public, private, confidential.",
        ),
    ],
)
def test_incomplete_meeting_columns_are_refused_in_plain_words(
    columns: dict[str, Any], message: str
) -> None:
    """A row missing a bound, or with an unknown visibility, says so."""
    with pytest.raises(InvalidFields) as caught:
        fields_from_meeting_values(**(COLUMNS | columns))
    assert str(caught.value) == message


def test_all_day_columns_are_midnights_in_the_given_zone_utc_by_default() -> None:
    """All-day meetings have no zone in Google; the model's columns get midnights in the
    zone handed in (UTC unless told)."""
    offsite = all_day(MARCH_1, days=2)
    values = meeting_values_from_fields(offsite)
    assert values["time_zone"] == "UTC"
    assert (values["start"], values["end"]) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        datetime(2026, 3, 3, tzinfo=UTC),
    )
    paris = ZoneInfo("Europe/Paris")
    values = meeting_values_from_fields(offsite, all_day_zone="Europe/Paris")
    assert (values["start"], values["end"], values["time_zone"]) == (
        datetime(2026, 3, 1, tzinfo=paris),
        datetime(2026, 3, 3, tzinfo=paris),
        "Europe/Paris",
    )
    assert values["end"].tzinfo is paris


def test_timed_columns_are_on_the_wall_clock_or_instants_for_the_table() -> None:
    """A timed meeting's bounds on its zone's wall clock (the services and the forms), or
    as the UTC instants the table keeps (the bulk import): the same moments either way."""
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 7, 1, 9, tzinfo=berlin)
    fields = MeetingFields(
        "Kick-off",
        TimedMoment(start, "Europe/Berlin"),
        TimedMoment(start + timedelta(hours=1), "Europe/Berlin"),
    )
    local = meeting_values_from_fields(fields)
    stored = meeting_values_from_fields(fields, wall_clock=False)
    assert (local["start"].tzinfo, local["start"].hour) == (berlin, 9)
    assert (local["end"].tzinfo, local["end"].hour) == (berlin, 10)
    assert local["all_day"] is False and local["start_date"] is None and local["end_date"] is None
    assert (stored["start"].tzinfo, stored["start"].hour, stored["end"].hour) == (UTC, 7, 8)
    assert (local["start"], local["end"]) == (stored["start"], stored["end"])
    assert {k: v for k, v in local.items() if k not in ("start", "end")} == {
        k: v for k, v in stored.items() if k not in ("start", "end")
    }


def test_the_engines_values_are_immutable_and_checked_again_when_copied() -> None:
    """The values the engine passes along (msgspec Structs, core/__init__.py) cannot be
    changed in place, equal ones hash alike, and a copy with changes is validated again."""
    fields = timed(9)
    with pytest.raises(AttributeError):
        fields.subject = "Renamed"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        fields.start.zone = "UTC"  # type: ignore[union-attr, misc]
    assert hash(timed(9)) == hash(fields) and timed(9) == fields
    assert replace(fields, subject=" Renamed ").subject == "Renamed"  # cleaned again
    with pytest.raises(InvalidFields, match="not an IANA time zone"):
        replace(fields.start, zone="Mars/Olympus")  # type: ignore[type-var]


def test_a_breaker_that_does_not_trip_says_nothing() -> None:
    """Not tripped means exactly that: no flag, no reason; also for a confirmed run."""
    assert breaker_check(deletes=1, synced=50) == BreakerVerdict(tripped=False)
    assert breaker_check(deletes=40, synced=50, allow=True) == BreakerVerdict(tripped=False)


def test_an_empty_incremental_listing_is_no_reason_to_stop() -> None:
    """Unless told the listing is full, "no events listed" is the normal nothing-changed."""
    assert breaker_check(deletes=0, synced=30, listed=0) == BreakerVerdict(tripped=False)


def test_the_breakers_question_says_where_the_deletions_happened() -> None:
    """Deletions made in the CRM would be copied to Google: the question says so."""
    plans = [
        ItemPlan(meeting_id=i, event_id=f"e{i}", actions=(DeleteInGoogle(f"e{i}", "1"),), why="")
        for i in range(11)
    ]
    verdict = breaker_check(deletes=sum(p.deletes for p in plans), synced=20, deleted_in="crm")
    assert verdict == BreakerVerdict(
        tripped=True,
        reason=(
            "This sync would delete 11 of 20 synced meetings from Google: they were deleted "
            "in the CRM (more than 20% and more than 10)."
        ),
    )


def test_an_empty_namespace_is_refused_with_its_reason() -> None:
    """The refusal says why: two installations could collide."""
    with pytest.raises(ValueError) as caught:
        event_id_for_meeting("", 1)
    assert str(caught.value) == "An event id namespace cannot be empty."
