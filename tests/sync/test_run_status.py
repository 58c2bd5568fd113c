"""The run's status and the user's sync state after runs that met more than one thing: the
breaker's question with an item's error, and an error that stops a run after the breaker
asked (core/run_report.py RunReport.status, engine/run.py _finish), against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection
from django.test import Client

from tandem.sync.models import EventLink, SyncRun, UserSyncState
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_create,
    crm_delete,
    crm_edit,
    crm_meetings,
    run_clean,
    run_sync,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    connected = connect_user(google_in_process, client)
    connected.google.fill(connected.primary, 50)
    run_clean(connected)
    return connected


def _delete_eleven_in_the_crm(world: SyncWorld) -> None:
    """11 of 50 synced meetings: the outbound breaker trips (more than 20% and 10)."""
    for meeting in crm_meetings(world)[:11]:
        crm_delete(meeting)


def test_the_breakers_question_with_an_items_error_needs_attention(world: SyncWorld) -> None:
    """The breaker holds the deletions and Google refuses another meeting's edit in the same
    run: the run asks the user (its item's error comes again next time), and says the error."""
    _delete_eleven_in_the_crm(world)
    refused = crm_edit(crm_meetings(world)[-1], subject="Refused by Google")
    event_id = EventLink.objects.get(owner=world.user, meeting=refused).event_id
    world.emulator.inject_fault(
        route=f"PATCH */events/{event_id}", status=400, reason="invalid", times=-1
    )
    before = UserSyncState.objects.get(owner=world.user).last_success_at

    outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.NEEDS_ATTENTION
    [problem] = outcome.run.report.errors
    assert problem.meeting_id == refused.pk
    state = UserSyncState.objects.get(owner=world.user)
    assert state.needs_attention.startswith("This sync would delete 11 of 50")
    assert len(state.held_deletions) == 11
    assert state.last_error == problem.text
    assert state.last_success_at == before


def test_an_error_that_stops_the_run_after_the_question_fails_it(world: SyncWorld) -> None:
    """The breaker asked, then Google failed the whole run (a 503 on the insert that follows
    the held deletions): the run failed, and no question is left that no run finished."""
    _delete_eleven_in_the_crm(world)
    crm_create(world, "New in the CRM")
    world.emulator.inject_fault(route="POST */events", status=503, times=-1)

    outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.FAILED
    assert outcome.run.report.errors[-1].message.startswith("Google was busy")
    state = UserSyncState.objects.get(owner=world.user)
    assert (state.needs_attention, state.held_deletions) == ("", [])
    assert state.last_error.startswith("Google was busy")


@pytest.fixture
def installation_table_away() -> Iterator[None]:
    """A real fault of the database in the run's start read: a table it joins is renamed
    away (the read raises the driver's error), and back afterwards."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE sync_installation RENAME TO sync_installation_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE sync_installation_away RENAME TO sync_installation")


def test_a_run_whose_start_read_fails_is_recorded_failed_not_running(
    world: SyncWorld, installation_table_away: None
) -> None:
    """The run's record is written before what it starts from is read (run_records.py);
    that read failing left it "running" until its lease ran out."""
    with pytest.raises(DatabaseError):
        run_sync(world)

    last = SyncRun.objects.filter(owner=world.user).latest("pk")
    assert last.status == SyncRun.Status.FAILED
    assert last.finished_at is not None
    assert last.report.errors[0].text.startswith("An unexpected error stopped the sync")
    state = UserSyncState.objects.get(owner=world.user)
    assert state.last_error == last.report.errors[0].text
    assert state.last_attempt_at == last.finished_at
    # The lock went back: the next run starts.
    assert state.lock_token == ""
