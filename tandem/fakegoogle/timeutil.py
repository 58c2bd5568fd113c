"""Event times: validation of ``start``/``end`` and the instants used for filtering.

Rules from https://developers.google.com/workspace/calendar/api/v3/reference/events
(EventDateTime) and the shared spec §2.5: ``date`` or ``dateTime`` (not both kinds in one
event), ``dateTime`` needs an offset unless ``timeZone`` is given, recurring events need a
``timeZone``, the end must not precede the start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tandem.fakegoogle import errors


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def parse_query_datetime(value: str, *, param: str) -> datetime:
    """timeMin/timeMax/updatedMin: RFC 3339 with a mandatory offset."""
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        parsed = None
    if parsed is None or "T" not in value.upper() or parsed.tzinfo is None:
        raise errors.bad_request(f"Bad Request: invalid {param}", location=param)
    return parsed


def _parse_datetime_field(value: Any, which: str, tz_name: str | None) -> datetime:
    if not isinstance(value, str) or "T" not in value.upper():
        raise errors.bad_request(f"Invalid {which} time.")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise errors.bad_request(f"Invalid {which} time.") from exc
    if parsed.tzinfo is None:
        if not tz_name:
            raise errors.bad_request(f"Missing time zone definition for {which} time.")
        tz = zone(tz_name)
        assert tz is not None  # checked by the caller
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _parse_date_field(value: Any, which: str) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None  # type: ignore[return-value]
    except ValueError:
        pass
    raise errors.bad_request(f"Invalid {which} time.")


def validate_times(resource: dict[str, Any], *, recurring: bool) -> None:
    """Raise Google's 400 for any start/end problem; return quietly when they are fine."""
    start, end = resource.get("start"), resource.get("end")
    if not isinstance(start, dict) or not (start.get("date") or start.get("dateTime")):
        raise errors.required("Missing start time.")
    if not isinstance(end, dict) or not (end.get("date") or end.get("dateTime")):
        raise errors.required("Missing end time.")
    for which, value in (("start", start), ("end", end)):
        tz_name = value.get("timeZone")
        if tz_name is not None and zone(str(tz_name)) is None:
            raise errors.bad_request(f"Invalid time zone definition for {which} time.")
        if value.get("date") and value.get("dateTime"):
            raise errors.bad_request(f"Invalid {which} time.")
    if bool(start.get("date")) != bool(end.get("date")):
        # Google's reason here is "invalid" (global, 400), as for other bad field values
        # (https://developers.google.com/workspace/calendar/api/guides/errors#400_bad_request).
        raise errors.invalid("Start and end times must either both be date or both be dateTime.")
    if start.get("date"):
        first: date | datetime = _parse_date_field(start["date"], "start")
        last: date | datetime = _parse_date_field(end["date"], "end")
    else:
        first = _parse_datetime_field(start["dateTime"], "start", start.get("timeZone"))
        last = _parse_datetime_field(end["dateTime"], "end", end.get("timeZone"))
        if recurring and not start.get("timeZone"):
            raise errors.bad_request("Missing time zone definition for start time.")
    if last < first:  # type: ignore[operator]
        raise errors.time_range_empty(location="end")


def bound(value: dict[str, Any], calendar_tz: str) -> datetime:
    """The instant a start/end denotes; all-day dates are midnight in the calendar's zone."""
    if value.get("date"):
        day = date.fromisoformat(value["date"])
        return datetime.combine(day, time(), tzinfo=zone(calendar_tz) or UTC)
    parsed = datetime.fromisoformat(value["dateTime"].replace("z", "Z"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(value.get("timeZone") or calendar_tz) or UTC)
    return parsed


def event_tz_name(resource: dict[str, Any], calendar_tz: str) -> str:
    start = resource.get("start") or {}
    return str(start.get("timeZone") or calendar_tz)


def local_iso(moment: datetime) -> str:
    """``2026-03-29T10:00:00+02:00``: how Google writes a dateTime in a given zone."""
    return moment.isoformat(timespec="seconds")


def days(n: int) -> timedelta:
    return timedelta(days=n)
