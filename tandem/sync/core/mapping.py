"""Google event JSON ⇄ ``MeetingFields``.

Source of truth: google-calendar-api.md §2.5 (Event resource) and §2.6 (ETags). Choices:

- A missing or blank ``summary`` becomes the subject ``(No title)`` (Google's own label;
  "Out of office", "Focus time" for those types, as Google shows them: event_types.py);
  the subject is written back only if the CRM changes it.
- ``description`` may hold HTML and is kept verbatim: escaping is the web layer's job.
- Text is made storable first (``storable.py``: NUL and control characters removed, lone
  surrogates replaced), then over-long text is cut to the Meeting model's limits; each
  change is a warning of the reading. Every value a problem or a warning quotes is made
  storable too, since the run record keeps them. A malformed event's problem names it by
  its title, so the user can find it.
- A ``dateTime`` without ``timeZone`` takes the calendar's zone (``default_zone``); an end
  in another zone than the start is re-expressed in the start's zone (one zone per meeting).
- An event that ends before it starts cannot be a Meeting: it is malformed. One that ends
  when it starts (zero length: reminders, deadlines) is valid in Google and is a meeting
  (issue 12). ``endTimeUnspecified`` events carry an end "for compatibility reasons"
  (https://developers.google.com/workspace/calendar/api/v3/reference/events): it is read
  as it is, and never written back unless the CRM changes the bounds.
- Writes carry mapped fields only, never attendees, reminders or conference data.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import msgspec

from tandem.sync.core.event_types import TITLES, event_type_of
from tandem.sync.core.fields import (
    DESCRIPTION_MAX_LENGTH,
    FIELD_NAMES,
    LOCATION_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    VISIBILITY_BY_NAME,
    FieldName,
    FieldValue,
    InvalidFields,
    MeetingFields,
    Moment,
    TimedMoment,
    is_time_zone,
)
from tandem.sync.core.identity import MARKER_KEY
from tandem.sync.core.storable import is_storable, quoted, storable_text

UNTITLED = "(No title)"
TITLE_QUOTED = 80  # characters of a title quoted in a problem
Event = dict[str, Any]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_RECURRENCE_KINDS = ("RRULE", "EXRULE", "RDATE", "EXDATE")
Bad = Callable[[str], "MalformedEvent"]


class MalformedEvent(ValueError):
    """An event the CRM cannot represent; ``reason`` is fit to show to the user."""

    def __init__(self, event_id: str | None, reason: str) -> None:
        super().__init__(f"Event {event_id or '(no id)'}: {reason}")
        self.event_id = event_id
        self.reason = reason


class EventReading(msgspec.Struct, frozen=True):
    """What the engine needs from one listed event. ``fields`` is None for cancelled ones
    (Google only guarantees their ``id``)."""

    event_id: str
    etag: str
    cancelled: bool
    fields: MeetingFields | None
    updated: datetime | None
    marker: str | None
    warnings: tuple[str, ...] = ()
    occurrence: OccurrenceOf | None = None
    event_type: str = "default"  # Google's eventType (core/event_types.py)


class OccurrenceOf(msgspec.Struct, frozen=True):
    """What makes a listed event one occurrence of a recurring event: Google lists a changed
    or cancelled occurrence (an "exception") as an event of its own, with the series' id and
    the start the occurrence had in the series (§2.5 ``recurringEventId``,
    ``originalStartTime``)."""

    series_event_id: str
    original_start: Moment


def read_event(event: Mapping[str, Any], *, default_zone: str = "UTC") -> EventReading:
    """Reads a listed event; raises ``MalformedEvent`` for a live event the CRM cannot hold."""
    event_id = event.get("id")
    # An id that cannot be stored cannot be linked either: as good as none (Google's own ids
    # are base32hex; this is the defence against a hostile or broken answer).
    if not isinstance(event_id, str) or not event_id or not is_storable(event_id):
        raise MalformedEvent(None, "The event has no id.")
    cancelled = event.get("status") == "cancelled"
    warnings: list[str] = []
    try:
        fields = None if cancelled else _fields(event, event_id, default_zone, warnings)
        occurrence = _occurrence(event, event_id, default_zone, cancelled=cancelled)
    except MalformedEvent as error:
        raise _titled(error, event) from None
    return EventReading(
        event_id=event_id,
        etag=str(event.get("etag", "")),
        cancelled=cancelled,
        fields=fields,
        updated=_timestamp(event.get("updated")),
        # An occurrence carries its series' extended properties, so our marker in it names
        # the series' meeting, not a meeting of its own.
        marker=None if occurrence else _marker(event),
        warnings=tuple(warnings),
        occurrence=occurrence,
        event_type=event_type_of(event),
    )


def _titled(error: MalformedEvent, event: Mapping[str, Any]) -> MalformedEvent:
    """The problem named by the event's title (shortened, storable), as the user knows it:
    an event id means nothing to a person. Never a private event's title: the problem
    reaches the run's record, which operators and admins read too (DESIGN.md §3: private
    meetings are "Busy" to everyone but their owner)."""
    if event.get("visibility") in ("private", "confidential"):
        return MalformedEvent(error.event_id, f"A private event: {error.reason}")
    title = event.get("summary")
    title = quoted(title, TITLE_QUOTED).strip() if isinstance(title, str) else ""
    if not title:
        return error
    return MalformedEvent(error.event_id, f"“{title}”: {error.reason}")


def _occurrence(
    event: Mapping[str, Any], event_id: str, default_zone: str, *, cancelled: bool
) -> OccurrenceOf | None:
    """The occurrence a listed event stands for, if it is one. A live one without a readable
    original start cannot be placed in its series: malformed. A cancelled one is then left
    alone (None): it only ever hides an occurrence."""
    series_event_id = event.get("recurringEventId")
    if not isinstance(series_event_id, str) or not series_event_id:
        return None
    raw = event.get("originalStartTime")
    try:
        if not isinstance(raw, Mapping) or not raw:
            raise MalformedEvent(event_id, "The occurrence has no original start.")
        original = _moment(
            raw,
            "original start",
            lambda reason: MalformedEvent(event_id, reason),
            zone=None,
            default_zone=default_zone,
        )
    except MalformedEvent:
        if cancelled:
            return None
        raise
    return OccurrenceOf(series_event_id=series_event_id, original_start=original)


def fields_from_event(event: Mapping[str, Any], *, default_zone: str = "UTC") -> MeetingFields:
    """The mapped fields of a live event; raises ``MalformedEvent`` (also for cancelled ones)."""
    event_id = event.get("id") if isinstance(event.get("id"), str) else None
    return _fields(event, event_id, default_zone, [])


def series_start(event: Mapping[str, Any], *, default_zone: str = "UTC") -> Moment | None:
    """The start a listed recurring event (a series, not one of its occurrences) has in
    Google now, live or cancelled: the organizer's copy of a deleted event keeps its details
    so that it can be undeleted (Events reference, ``status``,
    https://developers.google.com/workspace/calendar/api/v3/reference/events). Google only
    guarantees a deleted event's ``id``, so None when the event names no readable start (or
    is no series)."""
    if not event.get("recurrence") or event.get("recurringEventId"):
        return None
    raw = event.get("start")
    if not isinstance(raw, Mapping) or not raw:
        return None
    try:
        return _moment(
            raw,
            "start",
            lambda reason: MalformedEvent(None, reason),
            zone=None,
            default_zone=default_zone,
        )
    except (MalformedEvent, InvalidFields):
        return None


def event_body_from_fields(fields: MeetingFields, *, meeting_marker: str | None) -> Event:
    """The body of an ``events.insert``; the caller adds the client-chosen ``id``."""
    body: Event = {
        "summary": fields.subject,
        "start": _moment_json(fields.start, for_patch=False),
        "end": _moment_json(fields.end, for_patch=False),
        "description": fields.description,
        "location": fields.location,
        "visibility": fields.visibility,
    }
    if fields.recurrence:
        body["recurrence"] = list(fields.recurrence)
    if meeting_marker is not None:
        body["extendedProperties"] = {"private": {MARKER_KEY: meeting_marker}}
    return body


def patch_from_changes(changed_fields: Mapping[FieldName, FieldValue]) -> Event:
    """The body of an ``events.patch`` setting exactly ``changed_fields``.

    PATCH merges objects, so a bound switching between timed and all-day nulls the other
    key (a ``null`` removes it). Pass ``start`` and ``end`` together (``changes_between``
    does): Google validates the pair.
    """
    patch: Event = {}
    for name, value in changed_fields.items():
        if name in ("start", "end"):
            if not isinstance(value, TimedMoment | date) or isinstance(value, datetime):
                raise TypeError(f"{name} must be a TimedMoment or a date, not {value!r}.")
            patch[name] = _moment_json(value, for_patch=True)
        elif name == "recurrence":
            if not isinstance(value, tuple):
                raise TypeError("recurrence must be a tuple of lines.")
            patch["recurrence"] = list(value)
        elif name in FIELD_NAMES:
            if not isinstance(value, str):
                raise TypeError(f"{name} must be text, not {value!r}.")
            patch["summary" if name == "subject" else name] = value
        else:
            raise KeyError(f"{name!r} is not a mapped field.")
    return patch


def restore_patch(fields: MeetingFields, names: Iterable[FieldName] = FIELD_NAMES) -> Event:
    """Undeletes a cancelled event (its organizer's copy keeps its id) with ``fields``: those
    ``names`` of them (an instance of a recurring event takes no rule of its own)."""
    return {"status": "confirmed", **patch_from_changes({n: fields.value(n) for n in names})}


def _fields(
    event: Mapping[str, Any], event_id: str | None, default_zone: str, warnings: list[str]
) -> MeetingFields:
    def bad(reason: str) -> MalformedEvent:
        return MalformedEvent(event_id, reason)

    start, end = _bounds(event, bad, default_zone)
    recurrence = event.get("recurrence") or []
    if not isinstance(recurrence, list) or not all(isinstance(x, str) for x in recurrence):
        raise bad("The recurrence is not a list of lines.")
    for line in recurrence:
        if re.split(r"[:;]", line.strip(), maxsplit=1)[0].upper() not in _RECURRENCE_KINDS:
            raise bad(f"Unknown recurrence line “{quoted(line, 80)}”.")
    recurrence = _storable_lines(recurrence, warnings)
    raw_visibility = event.get("visibility") or "default"
    visibility = VISIBILITY_BY_NAME.get(str(raw_visibility))
    if visibility is None:
        warnings.append(f"Unknown visibility “{quoted(raw_visibility, 40)}” read as default.")
        visibility = "default"
    untitled = TITLES.get(event_type_of(event), UNTITLED)
    subject = _text(event, "summary", SUBJECT_MAX_LENGTH, warnings).strip() or untitled
    try:
        return MeetingFields(
            subject=subject,
            start=start,
            end=end,
            description=_text(event, "description", DESCRIPTION_MAX_LENGTH, warnings),
            location=_text(event, "location", LOCATION_MAX_LENGTH, warnings),
            visibility=visibility,
            recurrence=tuple(recurrence),
        )
    except InvalidFields as error:
        raise bad(str(error)) from error


def _text(event: Mapping[str, Any], key: str, limit: int, warnings: list[str]) -> str:
    value = event.get(key)
    if value is None:
        return ""
    text = str(value)
    if not is_storable(text):
        cleaned = storable_text(text)
        warnings.append(cleaned.describe(f"the {key}"))
        text = cleaned.text
    if len(text) > limit:
        warnings.append(f"The {key} was cut from {len(text)} to {limit} characters.")
        text = text[:limit]
    return text


def _storable_lines(lines: list[str], warnings: list[str]) -> list[str]:
    """Recurrence lines as they can be stored (they are stored as JSON, NUL excluded)."""
    if all(is_storable(line) for line in lines):
        return lines
    cleaned = [storable_text(line) for line in lines]
    warnings.extend(line.describe("the recurrence") for line in cleaned if line.changed)
    return [line.text for line in cleaned]


def _bounds(event: Mapping[str, Any], bad: Bad, default_zone: str) -> tuple[Moment, Moment]:
    raw_start, raw_end = event.get("start"), event.get("end")
    if not isinstance(raw_start, Mapping) or not raw_start:
        raise bad("The event has no start.")
    if not isinstance(raw_end, Mapping) or not raw_end:
        raise bad("The event has no end.")
    start = _moment(raw_start, "start", bad, zone=None, default_zone=default_zone)
    zone = start.zone if isinstance(start, TimedMoment) else None
    end = _moment(raw_end, "end", bad, zone=zone, default_zone=default_zone)
    if isinstance(start, TimedMoment) != isinstance(end, TimedMoment):
        raise bad("The start and the end mix a date and a date-time.")
    if isinstance(start, TimedMoment) and isinstance(end, TimedMoment):
        if end.at < start.at:
            raise bad("The event ends before it starts.")
    elif isinstance(start, date) and isinstance(end, date) and end <= start:
        raise bad("The all-day event ends (exclusive) on or before its first day.")
    return start, end


def _moment(
    raw: Mapping[str, Any], name: str, bad: Bad, *, zone: str | None, default_zone: str
) -> Moment:
    has_date, has_time = raw.get("date") is not None, raw.get("dateTime") is not None
    if has_date and has_time:
        raise bad(f"The {name} has both a date and a date-time.")
    if has_date:
        text = raw["date"]
        if not isinstance(text, str) or not _DATE.fullmatch(text):
            raise bad(f"Invalid {name} date “{quoted(text, 40)}”.")
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise bad(f"Invalid {name} date “{text}”.") from None  # 10 digits and dashes
    if not has_time:
        raise bad(f"The {name} has neither a date nor a date-time.")
    own_zone = raw.get("timeZone")
    if own_zone is not None and (not isinstance(own_zone, str) or not is_time_zone(own_zone)):
        raise bad(f"Invalid time zone “{quoted(own_zone, 64)}” for the {name} time.")
    try:
        moment = datetime.fromisoformat(str(raw["dateTime"]))
    except ValueError:
        raise bad(f"Invalid {name} time “{quoted(raw['dateTime'], 40)}”.") from None
    if moment.tzinfo is None:
        if own_zone is None:
            raise bad(f"The {name} time has no offset and no time zone.")
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(own_zone))
    chosen = zone or own_zone or default_zone
    if not is_time_zone(chosen):
        raise bad(f"Invalid calendar time zone “{quoted(chosen, 64)}”.")
    return TimedMoment(moment, chosen)


def _moment_json(value: Moment, *, for_patch: bool) -> dict[str, Any]:
    if isinstance(value, TimedMoment):
        json: dict[str, Any] = {"dateTime": value.local.isoformat(), "timeZone": value.zone}
        return json | {"date": None} if for_patch else json
    json = {"date": value.isoformat()}
    return json | {"dateTime": None, "timeZone": None} if for_patch else json


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _marker(event: Mapping[str, Any]) -> str | None:
    properties = event.get("extendedProperties")
    private = properties.get("private") if isinstance(properties, Mapping) else None
    value = private.get(MARKER_KEY) if isinstance(private, Mapping) else None
    return value if isinstance(value, str) else None
