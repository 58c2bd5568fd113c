"""docs/sync-rules.md's decision table, one row per case: which row fires (the plan's
``why``, which run errors quote) and the exact actions it plans.

Several rows plan no action at all ("nothing to do", "read-only meeting", "outside the
window"...); only ``why`` tells them apart, so a slip that sends an item down the wrong
quiet branch shows here. Written after mutation testing (docs/testing.md).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from msgspec.structs import replace

from tandem.sync.core.actions import (
    Action,
    CreateInCrm,
    CreateOccurrence,
    DeleteInCrm,
    DeleteInGoogle,
    DetachOccurrence,
    DiscardRow,
    DropLink,
    ForgetImport,
    HideOccurrence,
    InsertInGoogle,
    MergeIntoRow,
    MoveToTarget,
    PatchGoogle,
    RecordConflict,
    RecordImport,
    RecordProblem,
    SaveLink,
    UpdateCrm,
    WaitForSeries,
)
from tandem.sync.core.fields import FIELD_NAMES, MeetingFields, TimedMoment
from tandem.sync.core.mapping import OccurrenceOf
from tandem.sync.core.merge import Conflict
from tandem.sync.core.planner import (
    plan_item,
    plan_occurrence,
    plan_occurrence_out,
    plan_settings_change,
)
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SeriesInCrm, SlotRow, SyncSettings
from tests.sync_core.strategies import timed

BASE = timed(9)
EDITED = replace(BASE, subject="Renamed")
PRIVATE = replace(BASE, visibility="private")
EDITED_PRIVATE = replace(EDITED, visibility="private")
AFTER_BASE = SyncSettings(window_start=datetime(2026, 4, 1, tzinfo=UTC))
READ_ONLY = SyncSettings(read_only=True)


def crm(fields: MeetingFields = BASE, **kwargs: Any) -> CrmMeeting:
    return CrmMeeting(**({"meeting_id": 7, "version": 3, "fields": fields} | kwargs))


def event(fields: MeetingFields | None = BASE, **kwargs: Any) -> GoogleEvent:
    return GoogleEvent(**({"event_id": "ev1", "etag": '"e1"', "fields": fields} | kwargs))


def cancelled() -> GoogleEvent:
    return event(None, etag='"e2"', cancelled=True)


def link(**kwargs: Any) -> Link:
    values = {
        "calendar_id": "cal",
        "meeting_id": 7,
        "event_id": "ev1",
        "base": BASE,
        "etag": '"e1"',
        "crm_version": 3,
        "origin": "crm",
    }
    return Link(**(values | kwargs))


# (row, inputs, why, actions)
ROWS: list[tuple[str, dict[str, Any], str, tuple[Action, ...]]] = [
    # -- any item
    (
        "malformed",
        {
            "link": link(),
            "crm": crm(),
            "google": GoogleEvent.malformed(
                event_id="ev1", etag='"e1"', problem="The event has no start."
            ),
        },
        "malformed event",
        (RecordProblem("ev1", "The event has no start.", holds_token=False),),
    ),
    # -- no link
    ("nothing", {}, "nothing to do", ()),
    ("unknown cancelled", {"google": cancelled()}, "unknown event cancelled", ()),
    (
        "our event, meeting gone",
        {"google": event(marker_meeting_id=7)},
        "our event without its meeting",
        (),
    ),
    (
        "not inbound",
        {"google": event(), "settings": SyncSettings(is_inbound=False)},
        "not an inbound calendar",
        (),
    ),
    (
        "new event outside the window",
        {"google": event(), "settings": AFTER_BASE},
        "event outside the window",
        (),
    ),
    (
        "new event",
        {"google": event()},
        "new event",
        (CreateInCrm("ev1", BASE), SaveLink(BASE, origin="google")),
    ),
    (
        "new event, read-only calendar",
        {"google": event(), "settings": READ_ONLY},
        "new event",
        (CreateInCrm("ev1", BASE, read_only=True), SaveLink(BASE, origin="google")),
    ),
    (
        "tombstone, no event",
        {"crm": crm(deleted=True)},
        "deleted meeting, nothing in Google",
        (),
    ),
    (
        "tombstone, cancelled event",
        {"crm": crm(deleted=True), "google": cancelled()},
        "deleted meeting, nothing in Google",
        (),
    ),
    (
        "tombstone, read-only calendar",
        {"crm": crm(deleted=True), "google": event(EDITED), "settings": READ_ONLY},
        "read-only calendar, deleted meeting",
        (),
    ),
    (
        "tombstone, different event",
        {"crm": crm(deleted=True), "google": event(EDITED)},
        "unlinked event beats deletion",
        (UpdateCrm(7, EDITED, 3, restore=True), SaveLink(EDITED, origin="crm")),
    ),
    (
        "imported tombstone, different event",
        {"crm": crm(deleted=True, import_key="cal/ev1"), "google": event(EDITED)},
        "unlinked event beats deletion",
        (UpdateCrm(7, EDITED, 3, restore=True), SaveLink(EDITED, origin="google")),
    ),
    (
        "tombstone, different private event, private sync off",
        {"crm": crm(deleted=True), "google": event(EDITED_PRIVATE)},
        "unlinked event beats deletion",
        (
            UpdateCrm(7, EDITED_PRIVATE, 3, restore=True),
            SaveLink(EDITED_PRIVATE, origin="crm", leaving=True),
            DeleteInGoogle("ev1", '"e1"', keep_in_crm=True),
            DropLink(7),
        ),
    ),
    (
        "tombstone, same event",
        {"crm": crm(deleted=True), "google": event()},
        "deleted meeting, its event left",
        (DeleteInGoogle("ev1", '"e1"'),),
    ),
    (
        "pair without link",
        {"crm": crm(), "google": event(EDITED)},
        "paired without link",
        (
            RecordConflict((Conflict("subject", None, "Kick-off", "Renamed", "crm"),)),
            PatchGoogle("ev1", '"e1"', BASE, ("subject",)),
            SaveLink(BASE, origin="crm"),
        ),
    ),
    (
        "pair without link, private, private sync off",
        {"crm": crm(PRIVATE), "google": event()},
        "paired without link; private meeting leaves Google",
        (
            RecordConflict((Conflict("visibility", None, "private", "default", "crm"),)),
            SaveLink(BASE, origin="crm", leaving=True),
            DeleteInGoogle("ev1", '"e1"', keep_in_crm=True),
            DropLink(7),
        ),
    ),
    (
        "imported, no event",
        {"crm": crm(import_key="cal/ev1")},
        "imported meeting without its event",
        (),
    ),
    (
        "imported, cancelled, read-only calendar",
        {"crm": crm(import_key="cal/ev1"), "google": cancelled(), "settings": READ_ONLY},
        "read-only calendar, restored meeting",
        (),
    ),
    (
        "imported, cancelled",
        {"crm": crm(import_key="cal/ev1"), "google": cancelled()},
        "restored meeting, undeleting its event",
        (PatchGoogle("ev1", '"e2"', BASE, restore=True), SaveLink(BASE, origin="google")),
    ),
    ("read-only meeting", {"crm": crm(read_only=True)}, "read-only meeting", ()),
    (
        "not the target",
        {"crm": crm(), "settings": SyncSettings(is_target=False)},
        "not the target calendar",
        (),
    ),
    (
        "read-only target",
        {"crm": crm(), "settings": READ_ONLY},
        "not the target calendar",
        (),
    ),
    ("private", {"crm": crm(PRIVATE)}, "private meeting, private sync off", ()),
    (
        "meeting outside the window",
        {"crm": crm(), "settings": AFTER_BASE},
        "outside the window",
        (),
    ),
    (
        "our cancelled event",
        {"crm": crm(), "google": cancelled()},
        "push, undeleting our event",
        (PatchGoogle("ev1", '"e2"', BASE, restore=True), SaveLink(BASE, origin="crm")),
    ),
    (
        "new meeting",
        {"crm": crm()},
        "new meeting",
        (InsertInGoogle(7, BASE), SaveLink(BASE, origin="crm")),
    ),
    # -- linked
    (
        "not in an incremental listing",
        {"link": link(), "crm": crm(), "complete": False},
        "unchanged",
        (),
    ),
    (
        "left out of a full listing, before the window",
        {"link": link(), "crm": crm(), "settings": AFTER_BASE},
        "event out of the window",
        (),
    ),
    (
        "meeting gone, before the window",
        {"link": link(), "google": event(), "settings": AFTER_BASE},
        "meeting out of the window",
        (),
    ),
    (
        "deleted on both sides",
        {"link": link(), "crm": crm(deleted=True), "google": cancelled()},
        "deleted on both sides",
        (DropLink(7),),
    ),
    (
        "meeting purged, event cancelled",
        {"link": link(), "google": cancelled()},
        "deleted on both sides",
        (DropLink(7),),
    ),
    (
        "tombstone, read-only calendar",
        {"link": link(), "crm": crm(deleted=True), "google": event(), "settings": READ_ONLY},
        "read-only calendar, Google copy returns",
        (UpdateCrm(7, BASE, 3, restore=True), SaveLink(BASE, origin="crm")),
    ),
    (
        "meeting purged, read-only calendar",
        {"link": link(), "google": event(), "settings": READ_ONLY},
        "read-only calendar, Google copy returns",
        (CreateInCrm("ev1", BASE, read_only=True), SaveLink(BASE, origin="crm")),
    ),
    (
        "tombstone, edited in Google",
        {"link": link(), "crm": crm(deleted=True), "google": event(EDITED, etag='"e2"')},
        "Google edit beats deletion",
        (UpdateCrm(7, EDITED, 3, restore=True), SaveLink(EDITED, origin="crm")),
    ),
    (
        "tombstone, event untouched",
        {"link": link(), "crm": crm(deleted=True), "google": event()},
        "deleted in the CRM",
        (DeleteInGoogle("ev1", '"e1"'), DropLink(7)),
    ),
    (
        "private meeting, its event cancelled",
        {"link": link(), "crm": crm(PRIVATE), "google": cancelled()},
        "private meeting out of Google",
        (DropLink(7),),
    ),
    (
        "occurrence of a private CRM series, its instance cancelled with the series",
        {
            "link": link(),
            "crm": crm(in_series_out_of_google=True),
            "google": cancelled(),
        },
        "occurrence of a private series out of Google",
        (DropLink(7),),
    ),
    (
        "occurrence of a private CRM series, private sync on: a cancellation in Google",
        {
            "link": link(),
            "crm": crm(in_series_out_of_google=True),
            "google": cancelled(),
            "settings": SyncSettings(private_sync=True),
        },
        "deleted in Google",
        (DeleteInCrm(7, 3), DropLink(7)),
    ),
    (
        "untouched meeting, event cancelled",
        {"link": link(), "crm": crm(), "google": cancelled()},
        "deleted in Google",
        (DeleteInCrm(7, 3), DropLink(7)),
    ),
    (
        "edited meeting, event cancelled",
        {"link": link(), "crm": crm(EDITED), "google": cancelled()},
        "CRM edit beats deletion",
        (PatchGoogle("ev1", '"e2"', EDITED, restore=True), SaveLink(EDITED, origin="crm")),
    ),
    (
        "edited occurrence, its whole series deleted in Google",
        {"link": link(), "crm": crm(EDITED), "google": replace(cancelled(), series_gone=True)},
        "occurrence changed in the CRM outlives its series deleted in Google",
        (DetachOccurrence(7, 3), DropLink(7)),
    ),
    (
        "untouched occurrence, its whole series deleted in Google",
        {"link": link(), "crm": crm(), "google": replace(cancelled(), series_gone=True)},
        "deleted in Google",
        (DeleteInCrm(7, 3), DropLink(7)),
    ),
    (
        "edited occurrence, its series deleted in a read-only calendar",
        {
            "link": link(),
            "crm": crm(EDITED),
            "google": replace(cancelled(), series_gone=True),
            "settings": READ_ONLY,
        },
        "deleted in Google",
        (DeleteInCrm(7, 3), DropLink(7)),
    ),
    (
        "series deleted in Google, occurrences changed in the CRM never pushed",
        {"link": link(), "crm": crm(changed_rows=(11, 12)), "google": cancelled()},
        "series deleted in Google, its occurrences changed in the CRM stay",
        (DetachOccurrence(11, None), DetachOccurrence(12, None), DeleteInCrm(7, 3), DropLink(7)),
    ),
    (
        "series deleted in a read-only calendar, rows changed in the CRM",
        {
            "link": link(),
            "crm": crm(changed_rows=(11,)),
            "google": cancelled(),
            "settings": READ_ONLY,
        },
        "deleted in Google",
        (DeleteInCrm(7, 3), DropLink(7)),
    ),
    (
        "edited meeting, event gone from a full listing",
        {"link": link(), "crm": crm(EDITED)},
        "CRM edit beats deletion (event vanished)",
        (InsertInGoogle(7, EDITED), SaveLink(EDITED, origin="crm")),
    ),
    (
        "public again after a privacy removal",
        {"link": link(leaving=True), "crm": crm(), "google": cancelled()},
        "back in Google after privacy removal",
        (PatchGoogle("ev1", '"e2"', BASE, restore=True), SaveLink(BASE, origin="crm")),
    ),
    (
        "public again, event vanished",
        {"link": link(leaving=True), "crm": crm()},
        "back in Google after privacy removal (event vanished)",
        (InsertInGoogle(7, BASE), SaveLink(BASE, origin="crm")),
    ),
    ("unchanged", {"link": link(), "crm": crm(), "google": event()}, "unchanged", ()),
    (
        "only the etag moved",
        {"link": link(), "crm": crm(), "google": event(etag='"e9"')},
        "etag moved",
        (SaveLink(BASE, origin="crm"),),
    ),
    (
        "edited in the CRM",
        {"link": link(), "crm": crm(EDITED), "google": event()},
        "merged",
        (PatchGoogle("ev1", '"e1"', EDITED, ("subject",)), SaveLink(EDITED, origin="crm")),
    ),
    (
        "made private in the CRM",
        {"link": link(), "crm": crm(PRIVATE), "google": event()},
        "merged; private meeting leaves Google",
        (
            SaveLink(BASE, origin="crm", leaving=True),
            DeleteInGoogle("ev1", '"e1"', keep_in_crm=True),
            DropLink(7),
        ),
    ),
    (
        "edited in Google, read-only calendar",
        {
            "link": link(),
            "crm": crm(read_only=True),
            "google": event(EDITED, etag='"e2"'),
            "settings": READ_ONLY,
        },
        "read-only calendar",
        (UpdateCrm(7, EDITED, 3), SaveLink(EDITED, origin="crm")),
    ),
    (
        "read-only calendar, the meeting still editable in the CRM",
        {"link": link(), "crm": crm(), "google": event(EDITED, etag='"e2"'), "settings": READ_ONLY},
        "read-only calendar",
        (UpdateCrm(7, EDITED, 3, read_only=True), SaveLink(EDITED, origin="crm")),
    ),
]


@pytest.mark.parametrize(
    ("inputs", "why", "actions"),
    [pytest.param(inputs, why, actions, id=row) for row, inputs, why, actions in ROWS],
)
def test_each_row_of_the_decision_table(
    inputs: dict[str, Any], why: str, actions: tuple[Action, ...]
) -> None:
    """The row docs/sync-rules.md gives for the case fires, with exactly its actions."""
    result = plan_item(
        link=inputs.get("link"),
        crm=inputs.get("crm"),
        google=inputs.get("google"),
        settings=inputs.get("settings", SyncSettings()),
        listing_complete=inputs.get("complete", True),
    )
    assert (result.why, result.actions) == (why, actions)


def test_a_plan_names_the_linked_meeting_even_when_the_crm_no_longer_lists_it() -> None:
    """The link supplies the meeting id when the meeting is gone, so the applier and the
    run's errors still name it."""
    result = plan_item(
        link=link(), crm=None, google=cancelled(), settings=SyncSettings(), listing_complete=True
    )
    assert (result.meeting_id, result.event_id) == (7, "ev1")


