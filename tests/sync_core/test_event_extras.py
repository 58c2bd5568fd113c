"""Reading what a Google event shows beyond the six fields (issue 12, must have 8):
organizer, attendees with their responses, the video-call link."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.sync.core.event_extras import Attendee, EventExtras, Person, extras_of, worth_keeping


def test_organizer_and_attendees_with_their_responses() -> None:
    extras = extras_of(
        {
            "organizer": {"email": "boss@acme.example", "displayName": "The Boss"},
            "attendees": [
                {"email": "boss@acme.example", "organizer": True, "responseStatus": "accepted"},
                {"email": "lee@acme.example", "displayName": "Lee", "responseStatus": "declined"},
                {"email": "kim@acme.example", "responseStatus": "tentative", "optional": True},
                {"email": "sam@acme.example"},
                {"email": "room-4@resource.example", "resource": True},
            ],
        }
    )
    assert extras.organizer == Person("boss@acme.example", "The Boss")
    assert extras.attendees == (
        Attendee(Person("boss@acme.example"), "accepted", organizer=True),
        Attendee(Person("lee@acme.example", "Lee"), "declined"),
        Attendee(Person("kim@acme.example"), "tentative", optional=True),
        Attendee(Person("sam@acme.example"), "needsAction"),
    )


@pytest.mark.parametrize(
    ("event", "link"),
    [
        (
            {
                "conferenceData": {
                    "entryPoints": [
                        {"entryPointType": "phone", "uri": "tel:+1-555-0100"},
                        {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"},
                    ]
                }
            },
            "https://meet.google.com/abc-defg-hij",
        ),
        (
            {"hangoutLink": "https://meet.google.com/xyz-abcd-efg"},
            "https://meet.google.com/xyz-abcd-efg",
        ),
        (
            {"location": "Zoom: https://acme.zoom.us/j/123?pwd=x, or room 4"},
            "https://acme.zoom.us/j/123?pwd=x",
        ),
        (
            {"description": '<a href="https://teams.microsoft.com/l/meetup-join/19%3a">Join</a>'},
            "https://teams.microsoft.com/l/meetup-join/19%3a",
        ),
        ({"location": "Room 4", "description": "http://zoom.us/j/1 (no TLS)"}, ""),
        (
            {
                "conferenceData": {
                    "entryPoints": [{"entryPointType": "video", "uri": "javascript:x"}]
                }
            },
            "",
        ),
    ],
)
def test_the_video_call_link(event: dict[str, Any], link: str) -> None:
    """Meet from Google's conference data first, then a Zoom or Teams link in the text; only
    https links (a page shows it as a link)."""
    assert extras_of(event).video_link == link


@pytest.mark.parametrize(
    "event",
    [
        {"organizer": "boss", "attendees": "everyone", "conferenceData": []},
        {"organizer": {"displayName": "No email"}, "attendees": [None, 3, {"email": ""}]},
        {},
    ],
)
def test_odd_shapes_are_left_out_never_an_error(event: dict[str, Any]) -> None:
    assert extras_of(event) == EventExtras()


def test_text_is_made_storable() -> None:
    extras = extras_of({"organizer": {"email": "a\x00b@acme.example", "displayName": "\ud800X"}})
    assert extras.organizer is not None and "\x00" not in extras.organizer.email
    assert "\ud800" not in extras.organizer.name


@pytest.mark.parametrize(
    ("event", "kept"),
    [
        ({"organizer": {"email": "me@example.com", "self": True}}, False),
        ({"organizer": {"email": "me@example.com", "self": True}, "location": "Room 4"}, False),
        ({"organizer": {"email": "boss@acme.example"}}, True),
        ({"attendees": [{"email": "a@b.example"}]}, True),
        ({"hangoutLink": "https://meet.google.com/x"}, True),
        ({"conferenceData": {"entryPoints": []}}, True),
        ({"description": "Join: https://zoom.us/j/1"}, True),
    ],
)
def test_the_cheap_first_look_keeps_what_may_be_shown(event: dict[str, Any], kept: bool) -> None:
    """The import skips an event with nothing to show (the user's own, no guests, no link)."""
    assert worth_keeping(event) is kept
