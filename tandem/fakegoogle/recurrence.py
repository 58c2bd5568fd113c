"""Expansion of RRULE/EXRULE/RDATE/EXDATE into instances, in the event's own time zone.

Google stores the rule lines of RFC 5545 §3.8.5 without DTSTART (the event's ``start``
plays that role) and expands them in ``start.timeZone``, so a 10:00 weekly meeting stays
at 10:00 local time across daylight-saving changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrule, rruleset, rrulestr

from tandem.fakegoogle import errors
from tandem.fakegoogle.timeutil import local_iso, zone

MAX_INSTANCES = 5000  # a safety net for endless series


@dataclass(frozen=True)
class Occurrence:
    key: str  # the original start, in UTC (timed) or as a date (all-day)
    start: dict[str, Any]
    end: dict[str, Any]
    start_at: datetime  # aware instant, for filtering and ordering
    end_at: datetime
    original_start: dict[str, Any]


def _series_origin(
    resource: dict[str, Any], calendar_tz: str
) -> tuple[datetime, timedelta, str, bool]:
    start, end = resource["start"], resource["end"]
    if start.get("date"):
        first = datetime.combine(date.fromisoformat(start["date"]), time())
        last = datetime.combine(date.fromisoformat(end["date"]), time())
        return first, last - first, calendar_tz, True
    tz_name = start.get("timeZone") or calendar_tz
    tz = zone(tz_name) or UTC
    first = datetime.fromisoformat(start["dateTime"].replace("z", "Z"))
    first = first.replace(tzinfo=tz) if first.tzinfo is None else first.astimezone(tz)
    last = datetime.fromisoformat(end["dateTime"].replace("z", "Z"))
    last = (
        last.replace(tzinfo=zone(end.get("timeZone") or tz_name) or tz)
        if last.tzinfo is None
        else last
    )
    return first, last - first, tz_name, False


_UNTIL = re.compile(r"UNTIL=([0-9TZ]+)", re.IGNORECASE)


def _normalise_until(rule: str, dtstart: datetime) -> str:
    """dateutil wants UNTIL in UTC for an aware DTSTART and naive for a naive one."""
    match = _UNTIL.search(rule)
    if not match:
        return rule
    raw = match.group(1).upper()
    if dtstart.tzinfo is None:
        value = raw.rstrip("Z")
    elif raw.endswith("Z"):
        value = raw
    else:
        local = datetime.strptime(raw, "%Y%m%dT%H%M%S") if "T" in raw else None
        if local is None:
            local = datetime.combine(datetime.strptime(raw, "%Y%m%d").date(), time(23, 59, 59))
        value = local.replace(tzinfo=dtstart.tzinfo).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return rule[: match.start(1)] + value + rule[match.end(1) :]


def _parse_dates(line: str, dtstart: datetime) -> list[datetime]:
    """Values of an RDATE/EXDATE line, converted to the kind of the series' DTSTART."""
    head, _, values = line.partition(":")
    params = dict(p.split("=", 1) for p in head.split(";")[1:] if "=" in p)
    tz = zone(params["TZID"]) if "TZID" in params else None
    result = []
    for raw in filter(None, values.split(",")):
        raw = raw.strip().upper()
        if "T" in raw:
            parsed = datetime.strptime(raw.rstrip("Z"), "%Y%m%dT%H%M%S")
            if raw.endswith("Z"):
                parsed = parsed.replace(tzinfo=UTC)
            elif tz is not None:
                parsed = parsed.replace(tzinfo=tz)
            elif dtstart.tzinfo is not None:
                parsed = parsed.replace(tzinfo=dtstart.tzinfo)
        else:
            parsed = datetime.combine(datetime.strptime(raw, "%Y%m%d").date(), dtstart.time())
            if dtstart.tzinfo is not None:
                parsed = parsed.replace(tzinfo=dtstart.tzinfo)
        if dtstart.tzinfo is None:
            parsed = parsed.replace(tzinfo=None)
        elif parsed.tzinfo is not None:
            parsed = parsed.astimezone(dtstart.tzinfo)
        result.append(parsed)
    return result


def build_ruleset(lines: list[str], dtstart: datetime) -> rruleset:
    rules = rruleset()
    has_rule = False
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        try:
            if name in ("RRULE", "EXRULE"):
                parsed = rrulestr(_normalise_until(line.split(":", 1)[1], dtstart), dtstart=dtstart)
                assert isinstance(parsed, rrule)
                if name == "RRULE":
                    rules.rrule(parsed)
                    has_rule = True
                else:
                    rules.exrule(parsed)
            elif name == "RDATE":
                for moment in _parse_dates(line, dtstart):
                    rules.rdate(moment)
                    has_rule = True
            elif name == "EXDATE":
                for moment in _parse_dates(line, dtstart):
                    rules.exdate(moment)
            else:
                raise ValueError(name)
        except (ValueError, TypeError, AssertionError, IndexError) as exc:
            raise errors.bad_request("Invalid recurrence rule.") from exc
    if has_rule:
        rules.rdate(dtstart)  # DTSTART is always the first instance (RFC 5545 §3.8.5.3)
    return rules


def validate(resource: dict[str, Any], calendar_tz: str) -> None:
    lines = resource.get("recurrence")
    if not lines:
        return
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise errors.bad_request("Invalid recurrence rule.")
    dtstart, _, _, _ = _series_origin(resource, calendar_tz)
    next(iter(build_ruleset(lines, dtstart)), None)


def occurrence_key(moment: datetime, all_day: bool) -> str:
    if all_day:
        return moment.strftime("%Y%m%d")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def expand(
    resource: dict[str, Any],
    *,
    calendar_tz: str,
    window_start: datetime | None,
    window_end: datetime,
) -> list[Occurrence]:
    """The series' instances that end after ``window_start`` and start before ``window_end``."""
    dtstart, duration, tz_name, all_day = _series_origin(resource, calendar_tz)
    rules = build_ruleset(resource.get("recurrence") or [], dtstart)
    cal_zone = zone(calendar_tz) or UTC
    occurrences: list[Occurrence] = []
    for moment in rules:
        start_at = moment.replace(tzinfo=cal_zone) if all_day else moment
        if start_at >= window_end or len(occurrences) >= MAX_INSTANCES:
            break
        end_moment = moment + duration
        end_at = end_moment.replace(tzinfo=cal_zone) if all_day else end_moment
        if window_start is not None and end_at <= window_start:
            continue
        if all_day:
            start_value: dict[str, Any] = {"date": moment.date().isoformat()}
            end_value: dict[str, Any] = {"date": end_moment.date().isoformat()}
            original = dict(start_value)
        else:
            start_value = {"dateTime": local_iso(moment), "timeZone": tz_name}
            end_tz = (resource["end"].get("timeZone")) or tz_name
            end_local = end_moment.astimezone(zone(end_tz) or UTC)
            end_value = {"dateTime": local_iso(end_local), "timeZone": end_tz}
            original = dict(start_value)
        occurrences.append(
            Occurrence(
                key=occurrence_key(moment, all_day),
                start=start_value,
                end=end_value,
                start_at=start_at,
                end_at=end_at,
                original_start=original,
            )
        )
    return occurrences
