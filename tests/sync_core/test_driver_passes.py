"""The one driver's two passes (core/inbound.py, core/outbound.py) through ``sync_once`` over
the in-memory sides: what a run leaves in the link store, which plans it carries out (the
inbound pass's and the outbound pass's, in ``report.plans``), and how it behaves when a full
listing misses a linked event, when Google's pages repeat an event, when the mass-delete
breaker holds a run, and when single writes fail. Written for the survivors of the mutation
testing of those passes (docs/testing.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from msgspec.structs import replace

from tandem.sync.core.apply import Applier, Fetcher, SyncReport
from tandem.sync.core.identity import event_id_for_meeting
from tandem.sync.core.memory import MemoryPage
from tandem.sync.core.memory_stores import MemoryOutboundStore
from tandem.sync.core.outbound import Outbound
from tandem.sync.core.state import Link, SyncSettings
from tests.sync_core.strategies import timed
from tests.sync_core.test_driver import NAMESPACE, World
from tests.sync_core.test_driver_report import counts

CAL = "primary"


def worked(report: SyncReport) -> list[str]:
    """The why of every plan the run carried out (plans with actions), in order."""
    return [plan.why for plan in report.plans if plan.actions]


def link_of(world: World, event_id: str) -> Link | None:
    return next(
        (link for link in world.links.links(calendar_id=CAL) if link.event_id == event_id), None
    )


def imported(world: World, *hours: int) -> list[str]:
    """Events made in Google and synced into the CRM (linked), by hour on 1 March."""
    made = [
        world.google.user_create(replace(timed(hour), subject=f"Meeting {hour}")) for hour in hours
    ]
    world.sync()
    return made


def meeting_of(world: World, event_id: str) -> int:
    link = link_of(world, event_id)
    assert link is not None
    return link.meeting_id


def hide_from_listings(world: World, *hidden: str) -> None:
    """Listings leave these events out (as ``timeMin`` leaves out an event moved out of the
    window); ``events.get`` still reads them."""
    real = world.google.pages

    def pages(*, sync_token: str | None) -> Iterator[MemoryPage]:
        for page in real(sync_token=sync_token):
            yield MemoryPage([e for e in page.items if e["id"] not in hidden], page.next_sync_token)

    world.google.pages = pages  # type: ignore[method-assign]


def repeat_on_a_later_page(world: World, event_id: str, patch: dict[str, Any]) -> None:
    """The next listing brings ``event_id`` again on a second page, changed (Google's pages
    are no snapshot: an event changed while a client pages comes again)."""
    real = world.google.pages

    def pages(*, sync_token: str | None) -> Iterator[MemoryPage]:
        world.google.pages = real  # type: ignore[method-assign]
        listed = list(real(sync_token=sync_token))
        items = [item for page in listed for item in page.items]
        token = listed[-1].next_sync_token
        world.google.user_patch(event_id, patch)
        yield MemoryPage(items, None)
        yield MemoryPage([world.google.get_event(event_id=event_id) or {}], token)

    world.google.pages = pages  # type: ignore[method-assign]


def before_next_call(side: object, method: str, action: Callable[[], object]) -> None:
    """``action`` (a person's edit racing the sync) runs once, just before the next call of
    ``side.method``, which then goes through as usual."""
    original = getattr(side, method)

    def first(**kwargs: Any) -> Any:
        setattr(side, method, original)
        action()
        return original(**kwargs)

    setattr(side, method, first)


# -- what the inbound pass leaves in the link store -------------------------------------------


def test_a_google_edit_leaves_the_link_at_googles_etag_and_the_agreed_fields() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    world.google.user_patch(event_id, {"location": "Room 4"})
    report = world.sync()
    assert worked(report) == ["merged"]
    link = link_of(world, event_id)
    assert link is not None
    meeting = world.crm.rows[link.meeting_id]
    assert meeting.fields.location == "Room 4"
    assert (link.etag, link.base, link.crm_version) == (
        world.google.events[event_id]["etag"],
        meeting.fields,
        meeting.version,
    )


def test_an_item_deleted_on_both_sides_only_loses_its_link() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    world.crm.user_delete(meeting_of(world, event_id))
    world.google.user_delete(event_id)
    report = world.sync()
    assert worked(report) == ["deleted on both sides"]
    assert link_of(world, event_id) is None
    assert report.writes == 0 and not report.errors


def test_a_conflict_is_counted_and_reported_with_its_meeting() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="CRM's"))
    world.google.user_patch(event_id, {"summary": "Google's"})
    report = world.sync()
    assert report.counts["conflicts"] == 1
    assert [(meeting, conflict.field) for meeting, conflict in report.conflicts] == [
        (meeting_id, "subject")
    ]


def test_an_etag_that_moved_alone_is_remembered_without_writes() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    version = world.crm.rows[meeting_id].version
    world.google.user_patch(event_id, {"colorId": "5"})  # not one of the six fields
    report = world.sync()
    assert worked(report) == ["etag moved"] and report.writes == 0
    assert link_of(world, event_id) == Link(
        CAL,
        meeting_id,
        event_id,
        world.crm.rows[meeting_id].fields,
        world.google.events[event_id]["etag"],
        version,
        "google",
    )


def test_a_crm_deletion_is_made_in_google_with_the_etag_the_listing_saw() -> None:
    """The inbound pass leaves the deletion to the outbound pass and tells the link the
    event's new etag: the outbound delete goes through at once (no 412, no second plan)."""
    world = World()
    (event_id,) = imported(world, 9)
    world.crm.user_delete(meeting_of(world, event_id))
    world.google.user_patch(event_id, {"colorId": "5"})
    report = world.sync()
    assert worked(report) == ["deleted in the CRM", "deleted in the CRM"]
    assert report.counts["google_deleted"] == 1 and report.google_writes == 1
    assert event_id not in world.google.alive() and link_of(world, event_id) is None


def test_a_meeting_deleted_in_the_crm_before_its_link_was_saved_deletes_its_event() -> None:
    """No link (the insert's answer was lost), our marker pairs the event: nothing else
    would find it, so the inbound pass's Google work deletes it."""
    world = World()
    meeting_id = world.crm.user_create(timed(9))
    world.google.inject("after")  # the insert happens, its answer is lost
    world.sync()
    world.crm.user_delete(meeting_id)
    report = world.sync()
    assert report.counts["google_deleted"] == 1
    assert world.google.alive() == {} and not world.links.by_meeting


def test_a_copy_of_our_event_made_in_google_is_a_new_meeting_of_its_own() -> None:
    """A duplicate made in Google keeps our marker; the meeting it names is linked already,
    so the copy is someone's new event: a meeting of its own, linked to the copy."""
    world = World()
    original = world.crm.user_create(timed(9))
    world.sync()
    ours = event_id_for_meeting(NAMESPACE, original)
    copy = world.google.user_create(timed(9))
    private = world.google.events[ours]["extendedProperties"]
    world.google.user_patch(copy, {"extendedProperties": private, "summary": "Copy"})
    report = world.sync()
    assert worked(report) == ["new event"] and counts(report) == {"crm_created": 1}
    (made,) = set(world.crm.alive()) - {original}
    assert world.crm.rows[made].fields.subject == "Copy"
    assert (meeting_of(world, ours), meeting_of(world, copy)) == (original, made)
    assert world.sync().writes == 0


def test_a_google_edit_brings_back_a_meeting_deleted_in_the_crm() -> None:
    world = World()
    event_id, *others = imported(world, 9, 11, 13)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_delete(meeting_id)
    for changed in (event_id, *others):
        world.google.user_patch(changed, {"location": "Room 4"})
    report = world.sync()
    assert worked(report) == ["Google edit beats deletion", "merged", "merged"]
    assert counts(report) == {"crm_restored": 1, "crm_updated": 2} and not report.errors
    assert report.crm_writes == 3
    row = world.crm.rows[meeting_id]
    assert not row.deleted and row.fields.location == "Room 4"


def test_a_google_edit_brings_back_a_meeting_gone_from_the_crm_as_a_new_meeting() -> None:
    """The meeting's row is gone altogether (not a tombstone): Google's edit makes a new
    meeting, and the event's link moves to it."""
    world = World()
    (event_id,) = imported(world, 9)
    del world.crm.rows[meeting_of(world, event_id)]
    world.google.user_patch(event_id, {"location": "Room 4"})
    report = world.sync()
    assert worked(report) == ["Google edit beats deletion"]
    assert counts(report) == {"crm_created": 1}
    (fields,) = world.crm.alive().values()
    assert fields.location == "Room 4" and meeting_of(world, event_id) in world.crm.rows


def test_a_calendar_turned_read_only_makes_its_meetings_read_only() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    world.google.user_patch(event_id, {"location": "Room 4"})
    report = world.sync(read_only=True)
    assert worked(report) == ["read-only calendar"] and report.google_writes == 0
    row = world.crm.rows[meeting_of(world, event_id)]
    assert row.read_only and row.fields.location == "Room 4"


def test_a_crm_edit_made_while_the_page_is_written_is_not_overwritten() -> None:
    """The user saves the meeting between the page's lookup and its write: the update
    expects the version it planned from, fails, and the next run merges both edits."""
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.google.user_patch(event_id, {"location": "Room 4"})
    before_next_call(
        world.crm,
        "update_meeting",
        lambda: world.crm.user_edit(
            meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Mine")
        ),
    )
    report = world.sync()
    assert len(report.errors) == 1 and not report.token_saved
    assert world.crm.rows[meeting_id].fields.subject == "Mine"
    world.sync()
    fields = world.crm.rows[meeting_id].fields
    assert (fields.subject, fields.location) == ("Mine", "Room 4")
    assert world.google_fields(event_id) == fields


def test_changes_to_different_fields_on_both_sides_are_written_to_each_side_once() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="CRM's"))
    world.google.user_patch(event_id, {"location": "Room 4"})
    report = world.sync()
    assert counts(report) == {"crm_updated": 1, "google_updated": 1} and not report.errors
    fields = world.crm.rows[meeting_id].fields
    assert (fields.subject, fields.location) == ("CRM's", "Room 4")
    assert world.google_fields(event_id) == fields
    assert world.sync().writes == 0


