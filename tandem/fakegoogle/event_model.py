"""Event resources: input cleaning, creation, the write bookkeeping, instances and views.

Field list and types: the ``Event`` schema of the discovery document (calendar.v3.json);
write rules: https://developers.google.com/workspace/calendar/api/v3/reference/events.
"""

from __future__ import annotations

import base64
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from tandem.fakegoogle import errors, recurrence
from tandem.fakegoogle.recurrence import Occurrence
from tandem.fakegoogle.store import Calendar, State, StoredEvent
from tandem.fakegoogle.util import etag_for, rfc3339_ms

EVENT_FIELDS = frozenset(
    {
        "anyoneCanAddSelf",
        "attachments",
        "attendees",
        "attendeesOmitted",
        "birthdayProperties",
        "colorId",
        "conferenceData",
        "created",
        "creator",
        "description",
        "end",
        "endTimeUnspecified",
        "etag",
        "eventLabelId",
        "eventType",
        "extendedProperties",
        "focusTimeProperties",
        "gadget",
        "guestsCanInviteOthers",
        "guestsCanModify",
        "guestsCanSeeOtherGuests",
        "hangoutLink",
        "htmlLink",
        "iCalUID",
        "id",
        "kind",
        "location",
        "locked",
        "organizer",
        "originalStartTime",
        "outOfOfficeProperties",
        "privateCopy",
        "recurrence",
        "recurringEventId",
        "reminders",
        "sequence",
        "source",
        "start",
        "status",
        "summary",
        "transparency",
        "updated",
        "visibility",
        "workingLocationProperties",
    }
)
# Set by the server; a client's values for these are ignored (not an error, as on Google).
SERVER_FIELDS = frozenset(
    {
        "kind",
        "etag",
        "created",
        "updated",
        "htmlLink",
        "creator",
        "organizer",
        "hangoutLink",
        "recurringEventId",
        "originalStartTime",
        "sequence",
    }
)
ENUMS = {
    "status": {"confirmed", "tentative", "cancelled"},
    "visibility": {"default", "public", "private", "confidential"},
    "transparency": {"opaque", "transparent"},
    "eventType": {
        "default",
        "birthday",
        "focusTime",
        "fromGmail",
        "outOfOffice",
        "workingLocation",
    },
}
TIME_FIELDS = ("start", "end", "recurrence")


def clean_body(body: Any) -> dict[str, Any]:
    """Known Event fields only, with Google's 400s for values of the wrong shape."""
    if not isinstance(body, dict):
        raise errors.bad_request("Parse Error", reason="parseError")
    cleaned = {k: v for k, v in body.items() if k in EVENT_FIELDS}
    for name, allowed in ENUMS.items():
        if cleaned.get(name) is not None and cleaned[name] not in allowed:
            raise errors.invalid(f"Invalid value for: {name}")
    for name in ("summary", "description", "location", "colorId"):
        if cleaned.get(name) is not None and not isinstance(cleaned[name], str):
            raise errors.invalid(f"Invalid value for: {name}")
    _check_extended_properties(cleaned.get("extendedProperties"))
    _check_reminders(cleaned.get("reminders"))
    for attendee in cleaned.get("attendees") or []:
        if not isinstance(attendee, dict) or not attendee.get("email"):
            raise errors.required("Missing attendee email.")
    return cleaned


