"""From validated request bodies to the services' MeetingInput."""

from __future__ import annotations

from typing import Any

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput


def meeting_as_input_values(meeting: Meeting) -> dict[str, Any]:
    """The meeting as MeetingInput keyword values, the base a PATCH is merged onto.

    An all-day meeting contributes no start/end: its stored midnights are a by-product, and a
    PATCH that turns it into a timed meeting must say when it starts and ends."""
    return {
        "subject": meeting.subject,
        "all_day": meeting.all_day,
        "start": None if meeting.all_day else meeting.start,
        "end": None if meeting.all_day else meeting.end,
        "start_date": meeting.start_date,
        "end_date": meeting.end_date,
        "time_zone": meeting.time_zone,
        "description": meeting.description,
        "location": meeting.location,
        "visibility": meeting.visibility,
        "recurrence": list(meeting.recurrence),
    }


def meeting_input(
    *, validated: dict[str, Any], current: Meeting | None = None, partial: bool = False
) -> MeetingInput:
    """POST (no ``current``): the body alone. PUT: the body replaces every field the API
    exposes; recurrence, which the API does not write, is kept. PATCH: the body is merged
    onto the current values."""
    values: dict[str, Any] = {}
    if current is not None:
        kept = meeting_as_input_values(current)
        values = kept if partial else {"recurrence": kept["recurrence"]}
    values.update(validated)
    return MeetingInput(**values)
