"""Issue #5, rule 8: settings changes (DESIGN.md §3) and revoke then reconnect, against the
emulator."""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from tandem.accounts.google_services import connection_for, google_disconnect
from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.google.calendar import CalendarClient
from tandem.meetings.models import Meeting
from tandem.sync.engine import sync_user_now
from tandem.sync.google_client import google_client_for
from tandem.sync.models import CalendarSyncState, EventLink, SyncRun
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_delete,
    crm_edit,
    crm_meetings,
    google_by_subject,
    google_requests,
    meeting_trigger,
    needs_attention,
    run_clean,
    run_sync,
    save_settings,
    soon,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _team_calendar(world: SyncWorld) -> str:
    return str(world.emulator.create_calendar(email=world.primary, summary="Team")["id"])


def test_a_newly_picked_inbound_calendar_gets_a_full_sync(world: SyncWorld) -> None:
    """Picking another calendar brings in its events (a full listing from the window start)."""
    team = _team_calendar(world)
    world.google.create_event(team, "Team offsite")
    run_clean(world)
    assert crm_meetings(world) == []

    save_settings(world, inbound=[world.primary, team])
    with google_requests(world) as requests:
        run_clean(world)
    (team_list,) = [e for e in requests if e.method == "GET" and team in e.path]
    assert "timeMin" in team_list.query and "syncToken" not in team_list.query
    assert [m.subject for m in crm_meetings(world)] == ["Team offsite"]


def test_an_unpicked_calendar_takes_its_meetings_out_of_the_crm_and_google_keeps_them(
    world: SyncWorld,
) -> None:
    """Un-picking a calendar removes the meetings that came from it (tombstones); its events
    stay in Google, and the CRM's own meetings stay where they are."""
    team = _team_calendar(world)
    world.google.create_event(team, "Team offsite")
    crm_create(world, "Mine")
    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    assert sorted(m.subject for m in crm_meetings(world)) == ["Mine", "Team offsite"]

    save_settings(world, inbound=[world.primary])
    run_clean(world)
    assert [m.subject for m in crm_meetings(world)] == ["Mine"]
    assert [e["summary"] for e in world.google.events(team)] == ["Team offsite"]
    assert sorted(google_by_subject(world)) == ["Mine"]


def test_unpicking_a_calendar_keeps_the_cancelled_occurrences_of_the_others_hidden(
    world: SyncWorld,
) -> None:
    """The rows that hide a series' cancelled occurrences go with their calendar when it is
    un-picked, and only theirs: a series of a calendar still synced keeps its gap."""
    team = _team_calendar(world)
    for calendar in (world.primary, team):
        start = soon(days=2, hour=9)
        series = world.google.create_event(
            calendar,
            f"Weekly {calendar}",
            start,
            start + HOUR,
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
        )
        world.google.delete_event(calendar, world.google.instances(calendar, series["id"])[2]["id"])
    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    hidden = Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True)
    assert hidden.count() == 2

    save_settings(world, inbound=[world.primary])
    run_clean(world)
    assert [row.series.subject for row in hidden if row.series] == [f"Weekly {world.primary}"]


def test_a_crm_edit_pushed_as_its_calendar_leaves_merges_a_google_edit_it_did_not_list(
    world: SyncWorld,
) -> None:
    """The calendar about to leave is no longer listed: its pending CRM edit is pushed at the
    etag the link holds, Google answers 412 for an edit made there meanwhile, and the event
    is re-read in the calendar's zone (it has no timeZone of its own) and merged."""
    team = _team_calendar(world)
    event = world.google.create_event(team, "Team offsite")
    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    (meeting,) = crm_meetings(world)
    crm_edit(meeting, subject="Offsite, moved room")
    world.google.patch_event(team, event["id"], location="Room 4")

    save_settings(world, inbound=[world.primary])
    run_clean(world)
    (pushed,) = [e for e in world.google.events(team) if e["id"] == event["id"]]
    assert (pushed["summary"], pushed["location"]) == ("Offsite, moved room", "Room 4")


