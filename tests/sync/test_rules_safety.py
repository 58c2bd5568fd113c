"""Issue #5, rules 6 and 9: the mass-delete breaker and tombstones, and the record of every
run, against the emulator."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from config.celery import app
from tandem.meetings.services import meeting_restore
from tandem.sync.core import run_report
from tandem.sync.core.run_report import RunProblem
from tandem.sync.models import CalendarSyncState, EventLink, SyncRun, UserSyncState
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_create,
    crm_delete,
    crm_edit,
    crm_meetings,
    google_requests,
    links_of,
    needs_attention,
    run_clean,
    run_sync,
    soon,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _synced_events(world: SyncWorld, count: int) -> list[str]:
    ids = world.google.fill(world.primary, count)
    run_clean(world)
    return ids


@pytest.mark.parametrize(("synced", "deleted", "trips"), [(60, 11, False), (50, 11, True)])
def test_the_breaker_trips_above_20_percent_and_10_meetings(
    world: SyncWorld, synced: int, deleted: int, trips: bool
) -> None:
    """11 deletions of 60 synced meetings (18%) go through; 11 of 50 (22%) stop the run and
    flag the user, with nothing deleted and the sync token kept."""
    ids = _synced_events(world, synced)
    for event_id in ids[:deleted]:
        world.google.delete_event(world.primary, event_id)
    token = CalendarSyncState.objects.get(owner=world.user).sync_token

    outcome = run_sync(world)

    assert outcome.run is not None
    if trips:
        assert outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
        assert needs_attention(world).startswith(f"This sync would delete {deleted} of {synced}")
        assert len(crm_meetings(world)) == synced
        assert CalendarSyncState.objects.get(owner=world.user).sync_token == token
        # The question names the meetings Google deleted, and only those.
        held = UserSyncState.objects.get(owner=world.user).held_deletions
        gone = EventLink.objects.filter(owner=world.user, event_id__in=ids[:deleted])
        assert sorted(entry["meeting_id"] for entry in held) == sorted(
            gone.values_list("meeting_id", flat=True)
        )
        assert {entry["deleted_in"] for entry in held} == {"google"}
    else:
        assert outcome.run.status == SyncRun.Status.SUCCEEDED
        assert len(crm_meetings(world)) == synced - deleted
        assert len(crm_meetings(world, deleted=True)) == deleted


def test_an_inbound_calendar_suddenly_empty_trips_the_breaker(world: SyncWorld) -> None:
    """(k) A full listing that comes back empty while meetings are synced with the calendar
    (Google lost them, or answered wrongly) deletes nothing and flags the user; once Google
    lists the events again, the next run goes through with nothing lost."""
    _synced_events(world, 3)
    calendar = world.emulator.state.calendars[world.primary]
    with world.emulator.state.lock:
        kept, calendar.events = calendar.events, {}  # a listing with no events at all
    world.emulator.expire_sync_tokens()

    outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
    assert "listed no events" in needs_attention(world)
    assert len(crm_meetings(world)) == 3

    with world.emulator.state.lock:
        calendar.events = kept
    world.emulator.expire_sync_tokens()
    run_clean(world)
    assert len(crm_meetings(world)) == 3
    assert len(world.google.events(world.primary)) == 3


def _moved_before_the_window(world: SyncWorld, event_id: str) -> datetime:
    """The person moves the event to 40 days ago in Google: it ends before the window's
    start (now - 30 days), so a full listing (``timeMin`` = the window's start) leaves it
    out; it is not deleted. Its new start."""
    start = soon(days=-40)
    world.google.patch_event(
        world.primary,
        event_id,
        start={"dateTime": start.isoformat()},
        end={"dateTime": (start + HOUR).isoformat()},
    )
    return start


def _asked_nothing(world: SyncWorld) -> None:
    """The run went through without a question, and nothing was deleted on either side."""
    state = UserSyncState.objects.get(owner=world.user)
    assert (state.needs_attention, state.held_deletions) == ("", [])
    assert crm_meetings(world, deleted=True) == []
    assert len(world.google.events(world.primary)) == 1


def test_an_empty_listing_of_a_calendar_whose_only_pair_ended_before_the_window_asks_nothing(
    world: SyncWorld,
) -> None:
    """A calendar whose only link is an old pair (moved before the window on both sides),
    listed in full after its token expired, comes back empty: that is no deletion (the
    planner's row "event out of the window") and no mass deletion either, so the run
    neither asks nor deletes, keeps the pair as it is and saves its new token. The breaker
    had tripped on the empty listing alone, asking the user about nothing to delete
    (docs/testing.md, "A deletion while the breaker asks")."""
    (event_id,) = _synced_events(world, 1)
    _moved_before_the_window(world, event_id)
    run_clean(world)  # the CRM follows the move: the pair is old on both sides
    (meeting,) = crm_meetings(world)
    world.emulator.expire_sync_tokens()

    outcome = run_clean(world)

    assert outcome.run is not None and outcome.run.counts.get("full_resyncs") == 1
    _asked_nothing(world)
    (kept,) = crm_meetings(world)
    assert (kept.pk, kept.version, kept.start) == (meeting.pk, meeting.version, meeting.start)
    assert [link.meeting_id for link in links_of(world)] == [meeting.pk]
    assert CalendarSyncState.objects.get(owner=world.user).sync_token


def test_an_empty_listing_whose_linked_event_moved_out_of_the_window_asks_nothing(
    world: SyncWorld,
) -> None:
    """A meeting in the window whose event the person moved before it while the sync token
    expired: the full listing comes back empty, and reading the absent link finds the event
    moved, not deleted, so the CRM follows the move and nothing is deleted: the run asks
    nothing (the breaker had tripped with an empty list of meetings concerned)."""
    (event_id,) = _synced_events(world, 1)
    start = _moved_before_the_window(world, event_id)
    world.emulator.expire_sync_tokens()

    run_clean(world)

    _asked_nothing(world)
    (meeting,) = crm_meetings(world)
    assert meeting.start == start


def test_a_meeting_deleted_through_the_sync_is_a_tombstone_that_can_be_restored(
    world: SyncWorld,
) -> None:
    """An event deleted in Google leaves a tombstone in the CRM; restored there, the meeting
    is live again and its event is back in Google."""
    (event_id,) = _synced_events(world, 1)
    world.google.delete_event(world.primary, event_id)
    run_clean(world)
    (tombstone,) = crm_meetings(world, deleted=True)
    assert tombstone.can_be_restored()

    meeting_restore(meeting=tombstone)
    run_clean(world)

    assert [m.subject for m in crm_meetings(world)] == ["Bulk 0"]
    assert world.google.get_event(world.primary, event_id)["status"] == "confirmed"


def test_every_run_is_recorded_with_times_requests_counts_and_errors(world: SyncWorld) -> None:
    """Each run leaves a record: start and end, the requests it made (as the emulator counted
    them), what it created, updated and deleted each way, conflicts, and its errors."""
    gone_event, changed_event = world.google.fill(world.primary, 2)
    doomed, edited = crm_create(world, "Doomed"), crm_create(world, "Edited", soon(days=2))
    run_clean(world)
    run_clean(world)
    world.google.delete_event(world.primary, gone_event)
    world.google.patch_event(world.primary, changed_event, location="Moved")
    world.google.create_event(world.primary, "New in Google", soon(days=5))
    crm_delete(doomed)
    crm_edit(edited, location="Room 3")
    crm_create(world, "New in CRM", soon(days=6))

    with google_requests(world) as requests:
        outcome = run_clean(world)

    run = outcome.run
    assert run is not None and run.finished_at is not None
    assert run.started_at <= run.finished_at
    assert run.requests == len(requests)
    counts = {name: run.counts.get(name, 0) for name in run.counts}
    assert (counts["crm_created"], counts["crm_updated"], counts["crm_deleted"]) == (1, 1, 1)
    assert (counts["google_created"], counts["google_updated"]) == (1, 1)
    assert counts["google_deleted"] == 1
    assert run.errors == []

    world.emulator.inject_fault(route="GET */events", status=503)
    failed = run_sync(world).run
    assert failed is not None and failed.status == SyncRun.Status.FAILED
    assert failed.report.errors == [
        RunProblem("Google was busy or unreachable; Tandem retries automatically.")
    ]
    assert SyncRun.objects.filter(owner=world.user).count() == 4


def _answer(world: SyncWorld, answer: str) -> None:
    """The user answers the breaker's question on the status page; the task it queues runs
    inline, as a worker would run it moments later (only here: a CRM edit made earlier in
    the test would otherwise sync on its own)."""
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        response = world.client.post("/sync/attention/", {"answer": answer, "next": "/"})
    finally:
        app.conf.task_always_eager = previous
    assert response.status_code == 302


@pytest.mark.parametrize("answer", ["apply", "keep"])
def test_many_meetings_deleted_in_the_crm_trip_the_breaker_too(
    world: SyncWorld, answer: str
) -> None:
    """Issue 11, defect 4: deletions in either direction count. 11 of 50 synced meetings
    deleted in the CRM hold every deletion in Google, and the question says on which side
    the deletions happened and lists the meetings. "Apply" then deletes the 11 events;
    "Keep my meetings" restores the 11 meetings and Google keeps every event."""
    _synced_events(world, 50)
    doomed = crm_meetings(world)[:11]
    for meeting in doomed:
        crm_delete(meeting)

    outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
    question = needs_attention(world)
    assert question.startswith("This sync would delete 11 of 50 synced meetings from Google")
    assert "deleted in the CRM" in question
    assert len(world.google.events(world.primary)) == 50  # nothing deleted in Google
    page = world.client.get("/preferences/external-services/").content.decode()
    for meeting in doomed:
        assert meeting.subject in page
    assert page.count("deleted in the CRM") >= 11

    _answer(world, answer)

    if answer == "apply":
        assert len(world.google.events(world.primary)) == 39
        assert len(crm_meetings(world)) == 39
    else:
        run_clean(world)
        assert len(world.google.events(world.primary)) == 50
        assert len(crm_meetings(world)) == 50
    assert needs_attention(world) == ""
    assert sum(run_clean(world).counts.values()) == 0


def test_keep_my_meetings_restores_every_crm_deletion_not_only_the_ones_listed(
    world: SyncWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question lists at most HELD_SHOWN meetings; "Keep my meetings" restores every
    meeting deleted in the CRM whose deletion has not reached Google, so none of the rest is
    deleted in Google by a later run."""
    monkeypatch.setattr(run_report, "HELD_SHOWN", 5)  # a short list, as 200 is for 1,000
    _synced_events(world, 50)
    for meeting in crm_meetings(world)[:20]:
        crm_delete(meeting)
    outcome = run_sync(world)
    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
    assert len(UserSyncState.objects.get(owner=world.user).held_deletions) == 5

    _answer(world, "keep")
    run_clean(world)

    assert len(crm_meetings(world)) == 50
    assert len(world.google.events(world.primary)) == 50