def test_a_meeting_made_private_while_google_edited_it_keeps_the_merge_and_leaves() -> None:
    """Google renamed the meeting while the CRM made it private (private sync off): the
    CRM takes Google's subject, then the meeting leaves Google. The link keeps the last
    agreed copy as its base while the event is being removed."""
    result = plan_item(
        link=link(),
        crm=crm(PRIVATE),
        google=event(EDITED, etag='"e2"'),
        settings=SyncSettings(),
        listing_complete=True,
    )
    assert result.why == "merged; private meeting leaves Google"
    assert result.actions == (
        UpdateCrm(7, EDITED_PRIVATE, 3),
        SaveLink(BASE, origin="crm", leaving=True),
        DeleteInGoogle("ev1", '"e2"', keep_in_crm=True),
        DropLink(7),
    )


# -- occurrences Google lists on their own (plan_occurrence) -----------------------------

SLOT = OccurrenceOf("series1", TimedMoment(datetime(2026, 3, 1, 9, tzinfo=UTC), "UTC"))
OCC = "series1_20260301T090000Z"
SERIES = SeriesInCrm(meeting_id=5, read_only=False)


def occurrence(*, alive: bool = True) -> GoogleEvent:
    if alive:
        return GoogleEvent(OCC, '"o1"', EDITED, occurrence=SLOT)
    return GoogleEvent(OCC, '"o2"', None, cancelled=True, occurrence=SLOT)