def _check_extended_properties(value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or set(value) - {"private", "shared"}:
        raise errors.invalid("Invalid value for: extendedProperties")
    for bag in value.values():
        if bag is None:
            continue
        if not isinstance(bag, dict) or not all(isinstance(v, str | None) for v in bag.values()):
            raise errors.invalid("Invalid value for: extendedProperties")


def _check_reminders(value: Any) -> None:
    if value is None:
        return
    overrides = value.get("overrides") or [] if isinstance(value, dict) else None
    if overrides is None or len(overrides) > 5:
        raise errors.invalid("Invalid value for: reminders")
    for item in overrides:
        minutes = item.get("minutes") if isinstance(item, dict) else None
        if (
            item.get("method") not in ("email", "popup")
            or not isinstance(minutes, int)
            or not 0 <= minutes <= 40320
        ):
            raise errors.invalid("Invalid value for: reminders.overrides")


def drop_nulls(resource: dict[str, Any]) -> dict[str, Any]:
    """Google never stores a null; in extended properties a null removes the key."""
    result = {k: v for k, v in resource.items() if v is not None}
    props = result.get("extendedProperties")
    if isinstance(props, dict):
        result["extendedProperties"] = {
            bag: {k: v for k, v in (values or {}).items() if v is not None}
            for bag, values in props.items()
            if values is not None
        }
    return result


def merge_patch(current: Any, patch: Any) -> Any:
    """Patch semantics: objects merge recursively, arrays are replaced, null removes a key."""
    if not isinstance(current, dict) or not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(current.get(key), value)
    return merged


def people(calendar: Calendar, actor: str, state: State) -> tuple[dict[str, Any], dict[str, Any]]:
    """(organizer, creator): a secondary calendar organises its own events (observed)."""
    owner = state.accounts.get(calendar.owner_email)
    if calendar.id == calendar.owner_email:
        organizer: dict[str, Any] = {"email": calendar.id, "self": True}
        if owner and owner.name:
            organizer["displayName"] = owner.name
    else:
        organizer = {"email": calendar.id, "displayName": calendar.summary, "self": True}
    creator: dict[str, Any] = {"email": actor}
    if actor == calendar.owner_email:
        creator["self"] = True
    return organizer, creator


def html_link(base_url: str, calendar_id: str, event_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"{base_url}/calendar/event?eid={eid}"


def stamp(state: State, resource: dict[str, Any], now: datetime) -> int:
    """Fresh ``updated`` and ``etag`` for a write; returns the change sequence."""
    seq = state.next_seq()
    resource["updated"] = rfc3339_ms(now)
    resource["etag"] = etag_for(now, seq)
    return seq


def time_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return any(before.get(f) != after.get(f) for f in TIME_FIELDS)


def complete_and_validate(resource: dict[str, Any], calendar: Calendar) -> None:
    """Google's defaults for a written event, then its 400s for bad times or rules."""
    from tandem.fakegoogle.timeutil import validate_times

    if resource.get("attendees"):
        # Google answers every attendee with a response status, needsAction until they reply.
        resource["attendees"] = [
            {**attendee, "responseStatus": attendee.get("responseStatus") or "needsAction"}
            for attendee in resource["attendees"]
        ]
    recurring = bool(resource.get("recurrence")) and not resource.get("recurringEventId")
    validate_times(resource, recurring=recurring)
    if recurring:
        recurrence.validate(resource, calendar.time_zone)
    _with_offsets(resource, calendar.time_zone)


def _with_offsets(resource: dict[str, Any], calendar_tz: str) -> None:
    """Google answers every dateTime in RFC 3339 with an offset, also when it was written
    without one (the discovery document's date-time format), and that offset is the
    calendar's zone's, even where ``timeZone`` names another (events recorded from real
    Google: an event planned in America/New_York on a Europe/Berlin calendar comes back as
    ``15:00:00+01:00`` with ``timeZone: America/New_York``). Clients must read the instant
    and take the zone from ``timeZone``."""
    for key in ("start", "end", "originalStartTime"):
        value = resource.get(key)
        if isinstance(value, dict) and value.get("dateTime"):
            value["dateTime"] = _in_calendar_offset(value, calendar_tz)


def _in_calendar_offset(value: dict[str, Any], calendar_tz: str) -> str:
    from tandem.fakegoogle.timeutil import local_iso, zone

    written = datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    if written.tzinfo is None:
        own = zone(str(value.get("timeZone") or calendar_tz))
        written = written.replace(tzinfo=own or UTC)
    return local_iso(written.astimezone(zone(calendar_tz) or UTC))


# --- recurring instances --------------------------------------------------------------


def instance_id(state: State, calendar: Calendar, series_id: str, key: str) -> str:
    """An instance id as Google writes them today: ``<series id>_<original start>``, the
    start as ``YYYYMMDDTHHMMSSZ`` (UTC) or ``YYYYMMDD`` for all-day series (the events
    reference, https://developers.google.com/workspace/calendar/api/v3/reference/events,
    and recordings). Google warns the format may change, so clients must not parse it; the
    emulator keeps its own map from id to (series, start) and never parses it either."""
    iid = f"{series_id}_{key}"
    calendar.instance_ids.setdefault(iid, [series_id, key])
    return iid


def instance_resource(
    state: State, calendar: Calendar, series: dict[str, Any], occ: Occurrence
) -> dict[str, Any]:
    resource = {k: v for k, v in series.items() if k != "recurrence"}
    resource["id"] = instance_id(state, calendar, series["id"], occ.key)
    resource["start"] = dict(occ.start)
    resource["end"] = dict(occ.end)
    resource["originalStartTime"] = dict(occ.original_start)
    _with_offsets(resource, calendar.time_zone)
    resource["recurringEventId"] = series["id"]
    return resource


def key_moment(key: str) -> datetime:
    if "T" in key:
        return datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(key, "%Y%m%d").replace(tzinfo=UTC)


def find_occurrence(series: dict[str, Any], calendar: Calendar, key: str) -> Occurrence | None:
    moment = key_moment(key)
    # A timed key is the instant itself; a date is a day in the calendar's zone, near UTC's.
    timed = "T" in key
    candidates = recurrence.expand(
        series,
        calendar_tz=calendar.time_zone,
        window_start=None,
        window_end=moment + (timedelta(seconds=1) if timed else timedelta(days=2)),
        start_from=moment if timed else moment - timedelta(days=1),
    ).occurrences
    return next((occ for occ in candidates if occ.key == key), None)


def virtual_instance(
    state: State, calendar: Calendar, event_id: str
) -> tuple[StoredEvent, Occurrence] | None:
    """A not-yet-materialised instance of a series, by its opaque id."""
    known = calendar.instance_ids.get(event_id)
    if not known:
        return None
    series = calendar.events.get(known[0])
    if series is None or not series.resource.get("recurrence"):
        return None
    occ = find_occurrence(series.resource, calendar, known[1])
    return (series, occ) if occ else None


def exceptions_of(calendar: Calendar, series_id: str) -> dict[str, StoredEvent]:
    """Stored exceptions of a series, keyed by original start key."""
    result = {}
    for stored in calendar.events.values():
        resource = stored.resource
        if resource.get("recurringEventId") == series_id:
            original = resource["originalStartTime"]
            if original.get("date"):
                key = original["date"].replace("-", "")
            else:
                moment = datetime.fromisoformat(original["dateTime"].replace("Z", "+00:00"))
                key = recurrence.occurrence_key(moment, False)
            result[key] = stored
    return result


# --- what a caller sees ---------------------------------------------------------------

MINIMAL_FIELDS = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
BUSY_FIELDS = (
    "kind",
    "etag",
    "id",
    "status",
    "start",
    "end",
    "recurringEventId",
    "originalStartTime",
    "visibility",
    "transparency",
    "iCalUID",
    "eventType",
)


def tombstone(resource: dict[str, Any]) -> dict[str, Any]:
    """A deleted event as incremental sync shows it without showDeleted: only its identity."""
    return {k: resource[k] for k in MINIMAL_FIELDS if k in resource}


def view(resource: dict[str, Any], *, role: str, viewer: str, calendar: Calendar) -> dict[str, Any]:
    """Free/busy readers, and readers of someone else's private event, see only busy time."""
    if role == "freeBusyReader" or (
        role == "reader"
        and resource.get("visibility") in ("private", "confidential")
        and viewer != calendar.owner_email
    ):
        return {k: resource[k] for k in BUSY_FIELDS if k in resource}
    return resource
