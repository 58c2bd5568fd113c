"""Google event JSON ⇄ MeetingFields, and the fields' own rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from tandem.sync.core.fields import (
    InvalidFields,
    MeetingFields,
    TimedMoment,
    changed_field_names,
    changes_between,
    fields_from_meeting_values,
    meeting_values_from_fields,
)
from tandem.sync.core.mapping import (
    MARKER_KEY,
    UNTITLED,
    MalformedEvent,
    event_body_from_fields,
    fields_from_event,
    patch_from_changes,
    read_event,
    restore_patch,
    series_start,
)
from tests.sync_core.strategies import all_day, meeting_fields, timed


def event(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "ev1",
        "etag": '"1"',
        "status": "confirmed",
        "summary": "Kick-off",
        "start": {"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2026-03-01T11:00:00+01:00", "timeZone": "Europe/Paris"},
    }
    return base | overrides


# -- times -------------------------------------------------------------------------------


def test_a_timed_event_keeps_its_instant_and_zone() -> None:
    """dateTime + timeZone become an instant in UTC plus the IANA zone."""
    fields = fields_from_event(event())
    assert isinstance(fields.start, TimedMoment)
    assert fields.start.at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert fields.start.zone == "Europe/Paris"
    assert fields.start.local.hour == 10
    assert fields.all_day is False


def test_the_same_instant_in_another_offset_is_no_change() -> None:
    """ "Z", "+00:00" and "+01:00" for one instant in one zone compare equal."""
    zulu = event(
        start={"dateTime": "2026-03-01T09:00:00Z", "timeZone": "Europe/Paris"},
        end={"dateTime": "2026-03-01T10:00:00.000+00:00", "timeZone": "Europe/Paris"},
    )
    assert fields_from_event(zulu) == fields_from_event(event())
    assert changed_field_names(fields_from_event(zulu), fields_from_event(event())) == ()


def test_another_zone_for_the_same_instant_is_a_change() -> None:
    """The zone is part of the value: the meeting shows at another wall-clock time."""
    moved = event(
        start={"dateTime": "2026-03-01T09:00:00Z", "timeZone": "UTC"},
        end={"dateTime": "2026-03-01T10:00:00Z", "timeZone": "UTC"},
    )
    assert changed_field_names(fields_from_event(event()), fields_from_event(moved)) == (
        "start",
        "end",
    )


def test_a_local_time_without_offset_uses_its_time_zone() -> None:
    """Google allows a dateTime without offset when timeZone is given."""
    local = event(
        start={"dateTime": "2026-07-01T10:00:00", "timeZone": "America/New_York"},
        end={"dateTime": "2026-07-01T11:00:00", "timeZone": "America/New_York"},
    )
    fields = fields_from_event(local)
    assert isinstance(fields.start, TimedMoment)
    assert fields.start.at == datetime(2026, 7, 1, 14, tzinfo=UTC)


def test_an_offset_without_time_zone_takes_the_calendars_zone() -> None:
    """No timeZone on the event: the calendar's zone is the meeting's zone."""
    bare = event(
        start={"dateTime": "2026-03-01T10:00:00+01:00"},
        end={"dateTime": "2026-03-01T11:00:00+01:00"},
    )
    fields = fields_from_event(bare, default_zone="Europe/Berlin")
    assert isinstance(fields.start, TimedMoment)
    assert fields.start.zone == "Europe/Berlin"
    assert fields.start.at == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_an_end_in_another_zone_is_expressed_in_the_start_zone() -> None:
    """The CRM keeps one zone per meeting; the end instant is unchanged."""
    flight = event(end={"dateTime": "2026-03-01T06:00:00-05:00", "timeZone": "America/New_York"})
    fields = fields_from_event(flight)
    assert isinstance(fields.end, TimedMoment)
    assert fields.end.zone == "Europe/Paris"
    assert fields.end.at == datetime(2026, 3, 1, 11, tzinfo=UTC)


def test_an_all_day_event_keeps_dates_with_an_exclusive_end() -> None:
    """A one-day event ends (exclusive) on the next day, as in Google and the model."""
    one_day = event(start={"date": "2026-03-01"}, end={"date": "2026-03-02"})
    fields = fields_from_event(one_day)
    assert (fields.start, fields.end) == (date(2026, 3, 1), date(2026, 3, 2))
    assert fields.all_day is True
    assert fields.time_zone is None
    body = event_body_from_fields(fields, meeting_marker=None)
    assert body["start"] == {"date": "2026-03-01"} and body["end"] == {"date": "2026-03-02"}


def test_meeting_values_round_trip_through_the_model_columns() -> None:
    """The CRM adapter's column values map onto the fields one to one and back."""
    for fields in (timed(9, zone="Asia/Kolkata"), all_day(date(2026, 12, 31), days=2)):
        values = meeting_values_from_fields(fields, all_day_zone="Europe/Paris")
        assert fields_from_meeting_values(**values) == fields  # type: ignore[arg-type]
    values = meeting_values_from_fields(all_day(date(2026, 3, 1)), all_day_zone="Europe/Paris")
    assert values["start"] == datetime(2026, 3, 1, tzinfo=ZoneInfo("Europe/Paris"))
    assert values["time_zone"] == "Europe/Paris"