def test_a_crm_edit_made_just_before_a_google_deletion_is_applied_keeps_the_meeting() -> None:
    world = World()
    gone, _kept = imported(world, 9, 11)
    meeting_id = meeting_of(world, gone)
    world.google.user_delete(gone)
    before_next_call(
        world.crm,
        "delete_meeting",
        lambda: world.crm.user_edit(
            meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Mine")
        ),
    )
    report = world.sync()
    assert len(report.errors) == 1 and not world.crm.rows[meeting_id].deleted
    world.sync()  # an edit beats a deletion: the event comes back
    assert world.google.events[gone]["status"] == "confirmed"
    assert world.google_fields(gone).subject == "Mine"


def test_a_google_edit_made_just_before_the_crm_deletion_is_pushed_brings_it_back() -> None:
    """The outbound pass deletes the event at the etag its link holds; edited in Google just
    before, it answers 412: the applier reads it again and the edit beats the deletion (the
    meeting is restored, and counted so in the run record, run_command.py)."""
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_delete(meeting_id)
    before_next_call(
        world.google,
        "delete_event",
        lambda: world.google.user_patch(event_id, {"location": "Room 4"}),
    )
    report = world.sync()
    assert worked(report)[-1] == "Google edit beats deletion" and not report.errors
    assert counts(report) == {"crm_restored": 1} and report.crm_writes == 1
    assert not world.crm.rows[meeting_id].deleted
    assert world.crm.rows[meeting_id].fields.location == "Room 4"
    # The link agrees with the event as re-read, not as the listing saw it.
    link = link_of(world, event_id)
    assert link is not None and link.etag == world.google.events[event_id]["etag"]


