"""Issue #5, rule 1: Google → CRM for each inbound calendar, against the emulator."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.sync.models import CalendarSyncState, EventLink
from tests.sync.harness import (
    HOUR,
    GooglePerson,
    SyncWorld,
    assert_in_agreement,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_edit,
    crm_meetings,
    google_fields,
    google_requests,
    run_clean,
    save_settings,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def test_the_first_sync_lists_from_thirty_days_ago_with_deleted_events_and_pages_to_the_end(
    world: SyncWorld,
) -> None:
    """The full sync asks for timeMin = now - 30 days and showDeleted, follows every page
    (short and empty ones too), and stores the sync token; events that ended before the
    window are not imported."""
    world.google.fill(world.primary, 2600)
    world.google.create_event(world.primary, "Long ago", soon(days=-60))
    world.emulator.set_paging(mode="short")  # short and empty pages while more remain

    with google_requests(world) as requests:
        run_clean(world)

    lists = [entry for entry in requests if entry.method == "GET"]
    assert len(lists) == 4, "pages of 1250, 0, 1250 and 100 events"
    first = parse_qs(lists[0].query)
    assert first["showDeleted"] == ["true"]
    time_min = first["timeMin"][0]
    assert time_min[:10] == (soon(days=0) - timedelta(days=30)).date().isoformat()
    assert len(crm_meetings(world)) == 2600
    assert not Meeting.objects.filter(subject="Long ago").exists()
    state = CalendarSyncState.objects.get(owner=world.user, calendar_id=world.primary)
    assert state.sync_token and state.full_sync_completed_at is not None


def test_later_runs_list_incrementally_with_the_stored_sync_token(world: SyncWorld) -> None:
    """After the full sync, each run sends the stored syncToken and no time filter."""
    run_clean(world)
    token = CalendarSyncState.objects.get(owner=world.user, calendar_id=world.primary).sync_token
    with google_requests(world) as requests:
        run_clean(world)
    (listing,) = requests
    query = parse_qs(listing.query)
    assert query["syncToken"] == [token]
    assert "timeMin" not in query


def test_new_changed_and_cancelled_events_create_update_and_tombstone_meetings(
    world: SyncWorld,
) -> None:
    """A new event becomes a meeting, a change updates it, a cancellation makes it a
    tombstone (restorable, never purged by the sync)."""
    event = world.google.create_event(world.primary, "Kick-off", location="Room 1")
    run_clean(world)
    assert crm_by_subject(world)["Kick-off"].location == "Room 1"

    world.google.patch_event(world.primary, event["id"], location="Room 2")
    outcome = run_clean(world)
    assert outcome.counts["crm_updated"] == 1
    assert crm_by_subject(world)["Kick-off"].location == "Room 2"

    world.google.delete_event(world.primary, event["id"])
    outcome = run_clean(world)
    assert outcome.counts["crm_deleted"] == 1
    assert crm_meetings(world) == []
    (tombstone,) = crm_meetings(world, deleted=True)
    assert tombstone.subject == "Kick-off" and tombstone.can_be_restored()


def test_an_event_carrying_our_marker_is_matched_to_its_meeting_not_copied(
    world: SyncWorld,
) -> None:
    """Our pushed event, listed back after its link was lost, pairs with its meeting by the
    marker in extendedProperties.private: no second meeting."""
    meeting = crm_create(world, "Pushed")
    run_clean(world)
    EventLink.objects.filter(meeting=meeting).delete()  # as if the link was never saved
    CalendarSyncState.objects.filter(owner=world.user).update(sync_token="")

    run_clean(world)

    assert [m.pk for m in crm_meetings(world)] == [meeting.pk]
    assert EventLink.objects.get(meeting=meeting).calendar_id == world.primary
    assert len(world.google.events(world.primary)) == 1


def test_one_event_in_two_inbound_calendars_makes_one_meeting(world: SyncWorld) -> None:
    """The same iCalUID listed by two inbound calendars is one CRM meeting."""
    team = world.emulator.create_calendar(email=world.primary, summary="Team")["id"]
    original = world.google.create_event(world.primary, "Shared review")
    world.google.import_event(
        team,
        {
            "iCalUID": original["iCalUID"],
            "summary": "Shared review",
            "start": original["start"],
            "end": original["end"],
        },
    )
    save_settings(world, inbound=[world.primary, team], target=world.primary)
    run_clean(world)
    run_clean(world)

    assert [m.subject for m in crm_meetings(world)] == ["Shared review"]


def test_meetings_from_a_calendar_the_user_cannot_write_are_read_only_and_say_so(
    google_in_process, client: Client
) -> None:
    """Events of a reader calendar arrive as read-only meetings: the CRM refuses edits with
    a message naming the reason, the meeting page says so, and nothing is written to that
    calendar."""
    emulator = google_in_process.emulator
    emulator.create_account(email="boss@example.com", name="Boss")
    emulator.share_calendar(
        calendar_id="boss@example.com", email="dana@example.com", access_role="reader"
    )
    boss = GooglePerson(google_in_process, "boss@example.com")
    boss.create_event("boss@example.com", "Board meeting")
    world = connect_user(
        google_in_process, client, inbound=["dana@example.com", "boss@example.com"]
    )

    with google_requests(world) as requests:
        run_clean(world)

    meeting = Meeting.objects.get(owner=world.user, subject="Board meeting")
    assert meeting.read_only
    with pytest.raises(ValidationError, match="cannot edit"):
        crm_edit(meeting, subject="Mine now")
    page = client.get(f"/meetings/{meeting.pk}/")
    assert page.status_code == 200
    assert "from a Google calendar you can only read" in page.content.decode()
    assert not [w for w in writes(requests) if "boss" in w.path]


def test_a_google_event_in_the_crm_matches_its_event_field_by_field(world: SyncWorld) -> None:
    """The imported meeting carries the six mapped fields of its event."""
    start = soon(days=3)
    event = world.google.create_event(
        world.primary,
        "Offsite",
        start,
        start + 2 * HOUR,
        description="Agenda",
        location="Lisbon",
        visibility="public",
    )
    run_clean(world)
    assert crm_by_subject(world)["Offsite"] == google_fields(event)
    assert_in_agreement(world)
