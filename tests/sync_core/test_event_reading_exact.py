"""Reading Google events, to the letter: the problem a user is shown for each malformed
event (``MalformedEvent.reason`` becomes the item's recorded problem), and what a listed
event carries into the planner (etag, ``updated``, marker, occurrence).

test_mapping.py checks that each defect is caught; this file pins the words the user
reads and the values the merge and the pairing depend on. Written after mutation testing
(docs/testing.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.identity import MARKER_KEY
from tandem.sync.core.mapping import (
    MalformedEvent,
    OccurrenceOf,
    fields_from_event,
    patch_from_changes,
    read_event,
)
from tandem.sync.core.state import GoogleEvent


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


LONG = "x" * 100
# read_event names a malformed event by its title (the user does not know its id).
TITLED = "“Kick-off”: "
DAY = {"date": "2026-03-01"}
NEXT_DAY = {"date": "2026-03-02"}


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"start": {}}, "The event has no start."),
        ({"start": "2026-03-01"}, "The event has no start."),
        ({"end": {}}, "The event has no end."),
        ({"end": {"date": "03/02/2026"}}, "Invalid end date “03/02/2026”."),
        (
            {"start": DAY, "end": {"dateTime": "2026-03-02T10:00:00Z"}},
            ("The start and the end mix a date and a date-time."),
        ),
        (
            {"end": {"dateTime": "2026-03-01T09:59:59+01:00"}},
            "The event ends before it starts.",
        ),
        (
            {"start": NEXT_DAY, "end": DAY},
            "The all-day event ends (exclusive) on or before its first day.",
        ),
        (
            {"start": {"date": "2026-03-01", "dateTime": "2026-03-01T10:00:00Z"}},
            "The start has both a date and a date-time.",
        ),
        ({"start": {"timeZone": "UTC"}}, "The start has neither a date nor a date-time."),
        # Python reads "20260301" as a date; Google's format (and ours) is YYYY-MM-DD only.
        ({"start": {"date": "20260301"}, "end": NEXT_DAY}, "Invalid start date “20260301”."),
        ({"start": {"date": "2026-02-30"}, "end": NEXT_DAY}, "Invalid start date “2026-02-30”."),
        # Long bad values are quoted shortened, so the problem stays readable.
        ({"start": {"date": LONG}, "end": NEXT_DAY}, f"Invalid start date “{'x' * 40}”."),
        (
            {"start": {"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": "Mars/Base"}},
            "Invalid time zone “Mars/Base” for the start time.",
        ),
        (
            {"start": {"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": LONG}},
            f"Invalid time zone “{'x' * 64}” for the start time.",
        ),
        ({"start": {"dateTime": "yesterday"}}, "Invalid start time “yesterday”."),
        ({"start": {"dateTime": LONG}}, f"Invalid start time “{'x' * 40}”."),
        (
            {"start": {"dateTime": "2026-03-01T10:00:00"}},
            "The start time has no offset and no time zone.",
        ),
        ({"recurrence": "RRULE:FREQ=DAILY"}, "The recurrence is not a list of lines."),
        (
            {"recurrence": ["DTSTART:20260301T100000Z"]},
            "Unknown recurrence line “DTSTART:20260301T100000Z”.",
        ),
        ({"recurrence": ["X-" + LONG]}, f"Unknown recurrence line “X-{'x' * 78}”."),
    ],
)
def test_each_malformed_event_is_reported_in_plain_words(
    overrides: dict[str, Any], reason: str
) -> None:
    """The reason the user reads names the event by its title, the defect, and quotes the
    bad value; the error names the event by id too."""
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(**overrides))
    assert (caught.value.reason, caught.value.event_id) == (TITLED + reason, "ev1")
    assert str(caught.value) == f"Event ev1: {TITLED}{reason}"


@pytest.mark.parametrize("bad_id", [None, "", 42])
def test_an_event_without_a_usable_id_is_malformed(bad_id: object) -> None:
    """Without a string id nothing can be linked: the event is refused, named as such."""
    with pytest.raises(MalformedEvent) as caught:
        read_event(event(id=bad_id))
    assert (caught.value.reason, caught.value.event_id) == ("The event has no id.", None)
    assert str(caught.value) == "Event (no id): The event has no id."


def test_a_zone_less_time_takes_the_calendars_zone() -> None:
    """A dateTime with an offset and no timeZone is read in the calendar's zone (UTC when
    none is given); a calendar zone that is not IANA is a problem of the event."""
    raw = event(
        start={"dateTime": "2026-03-01T10:00:00+01:00"},
        end={"dateTime": "2026-03-01T11:00:00+01:00"},
    )
    reading = read_event(raw, default_zone="Europe/Paris")
    assert reading.fields is not None and reading.fields.time_zone == "Europe/Paris"
    assert fields_from_event(raw).time_zone == "UTC"
    with pytest.raises(MalformedEvent) as caught:
        read_event(raw, default_zone="Nowhere/Land")
    assert caught.value.reason == TITLED + "Invalid calendar time zone “Nowhere/Land”."
    with pytest.raises(MalformedEvent) as caught:
        read_event(raw, default_zone=LONG)
    assert caught.value.reason == TITLED + f"Invalid calendar time zone “{'x' * 64}”."


def test_fields_from_event_names_the_event_in_its_errors_and_cuts_silently() -> None:
    """``fields_from_event`` (the engine's re-read) raises with the event's id, and cuts
    over-long text without a warnings list to fill."""
    with pytest.raises(MalformedEvent) as caught:
        fields_from_event(event(end={}))
    assert caught.value.event_id == "ev1"
    assert len(fields_from_event(event(summary="s" * 2000)).subject) == 1024


def test_text_at_the_limit_is_kept_without_warning() -> None:
    """Only text longer than the model's limit is cut and reported."""
    reading = read_event(event(summary="s" * 1024))
    assert reading.warnings == ()
    assert reading.fields is not None and len(reading.fields.subject) == 1024


def test_an_unknown_visibility_warns_with_the_value() -> None:
    """An unknown visibility is read as default, and the warning quotes it (shortened)."""
    assert read_event(event(visibility="secret")).warnings == (
        "Unknown visibility “secret” read as default.",
    )
    assert read_event(event(visibility=LONG)).warnings == (
        f"Unknown visibility “{'x' * 40}” read as default.",
    )


def test_a_listed_event_carries_etag_update_time_and_marker_to_the_planner() -> None:
    """``updated`` decides conflicts (the later edit wins) and our marker pairs the event
    with its meeting: both reach the planner's ``GoogleEvent``."""
    raw = event(
        updated="2026-03-02T08:30:00.000Z",
        extendedProperties={"private": {MARKER_KEY: "crm:7"}},
    )
    reading = read_event(raw)
    assert reading.etag == '"1"'
    assert reading.updated == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    listed = GoogleEvent.from_reading(reading, namespace="crm")
    assert listed == GoogleEvent(
        event_id="ev1",
        etag='"1"',
        fields=reading.fields,
        updated=datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        marker_meeting_id=7,
    )
    assert GoogleEvent.from_reading(reading, namespace="other").marker_meeting_id is None


def test_update_times_without_offset_or_unreadable_are_unknown() -> None:
    """A naive or garbled ``updated`` is no time at all (a conflict then goes to the CRM);
    a missing etag reads as empty."""
    raw = event(updated="2026-03-02T08:30:00")
    del raw["etag"]
    reading = read_event(raw)
    assert (reading.updated, reading.etag) == (None, "")
    assert read_event(event(updated="soon")).updated is None


def test_a_malformed_event_keeps_its_etag() -> None:
    """The planner's stand-in for an unreadable event keeps what was listed."""
    bad = GoogleEvent.malformed(event_id="ev1", etag='"7"', problem="The event has no end.")
    assert (bad.event_id, bad.etag, bad.fields, bad.problem) == (
        "ev1",
        '"7"',
        None,
        "The event has no end.",
    )


def occurrence(**overrides: Any) -> dict[str, Any]:
    return event(
        id="ev1_20260301T090000Z",
        recurringEventId="ev1",
        originalStartTime={"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": "Europe/Paris"},
        extendedProperties={"private": {MARKER_KEY: "crm:7"}},
        **overrides,
    )


def test_an_occurrence_reaches_the_planner_as_one() -> None:
    """A changed occurrence names its series and original start; the series' marker it
    carries is not read as its own."""
    listed = GoogleEvent.from_reading(read_event(occurrence()), namespace="crm")
    assert listed.occurrence == OccurrenceOf(
        series_event_id="ev1",
        original_start=TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "Europe/Paris"),
    )
    assert listed.marker_meeting_id is None