def test_a_google_edit_made_just_before_a_crm_edit_is_pushed_is_merged_and_counted() -> None:
    """Edited in Google (another field) between the listing and our PATCH: 412, re-read and
    merged: the CRM takes Google's edit, Google the CRM's, and the run record counts both
    writes (run_command.py)."""
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Mine"))
    before_next_call(
        world.google,
        "patch_event",
        lambda: world.google.user_patch(event_id, {"location": "Room 4"}),
    )
    report = world.sync()
    assert counts(report) == {"crm_updated": 1, "google_updated": 1} and not report.errors
    assert world.crm.rows[meeting_id].fields.location == "Room 4"
    assert world.google_fields(event_id).subject == "Mine"


def test_an_event_without_a_zone_re_read_after_a_412_is_read_in_the_calendars_zone() -> None:
    """The re-read of a 412 reads an event without a zone of its own as the listing did, in
    its calendar's zone: only the field Google changed is merged, never a zone change."""
    world = World()
    world.google.zone = "Europe/Berlin"
    event_id = world.google.user_create(timed(9))
    for end in ("start", "end"):
        world.google.events[event_id][end].pop("timeZone", None)
    world.sync()
    meeting_id = meeting_of(world, event_id)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Mine"))
    before_next_call(
        world.google,
        "patch_event",
        lambda: world.google.user_patch(event_id, {"location": "Room 4"}),
    )
    report = world.sync()
    assert counts(report) == {"crm_updated": 1, "google_updated": 1} and not report.errors
    fields = world.crm.rows[meeting_id].fields
    assert (fields.subject, fields.location) == ("Mine", "Room 4")
    assert fields.start.zone == "Europe/Berlin"  # type: ignore[union-attr]


