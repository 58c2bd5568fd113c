"""What the meeting page shows of a Google event beyond the six fields, as the link stores
it (``extras_json``, read back by the page and the API), and the edges of the video-call
link and of the import's cheap first look. Written after mutation testing
(docs/testing.md)."""

from __future__ import annotations

from tandem.sync.core.event_extras import (
    Attendee,
    EventExtras,
    Person,
    extras_json,
    extras_of,
    worth_keeping,
)


def test_extras_are_stored_with_every_value_the_page_shows() -> None:
    extras = EventExtras(
        organizer=Person("boss@acme.example", "The Boss"),
        attendees=(
            Attendee(Person("boss@acme.example", "The Boss"), "accepted", organizer=True),
            Attendee(Person("ann@client.example"), "tentative", optional=True),
        ),
        video_link="https://meet.google.com/abc-defg-hij",
    )
    assert extras_json(extras) == {
        "organizer": {"email": "boss@acme.example", "name": "The Boss"},
        "attendees": [
            {
                "email": "boss@acme.example",
                "name": "The Boss",
                "response": "accepted",
                "optional": False,
                "organizer": True,
            },
            {
                "email": "ann@client.example",
                "name": "",
                "response": "tentative",
                "optional": True,
                "organizer": False,
            },
        ],
        "video_link": "https://meet.google.com/abc-defg-hij",
    }


def test_an_event_showing_nothing_stores_nothing() -> None:
    assert extras_json(EventExtras()) == {}
    assert extras_json(EventExtras(video_link="https://zoom.us/j/1")) == {
        "video_link": "https://zoom.us/j/1"
    }


def test_the_video_link_is_the_video_entry_not_the_dial_in_page() -> None:
    """Google lists a "more" entry point (the dial-in numbers page, an https link) beside
    the video one; the video one is the meeting's link."""
    event = {
        "conferenceData": {
            "entryPoints": [
                {"entryPointType": "more", "uri": "https://tel.meet/abc-defg-hij?pin=1"},
                {"entryPointType": "video", "uri": "https://meet.google.com/abc-defg-hij"},
            ]
        }
    }
    assert extras_of(event).video_link == "https://meet.google.com/abc-defg-hij"


def test_only_the_sentences_punctuation_is_cut_from_a_link_in_text() -> None:
    event = {"description": "Join at https://acme.zoom.us/j/9?pwd=QX. Thanks!"}
    assert extras_of(event).video_link == "https://acme.zoom.us/j/9?pwd=QX"


def test_a_link_in_the_location_alone_is_worth_keeping() -> None:
    assert worth_keeping({"location": "https://acme.zoom.us/j/9"})
    assert not worth_keeping({"location": "Room 4", "description": "Bring slides"})