# (row, inputs, why, actions); the plan names ``held_by`` as its meeting
OCCURRENCE_ROWS: list[tuple[str, dict[str, Any], str, tuple[Action, ...]]] = [
    (
        "cancelled, its row hides it",
        {"google": occurrence(alive=False), "held_by": 12, "hidden": True},
        "occurrence already in the CRM",
        (),
    ),
    (
        "changed, a row holds it",
        {"google": occurrence(), "held_by": 12},
        "occurrence already in the CRM",
        (),
    ),
    (
        "listed before its series",
        {"google": occurrence(), "series": None, "final": False},
        "occurrence before its series",
        (WaitForSeries(OCC),),
    ),
    (
        "cancelled, no series",
        {"google": occurrence(alive=False), "series": None},
        "cancelled occurrence without its series",
        (),
    ),
    (
        "no series, not an inbound calendar",
        {"google": occurrence(), "series": None, "settings": SyncSettings(is_inbound=False)},
        "not an inbound calendar",
        (),
    ),
    (
        "no series",
        {"google": occurrence(), "series": None},
        "occurrence without its series",
        (CreateInCrm(OCC, EDITED), SaveLink(EDITED, origin="google")),
    ),
    (
        "no series, read-only calendar",
        {"google": occurrence(), "series": None, "settings": READ_ONLY},
        "occurrence without its series",
        (CreateInCrm(OCC, EDITED, read_only=True), SaveLink(EDITED, origin="google")),
    ),
    (
        "changed, its series deleted in the CRM, listing not read yet",
        {"google": occurrence(), "series": SeriesInCrm(5, False, deleted=True), "final": False},
        "occurrence of a series deleted in the CRM",
        (WaitForSeries(OCC),),
    ),
    (
        "changed, its series deleted in the CRM",
        {"google": occurrence(), "series": SeriesInCrm(5, False, deleted=True)},
        "occurrence of a series deleted in the CRM",
        (),
    ),
    (
        "cancelled, its series deleted in the CRM",
        {"google": occurrence(alive=False), "series": SeriesInCrm(5, False, deleted=True)},
        "occurrence of a series deleted in the CRM",
        (),
    ),
    (
        "cancelled alone",
        {"google": occurrence(alive=False)},
        "occurrence cancelled alone",
        (HideOccurrence(OCC, 5, read_only=False),),
    ),
    (
        "cancelled alone, read-only series",
        {"google": occurrence(alive=False), "series": SeriesInCrm(5, read_only=True)},
        "occurrence cancelled alone",
        (HideOccurrence(OCC, 5, read_only=True),),
    ),
    (
        "cancelled at a slot the series no longer has",
        {"google": occurrence(alive=False), "in_series": False},
        "cancelled occurrence the series no longer has",
        (),
    ),
    (
        "cancelled at a slot the series does not have, listing not read to the end",
        {"google": occurrence(alive=False), "in_series": False, "final": False},
        "cancelled occurrence before its series' change",
        (WaitForSeries(OCC),),
    ),
    (
        "cancelled, its series moved in Google in this listing, not read to the end",
        {"google": occurrence(alive=False), "series_moved": True, "final": False},
        "occurrence of a series moved in Google",
        (WaitForSeries(OCC),),
    ),
    (
        "changed, its series moved in Google in this listing, not read to the end",
        {"google": occurrence(), "series_moved": True, "final": False},
        "occurrence of a series moved in Google",
        (WaitForSeries(OCC),),
    ),
    (
        "cancelled, its series moved in Google, listing read",
        {"google": occurrence(alive=False), "series_moved": True},
        "occurrence cancelled alone",
        (HideOccurrence(OCC, 5, read_only=False),),
    ),
    (
        "changed alone",
        {"google": occurrence()},
        "occurrence changed alone",
        (CreateOccurrence(OCC, EDITED, 5, False), SaveLink(EDITED, origin="google")),
    ),
    (
        "restored after a cancellation",
        {"google": occurrence(), "held_by": 12, "hidden": True, "settings": READ_ONLY},
        "cancelled occurrence restored",
        (CreateOccurrence(OCC, EDITED, 5, True, replaces=12), SaveLink(EDITED, origin="google")),
    ),
]