# -- text --------------------------------------------------------------------------------


@pytest.mark.parametrize("summary", [None, "", "   "])
def test_a_missing_or_blank_summary_is_untitled(summary: str | None) -> None:
    """Google allows events without title; the CRM subject reads "(No title)"."""
    raw = event(summary=summary)
    if summary is None:
        del raw["summary"]
    assert fields_from_event(raw).subject == UNTITLED


def test_html_descriptions_are_kept_verbatim() -> None:
    """Markup is data here; the web layer escapes it."""
    html = '<p onclick="x()">Agenda &amp; <script>alert(1)</script></p>'
    assert fields_from_event(event(description=html)).description == html


def test_over_long_text_is_cut_to_the_model_limits_with_warnings() -> None:
    """Subject and location stop at 1024 characters, description at 8192; never a crash."""
    reading = read_event(event(summary="s" * 2000, location="l" * 1025, description="d" * 9000))
    assert reading.fields is not None
    assert len(reading.fields.subject) == 1024
    assert len(reading.fields.location) == 1024
    assert len(reading.fields.description) == 8192
    assert len(reading.warnings) == 3
    assert "summary was cut from 2000 to 1024" in reading.warnings[0]


def test_an_unknown_visibility_reads_as_default_with_a_warning() -> None:
    """A value outside Google's four is read as default and reported."""
    reading = read_event(event(visibility="secret"))
    assert reading.fields is not None and reading.fields.visibility == "default"
    assert reading.warnings


# -- malformed events --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"start": None}, "no start"),
        ({"end": {}}, "no end"),
        ({"end": {"date": "2026-03-02"}}, "mix a date and a date-time"),
        (
            {"start": {"date": "2026-03-01", "dateTime": "2026-03-01T10:00:00Z"}},
            "both a date and a date-time",
        ),
        ({"start": {"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": "Mars/Olympus"}}, "zone"),
        ({"end": {"dateTime": "2026-03-01T08:00:00+01:00"}}, "ends before it starts"),
        ({"start": {"dateTime": "2026-03-01T10:00:00"}}, "no offset and no time zone"),
        ({"start": {"dateTime": "yesterday"}}, "Invalid start time"),
        ({"start": {"date": "2026-02-30"}, "end": {"date": "2026-03-02"}}, "Invalid start date"),
        ({"start": {"date": "2026-03-02"}, "end": {"date": "2026-03-02"}}, "on or before"),
        ({"recurrence": "RRULE:FREQ=DAILY"}, "not a list"),
        ({"recurrence": ["DTSTART:20260301T100000Z"]}, "Unknown recurrence line"),
    ],
)
def test_malformed_events_raise_a_precise_error(overrides: dict[str, Any], reason: str) -> None:
    """Each defect gets its own message and the event id, for the engine to record."""
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(**overrides))
    assert reason in caught.value.reason
    assert caught.value.event_id == "ev1"


def test_an_event_without_id_is_malformed() -> None:
    """Even the id can be missing from hostile input."""
    raw = event()
    del raw["id"]
    with pytest.raises(MalformedEvent) as caught:
        read_event(raw)
    assert caught.value.event_id is None


