"""Pairing a listed event with its meeting (core/pairing.py), over the emulator: two rules
the in-memory driver had and production lacked until both ran the one driver.

- An event whose insert went through while its answer was lost (so no link), and whose
  marker another client dropped since, is still ours: our event id names the meeting. The
  old engine imported it as a new meeting: the CRM showed the meeting twice.
- A copy of our event (it carries our marker) in the same calendar is not our meeting's
  pair while a link holds the meeting: it is someone's new event. The old engine paired the
  copy with the meeting and linked it in place of the original.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.google import errors as google_errors
from tandem.meetings.models import Meeting
from tandem.sync.core.identity import MARKER_KEY
from tandem.sync.models import EventLink
from tests.sync.harness import (
    SyncWorld,
    assert_in_agreement,
    connect_user,
    crm_create,
    google_requests,
    run_clean,
    run_sync,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    world = connect_user(google_in_process, client)
    run_clean(world)
    return world


def _drop_marker(world: SyncWorld, event_id: str) -> None:
    """Another client rewrote the event without our private property (a PUT of its own)."""
    calendar = world.emulator.state.calendars[world.primary]
    with world.emulator.state.lock:
        stored = calendar.events[event_id]
        stored.resource.pop("extendedProperties", None)
        stored.seq = world.emulator.state.next_seq()


def test_an_event_that_lost_our_marker_before_its_link_was_saved_is_still_ours(
    world: SyncWorld,
) -> None:
    meeting = crm_create(world, "Call with Initech", soon(days=1))
    world.emulator.inject_fault(
        route="POST */calendars/*/events", status=0, drop=True, applied=True
    )
    outcome = run_sync(world)
    assert isinstance(outcome.retryable_error, google_errors.NetworkError)
    (event,) = world.google.events(world.primary)
    assert not EventLink.objects.filter(meeting=meeting).exists()
    _drop_marker(world, event["id"])

    run_clean(world)
    owned = Meeting.objects.filter(owner=world.user, deleted_at__isnull=True)
    assert list(owned.values_list("pk", flat=True)) == [meeting.pk]
    assert [e["summary"] for e in world.google.events(world.primary)] == ["Call with Initech"]
    assert EventLink.objects.get(meeting=meeting).event_id == event["id"]
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_a_copy_of_our_event_in_the_same_calendar_is_a_new_meeting(world: SyncWorld) -> None:
    meeting = crm_create(world, "Call with Initech", soon(days=1))
    run_clean(world)
    (ours,) = world.google.events(world.primary)
    marker = ours["extendedProperties"]["private"][MARKER_KEY]
    copy = world.google.create_event(
        world.primary,
        "Call with Initech (copy)",
        soon(days=2),
        extendedProperties={"private": {MARKER_KEY: marker}},
    )

    run_clean(world)
    assert EventLink.objects.get(meeting=meeting).event_id == ours["id"]
    owned = Meeting.objects.filter(owner=world.user, deleted_at__isnull=True)
    assert sorted(owned.values_list("subject", flat=True)) == [
        "Call with Initech",
        "Call with Initech (copy)",
    ]
    copied = owned.get(subject="Call with Initech (copy)")
    assert EventLink.objects.get(meeting=copied).event_id == copy["id"]
    assert_in_agreement(world)
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