@pytest.mark.parametrize(
    ("original", "reason"),
    [
        ({}, "The occurrence has no original start."),
        (None, "The occurrence has no original start."),
        ({"date": "2026-13-01"}, "Invalid original start date “2026-13-01”."),
    ],
)
def test_a_live_occurrence_without_a_readable_original_start_is_malformed(
    original: object, reason: str
) -> None:
    """It cannot be placed in its series: the problem names the occurrence."""
    with pytest.raises(MalformedEvent) as caught:
        read_event(occurrence() | {"originalStartTime": original})
    assert (caught.value.reason, caught.value.event_id) == (
        TITLED + reason,
        "ev1_20260301T090000Z",
    )


def test_an_empty_series_id_is_no_occurrence() -> None:
    """Only a non-empty ``recurringEventId`` makes an event an occurrence."""
    reading = read_event(event(recurringEventId=""))
    assert reading.occurrence is None


def test_patches_refuse_values_of_the_wrong_kind_and_say_which() -> None:
    """A programming slip (a datetime for a bound, a list for the recurrence, a number for
    text, an unmapped field) fails loudly instead of sending Google a wrong body."""
    moment = datetime(2026, 3, 1, 9, tzinfo=UTC)
    with pytest.raises(TypeError) as start:
        patch_from_changes({"start": moment})  # type: ignore[dict-item]
    assert str(start.value) == f"start must be a TimedMoment or a date, not {moment!r}."
    with pytest.raises(TypeError) as recurrence:
        patch_from_changes({"recurrence": ["RRULE:FREQ=DAILY"]})  # type: ignore[dict-item]
    assert str(recurrence.value) == "recurrence must be a tuple of lines."
    with pytest.raises(TypeError) as text:
        patch_from_changes({"location": 4})  # type: ignore[dict-item]
    assert str(text.value) == "location must be text, not 4."
    with pytest.raises(KeyError) as unmapped:
        patch_from_changes({"colour": "red"})  # type: ignore[dict-item]
    assert unmapped.value.args == ("'colour' is not a mapped field.",)
    assert patch_from_changes({"start": date(2026, 3, 1)})["start"]["date"] == "2026-03-01"


