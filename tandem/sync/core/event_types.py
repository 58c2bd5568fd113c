"""Google's event types and what the CRM does with each (issue 12, must have 1).

Google limits what a client may change on events that are not ``default`` ("Event types",
https://developers.google.com/workspace/calendar/api/guides/event-types; "Manage focus
time, out of office, and working location events",
https://developers.google.com/workspace/calendar/api/guides/calendar-status), and answers a
refused write with 400 ``eventTypeRestriction``. The rule, for a sales team:

- ``default``: an ordinary meeting, synced both ways.
- ``outOfOffice``, ``focusTime``: read-only busy blocks, titled as Google titles them ("Out
  of office", "Focus time" when the user gave no title). Colleagues planning a customer
  call need to see that the time is taken; nobody needs to edit them from the CRM, and
  Google keeps them tied to its auto-decline and chat status.
- ``workingLocation``: not imported. "Working from home" is no meeting and would cover
  every day of the calendar with an all-day box.
- ``birthday``: read-only all-day meetings: a client's birthday is worth seeing, and Google
  lets only the title, colour and reminders change (a contact's date never).
- ``fromGmail``: read-only. Google lets only reminders, colour, visibility, transparency,
  status and extended properties change; of the CRM's six fields that is visibility
  alone, and a meeting editable for one field only would confuse more than it helps.

Read-only means what it means for a calendar the user can only read: the meeting is
created read-only, Google's copy always wins, and nothing is ever written to the event.
An unknown type (Google adds some now and then) is read-only too: the safe guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT = "default"
NOT_IMPORTED = frozenset({"workingLocation"})
# Google's own label for an untitled event of that type.
TITLES = {"outOfOffice": "Out of office", "focusTime": "Focus time"}


def event_type_of(event: Mapping[str, Any]) -> str:
    """The event's type; Google lists every event with one, and "default" when unset."""
    value = event.get("eventType")
    return value if isinstance(value, str) and value else DEFAULT


def is_read_only(event_type: str) -> bool:
    """Whether the CRM must never write this type: every type but ``default``."""
    return event_type != DEFAULT
