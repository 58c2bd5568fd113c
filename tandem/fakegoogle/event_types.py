"""What Google lets a client do with each ``eventType`` (issue 12, must have 2).

Sources:
- "Event types", https://developers.google.com/workspace/calendar/api/guides/event-types:
  birthdays are all-day events of exactly one day, ``visibility`` private, ``transparency``
  transparent, recurrence ``RRULE:FREQ=YEARLY`` (29 February:
  ``RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1``), with a ``colorId``, ``summary`` and
  ``reminders`` and no other property; only those three can be updated, and the dates only
  of a birthday that is neither a contact's nor the user's own. ``fromGmail`` events cannot
  be created through the API; updates may touch only the properties listed in
  ``_CHANGEABLE["fromGmail"]``, as the Workspace blog of 2024-05-30 announced
  (https://workspaceupdates.googleblog.com/2024/05/google-calendar-api-event-type-fromgmail.html:
  "restricted to the properties reminders, colorId, visibility, status, and
  extendedProperties"; the guide adds transparency). The type of an event never changes.
- "Manage focus time, out of office, and working location events",
  https://developers.google.com/workspace/calendar/api/guides/calendar-status: only on
  primary calendars; focus time and out of office are timed (never all-day), opaque, and
  carry their ``focusTimeProperties`` / ``outOfOfficeProperties``; working location is
  public, transparent, carries ``workingLocationProperties``; an update must keep these.

Google's refusal, as a client logged it (kellylford/QuickMail issue 294): 400, domain
``calendar``, reason ``eventTypeRestriction``, "Attempt made to modify 'birthday' event in
a way that is not valid for this event type." The same body answers every refusal here.

Events a client cannot create (``fromGmail``, a contact's birthday) are made through the
control API's seeding path (``FakeGoogle.seed_event``), which skips ``check_create``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tandem.fakegoogle.errors import ApiError

_BIRTHDAY_RULES = (["RRULE:FREQ=YEARLY"], ["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1"])
_STATUS_PROPERTIES = {
    "focusTime": "focusTimeProperties",
    "outOfOffice": "outOfOfficeProperties",
    "workingLocation": "workingLocationProperties",
}
# Fields the server keeps or sets, never "changed" by a client's write.
_KEPT = frozenset(
    {
        "kind",
        "etag",
        "id",
        "created",
        "updated",
        "htmlLink",
        "creator",
        "organizer",
        "iCalUID",
        "sequence",
        "eventType",
        "recurringEventId",
        "originalStartTime",
        "birthdayProperties",
    }
)
_CHANGEABLE: dict[str, frozenset[str]] = {
    "fromGmail": frozenset(
        {"reminders", "colorId", "visibility", "transparency", "status", "extendedProperties"}
    ),
    "birthday": frozenset({"colorId", "summary", "reminders", "start", "end"}),
}
_BIRTHDAY_FIELDS = frozenset(
    {"eventType", "start", "end", "visibility", "transparency", "recurrence", "status"}
    | {"colorId", "summary", "reminders", "birthdayProperties", "id", "iCalUID"}
)


def restriction(event_type: str) -> ApiError:
    return ApiError(
        400,
        "eventTypeRestriction",
        f"Attempt made to modify '{event_type}' event in a way that is not valid for this "
        "event type.",
        domain="calendar",
    )


def type_of(resource: dict[str, Any]) -> str:
    return str(resource.get("eventType") or "default")


def check_create(resource: dict[str, Any], *, primary: bool) -> None:
    """events.insert of a special type: Google's specification of each, or its 400."""
    kind = type_of(resource)
    if kind == "fromGmail":
        # "Google Calendar API doesn't allow creating this event type using the insert
        # method" (Event types guide).
        raise restriction(kind)
    if kind == "birthday":
        _check_birthday(resource)
        properties = resource.get("birthdayProperties") or {}
        if properties.get("contact") or properties.get("type", "birthday") != "birthday":
            # Contact and profile birthdays come from Google Contacts, never from a client.
            raise restriction(kind)
    if kind in _STATUS_PROPERTIES:
        if not primary:
            raise restriction(kind)  # "only available on primary calendars"
        _check_status_event(resource)


def check_write(before: dict[str, Any], after: dict[str, Any], *, event_type_sent: Any) -> None:
    """events.update/patch: the type stays, and only what the type allows changes."""
    kind = type_of(before)
    if event_type_sent is not None and event_type_sent != kind:
        raise restriction(kind)  # "Event type cannot be changed after an event is created"
    changed = {
        key
        for key in set(before) | set(after)
        if key not in _KEPT and before.get(key) != after.get(key)
    }
    allowed = _CHANGEABLE.get(kind)
    if allowed is not None and not changed <= allowed:
        raise restriction(kind)
    if kind == "birthday":
        if changed & {"start", "end"} and _from_contacts(before):
            raise restriction(kind)
        _check_birthday(after)
    if kind in _STATUS_PROPERTIES:
        _check_status_event(after)


def check_delete(resource: dict[str, Any]) -> None:
    """A contact's or the user's own birthday goes away in Google Contacts, not here."""
    if type_of(resource) == "birthday" and _from_contacts(resource):
        raise restriction("birthday")


def _from_contacts(resource: dict[str, Any]) -> bool:
    properties = resource.get("birthdayProperties") or {}
    return bool(properties.get("contact")) or properties.get("type") == "self"


def _check_birthday(resource: dict[str, Any]) -> None:
    start, end = resource.get("start") or {}, resource.get("end") or {}
    try:
        one_day = (date.fromisoformat(end["date"]) - date.fromisoformat(start["date"])).days == 1
    except (KeyError, TypeError, ValueError):
        one_day = False
    if (
        not one_day
        or resource.get("visibility") != "private"
        or resource.get("transparency") != "transparent"
        or (resource.get("recurrence") not in _BIRTHDAY_RULES and not _instance(resource))
        or set(resource) - _BIRTHDAY_FIELDS - _KEPT
    ):
        raise restriction("birthday")


def _instance(resource: dict[str, Any]) -> bool:
    """One occurrence of a series carries no rule of its own."""
    return bool(resource.get("recurringEventId"))


def _check_status_event(resource: dict[str, Any]) -> None:
    kind = type_of(resource)
    start = resource.get("start") or {}
    if not isinstance(resource.get(_STATUS_PROPERTIES[kind]), dict):
        raise restriction(kind)
    if kind == "workingLocation":
        if resource.get("visibility") != "public" or resource.get("transparency") != (
            "transparent"
        ):
            raise restriction(kind)
        return
    # Focus time and out of office "can't be all-day events" and are opaque.
    if start.get("date") or resource.get("transparency", "opaque") != "opaque":
        raise restriction(kind)