def test_our_marker_holds_when_the_namespace_has_a_colon() -> None:
    """The meeting id is what follows the marker's last colon, so a namespace that names
    the installation and the user ("inst:user") still finds its meetings."""
    reading = read_event(event(extendedProperties={"private": {MARKER_KEY: "inst:user:7"}}))
    assert GoogleEvent.from_reading(reading, namespace="inst:user").marker_meeting_id == 7


@pytest.mark.parametrize("value", [42, None, ["crm:7"]])
def test_a_marker_that_is_not_text_is_no_marker(value: object) -> None:
    """Only a text value under our key can name a meeting; anything else is ignored."""
    reading = read_event(event(extendedProperties={"private": {MARKER_KEY: value}}))
    assert reading.marker is None
    assert GoogleEvent.from_reading(reading, namespace="crm").marker_meeting_id is None


def test_fields_keep_every_value_read() -> None:
    """Description, location, visibility and recurrence all come through."""
    fields = fields_from_event(
        event(
            description="<p>Agenda</p>",
            location="Room 4",
            visibility="private",
            recurrence=["RRULE:FREQ=WEEKLY"],
        )
    )
    assert (fields.description, fields.location, fields.visibility, fields.recurrence) == (
        "<p>Agenda</p>",
        "Room 4",
        "private",
        ("RRULE:FREQ=WEEKLY",),
    )
    assert isinstance(fields, MeetingFields)