def test_an_event_changed_again_during_its_retry_fails_its_item_after_one_retry() -> None:
    """Edited in Google before each write: the first 412 is re-read and planned once more,
    the second fails the item (the next run brings it again) instead of chasing the event."""
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Mine"))
    patch = world.google.patch_event
    attempts: list[str] = []

    def user_edits_first(**kwargs: Any) -> Any:
        attempts.append(kwargs["event_id"])
        if len(attempts) <= 3:
            world.google.user_patch(event_id, {"location": f"Room {len(attempts)}"})
        return patch(**kwargs)

    world.google.patch_event = user_edits_first  # type: ignore[method-assign]
    report = world.sync()
    assert attempts == [event_id, event_id]
    [error] = report.errors
    assert error.event_id == event_id and "changed again while we wrote it" in error.message
    assert world.google_fields(event_id).subject != "Mine"


def test_an_event_made_unreadable_just_before_a_push_is_a_warning_naming_the_meeting() -> None:
    """Re-read after a 412, the event cannot be read: a warning of the run, which names the
    meeting whose edit waits (the inbound pass says it too when it lists the event)."""
    world = World()
    (event_id,) = imported(world, 9)
    meeting_id = meeting_of(world, event_id)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Mine"))
    before_next_call(
        world.google,
        "patch_event",
        lambda: world.google.user_patch(event_id, {"end": {"date": "2026-03-02"}}),
    )
    report = world.sync()
    [warning] = report.warnings
    assert (warning.meeting_id, warning.event_id, warning.rule) == (
        meeting_id,
        event_id,
        "malformed event",
    )
    assert not report.errors


def test_an_event_without_a_zone_is_read_in_the_calendars_zone() -> None:
    world = World()
    world.google.zone = "Europe/Berlin"
    event_id = world.google.user_create(timed(9))
    for end in ("start", "end"):
        world.google.events[event_id][end].pop("timeZone", None)
    world.sync()
    (fields,) = world.crm.alive().values()
    assert fields.start.zone == "Europe/Berlin"  # type: ignore[union-attr]


# -- a full listing that misses a linked event ------------------------------------------------


def full_listing_next(world: World) -> None:
    world.google.dead_tokens = True  # 410: the next run lists everything


