"""Google's event types in the sync core (issue 12, finding 1 / must have 1): reading
``eventType``, and the planner rows that keep the CRM from writing what Google refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from msgspec.structs import replace

from tandem.sync.core.actions import (
    CreateInCrm,
    CreateOccurrence,
    DeleteInCrm,
    DropLink,
    PatchGoogle,
    SaveLink,
    UpdateCrm,
)
from tandem.sync.core.mapping import OccurrenceOf, read_event
from tandem.sync.core.planner import plan_item, plan_occurrence
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SeriesInCrm, SyncSettings
from tests.sync_core.strategies import timed

BASE = timed(9)
EDITED = replace(BASE, subject="My flight")
SPECIAL = ["outOfOffice", "focusTime", "birthday", "fromGmail", "someNewType"]


def event(kind: str, **kwargs: Any) -> GoogleEvent:
    values = {"event_id": "ev1", "etag": '"e2"', "fields": BASE, "event_type": kind}
    return GoogleEvent(**(values | kwargs))


def link(**kwargs: Any) -> Link:
    values = {
        "calendar_id": "cal",
        "meeting_id": 7,
        "event_id": "ev1",
        "base": BASE,
        "etag": '"e1"',
        "crm_version": 3,
        "origin": "google",
    }
    return Link(**(values | kwargs))


def plan(**inputs: Any):  # type: ignore[no-untyped-def]
    defaults = {"link": None, "crm": None, "google": None, "settings": SyncSettings()}
    return plan_item(**(defaults | inputs), listing_complete=False)


def raw(kind: str | None, summary: str | None = "Lisbon trip") -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "ev1",
        "etag": '"1"',
        "start": {"dateTime": "2026-03-01T09:00:00Z"},
        "end": {"dateTime": "2026-03-01T10:00:00Z"},
    }
    if kind is not None:
        body["eventType"] = kind
    if summary is not None:
        body["summary"] = summary
    return body


@pytest.mark.parametrize("kind", ["default", "outOfOffice", "fromGmail", "workingLocation"])
def test_the_event_type_is_read(kind: str) -> None:
    assert read_event(raw(kind)).event_type == kind


def test_an_event_without_a_type_is_default() -> None:
    """Google lists every event with one; an answer without it is an ordinary event."""
    assert read_event(raw(None)).event_type == "default"


@pytest.mark.parametrize(
    ("kind", "subject"),
    [("outOfOffice", "Out of office"), ("focusTime", "Focus time"), ("default", "(No title)")],
)
def test_an_untitled_status_event_is_titled_as_google_shows_it(kind: str, subject: str) -> None:
    fields = read_event(raw(kind, summary=None)).fields
    assert fields is not None and fields.subject == subject


@pytest.mark.parametrize("kind", SPECIAL)
def test_a_new_special_event_becomes_a_read_only_meeting(kind: str) -> None:
    """Out of office, focus time, birthdays, Gmail-made events (and types Google adds
    later) come in read-only."""
    planned = plan(google=event(kind))
    assert planned.why == "new event"
    assert planned.actions == (
        CreateInCrm("ev1", BASE, read_only=True),
        SaveLink(BASE, origin="google"),
    )


@pytest.mark.parametrize("kind", SPECIAL)
def test_a_crm_edit_of_a_special_event_is_never_written_to_google(kind: str) -> None:
    """A meeting imported (editable) before this rule and edited in the CRM: Google's copy
    wins, no PATCH that Google would refuse with eventTypeRestriction, and the meeting
    becomes read-only, so nobody edits it again in vain (found by review)."""
    crm = CrmMeeting(meeting_id=7, version=4, fields=EDITED)
    planned = plan(link=link(), crm=crm, google=event(kind, fields=BASE, etag='"e1"'))
    assert not any(isinstance(action, PatchGoogle) for action in planned.actions)
    assert planned.actions == (
        UpdateCrm(7, BASE, 4, read_only=True),
        SaveLink(BASE, origin="google"),
    )


def test_a_default_event_edited_in_the_crm_is_still_patched() -> None:
    """The rule is for special types only: an ordinary event takes the CRM's edit."""
    crm = CrmMeeting(meeting_id=7, version=4, fields=EDITED)
    planned = plan(link=link(), crm=crm, google=event("default", etag='"e1"'))
    assert any(isinstance(action, PatchGoogle) for action in planned.actions)


def test_a_working_location_is_not_imported() -> None:
    planned = plan(google=event("workingLocation"))
    assert (planned.why, planned.actions) == ("working location, not a meeting", ())


def test_a_working_location_imported_before_leaves_the_crm() -> None:
    """Imported as a meeting before the rule: the meeting goes, Google keeps its event."""
    crm = CrmMeeting(meeting_id=7, version=3, fields=BASE)
    planned = plan(link=link(), crm=crm, google=event("workingLocation"))
    assert planned.why == "working location leaves the CRM"
    assert planned.actions == (DeleteInCrm(7, 3), DropLink(7))


def test_an_occurrence_of_a_special_series_is_read_only() -> None:
    """A birthday changed for one year is a read-only row of its read-only series."""
    occurrence = OccurrenceOf("series1", datetime(2026, 3, 1, 9, tzinfo=UTC))
    google = event("birthday", event_id="series1_20260301", occurrence=occurrence)
    planned = plan_occurrence(
        google=google,
        series=SeriesInCrm(meeting_id=3, read_only=False),
        held_by=None,
        hidden=False,
        settings=SyncSettings(),
        final=True,
    )
    assert planned.actions[0] == CreateOccurrence("series1_20260301", BASE, 3, True)


def test_an_occurrence_of_a_working_location_is_not_imported() -> None:
    occurrence = OccurrenceOf("series1", datetime(2026, 3, 1, 9, tzinfo=UTC))
    google = event("workingLocation", event_id="series1_20260301", occurrence=occurrence)
    planned = plan_occurrence(
        google=google, series=None, held_by=None, hidden=False, settings=SyncSettings(), final=True
    )
    assert (planned.why, planned.actions) == ("working location, not a meeting", ())
