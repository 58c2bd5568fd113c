"""Zero-length and end-unspecified events (issue 12, finding 6 and must-have 6): valid in
Google, so they come into the CRM as they are and go back unchanged. The events reference
(https://developers.google.com/workspace/calendar/api/v3/reference/events) says of
``endTimeUnspecified``: "An end time is still provided for compatibility reasons"."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_create,
    crm_edit,
    google_requests,
    run_clean,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_a_zero_length_event_becomes_a_zero_length_meeting(world: SyncWorld) -> None:
    """A deadline (end == start) in Google is a meeting with end == start in the CRM, and
    the next run has nothing to write."""
    deadline = soon(days=2, hour=17)
    event = world.google.create_event(world.primary, "Offer deadline", deadline, deadline)
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    meeting = Meeting.objects.get(owner=world.user)
    assert meeting.subject == "Offer deadline"
    assert meeting.start == meeting.end == deadline
    assert writes(requests) == []
    assert world.google.get_event(world.primary, event["id"])["end"] == event["end"]


def test_a_zero_length_meeting_edited_in_the_crm_patches_only_the_edit(world: SyncWorld) -> None:
    deadline = soon(days=3, hour=12)
    event = world.google.create_event(world.primary, "Renewal", deadline, deadline)
    run_clean(world)
    crm_edit(Meeting.objects.get(owner=world.user), subject="Renewal (signed)")
    with google_requests(world) as requests:
        run_clean(world)
    (patch,) = writes(requests)
    assert patch.method == "PATCH"
    after = world.google.get_event(world.primary, event["id"])
    assert after["summary"] == "Renewal (signed)"
    assert _at(after["start"]["dateTime"]) == _at(after["end"]["dateTime"]) == deadline


def test_a_zero_length_meeting_made_in_the_crm_reaches_google_as_it_is(world: SyncWorld) -> None:
    reminder = soon(days=4, hour=9)
    crm_create(world, "Call back Bob", reminder, reminder)
    run_clean(world)
    (event,) = world.google.events(world.primary)
    assert _at(event["start"]["dateTime"]) == _at(event["end"]["dateTime"]) == reminder


def test_an_end_unspecified_event_keeps_its_end_and_flag_both_ways(world: SyncWorld) -> None:
    """The CRM shows the end Google provides (no invented one), and a CRM edit of another
    field sends that field alone: Google keeps endTimeUnspecified and its end."""
    start = soon(days=5, hour=10)
    event = world.google.create_event(
        world.primary, "Open house", start, start, endTimeUnspecified=True
    )
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user)
    assert meeting.start == meeting.end == start
    crm_edit(meeting, location="Showroom")
    with google_requests(world) as requests:
        run_clean(world)
    (patch,) = writes(requests)
    assert patch.method == "PATCH"
    after = world.google.get_event(world.primary, event["id"])
    assert after["location"] == "Showroom"
    assert after["endTimeUnspecified"] is True
    assert after["end"] == event["end"]


def test_an_end_unspecified_event_with_a_placeholder_end_is_read_as_it_is(
    world: SyncWorld,
) -> None:
    """Where the provided end is later than the start, that end is the meeting's, and
    nothing is written back."""
    start = soon(days=6, hour=10)
    event = world.google.create_event(
        world.primary, "Walk-in", start, start + HOUR, endTimeUnspecified=True
    )
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    meeting = Meeting.objects.get(owner=world.user)
    assert (meeting.start, meeting.end) == (start, start + HOUR)
    assert writes(requests) == []
    assert world.google.get_event(world.primary, event["id"])["endTimeUnspecified"] is True