def test_a_cancelled_event_needs_only_its_id() -> None:
    """Deleted events are only guaranteed an id (google-calendar-api.md §2.4)."""
    reading = read_event({"id": "ev1", "status": "cancelled"})
    assert reading.cancelled and reading.fields is None


# -- writing -----------------------------------------------------------------------------


def test_insert_bodies_carry_mapped_fields_and_our_marker_only() -> None:
    """An insert sets the six fields (and recurrence) plus our private marker, nothing else."""
    fields = MeetingFields(
        subject="Board",
        start=TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "Europe/Paris"),
        end=TimedMoment(datetime(2026, 3, 1, 10, tzinfo=UTC), "Europe/Paris"),
        visibility="private",
        recurrence=("RRULE:FREQ=WEEKLY",),
    )
    body = event_body_from_fields(fields, meeting_marker="crm:7")
    assert set(body) == {
        "summary",
        "start",
        "end",
        "description",
        "location",
        "visibility",
        "recurrence",
        "extendedProperties",
    }
    assert body["start"] == {"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": "Europe/Paris"}
    assert body["extendedProperties"] == {"private": {MARKER_KEY: "crm:7"}}
    assert read_event(body | {"id": "ev1"}).marker == "crm:7"
    assert "extendedProperties" not in event_body_from_fields(fields, meeting_marker=None)


def test_patches_hold_only_the_changed_fields() -> None:
    """A PATCH never names attendees, reminders or conference data, only what changed."""
    old = timed(9)
    new = all_day(date(2026, 3, 1)).with_values({"subject": old.subject, "location": "Room 4"})
    patch = patch_from_changes(changes_between(old, new))
    assert set(patch) == {"start", "end", "location"}
    assert patch["start"] == {"date": "2026-03-01", "dateTime": None, "timeZone": None}
    assert patch_from_changes({"subject": "New"}) == {"summary": "New"}
    with pytest.raises(KeyError):
        patch_from_changes({"attendees": "x"})  # type: ignore[dict-item]


def test_a_restore_patch_confirms_the_event_with_every_field() -> None:
    """Undeleting sets status confirmed and all mapped fields."""
    patch = restore_patch(timed(9))
    assert patch["status"] == "confirmed"
    assert {"summary", "start", "end", "visibility", "recurrence"} <= set(patch)


@given(fields=meeting_fields())
def test_fields_survive_a_trip_through_google_json(fields: MeetingFields) -> None:
    """Whatever we write, we read back the same fields (no phantom change)."""
    body = event_body_from_fields(fields, meeting_marker="crm:1") | {"id": "ev1"}
    assert fields_from_event(body) == fields


# -- the fields themselves ---------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: TimedMoment(datetime(2026, 3, 1, 9), "UTC"),
        lambda: TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "Nowhere/Town"),
        lambda: MeetingFields(subject="", start=date(2026, 3, 1), end=date(2026, 3, 2)),
        lambda: MeetingFields(subject=" \t ", start=date(2026, 3, 1), end=date(2026, 3, 2)),
        lambda: MeetingFields(subject="x", start=date(2026, 3, 2), end=date(2026, 3, 2)),
        lambda: MeetingFields(
            subject="x", start=date(2026, 3, 1), end=datetime(2026, 3, 2, tzinfo=UTC)
        ),
        lambda: timed(9).with_values(
            {"end": TimedMoment(datetime(2026, 3, 1, 8, tzinfo=UTC), "UTC")}
        ),
        lambda: timed(9).with_values(
            {"end": TimedMoment(datetime(2026, 3, 1, 11, tzinfo=UTC), "Europe/Paris")}
        ),
        lambda: timed(9).with_values({"visibility": "secret"}),
        lambda: timed(9).with_values({"description": "d" * 8193}),
    ],
)
def test_invalid_fields_are_refused(build: Any) -> None:
    """Naive times, unknown zones, empty subjects, inverted or mixed bounds are refused."""
    with pytest.raises(InvalidFields):
        build()


def test_sub_second_precision_is_dropped() -> None:
    """Google keeps seconds; a CRM time with microseconds is the same moment."""
    precise = TimedMoment(datetime(2026, 3, 1, 9, 0, 0, 123456, tzinfo=UTC), "UTC")
    assert precise == TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "UTC")


