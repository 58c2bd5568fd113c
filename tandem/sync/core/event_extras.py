"""What a Google event shows beyond the six mapped fields (issue 12, must have 8): its
organizer, its attendees with their responses, and its video-call link. Read only: the sync
never writes these back (``mapping`` builds bodies of mapped fields only), and a CRM edit
leaves them in Google byte for byte (tests/sync/test_rules_google_extras.py).

Sources, the Events reference (https://developers.google.com/workspace/calendar/api/v3/reference/events):
``organizer`` {email, displayName, self}; ``attendees[]`` {email, displayName, organizer,
self, optional, resource, responseStatus: needsAction | declined | tentative | accepted};
``conferenceData.entryPoints[]`` with ``entryPointType`` "video" and its ``uri``, and the
older ``hangoutLink``. A Zoom or Teams meeting made outside Google is only a link in the
location or the description: the first such link is taken.

Pure and forgiving: a value of the wrong shape is left out, never an error (these are for
display; a malformed attendee must not stop an event from syncing). Text is made storable
as every text from Google is (``storable.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tandem.sync.core.storable import storable_text

RESPONSES = ("accepted", "declined", "tentative", "needsAction")
MAX_ATTENDEES = 200  # Google lists at most maxAttendees; a page needs no more
_TEXT_LIMIT = 320  # an email address is at most 254 characters; names are kept short too
_MEETING_LINK = re.compile(
    r"https://(?:[\w-]+\.)*(?:zoom\.us|teams\.microsoft\.com|teams\.live\.com|meet\.google\.com)"
    r"/[^\s<>\"')\]]+",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""


@dataclass(frozen=True)
class Attendee:
    person: Person
    response: str  # one of RESPONSES
    optional: bool = False
    organizer: bool = False


@dataclass(frozen=True)
class EventExtras:
    organizer: Person | None = None
    attendees: tuple[Attendee, ...] = ()
    video_link: str = ""


def extras_of(event: Mapping[str, Any]) -> EventExtras:
    """The organizer, attendees and video-call link of a listed event, as far as readable."""
    attendees = event.get("attendees")
    return EventExtras(
        organizer=_person(event.get("organizer")),
        attendees=tuple(
            attendee
            for attendee in (
                _attendee(raw) for raw in (attendees if isinstance(attendees, list) else [])
            )
            if attendee is not None
        )[:MAX_ATTENDEES],
        video_link=_video_link(event),
    )


def _text(value: Any) -> str:
    return storable_text(value).text[:_TEXT_LIMIT].strip() if isinstance(value, str) else ""


def _person(raw: Any) -> Person | None:
    if not isinstance(raw, Mapping):
        return None
    email = _text(raw.get("email"))
    if not email:
        return None
    return Person(email=email, name=_text(raw.get("displayName")))


def _attendee(raw: Any) -> Attendee | None:
    person = _person(raw)
    if person is None or not isinstance(raw, Mapping) or raw.get("resource") is True:
        return None  # a room or a projector is no attendee to show
    response = raw.get("responseStatus")
    return Attendee(
        person=person,
        response=response if response in RESPONSES else "needsAction",
        optional=raw.get("optional") is True,
        organizer=raw.get("organizer") is True,
    )


def _video_link(event: Mapping[str, Any]) -> str:
    conference = event.get("conferenceData")
    if isinstance(conference, Mapping) and isinstance(conference.get("entryPoints"), list):
        for entry in conference["entryPoints"]:
            if isinstance(entry, Mapping) and entry.get("entryPointType") == "video":
                uri = _text(entry.get("uri"))
                if uri.startswith("https://"):
                    return uri
    hangout = _text(event.get("hangoutLink"))
    if hangout.startswith("https://"):
        return hangout
    for field in ("location", "description"):
        found = _MEETING_LINK.search(_text_whole(event.get(field)))
        if found:
            return found.group(0).rstrip(".,;:!?")  # the sentence's, not the link's
    return ""


def _text_whole(value: Any) -> str:
    return storable_text(value).text if isinstance(value, str) else ""


def extras_json(extras: EventExtras) -> dict[str, Any]:
    """``extras`` as stored on the event's link: empty when the event shows none of them."""
    stored: dict[str, Any] = {}
    if extras.organizer is not None:
        stored["organizer"] = {"email": extras.organizer.email, "name": extras.organizer.name}
    if extras.attendees:
        stored["attendees"] = [
            {
                "email": attendee.person.email,
                "name": attendee.person.name,
                "response": attendee.response,
                "optional": attendee.optional,
                "organizer": attendee.organizer,
            }
            for attendee in extras.attendees
        ]
    if extras.video_link:
        stored["video_link"] = extras.video_link
    return stored


def worth_keeping(event: Mapping[str, Any]) -> bool:
    """Whether the event may show something beyond the six fields that is worth keeping: a
    cheap look first, so the common event (the user's own, no guests, no link) costs the
    import next to nothing. Its own organizer alone is not kept: the page shows the
    meeting is the user's."""
    if event.get("attendees") or event.get("conferenceData") or event.get("hangoutLink"):
        return True
    organizer = event.get("organizer")
    if isinstance(organizer, Mapping) and organizer.get("email") and not organizer.get("self"):
        return True
    return any(
        isinstance(text, str) and "https://" in text
        for text in (event.get("location"), event.get("description"))
    )
