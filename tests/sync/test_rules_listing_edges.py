"""Listings as Google sends them: pages that are no snapshot, and incremental listings that
bring events from any date (issue 11, defects 2 and 3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from django.test import Client

from tandem.accounts.google_clients import use_transport
from tandem.meetings.models import Meeting
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_by_subject,
    crm_delete,
    crm_edit,
    google_by_subject,
    google_fields,
    run_clean,
    soon,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


class AfterFirstPage(httpx.BaseTransport):
    """Google's side of the wire: runs ``change`` once, right after the first page of a full
    events.list was served, as a person editing while the sync pages would."""

    def __init__(self, inner: httpx.BaseTransport, change: Callable[[], None]) -> None:
        self.inner, self.change, self.fired = inner, change, False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        query = parse_qs(request.url.query.decode())
        first_page = "pageToken" not in query and "syncToken" not in query
        listing = request.url.path.endswith("/events") and request.method == "GET"
        if listing and first_page and not self.fired:
            self.fired = True
            response.read()
            self.change()
        return response


def test_a_first_import_whose_later_page_repeats_an_event_keeps_the_last_copy(
    world: SyncWorld,
) -> None:
    """Defect 3: Google's pages are no snapshot; an event changed while the sync pages comes
    again on a later page. The import must not fail on it: one meeting, the last copy."""
    ids = [
        world.google.create_event(world.primary, f"Call {n}", soon(days=1 + n))["id"]
        for n in range(5)
    ]
    world.emulator.set_paging(live=True, page_cap=2)

    def rename_first() -> None:
        world.google.patch_event(world.primary, ids[0], summary="Call 0, renamed")

    transport = AfterFirstPage(world.emulator.transport(), rename_first)
    with use_transport(transport):
        run_clean(world)
    assert transport.fired
    crm = crm_by_subject(world)
    assert sorted(crm) == ["Call 0, renamed", "Call 1", "Call 2", "Call 3", "Call 4"]
    assert Meeting.objects.filter(owner=world.user).count() == 5
    # Agreed with Google: a second run writes nothing and the two sides match.
    second = run_clean(world)
    assert sum(second.counts.values()) == 0, second.counts
    assert crm == google_by_subject(world)


def test_an_event_out_of_the_window_arriving_incrementally_is_left_alone(
    world: SyncWorld,
) -> None:
    """Defect 2: the window is a rule, not only a timeMin: an event that ended 40 days ago,
    created in Google after the first sync, comes through the incremental listing and must
    not be imported; an in-window one created at the same time is."""
    run_clean(world)
    old = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
    world.google.create_event(world.primary, "Long gone", old, old + HOUR)
    world.google.create_event(world.primary, "Coming up", soon(days=2))
    run_clean(world)
    subjects = set(crm_by_subject(world))
    assert "Coming up" in subjects
    assert "Long gone" not in subjects
    # Left alone on both sides: Google keeps it, and later runs do nothing with it.
    assert "Long gone" in google_by_subject(world)
    again = run_clean(world)
    assert sum(again.counts.values()) == 0, again.counts


def test_a_series_that_began_before_the_window_and_goes_on_is_imported(world: SyncWorld) -> None:
    """The window holds a recurring meeting whole: a weekly call that began 90 days ago and
    goes on is imported (its first occurrence alone is over before the window), and a
    changed occurrence of it is placed in the series."""
    first = datetime.now(UTC).replace(microsecond=0, second=0, minute=0) - timedelta(days=91)
    event = world.google.create_event(
        world.primary,
        "Weekly since spring",
        first,
        first + HOUR,
        time_zone="UTC",
        recurrence=["RRULE:FREQ=WEEKLY"],
    )
    instances = world.google.instances(world.primary, event["id"])
    coming = next(
        i for i in instances if datetime.fromisoformat(i["start"]["dateTime"]) > datetime.now(UTC)
    )
    world.google.patch_event(world.primary, coming["id"], summary="Moved this week")
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, subject="Weekly since spring")
    assert series.recurrence == ["RRULE:FREQ=WEEKLY"]
    moved = Meeting.objects.get(owner=world.user, subject="Moved this week")
    assert moved.series_id == series.pk
    again = run_clean(world)
    assert sum(again.counts.values()) == 0, again.counts


def _linked_and_moved_out_of_the_window(world: SyncWorld, subject: str) -> tuple[str, Meeting]:
    """A synced event that Google then moved 40 days back: both sides agree on old dates,
    so the pair is out of the window from then on."""
    event = world.google.create_event(world.primary, subject, soon(days=2))
    run_clean(world)
    old = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
    world.google.patch_event(
        world.primary,
        event["id"],
        start={"dateTime": old.isoformat()},
        end={"dateTime": (old + HOUR).isoformat()},
    )
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject=subject)
    assert meeting.end < datetime.now(UTC) - timedelta(days=30)
    return event["id"], meeting


def test_a_linked_pair_out_of_the_window_is_left_alone_on_both_sides(world: SyncWorld) -> None:
    """DESIGN.md §3 "Window everywhere": an incremental listing brings changed events from
    any date, and those outside the window are left alone on both sides. An old event
    cancelled in Google used to delete its meeting, an old one renamed in Google renamed
    it, and an old meeting edited or deleted in the CRM was written to Google."""
    cancelled, kept = _linked_and_moved_out_of_the_window(world, "Old, cancelled in Google")
    renamed, unchanged = _linked_and_moved_out_of_the_window(world, "Old, renamed in Google")
    _, edited = _linked_and_moved_out_of_the_window(world, "Old, edited in the CRM")
    deleted_id, deleted = _linked_and_moved_out_of_the_window(world, "Old, deleted in the CRM")
    world.google.delete_event(world.primary, cancelled)
    world.google.patch_event(world.primary, renamed, summary="Renamed long after")
    crm_edit(edited, subject="Edited long after")
    crm_delete(deleted)
    outcome = run_clean(world)
    assert sum(outcome.counts.values()) == 0, outcome.counts
    kept.refresh_from_db()
    unchanged.refresh_from_db()
    assert kept.deleted_at is None
    assert unchanged.subject == "Old, renamed in Google"
    google = google_by_subject(world)
    assert "Edited long after" not in google and "Old, edited in the CRM" in google
    assert world.google.get_event(world.primary, deleted_id).get("status") != "cancelled"
    again = run_clean(world)
    assert sum(again.counts.values()) == 0, again.counts


def test_an_old_meeting_moved_into_the_window_in_the_crm_syncs_again(world: SyncWorld) -> None:
    """Leaving old items alone stops where a change brings one side into the window."""
    event_id, meeting = _linked_and_moved_out_of_the_window(world, "Old, brought back")
    crm_edit(meeting, start=soon(days=3), end=soon(days=3) + HOUR)
    outcome = run_clean(world)
    assert outcome.counts["google_updated"] == 1, outcome.counts
    moved = google_fields(world.google.get_event(world.primary, event_id))
    assert moved == crm_by_subject(world)["Old, brought back"]