def meeting_writes_refused(meeting_id: int) -> AbstractContextManager[None]:
    """A real fault of the database: a trigger refuses every change of that meeting's row
    (its removal too, a tombstone being an update), and goes afterwards."""
    return meeting_trigger(event="UPDATE", when=f"OLD.id = {meeting_id}")


def test_picked_again_after_a_leave_that_failed_part_way_its_events_all_come_back(
    world: SyncWorld,
) -> None:
    """The calendar's meetings leave one transaction each: the first went, the database
    refused the second, and the run stopped with the calendar kept for the next run.
    Picked again before that run, the calendar lists in full (its token went before its
    first link), so the event whose link went comes back as a new meeting; with the token
    kept, an incremental listing never returned it and it stayed out of the CRM."""
    team = _team_calendar(world)
    world.google.create_event(team, "Team A")
    world.google.create_event(team, "Team B", soon(hour=14))
    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    first, second = EventLink.objects.filter(owner=world.user, calendar_id=team).order_by(
        "event_id"
    )

    save_settings(world, inbound=[world.primary])
    with meeting_writes_refused(second.meeting_id), pytest.raises(DatabaseError):
        run_sync(world)
    assert SyncRun.objects.filter(owner=world.user).first().status == SyncRun.Status.FAILED  # type: ignore[union-attr]
    assert Meeting.objects.get(pk=first.meeting_id).deleted_at is not None
    assert [link.meeting_id for link in EventLink.objects.filter(calendar_id=team)] == [
        second.meeting_id
    ]

    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    assert sorted(m.subject for m in crm_meetings(world)) == ["Team A", "Team B"]
    assert EventLink.objects.filter(owner=world.user, calendar_id=team).count() == 2
    assert not any(run_clean(world).counts.values())


def test_a_series_that_left_in_a_failed_leave_takes_its_hidden_occurrences_with_it(
    world: SyncWorld,
) -> None:
    """A series leaves with its calendar, the database refuses the next meeting's removal,
    and the run stops. The rows that hid the series' cancelled occurrence went with it, in
    its own transaction: picked again, the full listing's cancellation hides an occurrence
    of the new series. Kept until the calendar had left, the row was paired with the
    cancellation, and the CRM showed the occurrence Google cancelled."""
    team = _team_calendar(world)
    # Ids of our choosing (Google takes a client's): the series leaves first, then "Other".
    series = world.google.create_event(
        team,
        "Weekly",
        soon(days=1),
        id="aaaaa0",
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
    )
    other = world.google.create_event(team, "Other", soon(days=2), id="vvvvv0")
    world.google.delete_event(team, world.google.instances(team, series["id"])[1]["id"])
    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    shown = sorted(m.subject for m in crm_meetings(world))
    refused = EventLink.objects.get(calendar_id=team, event_id=other["id"]).meeting_id

    save_settings(world, inbound=[world.primary])
    with meeting_writes_refused(refused), pytest.raises(DatabaseError):
        run_sync(world)
    assert not EventLink.objects.filter(calendar_id=team, event_id=series["id"]).exists()
    assert not Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True).exists()

    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    new_series = EventLink.objects.get(calendar_id=team, event_id=series["id"]).meeting_id
    (hidden,) = Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True)
    assert (hidden.series_id, hidden.deleted_at) == (new_series, None)
    assert sorted(m.subject for m in crm_meetings(world)) == shown


