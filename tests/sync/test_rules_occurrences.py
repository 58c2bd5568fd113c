"""Recurring meetings whole (DESIGN.md §1): a changed or a cancelled single occurrence made in
Google takes its place in the CRM's series, against the emulator.

Google lists such an occurrence (an "exception") as an event of its own, with the series'
id in ``recurringEventId`` and its slot in ``originalStartTime``; the CRM keeps it as a row
of its series (``Meeting.series``, ``original_start``), so the calendar shows the changed
occurrence instead of the rule's one, and nothing where an occurrence was cancelled.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from django.test import Client

from tandem.accounts.google_clients import use_transport
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between
from tandem.meetings.selectors import meetings_of
from tandem.meetings.services import meeting_purge_expired_tombstones
from tandem.sync.models import EventLink
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_delete,
    crm_edit,
    google_requests,
    run_clean,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _weekly_series(world: SyncWorld, subject: str = "Weekly review") -> dict[str, Any]:
    start = soon(days=2, hour=9)
    return world.google.create_event(
        world.primary,
        subject,
        start,
        start + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
    )


def _instances(world: SyncWorld, series_id: str) -> list[dict[str, Any]]:
    return world.google.instances(world.primary, series_id)


def _moved(instance: dict[str, Any], subject: str) -> dict[str, Any]:
    start = datetime.fromisoformat(instance["start"]["dateTime"]) + 2 * HOUR
    return {
        "summary": subject,
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + HOUR).isoformat()},
    }


def _synced_series_with_a_moved_occurrence(
    world: SyncWorld,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A weekly series whose second occurrence was moved and renamed "Moved" in Google,
    synced into the CRM; the series and its four instances as Google had them."""
    series = _weekly_series(world)
    instances = _instances(world, series["id"])
    world.google.patch_event(world.primary, instances[1]["id"], **_moved(instances[1], "Moved"))
    run_clean(world)
    return series, instances


def _original(instance: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(instance["originalStartTime"]["dateTime"])


def _calendar(world: SyncWorld, first: datetime) -> list[tuple[str, datetime]]:
    """What the calendar page shows over five weeks from ``first``: (subject, start)."""
    day = first.astimezone(BERLIN).date()
    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=day - timedelta(days=1),
        end_day=day + timedelta(days=35),
        zone=BERLIN,
    )
    return [(o.entry.subject, o.entry.start) for o in shown]


def test_a_changed_and_a_cancelled_occurrence_take_their_place_in_the_crm_series(
    world: SyncWorld,
) -> None:
    series = _weekly_series(world)
    run_clean(world)
    (meeting,) = Meeting.objects.filter(owner=world.user)
    assert meeting.recurrence == ["RRULE:FREQ=WEEKLY;COUNT=4"]

    instances = _instances(world, series["id"])
    assert len(instances) == 4
    world.google.patch_event(world.primary, instances[1]["id"], **_moved(instances[1], "Moved"))
    world.google.delete_event(world.primary, instances[2]["id"])
    outcome = run_clean(world)

    assert outcome.run is not None and outcome.run.counts.get("crm_updated") == 2
    changed = Meeting.objects.get(owner=world.user, subject="Moved")
    assert changed.series_id == meeting.pk and not changed.is_cancelled_occurrence
    assert changed.original_start == _original(instances[1])
    assert EventLink.objects.filter(meeting=changed, event_id=instances[1]["id"]).exists()
    hidden = Meeting.objects.get(owner=world.user, is_cancelled_occurrence=True)
    assert hidden.series_id == meeting.pk and hidden.original_start == _original(instances[2])

    first = _original(instances[0])
    assert _calendar(world, first) == [
        ("Weekly review", first),
        ("Moved", _original(instances[1]) + 2 * HOUR),
        ("Weekly review", _original(instances[3])),
    ]
    # The row that hides the cancelled occurrence is not a meeting anyone can list or open.
    assert set(meetings_of(owner=world.user)) == {meeting, changed}
    assert world.client.get(f"/api/v1/meetings/{hidden.pk}/").status_code == 404
    assert world.client.get(f"/api/v1/meetings/{changed.pk}/").status_code == 200

    with google_requests(world) as requests:
        again = run_clean(world)
    assert writes(requests) == []
    assert again.run is not None and not any(again.run.counts.values())
    assert Meeting.objects.filter(owner=world.user).count() == 3