@pytest.mark.parametrize(
    ("inputs", "why", "actions"),
    [pytest.param(i, why, actions, id=row) for row, i, why, actions in OCCURRENCE_ROWS],
)
def test_each_row_for_an_occurrence_listed_alone(
    inputs: dict[str, Any], why: str, actions: tuple[Action, ...]
) -> None:
    """Docs/sync-rules.md "Recurring events": the occurrence takes its slot in the series."""
    held_by = inputs.get("held_by")
    result = plan_occurrence(
        google=inputs["google"],
        series=inputs.get("series", SERIES),
        held_by=held_by,
        hidden=inputs.get("hidden", False),
        settings=inputs.get("settings", SyncSettings()),
        final=inputs.get("final", True),
        in_series=inputs.get("in_series", True),
        series_moved=inputs.get("series_moved", False),
    )
    assert (result.meeting_id, result.event_id) == (held_by, OCC)
    assert (result.why, result.actions) == (why, actions)


ROW_13 = CrmMeeting(meeting_id=13, version=1, fields=replace(BASE, subject="CRM's"))
ROOM_2 = replace(BASE, location="Room 2")

# The CRM changed or cancelled the same occurrence since the last sync (``crm_row``); the
# plan names that row as its meeting.
BOTH_SIDES_ROWS: list[tuple[str, GoogleEvent, SlotRow, str, tuple[Action, ...]]] = [
    (
        "cancelled in Google, changed in the CRM",
        occurrence(alive=False),
        SlotRow(ROW_13, hides=False, base=BASE),
        "occurrence cancelled in Google, changed or cancelled in the CRM too",
        (),
    ),
    (
        "changed in Google, cancelled in the CRM",
        occurrence(),
        SlotRow(ROW_13, hides=True, base=BASE),
        "occurrence changed in Google beats its cancellation in the CRM",
        (CreateOccurrence(OCC, EDITED, 5, False, replaces=13), SaveLink(EDITED, origin="google")),
    ),
    (
        "changed on both sides, different fields",
        GoogleEvent(OCC, '"o1"', ROOM_2, occurrence=SLOT),
        SlotRow(ROW_13, hides=False, base=BASE),
        "occurrence changed on both sides",
        (
            UpdateCrm(13, replace(ROOM_2, subject="CRM's"), 1),
            PatchGoogle(OCC, '"o1"', replace(ROOM_2, subject="CRM's"), ("subject",)),
            SaveLink(replace(ROOM_2, subject="CRM's"), origin="google"),
        ),
    ),
]