def test_a_linked_event_gone_from_google_altogether_deletes_its_meeting() -> None:
    world = World()
    gone, kept = imported(world, 9, 11)
    meeting_id = meeting_of(world, gone)
    del world.google.events[gone]
    full_listing_next(world)
    report = world.sync()
    assert worked(report) == ["deleted in Google"]
    assert world.crm.rows[meeting_id].deleted and link_of(world, gone) is None
    assert report.counts["crm_deleted"] == 1 and link_of(world, kept) is not None
    assert not report.errors and report.token_saved


def test_a_linked_event_a_full_listing_left_out_is_read_before_anything_is_deleted() -> None:
    """Left out of a listing but still there (``timeMin`` leaves out an event moved out of
    the window): read with ``events.get``, it is planned as it is, never as a deletion."""
    world = World()
    _listed, unchanged, changed, cancelled = imported(world, 8, 9, 11, 13)
    world.google.user_patch(changed, {"location": "Room 4"})
    world.google.user_delete(cancelled)
    hide_from_listings(world, unchanged, changed, cancelled)
    full_listing_next(world)
    report = world.sync()
    assert worked(report) == ["merged", "deleted in Google"]
    assert not world.crm.rows[meeting_of(world, unchanged)].deleted
    assert world.crm.rows[meeting_of(world, changed)].fields.location == "Room 4"
    link = link_of(world, changed)
    assert link is not None and link.etag == world.google.events[changed]["etag"]
    assert link_of(world, cancelled) is None
    assert counts(report) == {"full_resyncs": 1, "crm_updated": 1, "crm_deleted": 1}
    assert report.token_saved


def test_a_crm_edit_of_a_meeting_whose_event_vanished_inserts_it_again() -> None:
    world = World()
    gone, _listed = imported(world, 9, 11)
    meeting_id = meeting_of(world, gone)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="Kept"))
    del world.google.events[gone]
    full_listing_next(world)
    report = world.sync()
    assert worked(report) == ["CRM edit beats deletion (event vanished)"]
    assert sorted(event["summary"] for event in world.google.alive().values()) == [
        "Kept",
        "Meeting 11",
    ]
    assert report.counts["google_created"] == 1
    assert not world.crm.rows[meeting_id].deleted


# -- Google's pages are no snapshot -----------------------------------------------------------


def test_a_first_import_that_meets_an_event_again_on_a_later_page_takes_the_last_copy() -> None:
    world = World()
    first, _other = (world.google.user_create(timed(hour)) for hour in (9, 11))
    repeat_on_a_later_page(world, first, {"location": "Room 4"})
    report = world.sync()
    assert not report.errors and report.token_saved
    assert len(world.crm.alive()) == 2
    assert world.crm.rows[meeting_of(world, first)].fields.location == "Room 4"
    assert counts(report) == {"crm_created": 2, "crm_updated": 1}
    link = link_of(world, first)
    assert link is not None and link.etag == world.google.events[first]["etag"]


def occurrence_of(world: World, hour: int) -> str:
    """A changed occurrence of a series the CRM does not have (its series is older than
    the window, say): Google lists the instance alone."""
    event_id = world.google.user_create(timed(hour))
    world.google.user_patch(
        event_id,
        {
            "recurringEventId": "series1",
            "originalStartTime": {"dateTime": f"2026-03-01T{hour:02d}:00:00Z"},
        },
    )
    return event_id


def test_an_occurrence_without_its_series_waits_for_the_listing_then_is_a_meeting() -> None:
    world = World()
    world.google.page_size = 1
    occurrence = occurrence_of(world, 9)
    world.google.user_create(timed(11))
    report = world.sync()
    assert counts(report) == {"crm_created": 2} and report.token_saved
    assert link_of(world, occurrence) is not None
    assert world.sync().writes == 0


