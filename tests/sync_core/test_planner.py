"""The decision table, branch by branch (docs/sync-rules.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from msgspec.structs import replace

from tandem.sync.core.actions import (
    CreateInCrm,
    DeleteInCrm,
    DeleteInGoogle,
    DropLink,
    InsertInGoogle,
    ItemPlan,
    PatchGoogle,
    RecordConflict,
    RecordProblem,
    SaveLink,
    UpdateCrm,
)
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.planner import plan_item
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings
from tests.sync_core.strategies import timed

BASE = timed(9)
EDITED = replace(BASE, subject="Renamed")
PRIVATE = replace(BASE, visibility="private")
EARLY = datetime(2026, 1, 1, tzinfo=UTC)
LATE = datetime(2026, 1, 2, tzinfo=UTC)
DEFAULTS = SyncSettings()


def crm(fields: MeetingFields = BASE, **kwargs: object) -> CrmMeeting:
    values: dict[str, object] = {"meeting_id": 7, "version": 3, "fields": fields} | kwargs
    return CrmMeeting(**values)  # type: ignore[arg-type]


def event(fields: MeetingFields | None = BASE, **kwargs: object) -> GoogleEvent:
    values: dict[str, object] = {"event_id": "ev1", "etag": '"e1"', "fields": fields} | kwargs
    return GoogleEvent(**values)  # type: ignore[arg-type]


def cancelled(**kwargs: object) -> GoogleEvent:
    return event(None, etag='"e2"', cancelled=True, **kwargs)


def link(**kwargs: object) -> Link:
    values: dict[str, object] = {
        "calendar_id": "cal",
        "meeting_id": 7,
        "event_id": "ev1",
        "base": BASE,
        "etag": '"e1"',
        "crm_version": 3,
        "origin": "crm",
    } | kwargs
    return Link(**values)  # type: ignore[arg-type]


def plan(
    *,
    link: Link | None = None,
    crm: CrmMeeting | None = None,
    google: GoogleEvent | None = None,
    settings: SyncSettings = DEFAULTS,
    complete: bool = True,
) -> ItemPlan:
    return plan_item(
        link=link, crm=crm, google=google, settings=settings, listing_complete=complete
    )


# -- no link yet -------------------------------------------------------------------------


def test_an_unreadable_event_is_recorded_and_nothing_is_written() -> None:
    """A malformed event becomes a recorded problem; its meeting and link are left alone."""
    bad = GoogleEvent.malformed(event_id="ev1", etag='"e1"', problem="The event has no start.")
    result = plan(link=link(), crm=crm(), google=bad)
    assert result.actions == (RecordProblem("ev1", "The event has no start.", holds_token=False),)


def test_nothing_on_either_side_is_nothing_to_do() -> None:
    """An item with no meeting and no event plans no action."""
    assert plan().actions == ()


def test_a_new_google_event_becomes_a_new_meeting() -> None:
    """An unknown live event is created in the CRM and linked as Google-born."""
    result = plan(google=event())
    assert result.actions == (CreateInCrm("ev1", BASE), SaveLink(BASE, origin="google"))


def test_a_new_event_from_a_read_only_calendar_is_a_read_only_meeting() -> None:
    """Events of calendars the user cannot write become read-only meetings."""
    result = plan(google=event(), settings=SyncSettings(read_only=True))
    assert result.actions[0] == CreateInCrm("ev1", BASE, read_only=True)


def test_a_cancelled_unknown_event_changes_nothing() -> None:
    """The deletion of an event we never had is ignored."""
    assert plan(google=cancelled()).actions == ()


def test_our_event_without_its_meeting_is_not_resurrected() -> None:
    """An event carrying our marker whose meeting is gone is not imported as a copy."""
    assert plan(google=event(marker_meeting_id=99)).actions == ()


def test_a_deleted_meeting_that_google_lacks_changes_nothing() -> None:
    """A tombstone with no event (or a cancelled one) plans nothing."""
    assert plan(crm=crm(deleted=True)).actions == ()
    assert plan(crm=crm(deleted=True), google=cancelled()).actions == ()


def test_a_deleted_meetings_unchanged_event_is_deleted() -> None:
    """The event of a meeting deleted before its link was saved, as it was, is deleted."""
    result = plan(crm=crm(deleted=True), google=event())
    assert result.actions == (DeleteInGoogle("ev1", '"e1"'),)


def test_without_a_link_a_changed_event_beats_a_deletion() -> None:
    """Without a base, a live event that differs from the tombstone brings the meeting back."""
    result = plan(crm=crm(deleted=True), google=event(EDITED))
    assert result.actions == (
        UpdateCrm(7, EDITED, 3, restore=True),
        SaveLink(EDITED, origin="crm"),
    )


def test_read_only_calendars_never_lose_events_for_unlinked_tombstones() -> None:
    """On a read-only calendar the event of a deleted meeting is left alone."""
    result = plan(crm=crm(deleted=True), google=event(), settings=SyncSettings(read_only=True))
    assert result.actions == ()


def test_a_pair_found_by_marker_is_merged_without_base() -> None:
    """A meeting and its event whose link was lost are merged; the later edit wins."""
    result = plan(
        crm=crm(EDITED, changed_at=EARLY),
        google=event(BASE, updated=LATE, marker_meeting_id=7),
    )
    assert isinstance(result.actions[0], RecordConflict)
    assert result.actions[1:] == (UpdateCrm(7, BASE, 3), SaveLink(BASE, origin="crm"))


def test_an_imported_meeting_pairs_as_google_born() -> None:
    """A meeting created from an event whose link was lost is linked as Google-born."""
    result = plan(crm=crm(import_key="cal/ev1"), google=event())
    assert result.actions == (SaveLink(BASE, origin="google"),)


def test_an_imported_meeting_without_its_event_is_never_pushed() -> None:
    """A meeting imported from an event Google no longer has is not inserted as new."""
    assert plan(crm=crm(import_key="cal/ev1")).actions == ()


def test_a_restored_imported_meeting_undeletes_its_event() -> None:
    """Restoring in the CRM a meeting deleted in Google undeletes its event."""
    result = plan(crm=crm(import_key="cal/ev1"), google=cancelled())
    assert result.actions == (
        PatchGoogle("ev1", '"e2"', BASE, restore=True),
        SaveLink(BASE, origin="google"),
    )
    read_only = plan(
        crm=crm(import_key="cal/ev1"), google=cancelled(), settings=SyncSettings(read_only=True)
    )
    assert read_only.actions == ()


def test_a_new_crm_meeting_is_inserted() -> None:
    """A CRM meeting with no event is inserted into the target calendar and linked."""
    result = plan(crm=crm())
    assert result.actions == (InsertInGoogle(7, BASE), SaveLink(BASE, origin="crm"))


def test_read_only_meetings_are_never_pushed() -> None:
    """A read-only meeting without a link stays out of Google."""
    assert plan(crm=crm(read_only=True)).actions == ()


def test_only_the_writable_target_calendar_receives_meetings() -> None:
    """Other inbound calendars, and a target the user cannot write, get no inserts."""
    assert plan(crm=crm(), settings=SyncSettings(is_target=False)).actions == ()
    assert plan(crm=crm(), settings=SyncSettings(read_only=True)).actions == ()


def test_private_meetings_are_pushed_only_with_private_sync() -> None:
    """A private (or confidential) meeting is pushed only when private sync is on."""
    confidential = replace(BASE, visibility="confidential")
    assert plan(crm=crm(PRIVATE)).actions == ()
    assert plan(crm=crm(confidential)).actions == ()
    pushed = plan(crm=crm(PRIVATE), settings=SyncSettings(private_sync=True))
    assert pushed.actions[0] == InsertInGoogle(7, PRIVATE)


def test_meetings_before_the_window_are_not_pushed() -> None:
    """A meeting over before the window start is not inserted."""
    settings = SyncSettings(window_start=datetime(2026, 4, 1, tzinfo=UTC))
    assert plan(crm=crm(), settings=settings).actions == ()


def test_a_crm_meeting_whose_event_was_cancelled_undeletes_it() -> None:
    """An unlinked meeting whose own event is cancelled (e.g. was private) undeletes it."""
    result = plan(crm=crm(), google=cancelled(marker_meeting_id=7))
    assert result.actions == (
        PatchGoogle("ev1", '"e2"', BASE, restore=True),
        SaveLink(BASE, origin="crm"),
    )


# -- linked ------------------------------------------------------------------------------


def test_unchanged_on_both_sides_is_no_action() -> None:
    """Same etag, same fields as the base: nothing is written (echo suppression)."""
    assert plan(link=link(), crm=crm(), google=event()).actions == ()


def test_an_incremental_listing_without_the_event_means_unchanged() -> None:
    """Absent from an incremental listing means unchanged in Google, not deleted."""
    assert plan(link=link(), crm=crm(), complete=False).actions == ()
    pushed = plan(link=link(), crm=crm(EDITED), complete=False)
    assert pushed.actions == (
        PatchGoogle("ev1", '"e1"', EDITED, ("subject",)),
        SaveLink(EDITED, origin="crm"),
    )


def test_a_new_etag_with_the_same_fields_only_updates_the_link() -> None:
    """Our own write coming back, or a reminder change: the etag is stored, nothing written."""
    result = plan(link=link(), crm=crm(), google=event(etag='"e9"'))
    assert result.actions == (SaveLink(BASE, origin="crm"),)


def test_a_google_edit_updates_the_meeting() -> None:
    """A field changed only in Google is written to the CRM."""
    result = plan(link=link(), crm=crm(), google=event(EDITED, etag='"e2"'))
    assert result.actions == (UpdateCrm(7, EDITED, 3), SaveLink(EDITED, origin="crm"))


def test_a_crm_edit_patches_only_the_changed_fields() -> None:
    """A field changed only in the CRM is PATCHed to Google with the listed etag."""
    result = plan(link=link(), crm=crm(EDITED), google=event())
    assert result.actions == (
        PatchGoogle("ev1", '"e1"', EDITED, ("subject",)),
        SaveLink(EDITED, origin="crm"),
    )


def test_edits_on_both_sides_merge_field_by_field() -> None:
    """Different fields changed on each side are all kept, with no conflict."""
    moved = replace(BASE, location="Room 4")
    both = replace(EDITED, location="Room 4")
    result = plan(link=link(), crm=crm(EDITED), google=event(moved, etag='"e2"'))
    assert result.actions == (
        UpdateCrm(7, both, 3),
        PatchGoogle("ev1", '"e2"', both, ("subject",)),
        SaveLink(both, origin="crm"),
    )


def test_a_field_changed_on_both_sides_is_a_recorded_conflict() -> None:
    """The later edit wins the field and the conflict is recorded."""
    other = replace(BASE, subject="Other")
    result = plan(
        link=link(),
        crm=crm(EDITED, changed_at=LATE),
        google=event(other, etag='"e2"', updated=EARLY),
    )
    conflict = result.actions[0]
    assert isinstance(conflict, RecordConflict)
    assert [(c.field, c.winner) for c in conflict.conflicts] == [("subject", "crm")]
    assert result.actions[1:] == (
        PatchGoogle("ev1", '"e2"', EDITED, ("subject",)),
        SaveLink(EDITED, origin="crm"),
    )


def test_a_read_only_calendar_overrides_crm_edits() -> None:
    """On a read-only calendar Google's copy is the truth and nothing is written to it; a
    meeting still editable in the CRM becomes read-only."""
    result = plan(
        link=link(origin="google"),
        crm=crm(EDITED),
        google=event(),
        settings=SyncSettings(read_only=True),
    )
    assert result.actions == (
        UpdateCrm(7, BASE, 3, read_only=True),
        SaveLink(BASE, origin="google"),
    )


def test_a_pushed_meeting_made_private_leaves_google_and_stays_in_the_crm() -> None:
    """With private sync off, a pushed meeting that became private is deleted from Google."""
    result = plan(link=link(), crm=crm(PRIVATE), google=event())
    assert result.actions == (
        SaveLink(BASE, origin="crm", leaving=True),
        DeleteInGoogle("ev1", '"e1"', keep_in_crm=True),
        DropLink(7),
    )
    assert result.deletes == 0


def test_turning_private_sync_off_removes_unchanged_private_meetings() -> None:
    """A pushed private meeting leaves Google once private sync is off, even unchanged."""
    result = plan(link=link(base=PRIVATE), crm=crm(PRIVATE), google=event(PRIVATE))
    assert DeleteInGoogle("ev1", '"e1"', keep_in_crm=True) in result.actions


def test_imported_private_meetings_stay_in_google() -> None:
    """A Google-born event made private is written back, not removed."""
    result = plan(link=link(origin="google"), crm=crm(PRIVATE), google=event())
    assert result.actions == (
        PatchGoogle("ev1", '"e1"', PRIVATE, ("visibility",)),
        SaveLink(PRIVATE, origin="google"),
    )


def test_a_cancelled_event_deletes_its_untouched_meeting() -> None:
    """Deleted in Google, unchanged in the CRM: the meeting becomes a tombstone."""
    result = plan(link=link(), crm=crm(), google=cancelled())
    assert result.actions == (DeleteInCrm(7, 3), DropLink(7))
    assert result.deletes == 1


def test_a_crm_edit_beats_a_google_deletion() -> None:
    """Edited in the CRM since the base: the cancelled event is undeleted with the edit."""
    result = plan(link=link(), crm=crm(EDITED), google=cancelled())
    assert result.actions == (
        PatchGoogle("ev1", '"e2"', EDITED, restore=True),
        SaveLink(EDITED, origin="crm"),
    )


def test_a_crm_edit_beats_an_event_missing_from_a_full_listing() -> None:
    """Edited in the CRM, missing from a full listing: inserted anew."""
    result = plan(link=link(), crm=crm(EDITED))
    assert result.actions == (InsertInGoogle(7, EDITED), SaveLink(EDITED, origin="crm"))


def test_an_event_missing_from_a_full_listing_deletes_an_untouched_meeting() -> None:
    """Missing from a full listing counts as a deletion (through the breaker)."""
    assert plan(link=link(), crm=crm()).actions == (DeleteInCrm(7, 3), DropLink(7))


def test_read_only_calendar_deletions_win_over_crm_edits() -> None:
    """On a read-only calendar a cancelled event deletes the meeting even if edited."""
    result = plan(
        link=link(), crm=crm(EDITED), google=cancelled(), settings=SyncSettings(read_only=True)
    )
    assert result.actions == (DeleteInCrm(7, 3), DropLink(7))


def test_a_private_meeting_out_of_google_is_kept() -> None:
    """A pushed private meeting whose event is gone (private sync off) stays in the CRM."""
    result = plan(link=link(), crm=crm(PRIVATE), google=cancelled())
    assert result.actions == (DropLink(7),)


def test_a_finished_privacy_removal_is_never_read_as_a_deletion() -> None:
    """Once our privacy removal went through, the meeting is kept, and pushed back if it
    may be in Google again."""
    kept = plan(link=link(leaving=True), crm=crm(PRIVATE), google=cancelled())
    assert kept.actions == (DropLink(7),)
    back = plan(
        link=link(leaving=True),
        crm=crm(PRIVATE),
        google=cancelled(),
        settings=SyncSettings(private_sync=True),
    )
    assert back.actions == (
        PatchGoogle("ev1", '"e2"', PRIVATE, restore=True),
        SaveLink(PRIVATE, origin="crm"),
    )


def test_deleted_on_both_sides_forgets_the_link() -> None:
    """A tombstone and a cancelled (or vanished) event: the link is dropped."""
    assert plan(link=link(), crm=crm(deleted=True), google=cancelled()).actions == (DropLink(7),)
    assert plan(link=link(), crm=crm(deleted=True)).actions == (DropLink(7),)


def test_a_crm_deletion_deletes_the_untouched_event() -> None:
    """Deleted in the CRM, unchanged in Google: the event is deleted with If-Match."""
    result = plan(link=link(), crm=crm(deleted=True), google=event())
    assert result.actions == (DeleteInGoogle("ev1", '"e1"'), DropLink(7))
    assert result.deletes == 1


def test_a_meeting_gone_from_the_crm_counts_as_deleted() -> None:
    """A linked meeting the CRM no longer lists (purged) deletes its event."""
    result = plan(link=link(), google=event())
    assert result.actions == (DeleteInGoogle("ev1", '"e1"'), DropLink(7))


def test_a_google_edit_beats_a_crm_deletion() -> None:
    """Edited in Google since the base: the meeting is restored with Google's fields."""
    result = plan(link=link(), crm=crm(deleted=True), google=event(EDITED, etag='"e2"'))
    assert result.actions == (
        UpdateCrm(7, EDITED, 3, restore=True),
        SaveLink(EDITED, origin="crm"),
    )
    purged = plan(link=link(), google=event(EDITED, etag='"e2"'))
    assert purged.actions[0] == CreateInCrm("ev1", EDITED)


