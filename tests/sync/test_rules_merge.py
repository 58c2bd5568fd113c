"""Issue #5, rules 4 and 5: three-way field merge against the base copy, and echo
suppression, against the emulator."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.sync.models import EventLink, SyncConflict
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_delete,
    crm_edit,
    crm_meetings,
    google_by_subject,
    google_requests,
    run_clean,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _pushed(world: SyncWorld, subject: str, **values: object) -> tuple[Meeting, str]:
    meeting = crm_create(world, subject, **values)
    run_clean(world)
    run_clean(world)  # our insert listed back
    return meeting, EventLink.objects.get(meeting=meeting).event_id


def test_fields_changed_on_one_side_each_are_all_kept(world: SyncWorld) -> None:
    """The CRM moves the location, Google renames the meeting: after one run both sides have
    both edits and no conflict is recorded."""
    meeting, event_id = _pushed(world, "Sync-up", location="Room 1")
    crm_edit(meeting, location="Room 2")
    world.google.patch_event(world.primary, event_id, summary="Weekly sync-up")

    run_clean(world)

    fields = crm_by_subject(world)["Weekly sync-up"]
    assert fields.location == "Room 2"
    assert google_by_subject(world) == crm_by_subject(world)
    assert not SyncConflict.objects.exists()


def test_a_field_changed_on_both_sides_goes_to_the_later_edit_and_is_shown(
    world: SyncWorld, client: Client
) -> None:
    """Both sides change the location; Google's edit is the later one, so it wins, both
    sides end with it, and the conflict is listed on External services with the rule."""
    meeting, event_id = _pushed(world, "Budget", location="Room 1")
    crm_edit(meeting, location="CRM room")
    world.emulator.advance_clock(seconds=60)  # Google's edit is clearly the later one
    world.google.patch_event(world.primary, event_id, location="Google room")

    outcome = run_clean(world)

    assert outcome.counts["conflicts"] == 1
    assert crm_by_subject(world)["Budget"].location == "Google room"
    assert google_by_subject(world)["Budget"].location == "Google room"
    conflict = SyncConflict.objects.get(owner=world.user)
    assert (conflict.field, conflict.winner) == ("location", "google")
    assert (conflict.crm_value, conflict.google_value) == ("CRM room", "Google room")
    assert conflict.run == outcome.run  # the run that settled it (the API and CLI name it)
    page = client.get("/preferences/external-services/").content.decode()
    assert "Conflicts settled" in page and "the later edit wins" in page


def test_a_both_sides_conflict_goes_to_the_crm_when_its_edit_is_later(world: SyncWorld) -> None:
    """Google's edit happened first, the CRM's later: the CRM value wins on both sides."""
    meeting, event_id = _pushed(world, "Budget", location="Room 1")
    world.emulator.advance_clock(seconds=-60)  # Google's edit is clearly the earlier one
    world.google.patch_event(world.primary, event_id, location="Google room")
    crm_edit(meeting, location="CRM room")

    run_clean(world)

    assert crm_by_subject(world)["Budget"].location == "CRM room"
    assert google_by_subject(world)["Budget"].location == "CRM room"
    assert SyncConflict.objects.get(owner=world.user).winner == "crm"


def test_an_edit_in_the_crm_beats_a_deletion_in_google(world: SyncWorld) -> None:
    """Google deletes the event while the CRM edits the meeting: the edit wins, the meeting
    stays and its event is back in Google with the edit."""
    meeting, event_id = _pushed(world, "Contract")
    crm_edit(meeting, location="Legal")
    world.google.delete_event(world.primary, event_id)

    run_clean(world)

    assert [m.subject for m in crm_meetings(world)] == ["Contract"]
    assert google_by_subject(world)["Contract"].location == "Legal"


def test_an_edit_in_google_beats_a_deletion_in_the_crm(world: SyncWorld) -> None:
    """The CRM deletes the meeting while Google edits the event: the meeting is restored
    with Google's edit and the event stays."""
    meeting, event_id = _pushed(world, "Contract")
    crm_delete(meeting)
    world.google.patch_event(world.primary, event_id, location="Legal")

    run_clean(world)

    assert crm_by_subject(world)["Contract"].location == "Legal"
    assert google_by_subject(world) == crm_by_subject(world)


def test_our_own_writes_listed_back_change_nothing_and_write_nothing(world: SyncWorld) -> None:
    """Echo suppression: after a run that inserted, patched and deleted in Google, the next
    incremental listing returns those writes, and the run applies nothing on either side;
    the run after that costs exactly one request."""
    edited, deleted = crm_create(world, "Edited"), crm_create(world, "Deleted", soon(days=2))
    run_clean(world)
    run_clean(world)
    crm_edit(edited, location="New room")
    crm_delete(deleted)
    crm_create(world, "Added", soon(days=3))
    run_clean(world)
    versions = {m.pk: m.version for m in Meeting.objects.filter(owner=world.user)}

    with google_requests(world) as requests:
        echo = run_clean(world)
    assert writes(requests) == []
    assert {k: v for k, v in echo.counts.items() if v} == {}
    assert {m.pk: m.version for m in Meeting.objects.filter(owner=world.user)} == versions

    with google_requests(world) as requests:
        run_clean(world)
    assert len(requests) == 1


def test_applying_inbound_changes_makes_no_write_to_google(world: SyncWorld) -> None:
    """New, changed and cancelled events reach the CRM without a single write call to
    Google (read in the emulator's request log)."""
    first = world.google.create_event(world.primary, "One")
    second = world.google.create_event(world.primary, "Two", soon(days=2))
    with google_requests(world) as requests:
        run_clean(world)
    world.google.patch_event(world.primary, first["id"], location="Moved")
    world.google.delete_event(world.primary, second["id"])
    world.google.create_event(world.primary, "Three", soon(days=3))
    with google_requests(world) as more:
        outcome = run_clean(world)

    assert writes(requests + more) == []
    assert (outcome.counts["crm_created"], outcome.counts["crm_updated"]) == (1, 1)
    assert outcome.counts["crm_deleted"] == 1
    assert sorted(crm_by_subject(world)) == ["One", "Three"]
