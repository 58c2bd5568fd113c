"""Issue #5, rule 2: CRM → the target calendar (and imported meetings back to their own
event), against the emulator."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.test import Client

from tandem.sync.core.identity import MARKER_KEY, event_id_for_meeting, marker_for_meeting
from tandem.sync.engine.context import installation_namespace
from tandem.sync.models import EventLink, SyncConflict
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_delete,
    crm_edit,
    crm_meetings,
    google_acts_before,
    google_by_subject,
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


def test_meetings_in_the_window_are_pushed_and_private_ones_only_when_allowed(
    world: SyncWorld,
) -> None:
    """A public meeting goes to the target calendar; a private or confidential one stays in
    the CRM until "also synchronize private meetings" is ticked; a meeting that ended
    before the window is never pushed."""
    crm_create(world, "Team lunch")
    crm_create(world, "Doctor", soon(days=2), visibility="private")
    crm_create(world, "Salary talk", soon(days=3), visibility="confidential")
    crm_create(world, "Last quarter", soon(days=-45))

    run_clean(world)
    assert sorted(google_by_subject(world)) == ["Team lunch"]

    save_settings(world, sync_private=True)
    run_clean(world)
    assert sorted(google_by_subject(world)) == ["Doctor", "Salary talk", "Team lunch"]
    assert google_by_subject(world)["Doctor"] == crm_by_subject(world)["Doctor"]


def test_an_insert_uses_our_client_chosen_id_and_carries_our_marker(world: SyncWorld) -> None:
    """The event id is derived from the meeting (base32hex) and the event carries our marker
    in extendedProperties.private, so a retried insert can never make a copy."""
    meeting = crm_create(world, "Pitch")
    run_clean(world)
    namespace = installation_namespace()
    event = world.google.get_event(world.primary, event_id_for_meeting(namespace, meeting.pk))
    assert event["summary"] == "Pitch"
    assert event["extendedProperties"]["private"][MARKER_KEY] == marker_for_meeting(
        namespace, meeting.pk
    )


def test_every_write_the_sync_makes_sends_no_notification(world: SyncWorld) -> None:
    """Inserts, patches and deletes all carry sendUpdates=none: no invitation storm."""
    meeting = crm_create(world, "Pitch")
    with google_requests(world) as requests:
        run_clean(world)
        crm_edit(meeting, subject="Pitch v2")
        run_clean(world)
        crm_delete(meeting)
        run_clean(world)
    made = writes(requests)
    assert [entry.method for entry in made] == ["POST", "PATCH", "DELETE"]
    assert all(parse_qs(entry.query)["sendUpdates"] == ["none"] for entry in made)


def test_a_patch_writes_mapped_fields_only_and_leaves_attendees_reminders_and_links(
    world: SyncWorld,
) -> None:
    """Attendees, reminders and the conference link someone added in Google survive a CRM
    edit: the sync patches only the fields it maps."""
    meeting = crm_create(world, "Demo", location="Room 1")
    run_clean(world)
    event_id = EventLink.objects.get(meeting=meeting).event_id
    extras = {
        "attendees": [{"email": "client@example.com"}],
        "reminders": {"useDefault": False, "overrides": [{"method": "email", "minutes": 45}]},
        "hangoutLink": "https://meet.example.com/abc",
    }
    world.google.patch_event(world.primary, event_id, **extras)
    run_clean(world)  # only the etag moved: nothing to write back

    crm_edit(meeting, location="Room 2")
    outcome = run_clean(world)

    assert outcome.counts["google_updated"] == 1
    event = world.google.get_event(world.primary, event_id)
    assert event["location"] == "Room 2"
    assert [a["email"] for a in event["attendees"]] == ["client@example.com"]
    assert event["reminders"] == extras["reminders"]


def test_a_stale_etag_on_patch_rereads_merges_and_retries(world: SyncWorld) -> None:
    """The person edits the event between our read and our PATCH: Google answers 412 to our
    If-Match, the engine re-reads the event, merges field by field and patches again, so
    both edits survive and no conflict is recorded (they touched different fields)."""
    meeting = crm_create(world, "Review", location="Room 1")
    run_clean(world)
    event_id = EventLink.objects.get(meeting=meeting).event_id
    crm_edit(meeting, subject="Design review")

    def person_edits() -> None:
        world.google.patch_event(world.primary, event_id, description="Bring sketches")

    with (
        google_requests(world) as requests,
        google_acts_before(world, method="PATCH", path_contains=event_id, action=person_edits),
    ):
        run_clean(world)
    patches = [entry.status for entry in requests if entry.method == "PATCH"]
    assert patches == [412, 200]
    run_clean(world)

    event = world.google.get_event(world.primary, event_id)
    assert (event["summary"], event["description"]) == ("Design review", "Bring sketches")
    assert crm_by_subject(world)["Design review"].description == "Bring sketches"
    assert not SyncConflict.objects.exists()


def test_a_field_both_sides_changed_during_the_run_is_a_recorded_conflict(
    world: SyncWorld,
) -> None:
    """The person retitles the event after the run listed it and before our PATCH, while
    the CRM's retitle waits to be pushed: the 412's re-read is the only place the run sees
    Google's title, so the applier's merge finds the conflict. It is recorded with both
    titles and the run (the one where it was settled); the later edit, the person's, wins
    on both sides, the CRM's other field still goes out, and the next run writes nothing."""
    meeting = crm_create(world, "Review", location="Room 1")
    run_clean(world)
    link = EventLink.objects.get(meeting=meeting)
    crm_edit(meeting, subject="CRM title", location="Room 2")

    def person_retitles() -> None:
        world.google.patch_event(world.primary, link.event_id, summary="Google title")

    with (
        google_requests(world) as requests,
        google_acts_before(
            world, method="PATCH", path_contains=link.event_id, action=person_retitles
        ),
    ):
        outcome = run_clean(world)
    assert [entry.status for entry in requests if entry.method == "PATCH"] == [412, 200]
    assert outcome.counts["conflicts"] == 1

    conflict = SyncConflict.objects.get(owner=world.user)
    assert conflict.meeting_id == meeting.pk and conflict.run_id == outcome.run.pk
    assert (conflict.field, conflict.base_value, conflict.winner) == ("subject", "Review", "google")
    assert (conflict.crm_value, conflict.google_value) == ("CRM title", "Google title")
    assert crm_by_subject(world) == google_by_subject(world)
    assert crm_by_subject(world)["Google title"].location == "Room 2"

    with google_requests(world) as settled:
        run_clean(world)
    assert writes(settled) == [] and SyncConflict.objects.count() == 1
    assert EventLink.objects.get(meeting=meeting).base["subject"] == "Google title"


