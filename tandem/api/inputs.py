"""From validated request bodies to the services' MeetingInput."""

from __future__ import annotations

from typing import Any

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, input_of


def meeting_as_input_values(meeting: Meeting) -> dict[str, Any]:
    """The meeting as MeetingInput keyword values, the base a PATCH is merged onto
    (``services.input_of``: an all-day meeting contributes no start/end)."""
    return dict(vars(input_of(meeting)))


def meeting_input(
    *, validated: dict[str, Any], current: Meeting | None = None, partial: bool = False
) -> MeetingInput:
    """POST (no ``current``): the body alone. PUT: the body replaces every field the API
    exposes; a body without ``recurrence`` keeps the series' rule. PATCH: the body is
    merged onto the current values."""
    values: dict[str, Any] = {}
    if current is not None:
        kept = meeting_as_input_values(current)
        values = kept if partial else {"recurrence": kept["recurrence"]}
    values.update(validated)
    return MeetingInput(**values)