def test_an_occurrence_waiting_that_comes_again_is_taken_once_as_last_listed() -> None:
    world = World()
    occurrence = occurrence_of(world, 9)
    repeat_on_a_later_page(world, occurrence, {"location": "Room 4"})
    report = world.sync()
    assert counts(report) == {"crm_created": 1} and not report.errors
    (fields,) = world.crm.alive().values()
    assert fields.location == "Room 4"
    link = link_of(world, occurrence)
    assert link is not None and link.etag == world.google.events[occurrence]["etag"]


def test_an_event_without_an_id_fails_the_listing_but_not_the_others() -> None:
    world = World()
    world.google.user_create(timed(9))
    real = world.google.pages

    def pages(*, sync_token: str | None) -> Iterator[MemoryPage]:
        for page in real(sync_token=sync_token):
            nameless = {key: value for key, value in page.items[0].items() if key != "id"}
            yield MemoryPage([*page.items, nameless], page.next_sync_token)

    world.google.pages = pages  # type: ignore[method-assign]
    report = world.sync()
    assert len(report.errors) == 1 and "without an id" in str(report.errors[0])
    assert not report.token_saved and world.links.sync_token(calendar_id=CAL) is None
    assert counts(report) == {"crm_created": 1}


# -- the mass-delete breaker holds the inbound pass --------------------------------------------


def test_a_held_inbound_pass_writes_nothing_to_google_and_skips_the_outbound_pass() -> None:
    world = World()
    events = imported(world, *range(0, 20))
    merged = events[0]
    meeting_id = meeting_of(world, merged)
    world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="CRM's"))
    world.google.user_patch(merged, {"location": "Room 4"})
    for event_id in events[8:]:
        world.google.user_delete(event_id)
    new = world.crm.user_create(timed(21))
    token = world.links.sync_token(calendar_id=CAL)
    report = world.sync()
    assert report.needs_attention and not report.token_saved
    assert world.links.sync_token(calendar_id=CAL) == token
    assert len(world.crm.alive()) == 21  # nothing deleted
    assert report.google_writes == 0 and world.google.events[merged]["summary"] == "Meeting 0"
    assert new not in {link.meeting_id for link in world.links.links(calendar_id=CAL)}
    allowed = world.sync(allow_mass_delete=True)
    assert not allowed.needs_attention and allowed.counts["crm_deleted"] == 12


# -- deletions made in the CRM at the end of the listing ---------------------------------------


def test_a_deletion_that_fails_stays_for_the_next_run_and_the_others_go_through() -> None:
    world = World()
    first, second, _kept = imported(world, 9, 11, 13)
    world.google.user_delete(first)
    world.google.user_delete(second)
    world.crm.inject("before")
    report = world.sync()
    (error,) = report.errors
    assert str(meeting_of(world, first)) in str(error)
    assert not world.crm.rows[meeting_of(world, first)].deleted
    assert link_of(world, second) is None
    assert counts(report) == {"crm_deleted": 1} and report.crm_writes == 1
    assert not report.token_saved
    retried = world.sync()
    assert counts(retried) == {"crm_deleted": 1} and link_of(world, first) is None


def test_a_deletion_that_went_through_but_answered_an_error_is_done() -> None:
    world = World()
    gone, _kept = imported(world, 9, 11)
    meeting_id = meeting_of(world, gone)
    world.google.user_delete(gone)
    world.crm.inject("after")
    report = world.sync()
    assert not report.errors and report.token_saved
    assert world.crm.rows[meeting_id].deleted and link_of(world, gone) is None
    assert counts(report) == {"crm_deleted": 1}


# -- the outbound pass --------------------------------------------------------------------------


def test_a_meeting_saved_unchanged_only_moves_its_links_version() -> None:
    """Saved unchanged (a new version, the same fields): nothing is written, the link takes
    the new version, also after a link whose meeting did change (links go in event id
    order)."""
    world = World()
    made = [world.crm.user_create(timed(hour)) for hour in (9, 11, 13)]
    world.sync()
    world.sync()  # the echo of our inserts: the next listing brings nothing
    first, *_, last = sorted(
        made, key=lambda meeting_id: event_id_for_meeting(NAMESPACE, meeting_id)
    )
    world.crm.user_edit(first, replace(world.crm.rows[first].fields, subject="Renamed"))
    world.crm.user_edit(last, world.crm.rows[last].fields)  # saved as it was
    report = world.sync()
    assert worked(report) == ["merged"] and counts(report) == {"google_updated": 1}
    for meeting_id in (first, last):
        link = world.links.by_meeting[(CAL, meeting_id)]
        assert link.crm_version == world.crm.rows[meeting_id].version