@pytest.mark.parametrize(
    ("google", "crm_row", "why", "actions"),
    [pytest.param(g, r, why, actions, id=row) for row, g, r, why, actions in BOTH_SIDES_ROWS],
)
def test_each_row_for_an_occurrence_changed_on_both_sides(
    google: GoogleEvent, crm_row: SlotRow, why: str, actions: tuple[Action, ...]
) -> None:
    """Docs/sync-rules.md "Recurring events": one occurrence changed on both sides."""
    result = plan_occurrence(
        google=google,
        series=SERIES,
        held_by=None,
        hidden=False,
        settings=SyncSettings(),
        final=True,
        crm_row=crm_row,
    )
    assert (result.meeting_id, result.event_id) == (13, OCC)
    assert (result.why, result.actions) == (why, actions)


# -- settings changes (plan_settings_change) ---------------------------------------------

SETTINGS_ROWS: list[tuple[str, dict[str, Any], str, tuple[Action, ...]]] = [
    (
        "pushed meeting, new target",
        {"link": link(), "crm": crm(), "calendar_synced": True, "target": "new"},
        "pushed meeting follows the new target",
        (MoveToTarget("ev1", "new"),),
    ),
    (
        "imported meeting, calendar un-picked",
        {"link": link(origin="google"), "crm": crm(), "calendar_synced": False},
        "calendar no longer synced",
        (DeleteInCrm(7, 3, with_calendar=True), DropLink(7), ForgetImport(7)),
    ),
    (
        "deleted imported meeting, calendar un-picked",
        {"link": link(origin="google"), "crm": crm(deleted=True), "calendar_synced": False},
        "calendar no longer synced",
        (DropLink(7), ForgetImport(7)),
    ),
    (
        "still synced where it belongs",
        {"link": link(origin="google"), "crm": crm(), "calendar_synced": True},
        "settings change does not concern it",
        (),
    ),
]


