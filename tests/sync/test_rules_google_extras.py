"""What a Google event holds beyond the six mapped fields stays in Google as it is (issue
12, must have 8, the round trip): organizer, attendees with their responses, the Meet
conference and a Zoom link survive a CRM edit pushed back, byte for byte."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tests.sync.harness import HOUR, SyncWorld, connect_user, crm_edit, event_body, run_clean, soon

pytestmark = pytest.mark.django_db(transaction=True)

EXTRAS = ("organizer", "attendees", "conferenceData", "reminders", "extendedProperties")


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def test_a_crm_edit_leaves_organizer_attendees_and_video_call_untouched(world: SyncWorld) -> None:
    start = soon(days=4)
    body = event_body(
        "Pipeline review",
        start,
        start + HOUR,
        location="https://zoom.us/j/123456789?pwd=abc",
        organizer={"email": "boss@acme.example", "displayName": "The Boss"},
        attendees=[
            {"email": "dana@example.com", "self": True, "responseStatus": "accepted"},
            {"email": "lee@acme.example", "responseStatus": "declined", "comment": "On leave"},
            {"email": "kim@acme.example", "responseStatus": "tentative", "optional": True},
            {"email": "sam@acme.example", "responseStatus": "needsAction"},
        ],
        conferenceData={
            "conferenceId": "abc-defg-hij",
            "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
            "entryPoints": [
                {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"}
            ],
        },
        reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
        extendedProperties={"shared": {"deal": "ACME-42"}},
    )
    event = world.emulator.seed_event(calendar_id=world.primary, event=body)
    before = {key: json.dumps(event.get(key), sort_keys=False) for key in EXTRAS}
    run_clean(world)

    meeting = Meeting.objects.get(owner=world.user, subject="Pipeline review")
    crm_edit(meeting, subject="Pipeline review (moved)", description="Bring the numbers")
    run_clean(world)

    after = world.google.get_event(world.primary, event["id"])
    assert after["summary"] == "Pipeline review (moved)"
    assert after["description"] == "Bring the numbers"
    assert after["location"] == "https://zoom.us/j/123456789?pwd=abc"
    assert {key: json.dumps(after.get(key), sort_keys=False) for key in EXTRAS} == before


def test_organizer_guests_and_video_call_are_shown_on_the_page_and_in_the_api(
    world: SyncWorld, client: Client
) -> None:
    """Issue 12, must have 8: what Google shows beyond the six fields, read-only, on the
    meeting's page and in the API, as the last sync read it (the link keeps it)."""
    start = soon(days=4)
    body = event_body(
        "Pipeline review",
        start,
        start + HOUR,
        organizer={"email": "boss@acme.example", "displayName": "The <b>Boss</b>"},
        attendees=[
            {"email": "dana@example.com", "self": True, "responseStatus": "accepted"},
            {"email": "lee@acme.example", "responseStatus": "declined"},
            {"email": "kim@acme.example", "responseStatus": "tentative", "optional": True},
            {"email": "room@resource.example", "resource": True, "responseStatus": "accepted"},
        ],
        conferenceData={
            "entryPoints": [
                {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"}
            ],
        },
    )
    world.emulator.seed_event(calendar_id=world.primary, event=body)
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Pipeline review")

    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    api = client.get(f"/api/v1/meetings/{meeting.pk}/").json()["google"]

    assert "The &lt;b&gt;Boss&lt;/b&gt;" in page and "<b>Boss" not in page  # escaped
    assert "lee@acme.example" in page and "declined" in page and "maybe" in page
    assert 'href="https://meet.google.com/abc-defg-hij"' in page
    assert "room@resource.example" not in page  # a room is no guest
    assert api["organizer"] == {"email": "boss@acme.example", "name": "The <b>Boss</b>"}
    assert [(g["email"], g["response"]) for g in api["guests"]] == [
        ("dana@example.com", "accepted"),
        ("lee@acme.example", "declined"),
        ("kim@acme.example", "tentative"),
    ]
    assert api["video_link"] == "https://meet.google.com/abc-defg-hij"


def test_a_guests_answer_given_in_google_later_is_shown_after_the_next_sync(
    world: SyncWorld, client: Client
) -> None:
    """The link keeps what the last sync read: an event listed again (a guest answered)
    brings its guests anew, even with none of the six fields changed."""
    start = soon(days=4)
    guests = [
        {"email": "dana@example.com", "self": True, "responseStatus": "accepted"},
        {"email": "lee@acme.example", "responseStatus": "needsAction"},
    ]
    body = event_body("Pipeline review", start, start + HOUR, attendees=guests)
    event = world.emulator.seed_event(calendar_id=world.primary, event=body)
    run_clean(world)
    meeting = Meeting.objects.get(owner=world.user, subject="Pipeline review")

    guests[1] = guests[1] | {"responseStatus": "accepted"}
    world.google.patch_event(world.primary, event["id"], attendees=guests)
    run_clean(world)

    api = client.get(f"/api/v1/meetings/{meeting.pk}/").json()["google"]
    assert [(g["email"], g["response"]) for g in api["guests"]] == [
        ("dana@example.com", "accepted"),
        ("lee@acme.example", "accepted"),
    ]