def test_crm_deletions_past_the_breaker_are_held_and_the_rest_is_pushed() -> None:
    world = World()
    made = [world.crm.user_create(timed(hour)) for hour in range(0, 20)]
    world.sync()
    for meeting_id in made[8:]:
        world.crm.user_delete(meeting_id)
    new = world.crm.user_create(timed(21))
    report = world.sync()
    assert report.needs_attention
    assert len(world.google.alive()) == 21 and report.counts["google_created"] == 1
    assert (CAL, new) in world.links.by_meeting
    allowed = world.sync(allow_mass_delete=True)
    assert allowed.counts["google_deleted"] == 12 and len(world.google.alive()) == 9


def test_an_imported_meeting_restored_in_the_crm_undeletes_its_own_event() -> None:
    world = World()
    gone, _kept = imported(world, 9, 11)
    meeting_id = meeting_of(world, gone)
    world.google.user_delete(gone)
    world.sync()
    assert world.crm.rows[meeting_id].deleted
    world.crm.user_restore(meeting_id)
    report = world.sync()
    assert report.counts["google_updated"] == 1 and len(world.google.alive()) == 2
    assert world.google.events[gone]["status"] == "confirmed"
    assert world.links.by_meeting[(CAL, meeting_id)].event_id == gone


def outbound_pass(
    world: World,
    *,
    allow_mass_delete: bool = False,
    read_only: bool = False,
    store: MemoryOutboundStore | None = None,
) -> Outbound:
    """The outbound pass alone, built as ``sync_once`` builds it: what the engine's run
    reads of it (``clean``: the run may count as clean; ``tripped``) and its store's held
    deletions (``store.held``); ``store``: another than the memory store of ``world``."""
    report, settings = SyncReport(), SyncSettings(read_only=read_only)
    applier = Applier(
        world.crm,
        world.google,
        world.links,
        settings,
        NAMESPACE,
        Fetcher(world.google, NAMESPACE, world.google.default_zone),
        report,
    )
    if store is None:
        store = MemoryOutboundStore(world.crm, world.links, calendar_id=CAL, is_target=True)
    outbound = Outbound(
        store=store,
        applier=applier,
        settings=settings,
        allow_mass_delete=allow_mass_delete,
        report=report,
    )
    outbound.run()
    return outbound


def test_the_outbound_pass_is_clean_only_when_every_write_went_through() -> None:
    world = World()
    made = world.crm.user_create(timed(9))
    world.sync()
    world.crm.user_edit(made, replace(timed(9), subject="Renamed"))
    world.google.inject("before")
    failed = outbound_pass(world)
    assert (failed.clean, failed.tripped, len(failed.report.errors)) == (False, False, 1)
    done = outbound_pass(world)
    assert (done.clean, done.tripped, done.report.counts["google_updated"]) == (True, False, 1)


def test_the_outbound_pass_holds_the_meetings_whose_deletion_tripped_the_breaker() -> None:
    world = World()
    made = [world.crm.user_create(timed(hour)) for hour in range(0, 20)]
    world.sync()
    for meeting_id in made[8:]:
        world.crm.user_delete(meeting_id)
    held = outbound_pass(world)
    assert held.tripped and held.clean and held.report.needs_attention
    assert isinstance(held.store, MemoryOutboundStore)
    assert sorted(meeting.meeting_id for meeting in held.store.held) == made[8:]
    allowed = outbound_pass(world, allow_mass_delete=True)
    assert not allowed.tripped and allowed.report.counts["google_deleted"] == 12


