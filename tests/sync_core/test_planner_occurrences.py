"""The decision table's rows for events Google lists on their own as one occurrence of a
recurring event (changed or cancelled alone), and for new events (docs/sync-rules.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from tandem.sync.core.actions import (
    CreateInCrm,
    CreateOccurrence,
    DeleteInCrm,
    DeleteInGoogle,
    DiscardRow,
    DropLink,
    ForgetImport,
    HideOccurrence,
    MergeIntoRow,
    MoveToTarget,
    PatchGoogle,
    RecordImport,
    RecordProblem,
    SaveLink,
    WaitForSeries,
)
from tandem.sync.core.apply import item_error
from tandem.sync.core.fields import TimedMoment
from tandem.sync.core.mapping import OccurrenceOf
from tandem.sync.core.planner import (
    plan_item,
    plan_occurrence,
    plan_occurrence_out,
    plan_settings_change,
)
from tandem.sync.core.sides import PreconditionFailed, Refused
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SeriesInCrm, SyncSettings
from tests.sync_core.strategies import timed

MOVED = timed(11)
ORIGINAL = OccurrenceOf("series1", TimedMoment(datetime(2026, 3, 2, 9, tzinfo=UTC), "UTC"))
SERIES = SeriesInCrm(meeting_id=5, read_only=False)
DEFAULTS = SyncSettings()


def occurrence(*, cancelled: bool = False) -> GoogleEvent:
    return GoogleEvent(
        "series1_20260302T090000Z",
        '"e1"',
        None if cancelled else MOVED,
        cancelled=cancelled,
        occurrence=ORIGINAL,
    )


def plan(
    google: GoogleEvent,
    *,
    series: SeriesInCrm | None = SERIES,
    held_by: int | None = None,
    hidden: bool = False,
    settings: SyncSettings = DEFAULTS,
    final: bool = False,
):  # type: ignore[no-untyped-def]
    return plan_occurrence(
        google=google,
        series=series,
        held_by=held_by,
        hidden=hidden,
        settings=settings,
        final=final,
    )


def test_a_changed_occurrence_takes_its_slot_in_the_crm_series() -> None:
    result = plan(occurrence())
    assert result.why == "occurrence changed alone"
    assert result.actions == (
        CreateOccurrence("series1_20260302T090000Z", MOVED, 5, False),
        SaveLink(MOVED, origin="google"),
    )


def test_a_cancelled_occurrence_hides_its_slot() -> None:
    assert plan(occurrence(cancelled=True)).actions == (
        HideOccurrence("series1_20260302T090000Z", 5, False),
    )


@pytest.mark.parametrize(
    ("series_read_only", "settings"),
    [(True, DEFAULTS), (False, SyncSettings(read_only=True))],
)
def test_occurrences_of_a_read_only_series_or_calendar_are_read_only(
    series_read_only: bool, settings: SyncSettings
) -> None:
    series = SeriesInCrm(5, read_only=series_read_only)
    created = plan(occurrence(), series=series, settings=settings).actions[0]
    hidden = plan(occurrence(cancelled=True), series=series, settings=settings).actions[0]
    assert isinstance(created, CreateOccurrence) and created.read_only
    assert isinstance(hidden, HideOccurrence) and hidden.read_only


def test_an_occurrence_listed_before_its_series_waits_for_the_listing_to_end() -> None:
    for google in (occurrence(), occurrence(cancelled=True)):
        assert plan(google, series=None).actions == (WaitForSeries(google.event_id),)


def test_without_its_series_at_the_end_a_changed_occurrence_is_a_meeting_of_its_own() -> None:
    result = plan(occurrence(), series=None, final=True)
    assert result.why == "occurrence without its series"
    assert result.actions == (
        CreateInCrm("series1_20260302T090000Z", MOVED),
        SaveLink(MOVED, origin="google"),
    )
    assert plan(occurrence(cancelled=True), series=None, final=True).actions == ()
    not_inbound = SyncSettings(is_inbound=False)
    assert plan(occurrence(), series=None, final=True, settings=not_inbound).actions == ()


def test_an_occurrence_a_crm_row_holds_already_changes_nothing_here() -> None:
    assert plan(occurrence(cancelled=True), held_by=9).actions == ()
    assert plan(occurrence(cancelled=True), held_by=9, hidden=True).actions == ()


def test_a_cancelled_occurrence_restored_in_google_replaces_the_row_that_hid_it() -> None:
    result = plan(occurrence(), held_by=9, hidden=True)
    assert result.why == "cancelled occurrence restored"
    assert result.actions[0] == CreateOccurrence(
        "series1_20260302T090000Z", MOVED, 5, False, replaces=9
    )
    orphan = plan(occurrence(), series=None, held_by=9, hidden=True, final=True)
    assert orphan.actions[0] == CreateInCrm("series1_20260302T090000Z", MOVED, replaces=9)


def test_a_new_event_outside_the_window_or_in_a_non_inbound_target_is_left_alone() -> None:
    new = GoogleEvent("ev9", '"e1"', MOVED)
    after = SyncSettings(window_start=MOVED.end.at + timedelta(seconds=1))  # type: ignore[union-attr]
    just_inside = SyncSettings(window_start=MOVED.end.at - timedelta(seconds=1))  # type: ignore[union-attr]

    def actions(settings: SyncSettings) -> tuple[object, ...]:
        return plan_item(
            link=None, crm=None, google=new, settings=settings, listing_complete=False
        ).actions

    assert actions(after) == ()
    assert actions(SyncSettings(is_inbound=False)) == ()
    assert actions(just_inside)[0] == CreateInCrm("ev9", MOVED)


def test_the_same_event_linked_in_another_calendar_is_not_imported_twice() -> None:
    copy = GoogleEvent("ev9", '"e1"', MOVED, linked_elsewhere=True)
    result = plan_item(link=None, crm=None, google=copy, settings=DEFAULTS, listing_complete=False)
    assert result.why == "same event in another calendar" and result.actions == ()


def _link(origin: str, calendar_id: str = "old@group") -> Link:
    return Link(
        calendar_id=calendar_id,
        meeting_id=7,
        event_id="ev7",
        base=MOVED,
        etag='"e1"',
        crm_version=3,
        origin=origin,  # type: ignore[arg-type]
    )


def test_settings_changes_are_rows_of_the_table() -> None:
    crm = CrmMeeting(meeting_id=7, version=3, fields=MOVED)
    moved = plan_settings_change(
        link=_link("crm"), crm=crm, calendar_synced=True, target_calendar_id="new@group"
    )
    assert moved.actions == (MoveToTarget("ev7", "new@group"),)
    unpicked = plan_settings_change(
        link=_link("google"), crm=crm, calendar_synced=False, target_calendar_id="new@group"
    )
    assert unpicked.actions == (DeleteInCrm(7, 3, with_calendar=True), DropLink(7), ForgetImport(7))
    already_gone = plan_settings_change(
        link=_link("google"),
        crm=CrmMeeting(meeting_id=7, version=4, fields=MOVED, deleted=True),
        calendar_synced=False,
        target_calendar_id="new@group",
    )
    assert already_gone.actions == (DropLink(7), ForgetImport(7))
    stays = plan_settings_change(
        link=_link("crm", "new@group"),
        crm=crm,
        calendar_synced=True,
        target_calendar_id="new@group",
    )
    assert stays.actions == ()


ROW = CrmMeeting(meeting_id=8, version=2, fields=MOVED)
INSTANCE = GoogleEvent("series1_20260302T090000Z", '"i1"', timed(9))


def plan_out(**kwargs: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "row": ROW,
        "hides": False,
        "instance": INSTANCE,
        "recorded": False,
        "held_by": None,
    } | kwargs
    return plan_occurrence_out(**values)  # type: ignore[arg-type]


def test_an_occurrence_changed_in_the_crm_patches_that_instance_only() -> None:
    result = plan_out()
    patch = result.actions[0]
    assert isinstance(patch, PatchGoogle)
    assert (patch.event_id, patch.etag) == (INSTANCE.event_id, '"i1"')
    assert "recurrence" not in patch.changed and {"start", "end"} <= set(patch.changed)
    assert result.actions[1] == SaveLink(MOVED, origin="crm")
    same = plan_out(instance=GoogleEvent(INSTANCE.event_id, '"i1"', MOVED))
    assert same.actions == (SaveLink(MOVED, origin="crm"),)  # a replay writes nothing


def test_an_occurrence_cancelled_in_the_crm_cancels_the_instance_and_records_it() -> None:
    assert plan_out(hides=True).actions == (
        DeleteInGoogle(INSTANCE.event_id, '"i1"'),
        RecordImport(8, INSTANCE.event_id),
    )
    deleted = replace(ROW, deleted=True)
    assert plan_out(row=deleted).actions[0] == DeleteInGoogle(INSTANCE.event_id, '"i1"')
    gone = GoogleEvent(INSTANCE.event_id, '"i2"', None, cancelled=True)
    assert plan_out(hides=True, instance=gone).actions == (RecordImport(8, INSTANCE.event_id),)
    assert plan_out(hides=True, instance=gone, recorded=True).actions == (DiscardRow(8),)


def test_one_row_per_occurrence_and_a_missing_occurrence_is_reported() -> None:
    assert plan_out(held_by=3).actions == (MergeIntoRow(8, 3, MOVED),)
    missing = plan_out(instance=None)
    assert missing.why == "no such occurrence in Google"
    assert [type(action) for action in missing.actions] == [RecordProblem]


def test_a_failed_item_is_named_in_plain_words_and_a_private_one_by_no_subject() -> None:
    plan = plan_item(link=None, crm=ROW, google=None, settings=DEFAULTS, listing_complete=False)
    problem = item_error(plan, ROW, Refused("no"))
    assert problem.text.startswith(f"“{MOVED.subject}”: Google refused the change")
    assert (problem.meeting_id, problem.event_id, problem.rule) == (
        plan.meeting_id,
        plan.event_id or "",
        plan.why,
    )
    private = replace(ROW, fields=replace(MOVED, visibility="private"))
    hidden = item_error(plan, private, PreconditionFailed("stale")).text
    assert MOVED.subject not in hidden and hidden.startswith("A private meeting: changed again")


def test_an_occurrence_of_a_series_from_google_is_linked_as_from_google() -> None:
    """A row of a series imported from Google is an imported meeting edited in the CRM: its
    link has the series' origin, so the private-meeting rule never takes it out of Google."""
    assert plan_out(series_origin="google").actions[-1] == SaveLink(MOVED, origin="google")


def test_a_row_whose_occurrence_the_series_no_longer_has_goes_with_it() -> None:
    """The series was ended earlier (or its rule changed) in the CRM: Google has no such
    instance and neither has the CRM's series, so the row goes, changed or cancelled; if
    only Google lacks it (its rule changed there), the run reports a change, and a
    cancellation holds there already: nothing to write or report (a calendar leaving the
    sync is pushed to without being listed, and an error would keep it from leaving)."""
    assert plan_out(instance=None, in_series=False).actions == (DiscardRow(8),)
    assert plan_out(instance=None, hides=True, in_series=False).actions == (DiscardRow(8),)
    assert plan_out(instance=None, in_series=True).why == "no such occurrence in Google"
    cancelled = plan_out(instance=None, hides=True, in_series=True)
    assert (cancelled.why, cancelled.actions) == ("occurrence cancelled, none in Google", ())