@pytest.mark.parametrize(
    ("inputs", "why", "actions"),
    [pytest.param(i, why, actions, id=row) for row, i, why, actions in SETTINGS_ROWS],
)
def test_each_row_for_a_settings_change(
    inputs: dict[str, Any], why: str, actions: tuple[Action, ...]
) -> None:
    """DESIGN.md §3 "Settings changes", for one linked item."""
    result = plan_settings_change(
        link=inputs["link"],
        crm=inputs["crm"],
        calendar_synced=inputs["calendar_synced"],
        target_calendar_id=inputs.get("target", "cal"),
    )
    assert (result.meeting_id, result.event_id) == (7, "ev1")
    assert (result.why, result.actions) == (why, actions)


# -- occurrences changed or cancelled alone in the CRM (plan_occurrence_out) -------------

ROW = CrmMeeting(meeting_id=8, version=1, fields=EDITED)
INSTANCE = "series1_20260302T090000Z"
WEEKLY = replace(BASE, recurrence=("RRULE:FREQ=WEEKLY",))  # an instance shows its series' rule


def instance(fields: MeetingFields | None = WEEKLY) -> GoogleEvent:
    if fields is None:
        return GoogleEvent(INSTANCE, '"i2"', None, cancelled=True)
    return GoogleEvent(INSTANCE, '"i1"', fields)


