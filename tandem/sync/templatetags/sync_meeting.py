"""Why a meeting from Google is read-only, on the meeting's page (``{% read_only_reason %}``).

Two causes, told apart by the link's calendar: a calendar the user can only read
(reader/freeBusyReader), or an event of a type Google keeps to itself (out of office, focus
time, birthday, Gmail-made: tandem/sync/core/event_types.py), which Google refuses to let
other apps change even on the user's own calendar.
"""

from __future__ import annotations

from typing import Any

from django import template

from tandem.meetings.models import Meeting
from tandem.sync.core.event_types import is_read_only
from tandem.sync.models import CalendarSyncState, EventLink

register = template.Library()

READ_ONLY_CALENDAR = (
    "This meeting comes from a Google calendar you can only read, so it cannot be edited or "
    "deleted here."
)
SPECIAL_EVENT = (
    "This is one of the events Google Calendar keeps to itself (out of office, focus time, "
    "a birthday, or an event Gmail made from an email): Google does not let other apps "
    "change it, so it cannot be edited or deleted here. Change it in Google Calendar."
)
_READ_ROLES = frozenset({"reader", "freeBusyReader"})


@register.simple_tag
def read_only_reason(meeting: Meeting) -> str:
    """The sentence that says why ``meeting`` (read-only) cannot be changed in the CRM."""
    link = (
        EventLink.objects.filter(owner_id=meeting.owner_id, meeting_id=meeting.pk)
        .values("google_sub", "calendar_id", "event_type")
        .first()
    )
    if link is None:
        return READ_ONLY_CALENDAR
    if is_read_only(link["event_type"] or "default"):
        return SPECIAL_EVENT  # the type the last listing read (found by review: guessed)
    role = (
        CalendarSyncState.objects.filter(
            owner_id=meeting.owner_id,
            google_sub=link["google_sub"],
            calendar_id=link["calendar_id"],
        )
        .values_list("access_role", flat=True)
        .first()
    )
    return READ_ONLY_CALENDAR if role is None or role in _READ_ROLES or not role else SPECIAL_EVENT


RESPONSE_WORDS = {
    "accepted": "accepted",
    "declined": "declined",
    "tentative": "maybe",
    "needsAction": "has not answered",
}


@register.simple_tag
def google_details(meeting: Meeting) -> dict[str, Any]:
    """What the meeting's Google event shows beyond the six synced fields (organizer,
    guests and their answers, video-call link), as the last sync read it; read-only, never
    written back. Empty for a meeting Google has no event of."""
    extras = (
        EventLink.objects.filter(owner_id=meeting.owner_id, meeting_id=meeting.pk)
        .values_list("extras", flat=True)
        .first()
    ) or {}
    guests = [
        {**guest, "answer": RESPONSE_WORDS.get(guest.get("response", ""), "")}
        for guest in extras.get("attendees", [])
    ]
    return {
        "organizer": extras.get("organizer"),
        "guests": guests,
        "video_link": extras.get("video_link", ""),
    }