def test_a_change_of_either_bound_names_both() -> None:
    """start and end travel together in changes and patches."""
    longer = timed(9, hours=2)
    assert changed_field_names(timed(9), longer) == ("start", "end")
    assert changed_field_names(None, longer)[0] == "subject"


# -- occurrences of recurring events (Google's "exceptions") ---------------------------------


def test_a_changed_occurrence_names_its_series_and_its_original_slot() -> None:
    reading = read_event(
        event(
            recurringEventId="series1",
            originalStartTime={"dateTime": "2026-03-01T09:00:00+01:00", "timeZone": "Europe/Paris"},
        )
    )
    assert reading.occurrence is not None
    assert reading.occurrence.series_event_id == "series1"
    assert reading.occurrence.original_start == TimedMoment(
        datetime(2026, 3, 1, 8, tzinfo=UTC), "Europe/Paris"
    )


def test_an_all_day_occurrence_keeps_its_original_date() -> None:
    reading = read_event(
        event(
            start={"date": "2026-03-02"},
            end={"date": "2026-03-03"},
            recurringEventId="series1",
            originalStartTime={"date": "2026-03-01"},
        )
    )
    assert reading.occurrence is not None and reading.occurrence.original_start == date(2026, 3, 1)


def test_an_occurrence_does_not_claim_the_marker_it_copies_from_its_series() -> None:
    properties = {"private": {MARKER_KEY: "ns:42"}}
    assert read_event(event(extendedProperties=properties)).marker == "ns:42"
    occurrence = read_event(
        event(
            extendedProperties=properties,
            recurringEventId="series1",
            originalStartTime={"dateTime": "2026-03-01T09:00:00Z"},
        )
    )
    assert occurrence.marker is None


def test_a_live_occurrence_without_a_readable_original_start_is_malformed() -> None:
    for original in (None, {}, {"dateTime": "yesterday"}):
        with pytest.raises(MalformedEvent, match="original start"):
            read_event(event(recurringEventId="series1", originalStartTime=original))


def test_a_cancelled_occurrence_without_an_original_start_is_just_a_cancellation() -> None:
    reading = read_event({"id": "x_1", "status": "cancelled", "recurringEventId": "series1"})
    assert reading.cancelled and reading.occurrence is None


def test_a_series_start_is_read_live_or_cancelled_when_google_gives_it() -> None:
    """Google's start of a listed series (core/pairing.py ``SeriesRow.listed``): the
    organizer's copy of a deleted series keeps its details; a deleted event is only
    guaranteed its id, and an occurrence or a single event is no series."""
    weekly = {"recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}
    expected = TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "Europe/Paris")
    assert series_start(event(**weekly)) == expected
    assert series_start(event(status="cancelled", **weekly)) == expected
    all_day_series = event(start={"date": "2026-03-01"}, end={"date": "2026-03-02"}, **weekly)
    assert series_start(all_day_series) == date(2026, 3, 1)
    assert series_start({"id": "ev1", "status": "cancelled"}) is None
    assert series_start(event()) is None
    assert series_start(event(recurringEventId="series1", **weekly)) is None
    assert series_start(event(start={"dateTime": "yesterday"}, **weekly)) is None


def test_a_series_start_without_a_zone_takes_the_calendars_and_a_start_of_no_shape_is_none() -> (
    None
):
    """A series' start is read as ``read_event`` reads a start: with an offset and no zone
    of its own, in the calendar's zone (UTC when none is given); one that is no JSON object
    names no start (None, never an error: the listing goes on)."""
    weekly = {"id": "s1", "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}
    nine_berlin = {**weekly, "start": {"dateTime": "2026-03-02T09:00:00+01:00"}}
    at = datetime(2026, 3, 2, 8, tzinfo=UTC)
    assert series_start(nine_berlin) == TimedMoment(at, "UTC")
    assert series_start(nine_berlin, default_zone="Europe/Berlin") == TimedMoment(
        at, "Europe/Berlin"
    )
    for start in ("2026-03-02", ["2026-03-02"], 7):
        assert series_start({**weekly, "start": start}) is None
