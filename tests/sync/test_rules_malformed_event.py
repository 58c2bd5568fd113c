"""An event the engine cannot read is said once, and the calendar's sync goes on.

Re-listing an unreadable event reads it no better: it changes only when Google changes
it, and then an incremental listing brings it again. So the problem is a warning of the
run that met it (kept with the run, shown in the status page's recent runs and by the
API), the other
events sync, and the calendar's sync token moves on (planner.py: ``RecordProblem`` with
``holds_token=False``). It used to hold the token back: every later run listed the
calendar again from the old token, failed, and reported the same event, for ever.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.sync.core.run_report import RunProblem
from tandem.sync.models import CalendarSyncState, EventLink, SyncRun
from tests.sync.harness import HOUR, SyncWorld, connect_user, crm_edit, run_clean, soon

pytestmark = pytest.mark.django_db(transaction=True)

MIXED = "“Bad one”: The start and the end mix a date and a date-time."


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _break(world: SyncWorld, event: dict[str, Any], start: datetime) -> None:
    """Google would refuse this event on insert; a listing can still bring one."""
    stored = world.emulator.state.calendars[world.primary].events[event["id"]]
    stored.resource["start"] = {"date": start.date().isoformat()}


def _token(world: SyncWorld) -> str:
    return CalendarSyncState.objects.get(owner=world.user, calendar_id=world.primary).sync_token


def test_an_unreadable_event_is_said_once_and_the_sync_token_moves_on(
    world: SyncWorld,
) -> None:
    """The first run imports the good event, warns once about the bad one by its title,
    succeeds and keeps the listing's token; the next run is told nothing new and says
    nothing; when the event is fixed in Google it comes in."""
    start = soon(days=6)
    world.google.create_event(world.primary, "Good one", start, start + HOUR)
    bad = world.google.create_event(world.primary, "Bad one", start, start + HOUR)
    _break(world, bad, start)

    first = run_clean(world)
    assert first.run is not None
    assert [m.subject for m in Meeting.objects.filter(owner=world.user)] == ["Good one"]
    assert first.run.report.warnings == [
        RunProblem(MIXED, event_id=bad["id"], rule="malformed event")
    ]
    assert first.run.counts["problems"] == 1
    token = _token(world)
    assert token
    page = world.client.get("/preferences/external-services/").content.decode()
    assert (
        f'<div class="help run-warning">{MIXED} '
        f'<small class="help run-details">[malformed event; event {bad["id"]}]</small></div>'
    ) in page
    assert "&ldquo;Bad one&rdquo;" in page or "“Bad one”" in page

    second = run_clean(world)
    assert second.run is not None
    assert second.run.warnings == []
    assert second.run.counts.get("problems", 0) == 0

    world.google.patch_event(
        world.primary,
        bad["id"],
        summary="Fixed one",
        start={"date": None, "dateTime": start.isoformat()},
        end={"dateTime": (start + HOUR).isoformat()},
    )
    run_clean(world)
    assert sorted(m.subject for m in Meeting.objects.filter(owner=world.user)) == [
        "Fixed one",
        "Good one",
    ]


def test_a_linked_event_that_turns_unreadable_leaves_its_meeting_and_link_alone(
    world: SyncWorld,
) -> None:
    """A synced event that becomes unreadable in Google: the meeting and its link stay as
    they were, the run succeeds with one warning, and the next run warns no more."""
    start = soon(days=3)
    event = world.google.create_event(world.primary, "Bad one", start, start + HOUR)
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user)
    world.google.patch_event(world.primary, event["id"], description="changed in Google")
    _break(world, event, start)

    outcome = run_clean(world)
    assert outcome.run is not None
    assert outcome.run.report.warnings == [
        RunProblem(MIXED, meeting_id=meeting.pk, event_id=event["id"], rule="malformed event")
    ]
    assert EventLink.objects.filter(meeting=meeting).exists()
    meeting.refresh_from_db()
    assert (meeting.subject, meeting.description) == ("Bad one", "")

    again = run_clean(world)
    assert again.run is not None and again.run.warnings == []
    assert SyncRun.objects.filter(owner=world.user, status=SyncRun.Status.FAILED).count() == 0


def test_a_crm_edit_of_a_meeting_whose_event_turned_unreadable_fails_no_run(
    world: SyncWorld,
) -> None:
    """Edited in the CRM while its event turned unreadable in Google: the outbound pass's
    PATCH meets a stale etag, re-reads the event and cannot read it either. That is the
    same warning, not an error: the runs succeed (the one driver's applier made it an
    error, and every later run failed on it), and the meeting keeps the CRM's edit."""
    start = soon(days=3)
    event = world.google.create_event(world.primary, "Bad one", start, start + HOUR)
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user)
    world.google.patch_event(world.primary, event["id"], description="changed in Google")
    _break(world, event, start)
    crm_edit(meeting, location="Room 4")

    for _ in range(2):
        outcome = run_clean(world)
        assert outcome.run is not None and outcome.run.errors == []
        assert outcome.run.warnings
        assert all(w.event_id == event["id"] for w in outcome.run.report.warnings)
    meeting.refresh_from_db()
    assert meeting.location == "Room 4"