def test_a_new_target_calendar_receives_the_pushed_meetings_without_copies(
    world: SyncWorld,
) -> None:
    """Changing the target moves the pushed events there (events.move): the new target has
    each meeting once, the old one none, and the next run writes nothing."""
    crm_create(world, "Alpha")
    crm_create(world, "Beta", soon(days=2))
    run_clean(world)
    team = _team_calendar(world)

    save_settings(world, inbound=[world.primary, team], target=team)
    outcome = run_clean(world)

    assert outcome.counts.get("google_moved") == 2
    assert google_by_subject(world, team) == crm_by_subject(world)
    assert google_by_subject(world) == {}
    assert {link.calendar_id for link in EventLink.objects.filter(owner=world.user)} == {team}
    run_clean(world)
    with google_requests(world) as requests:
        run_clean(world)
    assert [e.method for e in requests] == ["GET", "GET"]
    assert "Google while away" not in crm_by_subject(world)


def test_a_new_target_saved_before_any_run_succeeded_moves_what_a_failed_run_pushed(
    world: SyncWorld,
) -> None:
    """A first run pushes one meeting and stops (Google answers 503 to the second insert),
    so no run has succeeded when a new target is saved: the next run still looks at every
    link (engine/run.py ``_settings_unapplied``: no clean run yet) and moves the pushed
    event to the new target, no copy left behind."""
    crm_create(world, "Alpha")
    crm_create(world, "Beta", soon(days=2))
    world.emulator.inject_fault(route="POST /calendar/v3/calendars/*/events", status=503, after=1)
    failed = run_sync(world)
    assert failed.run is not None and failed.run.status != SyncRun.Status.SUCCEEDED
    assert len(google_by_subject(world)) == 1  # one pushed before the 503
    team = _team_calendar(world)

    save_settings(world, inbound=[world.primary, team], target=team)
    run_clean(world)

    assert google_by_subject(world, team) == crm_by_subject(world)
    assert google_by_subject(world) == {}
    assert {link.calendar_id for link in EventLink.objects.filter(owner=world.user)} == {team}


def test_an_edit_made_in_google_just_before_a_new_target_reaches_the_crm(
    world: SyncWorld,
) -> None:
    """The moved event carries the edit: its link keeps the etag of the agreement, so the
    new target's listing brings the edit (the link took the moved event's etag before and
    read the edit as "unchanged": it never reached the CRM). Found by the in-memory state
    machine with settings changes (tests/sync_core/test_convergence_settings.py)."""
    crm_create(world, "Alpha")
    run_clean(world)
    [event] = world.google.events(world.primary)
    world.google.patch_event(world.primary, event["id"], location="Room 7")
    team = _team_calendar(world)

    save_settings(world, inbound=[world.primary, team], target=team)
    run_clean(world)
    run_clean(world)

    assert crm_by_subject(world)["Alpha"].location == "Room 7"
    assert google_by_subject(world, team) == crm_by_subject(world)


def test_deletions_held_before_a_calendar_leaves_wait_for_the_users_answer(
    world: SyncWorld,
) -> None:
    """Meetings of a calendar deleted in bulk in the CRM, then the calendar un-picked: the
    push before it leaves trips the breaker, so the run asks the user and the calendar waits
    (before, it left at once and the deletions never reached Google, with no question)."""
    team = _team_calendar(world)
    for number in range(12):
        world.google.create_event(
            team, f"Team {number}", soon(days=1 + number % 5, hour=8 + number % 9)
        )
    save_settings(world, inbound=[world.primary, team])
    run_clean(world)
    for meeting in crm_meetings(world):
        crm_delete(meeting)
    save_settings(world, inbound=[world.primary])

    held = run_sync(world)
    assert held.run is not None and held.run.status == SyncRun.Status.NEEDS_ATTENTION
    assert "deleted in the CRM" in needs_attention(world)
    assert len(world.google.events(team)) == 12
    assert EventLink.objects.filter(owner=world.user, calendar_id=team).count() == 12

    run_clean(world, allow_mass_delete=True)
    assert world.google.events(team) == []
    assert not EventLink.objects.filter(owner=world.user, calendar_id=team).exists()
    assert not CalendarSyncState.objects.filter(owner=world.user, calendar_id=team).exists()