def test_deleting_a_meeting_cancels_its_event_and_an_already_gone_event_is_no_error(
    world: SyncWorld,
) -> None:
    """A CRM deletion deletes the event; when the person deleted it first (410 to our
    DELETE), that counts as done: the run succeeds and nothing comes back."""
    kept, gone = crm_create(world, "Kept"), crm_create(world, "Gone", soon(days=2))
    run_clean(world)
    crm_delete(kept)
    run_clean(world)
    assert sorted(google_by_subject(world)) == ["Gone"]

    gone_id = EventLink.objects.get(meeting=gone).event_id
    crm_delete(gone)
    with (
        google_requests(world) as requests,
        google_acts_before(
            world,
            method="DELETE",
            path_contains=gone_id,
            action=lambda: world.google.delete_event(world.primary, gone_id),
        ),
    ):
        run_clean(world)
    assert [entry.status for entry in requests if entry.method == "DELETE"] == [410]
    assert google_by_subject(world) == {} and crm_meetings(world) == []
    assert not EventLink.objects.filter(owner=world.user).exists()


def test_an_edit_to_an_imported_meeting_goes_back_to_its_own_event(world: SyncWorld) -> None:
    """A meeting imported from a writable inbound calendar that is not the target is edited
    in the CRM: the change is patched into that event, and no copy lands in the target."""
    team = world.emulator.create_calendar(email=world.primary, summary="Team")["id"]
    event = world.google.create_event(team, "Stand-up")
    save_settings(world, inbound=[world.primary, team], target=world.primary)
    run_clean(world)

    (meeting,) = crm_meetings(world)
    crm_edit(meeting, location="Kitchen")
    run_clean(world)

    assert world.google.get_event(team, event["id"])["location"] == "Kitchen"
    assert google_by_subject(world) == {}


def test_a_pushed_meeting_made_private_leaves_google_and_stays_in_the_crm(
    world: SyncWorld,
) -> None:
    """With private sync off, a pushed meeting turned private is removed from Google and
    kept in the CRM; made public again, it returns to Google under the same event id."""
    meeting = crm_create(world, "Interview")
    run_clean(world)
    event_id = EventLink.objects.get(meeting=meeting).event_id

    crm_edit(meeting, visibility="private")
    run_clean(world)
    assert google_by_subject(world) == {}
    assert world.google.get_event(world.primary, event_id)["status"] == "cancelled"
    assert [m.subject for m in crm_meetings(world)] == ["Interview"]
    run_clean(world)  # our own deletion listed back deletes nothing in the CRM
    assert [m.subject for m in crm_meetings(world)] == ["Interview"]

    crm_edit(meeting, visibility="public")
    run_clean(world)
    assert world.google.get_event(world.primary, event_id)["status"] == "confirmed"
    assert google_by_subject(world) == crm_by_subject(world)


def test_an_edit_made_while_private_sync_is_off_is_not_sent_for_a_private_meeting(
    world: SyncWorld,
) -> None:
    """A private meeting never pushed stays out of Google whatever the edits."""
    meeting = crm_create(world, "Therapy", visibility="private")
    run_clean(world)
    crm_edit(meeting, start=soon(days=4), end=soon(days=4) + timedelta(hours=2))
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert google_by_subject(world) == {}