OUT_ROWS: list[tuple[str, dict[str, Any], str, tuple[Action, ...]]] = [
    (
        "no instance at that time",
        {"instance": None},
        "no such occurrence in Google",
        (RecordProblem("", "the series in Google has no occurrence at that time"),),
    ),
    (
        "cancelled in the CRM",
        {"hides": True},
        "occurrence cancelled in the CRM",
        (DeleteInGoogle(INSTANCE, '"i1"'), RecordImport(8, INSTANCE)),
    ),
    (
        "changed row deleted before it was pushed",
        {"row": replace(ROW, deleted=True)},
        "occurrence cancelled in the CRM",
        (DeleteInGoogle(INSTANCE, '"i1"'), RecordImport(8, INSTANCE)),
    ),
    (
        "cancelled, a listing hid it first",
        {"hides": True, "recorded": True},
        "occurrence cancelled, already hidden",
        (DeleteInGoogle(INSTANCE, '"i1"'), DiscardRow(8)),
    ),
    (
        "cancelled, instance already cancelled and hidden",
        {"hides": True, "recorded": True, "instance": instance(None)},
        "occurrence cancelled, already hidden",
        (DiscardRow(8),),
    ),
    (
        "changed, another row holds the instance",
        {"held_by": 3},
        "occurrence changed, already held",
        (MergeIntoRow(8, 3, EDITED),),
    ),
    (
        "changed in the CRM",
        {},
        "occurrence changed in the CRM",
        (PatchGoogle(INSTANCE, '"i1"', EDITED, ("subject",)), SaveLink(EDITED, origin="crm")),
    ),
    (
        "private occurrence of a series pushed from the CRM, private sync off",
        {"row": replace(ROW, fields=EDITED_PRIVATE)},
        "private occurrence, private sync off",
        (),
    ),
    (
        "private occurrence of a series imported from Google",
        {"row": replace(ROW, fields=EDITED_PRIVATE), "series_origin": "google"},
        "occurrence changed in the CRM",
        (
            PatchGoogle(INSTANCE, '"i1"', EDITED_PRIVATE, ("subject", "visibility")),
            SaveLink(EDITED_PRIVATE, origin="google"),
        ),
    ),
    (
        "changed, its instance cancelled (it left Google while private)",
        {"instance": instance(None), "private_sync": True},
        "occurrence changed in the CRM",
        (
            PatchGoogle(
                INSTANCE,
                '"i2"',
                EDITED,
                tuple(name for name in FIELD_NAMES if name != "recurrence"),
                restore=True,
            ),
            SaveLink(EDITED, origin="crm"),
        ),
    ),
    (
        "saved as it was (the series' values at the slot)",
        {"as_in_series": True},
        "occurrence saved as it was",
        (DiscardRow(8),),
    ),
    (
        "changed, replayed",
        {"instance": instance(replace(EDITED, recurrence=WEEKLY.recurrence))},
        "occurrence changed in the CRM",
        (SaveLink(EDITED, origin="crm"),),
    ),
]


@pytest.mark.parametrize(
    ("inputs", "why", "actions"),
    [pytest.param(i, why, actions, id=row) for row, i, why, actions in OUT_ROWS],
)
def test_each_row_for_an_occurrence_changed_alone_in_the_crm(
    inputs: dict[str, Any], why: str, actions: tuple[Action, ...]
) -> None:
    """Docs/sync-rules.md "One occurrence changed or cancelled in the CRM"."""
    google = inputs.get("instance", instance())
    result = plan_occurrence_out(
        row=inputs.get("row", ROW),
        hides=inputs.get("hides", False),
        instance=google,
        recorded=inputs.get("recorded", False),
        held_by=inputs.get("held_by"),
        series_origin=inputs.get("series_origin", "crm"),
        private_sync=inputs.get("private_sync", False),
        as_in_series=inputs.get("as_in_series", False),
    )
    assert (result.meeting_id, result.event_id) == (8, google.event_id if google else None)
    assert (result.why, result.actions) == (why, actions)