def test_turning_private_sync_off_removes_pushed_private_meetings_from_google(
    google_in_process, client: Client
) -> None:  # type: ignore[no-untyped-def]
    """With private sync on, a private meeting is pushed; turned off, its event is removed
    from Google and the meeting stays in the CRM; the public one is untouched."""
    world = connect_user(google_in_process, client, sync_private=True)
    crm_create(world, "Doctor", visibility="private")
    crm_create(world, "Team lunch", soon(days=2))
    run_clean(world)
    assert sorted(google_by_subject(world)) == ["Doctor", "Team lunch"]

    save_settings(world, sync_private=False)
    run_clean(world)
    run_clean(world)

    assert sorted(google_by_subject(world)) == ["Team lunch"]
    assert sorted(m.subject for m in crm_meetings(world)) == ["Doctor", "Team lunch"]


def test_private_sync_turned_off_while_a_run_goes_on_still_takes_private_meetings_out(
    google_in_process, client: Client
) -> None:  # type: ignore[no-untyped-def]
    """Settings saved while a run goes on are not the ones it applied: the next run looks at
    every link once (found by the reviewer of issue 11: they were compared with when that
    run ended, so the private meeting stayed in Google for good)."""
    world = connect_user(google_in_process, client, sync_private=True)
    crm_create(world, "Doctor", visibility="private")
    crm_create(world, "Team lunch", soon(days=2))
    run_clean(world)

    def client_while_the_person_saves(connection: GoogleConnection) -> CalendarClient:
        # The run has read its settings; the person saves "private sync off" meanwhile.
        SyncSettings.objects.filter(connection=connection).update(
            sync_private=False, saved_at=timezone.now()
        )
        return google_client_for(connection)

    outcome = sync_user_now(user_id=world.user.pk, client_for=client_while_the_person_saves)
    assert outcome.run is not None and outcome.run.status == "succeeded"
    run_clean(world)

    assert sorted(google_by_subject(world)) == ["Team lunch"]
    assert sorted(m.subject for m in crm_meetings(world)) == ["Doctor", "Team lunch"]


def test_revoke_then_reconnect_duplicates_nothing_on_either_side(
    world: SyncWorld, client: Client
) -> None:
    """Revoke Token stops the sync and keeps both sides; reconnecting the same Google account
    finds every link again: no copy in the CRM or in Google, and edits made meanwhile sync."""
    crm_create(world, "Before")
    world.google.create_event(world.primary, "From Google", soon(days=2))
    run_clean(world)

    google_disconnect(connection=connection_for(user=world.user))
    crm_create(world, "While away", soon(days=3))
    world.google.create_event(world.primary, "Google while away", soon(days=4))
    outcome = run_sync(world)
    assert outcome.run is None and "not connected" in outcome.skipped
    assert "Google while away" not in crm_by_subject(world)

    world.harness.connect(client)
    assert connection_for(user=world.user).status == GoogleConnection.Status.CONNECTED
    run_clean(world)
    run_clean(world)

    subjects = ["Before", "From Google", "Google while away", "While away"]
    assert sorted(m.subject for m in crm_meetings(world)) == subjects
    assert sorted(google_by_subject(world)) == subjects
    assert google_by_subject(world) == crm_by_subject(world)


def test_a_picked_calendar_gone_from_the_saved_calendar_list_is_still_read(
    world: SyncWorld,
) -> None:
    """The calendar list saved with the settings no longer names a picked calendar (hidden
    from the person's list in Google since): its role is unknown, so it is read as a
    reader's, and the run goes on."""
    team = _team_calendar(world)
    save_settings(world, inbound=[world.primary, team])
    world.google.create_event(team, "Stand-up", soon(days=2), soon(days=2) + HOUR)
    settings = SyncSettings.objects.get(connection__user=world.user)
    settings.known_calendars = [c for c in settings.known_calendars if c["id"] != team]
    settings.save(update_fields=["known_calendars"])

    run_clean(world)

    assert "Stand-up" in crm_by_subject(world)