def test_a_restored_private_meeting_leaves_google_at_once() -> None:
    """A Google edit that brings back a pushed meeting as private removes its event."""
    result = plan(link=link(), crm=crm(deleted=True), google=event(PRIVATE, etag='"e2"'))
    assert result.actions == (
        UpdateCrm(7, PRIVATE, 3, restore=True),
        SaveLink(PRIVATE, origin="crm", leaving=True),
        DeleteInGoogle("ev1", '"e2"', keep_in_crm=True),
        DropLink(7),
    )


def test_a_read_only_calendar_brings_deleted_meetings_back() -> None:
    """A meeting of a read-only calendar deleted in the CRM comes back from Google."""
    result = plan(
        link=link(origin="google"),
        crm=crm(deleted=True),
        google=event(),
        settings=SyncSettings(read_only=True),
    )
    assert result.actions == (
        UpdateCrm(7, BASE, 3, restore=True),
        SaveLink(BASE, origin="google"),
    )


def test_items_past_the_window_are_left_alone() -> None:
    """Missing from a windowed full listing, or from the CRM, an old item is no deletion."""
    settings = SyncSettings(window_start=datetime(2026, 4, 1, tzinfo=UTC))
    assert plan(link=link(), crm=crm(), settings=settings).actions == ()
    assert plan(link=link(), google=event(), settings=settings).actions == ()
