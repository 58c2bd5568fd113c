"""The settings pass as production runs it (engine/settings_changes.py over the database and
the emulator), where it differs from the hand-written code it replaced. The rules
themselves: test_rules_settings.py; the pass over memory: tests/sync_core/
test_settings_changes.py."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.sync.models import CalendarSyncState, EventLink, SyncRun
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_delete,
    crm_meetings,
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


def test_deletions_held_before_a_calendar_leaves_wait_for_the_users_answer(
    world: SyncWorld,
) -> None:
    """Meetings of a calendar deleted in bulk in the CRM, then the calendar un-picked: the
    push before it leaves trips the breaker, so the run asks the user and the calendar waits
    (before, it left at once and the deletions never reached Google, with no question)."""
    team = str(world.emulator.create_calendar(email=world.primary, summary="Team")["id"])
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