def test_the_marker_an_occurrence_copies_from_a_crm_series_never_rewrites_the_series(
    world: SyncWorld,
) -> None:
    """An occurrence carries its series' extended properties, our marker included. A CRM
    series pushed to Google whose one occurrence is moved there must keep its own times:
    the moved occurrence becomes a row of the series, not an edit of it."""
    start = soon(days=3, hour=14)
    series = Meeting.objects.create(
        owner=world.user,
        subject="Pipeline call",
        start=start,
        end=start + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    run_clean(world)
    (link,) = EventLink.objects.filter(meeting=series)
    instances = _instances(world, link.event_id)
    assert (
        instances[1]["extendedProperties"]
        == world.google.get_event(world.primary, link.event_id)["extendedProperties"]
    )
    world.google.patch_event(world.primary, instances[1]["id"], **_moved(instances[1], "Later"))

    run_clean(world)
    run_clean(world)

    series.refresh_from_db()
    assert (series.subject, series.start, series.end) == ("Pipeline call", start, start + HOUR)
    google_series = world.google.get_event(world.primary, link.event_id)
    assert google_series["summary"] == "Pipeline call"
    assert datetime.fromisoformat(google_series["start"]["dateTime"]) == start
    changed = Meeting.objects.get(owner=world.user, subject="Later")
    assert changed.series_id == series.pk


class _ListingReversed(httpx.BaseTransport):
    """Google's order of an unexpanded listing is unspecified: this one lists each page's
    events last to first, so occurrences come before their series."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET" or not request.url.path.endswith("/events"):
            return response
        response.read()
        body = json.loads(response.content)
        body["items"] = list(reversed(body.get("items", [])))
        return httpx.Response(response.status_code, headers=response.headers, json=body)


def test_occurrences_listed_before_their_series_on_a_first_import_are_placed_in_it(
    world: SyncWorld,
) -> None:
    series = _weekly_series(world)
    instances = _instances(world, series["id"])
    world.google.patch_event(world.primary, instances[0]["id"], **_moved(instances[0], "Moved"))
    world.google.delete_event(world.primary, instances[3]["id"])

    with use_transport(_ListingReversed(world.emulator.transport())):
        run_clean(world)

    meeting = Meeting.objects.get(owner=world.user, series=None)
    changed = Meeting.objects.get(owner=world.user, subject="Moved")
    hidden = Meeting.objects.get(owner=world.user, is_cancelled_occurrence=True)
    assert changed.series_id == hidden.series_id == meeting.pk
    assert hidden.original_start == _original(instances[3])
    first = _original(instances[0])
    assert _calendar(world, first) == [
        ("Moved", first + 2 * HOUR),
        ("Weekly review", _original(instances[1])),
        ("Weekly review", _original(instances[2])),
    ]


def test_a_crm_edit_of_a_changed_occurrence_goes_to_that_occurrence_only(
    world: SyncWorld,
) -> None:
    series, instances = _synced_series_with_a_moved_occurrence(world)

    crm_edit(Meeting.objects.get(owner=world.user, subject="Moved"), location="Room 4")
    with google_requests(world) as requests:
        run_clean(world)

    (write,) = writes(requests)
    assert write.method == "PATCH" and instances[1]["id"] in write.path
    assert world.google.get_event(world.primary, instances[1]["id"])["location"] == "Room 4"
    assert "location" not in world.google.get_event(world.primary, series["id"])


def test_deleting_a_changed_occurrence_cancels_it_on_both_sides_and_for_good(
    world: SyncWorld,
) -> None:
    """Deleted in the CRM, a changed occurrence is cancelled in Google, and its slot stays
    empty in the CRM, also once its tombstone is purged (it then only hides the slot)."""
    _series, instances = _synced_series_with_a_moved_occurrence(world)
    changed = Meeting.objects.get(owner=world.user, subject="Moved")

    crm_delete(changed)
    run_clean(world)
    run_clean(world)

    cancelled = world.google.get_event(world.primary, instances[1]["id"])
    assert cancelled["status"] == "cancelled"
    first = _original(instances[0])
    expected = [
        ("Weekly review", first),
        ("Weekly review", _original(instances[2])),
        ("Weekly review", _original(instances[3])),
    ]
    assert _calendar(world, first) == expected

    meeting_purge_expired_tombstones(now=datetime.now(tz=BERLIN) + timedelta(days=31))
    changed.refresh_from_db()
    assert changed.is_cancelled_occurrence and changed.deleted_at is None
    assert _calendar(world, first) == expected
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_a_changed_occurrence_cancelled_in_google_leaves_its_slot_empty(
    world: SyncWorld,
) -> None:
    _series, instances = _synced_series_with_a_moved_occurrence(world)

    world.google.delete_event(world.primary, instances[1]["id"])
    run_clean(world)

    assert Meeting.objects.get(owner=world.user, subject="Moved").deleted_at is not None
    first = _original(instances[0])
    assert [subject for subject, _ in _calendar(world, first)] == ["Weekly review"] * 3


def test_deleting_the_series_in_google_takes_its_changed_occurrences_off_the_calendar(
    world: SyncWorld,
) -> None:
    series, instances = _synced_series_with_a_moved_occurrence(world)

    world.google.delete_event(world.primary, series["id"])
    run_clean(world)

    assert _calendar(world, _original(instances[0])) == []


def test_an_occurrence_cancelled_then_restored_in_google_comes_back(world: SyncWorld) -> None:
    series = _weekly_series(world)
    instances = _instances(world, series["id"])
    world.google.delete_event(world.primary, instances[2]["id"])
    run_clean(world)
    assert Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True).count() == 1

    world.google.patch_event(
        world.primary, instances[2]["id"], status="confirmed", summary="Back on"
    )
    run_clean(world)

    back = Meeting.objects.get(owner=world.user, subject="Back on")
    assert back.original_start == _original(instances[2]) and not back.is_cancelled_occurrence
    assert not Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True).exists()
    assert EventLink.objects.filter(meeting=back, event_id=instances[2]["id"]).exists()
    first = _original(instances[0])
    assert [subject for subject, _ in _calendar(world, first)] == [
        "Weekly review",
        "Weekly review",
        "Back on",
        "Weekly review",
    ]
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
