"""The engine against Google's other shapes (issue 12, must-have 7), served by the emulator
as real Google serves them (tests/fakegoogle/test_google_shapes.py pins the emulator): the
minimal cancelled occurrence, dateTime offsets in the calendar's zone, instance ids that
look parseable, a series split by Google's UI (``_R`` ids), a write refused with
``invalid``, and a listing page with neither token."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_create,
    google_requests,
    run_clean,
    run_sync,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _weekly(world: SyncWorld, rule: str) -> tuple[dict, datetime]:  # type: ignore[type-arg]
    start = soon(days=2, hour=9).astimezone(ZoneInfo("Europe/Berlin"))
    event = world.google.create_event(
        world.primary,
        "Weekly sync",
        start,
        start + HOUR,
        time_zone="Europe/Berlin",
        recurrence=[rule],
    )
    return event, start


def test_a_minimal_cancelled_occurrence_hides_that_occurrence(world: SyncWorld) -> None:
    """Google lists a cancelled occurrence as id, status, recurringEventId and
    originalStartTime only (the emulator serves it so, showDeleted or not): the CRM hides
    that occurrence, and the next run writes nothing."""
    series, start = _weekly(world, "RRULE:FREQ=WEEKLY;COUNT=4")
    run_clean(world)
    second = world.google.instances(world.primary, series["id"])[1]
    world.google.delete_event(world.primary, second["id"])
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    hidden = Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True)
    assert [row.original_start for row in hidden] == [start + timedelta(days=7)]
    assert writes(requests) == []


def test_an_offset_of_the_calendars_zone_keeps_the_events_own_zone(world: SyncWorld) -> None:
    """On the Berlin calendar an event planned at 09:00 New York time comes as 15:00+01:00
    (or +02:00) with timeZone America/New_York: the meeting is 09:00 in New York, and the
    differing offset is no change to push back."""
    start = datetime.combine(soon(days=9).date(), datetime.min.time(), NEW_YORK).replace(hour=9)
    event = world.google.create_event(
        world.primary, "NY call", start, start + HOUR, time_zone="America/New_York"
    )
    assert not event["start"]["dateTime"].endswith(("-05:00", "-04:00"))
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    meeting = Meeting.objects.get(owner=world.user)
    assert meeting.time_zone == "America/New_York"
    assert meeting.start.astimezone(NEW_YORK).hour == 9 and meeting.start == start
    assert writes(requests) == []


def test_instance_ids_in_googles_format_are_never_parsed(world: SyncWorld) -> None:
    """An occurrence changed in Google has the id ``<series>_<YYYYMMDDTHHMMSSZ>``; the CRM
    places it by recurringEventId and originalStartTime, whatever its id says."""
    series, start = _weekly(world, "RRULE:FREQ=WEEKLY;COUNT=3")
    run_clean(world)
    third = world.google.instances(world.primary, series["id"])[2]
    assert third["id"].startswith(series["id"] + "_") and third["id"].endswith("Z")
    world.google.patch_event(world.primary, third["id"], summary="Weekly sync (moved room)")
    run_clean(world)
    changed = Meeting.objects.get(owner=world.user, subject="Weekly sync (moved room)")
    assert changed.original_start == start + timedelta(days=14)


def test_a_series_split_by_googles_ui_becomes_two_series(world: SyncWorld) -> None:
    """ "This and following" in Google's UI: the series ends before the split, a new series
    ``<id>_R<start>`` starts there. The CRM trims the first meeting's rule and imports the
    second as a meeting of its own; nothing goes back to Google."""
    series, start = _weekly(world, "RRULE:FREQ=WEEKLY")
    run_clean(world)
    split_at = start + timedelta(days=14)
    trimmed, new = world.emulator.split_series(
        calendar_id=world.primary, event_id=series["id"], at=split_at.isoformat()
    )
    assert new["id"] == series["id"] + "_R" + split_at.strftime("%Y%m%dT%H%M%S")
    with google_requests(world) as requests:
        run_clean(world)
        run_clean(world)
    first, second = Meeting.objects.filter(owner=world.user, series=None).order_by("start")
    assert first.recurrence == trimmed["recurrence"]
    assert (second.start, second.recurrence) == (split_at, ["RRULE:FREQ=WEEKLY"])
    assert second.subject == "Weekly sync"
    assert writes(requests) == []


def test_a_push_refused_with_invalid_is_that_meetings_problem(world: SyncWorld) -> None:
    """Google's 400 ``invalid`` for one meeting's insert is a problem of that meeting; the
    next meeting is pushed in the same run."""
    crm_create(world, "Refused", soon(days=3))
    crm_create(world, "Accepted", soon(days=4))
    world.emulator.inject_fault(route="POST */events", status=400, reason="invalid")
    outcome = run_sync(world)
    assert outcome.run is not None
    assert [event["summary"] for event in world.google.events(world.primary)] == ["Accepted"]
    errors = [error.text for error in outcome.run.report.errors]
    assert any("invalid" in error for error in errors), errors


def test_a_listing_page_with_neither_token_fails_the_run_clearly_and_loses_nothing(
    world: SyncWorld,
) -> None:
    """A page that says neither "more" nor "done" could be a truncated listing: the run
    stops with a plain message and deletes nothing on either side."""
    world.google.create_event(world.primary, "Kept", soon(days=5), soon(days=5) + HOUR)
    run_clean(world)
    world.emulator.inject_fault(route="GET */events", status=0, no_tokens=True, times=-1)
    outcome = run_sync(world)
    assert outcome.run is not None and outcome.run.status == "failed"
    assert any(
        "events.list ended without nextPageToken or nextSyncToken" in error.text
        for error in outcome.run.report.errors
    ), outcome.run.errors
    assert Meeting.objects.filter(owner=world.user, subject="Kept", deleted_at=None).exists()