def test_the_outbound_pass_of_a_read_only_calendar_writes_nothing_and_is_clean() -> None:
    world = World()
    made = world.crm.user_create(timed(9))
    read_only = outbound_pass(world, read_only=True)
    assert (read_only.clean, read_only.tripped, read_only.report.plans) == (True, False, [])
    assert world.google.events == {} and (CAL, made) not in world.links.by_meeting


# -- pages and requests -------------------------------------------------------------------------


def test_a_deletion_on_an_earlier_page_of_the_listing_is_made() -> None:
    world = World()
    gone, changed = imported(world, 9, 11)
    world.google.page_size = 1
    world.google.user_delete(gone)
    world.google.user_patch(changed, {"location": "Room 4"})  # the listing's second page
    report = world.sync()
    assert counts(report) == {"crm_deleted": 1, "crm_updated": 1}
    assert link_of(world, gone) is None


def test_a_full_listing_whose_last_page_is_empty_is_no_empty_calendar() -> None:
    """Google may end a listing with an empty page that carries the token: the events of
    the earlier pages count, so the breaker's "Google listed nothing" does not fire."""
    world = World()
    imported(world, 9, 11)
    real = world.google.pages

    def pages(*, sync_token: str | None) -> Iterator[MemoryPage]:
        listed = list(real(sync_token=sync_token))
        yield MemoryPage([item for page in listed for item in page.items], None)
        yield MemoryPage([], listed[-1].next_sync_token)

    world.google.pages = pages  # type: ignore[method-assign]
    full_listing_next(world)
    report = world.sync()
    assert not report.needs_attention and report.token_saved


def test_an_incremental_listing_reads_no_event_one_by_one() -> None:
    """Only a full listing's absences are read with ``events.get``."""
    world = World()
    imported(world, 9, 11)
    world.google.user_create(timed(13))
    reads: list[str] = []
    get = world.google.get_event

    def counted(*, event_id: str) -> Any:
        reads.append(event_id)
        return get(event_id=event_id)

    world.google.get_event = counted  # type: ignore[method-assign]
    report = world.sync()
    assert counts(report) == {"crm_created": 1} and reads == []


def test_an_event_restored_in_google_brings_back_the_meeting_it_was_imported_as() -> None:
    """Its link went with the deletion; the import record pairs it again: the same meeting
    comes back, no second one."""
    world = World()
    gone, _kept = imported(world, 9, 11)
    meeting_id = meeting_of(world, gone)
    world.google.user_delete(gone)
    world.sync()
    assert world.crm.rows[meeting_id].deleted and link_of(world, gone) is None
    world.google.user_patch(gone, {"status": "confirmed", "location": "Room 4"})
    report = world.sync()
    assert len(world.crm.rows) == 2 and not world.crm.rows[meeting_id].deleted
    assert world.crm.rows[meeting_id].fields.location == "Room 4"
    assert meeting_of(world, gone) == meeting_id and not report.errors


def test_counts_add_up_over_the_pages_of_a_listing() -> None:
    world = World()
    events = imported(world, 9, 11)
    world.google.page_size = 1
    for event_id in events:
        meeting_id = meeting_of(world, event_id)
        world.crm.user_edit(meeting_id, replace(world.crm.rows[meeting_id].fields, subject="CRM's"))
        world.google.user_patch(event_id, {"summary": "Google's"})
    for hour in (13, 15):
        broken = world.google.user_create(timed(hour))
        world.google.events[broken]["end"] = {"date": "2026-03-02"}
    report = world.sync()
    assert (report.counts["conflicts"], report.counts["problems"]) == (2, 2)


def test_a_failed_write_names_its_item() -> None:
    world = World()
    (event_id,) = imported(world, 9)
    world.google.user_patch(event_id, {"location": "Room 4"})
    world.crm.inject("before")
    assert "Meeting 9" in str(world.sync().errors)
    fresh = World()
    event_id = fresh.google.user_create(timed(11))
    fresh.crm.inject("before")
    assert event_id in str(fresh.sync().errors)
