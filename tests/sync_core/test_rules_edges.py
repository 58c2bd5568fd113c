"""Rules at their edges that the decision table's other tests left open: a working
location however it is paired, a meeting of a read-only calendar paired without a link,
an occurrence over before the window, an occurrence row its series no longer has, the
breaker between its floor and its share, subjects and descriptions cleaned on both sides,
and readings a user sees (a zero-length event, the problem of an untitled or private
event, the type of a special event). Written after mutation testing (docs/testing.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from msgspec.structs import replace

from tandem.sync.core.actions import (
    DeleteInCrm,
    DiscardRow,
    DropLink,
    SaveLink,
    UpdateCrm,
)
from tandem.sync.core.breaker import BreakerVerdict, breaker_check
from tandem.sync.core.event_types import event_type_of
from tandem.sync.core.fields import TimedMoment
from tandem.sync.core.mapping import MalformedEvent, OccurrenceOf, read_event
from tandem.sync.core.planner import plan_item, plan_occurrence, plan_occurrence_out
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings
from tests.sync_core.strategies import timed

BASE = timed(9)
READ_ONLY = SyncSettings(read_only=True)


def crm(**kwargs: Any) -> CrmMeeting:
    return CrmMeeting(**({"meeting_id": 7, "version": 3, "fields": BASE} | kwargs))


def link() -> Link:
    return Link(
        calendar_id="cal",
        meeting_id=7,
        event_id="ev1",
        base=BASE,
        etag='"e1"',
        crm_version=3,
        origin="google",
    )


WORKING_LOCATION = GoogleEvent("ev1", '"e1"', BASE, event_type="workingLocation")


@pytest.mark.parametrize(
    ("paired_link", "meeting"),
    [
        pytest.param(None, crm(), id="a meeting but no link"),
        pytest.param(link(), None, id="a link, the meeting gone"),
        pytest.param(link(), crm(deleted=True), id="a link to a tombstone"),
    ],
)
def test_a_working_location_without_a_live_linked_meeting_stays_out(
    paired_link: Link | None, meeting: CrmMeeting | None
) -> None:
    """Nothing to take out of the CRM: no deletion planned, whatever the pairing."""
    result = plan_item(
        link=paired_link,
        crm=meeting,
        google=WORKING_LOCATION,
        settings=SyncSettings(),
        listing_complete=True,
    )
    assert (result.why, result.actions) == ("working location, not a meeting", ())


def test_a_working_location_imported_before_leaves_the_crm() -> None:
    result = plan_item(
        link=link(),
        crm=crm(),
        google=WORKING_LOCATION,
        settings=SyncSettings(),
        listing_complete=True,
    )
    assert result.why == "working location leaves the CRM"
    assert result.actions == (DeleteInCrm(7, 3), DropLink(7))


def test_a_read_only_calendars_meeting_paired_without_link_becomes_read_only() -> None:
    """Same values on both sides, but the meeting was editable: it is marked read-only (no
    field written); one read-only already is only linked."""
    google = GoogleEvent("ev1", '"e1"', BASE)
    editable = plan_item(
        link=None, crm=crm(), google=google, settings=READ_ONLY, listing_complete=True
    )
    assert editable.why == "read-only calendar"
    assert editable.actions == (
        UpdateCrm(7, BASE, 3, read_only=True),
        SaveLink(BASE, origin="crm"),
    )
    marked = plan_item(
        link=None, crm=crm(read_only=True), google=google, settings=READ_ONLY, listing_complete=True
    )
    assert (marked.why, marked.actions) == ("read-only calendar", (SaveLink(BASE, origin="crm"),))


def test_an_occurrence_over_before_the_window_is_left_alone() -> None:
    """An occurrence whose series the CRM lacks, ended before the window: no meeting."""
    slot = OccurrenceOf("series1", TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "UTC"))
    result = plan_occurrence(
        google=GoogleEvent("series1_20260301T090000Z", '"o1"', BASE, occurrence=slot),
        series=None,
        held_by=None,
        hidden=False,
        settings=SyncSettings(window_start=datetime(2026, 4, 1, tzinfo=UTC)),
        final=True,
    )
    assert (result.why, result.actions) == ("occurrence outside the window", ())


ROW = CrmMeeting(meeting_id=8, version=1, fields=replace(BASE, subject="Moved"))


def test_an_occurrence_row_its_series_no_longer_has_goes() -> None:
    result = plan_occurrence_out(
        row=ROW, hides=False, instance=None, recorded=False, held_by=None, in_series=False
    )
    assert (result.why, result.actions) == ("occurrence the series no longer has", (DiscardRow(8),))


def test_a_private_occurrence_stays_out_of_google_unless_private_sync_is_said_on() -> None:
    """Private sync is off unless the caller says otherwise: the safe side."""
    private = replace(ROW, fields=replace(ROW.fields, visibility="private"))
    result = plan_occurrence_out(
        row=private,
        hides=False,
        instance=GoogleEvent("series1_20260301T090000Z", '"i1"', BASE),
        recorded=False,
        held_by=None,
    )
    assert (result.why, result.actions) == ("private occurrence, private sync off", ())


def test_deletions_above_the_floor_but_below_the_share_go_ahead() -> None:
    """11 of 100 meetings: more than 10 but not more than 20%: not tripped, no question."""
    assert breaker_check(deletes=11, synced=100) == BreakerVerdict(tripped=False)


def test_a_subject_and_a_description_are_cleaned_not_refused() -> None:
    """The subject " Kick-off " is the meeting "Kick-off"; a browser's CR LF is a LF."""
    fields = replace(BASE, subject="  Kick-off ", description="Agenda\r\n- prices")
    assert fields.subject == "Kick-off"
    assert fields.description == "Agenda\n- prices"


def google_event(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "ev1",
        "etag": '"1"',
        "summary": "Kick-off",
        "start": {"dateTime": "2026-03-01T10:00:00+01:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2026-03-01T11:00:00+01:00", "timeZone": "Europe/Paris"},
    } | overrides


def test_a_zero_length_event_is_read_as_it_is() -> None:
    """A reminder-like event that ends when it starts is a meeting, not a malformed event."""
    reading = read_event(google_event(end=google_event()["start"]))
    assert reading.fields is not None
    assert reading.fields.start == reading.fields.end


def test_a_malformed_private_event_keeps_its_id_and_hides_its_title() -> None:
    with pytest.raises(MalformedEvent) as caught:
        read_event(google_event(visibility="private", end={}))
    assert (caught.value.event_id, caught.value.reason) == (
        "ev1",
        "A private event: The event has no end.",
    )


@pytest.mark.parametrize("summary", [42, None, ["Kick-off"]])
def test_a_malformed_event_without_a_text_title_is_named_by_its_problem_alone(
    summary: object,
) -> None:
    with pytest.raises(MalformedEvent) as caught:
        read_event(google_event(summary=summary, end={}))
    assert (caught.value.event_id, caught.value.reason) == ("ev1", "The event has no end.")


@pytest.mark.parametrize("value", [5, ["outOfOffice"], {"type": "focusTime"}, ""])
def test_an_event_type_that_is_not_a_name_reads_as_default(value: object) -> None:
    assert event_type_of({"eventType": value}) == "default"


def test_a_special_events_type_reaches_the_planner() -> None:
    """An out-of-office event is read-only in the planner, as the reading said."""
    reading = read_event(google_event(eventType="outOfOffice"))
    google = GoogleEvent.from_reading(reading, namespace="tandem")
    assert google.event_type == "outOfOffice"
    assert google.read_only_type
