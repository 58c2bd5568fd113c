"""Expansion of RRULE/EXRULE/RDATE/EXDATE into instances, in the event's own time zone.

Google stores the rule lines of RFC 5545 §3.8.5 without DTSTART (the event's ``start``
plays that role) and expands them in ``start.timeZone``, so a 10:00 weekly meeting stays
at 10:00 local time across daylight-saving changes.

Expansion is bounded, as Google's is: instances are only ever asked for a range
(``timeMin``/``timeMax`` of events.list with ``singleEvents`` and of events.instances,
https://developers.google.com/workspace/calendar/api/v3/reference/events/instances) and a
page at a time ("maxResults does not guarantee the number of results on one page.
Incomplete results can be detected by a non-empty nextPageToken", the pagination guide,
https://developers.google.com/workspace/calendar/api/guides/pagination). So a series is
walked only near the range asked for, never from its start: a rule of fixed-length periods
(second to week) restarts shortly before it, a rule's UNTIL is cut at its end, and the walk
stops after ``limit`` instances (a page's worth) or ``MAX_WALK`` moments. Where it stopped
early, ``Expansion.walked_to`` says how far it is complete, and the listing goes on from
there on its next page. A rule that cannot restart (COUNT with BY parts, MONTHLY, YEARLY)
and whose first ``MAX_WALK`` moments all lie before the range shows no instances there: an
emulator's limit, for rules no calendar screen writes.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrule, rruleset, rrulestr

from tandem.fakegoogle import errors
from tandem.fakegoogle.timeutil import local_iso, zone

MAX_WALK = 10_000  # moments one series may be walked over in one request
MAX_SPAN = timedelta(days=3660)  # the range one request expands (a rule matching no day)

# Each frequency's period: a rule of these restarts by whole periods (wall time). The CRM's
# own bound (meetings/rule_cost.py) has the same table: the emulator imports nothing of the
# code it checks, so that a mistake there cannot hide in both.
_PERIOD = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
}
_ONE_PER_PERIOD = {"FREQ", "INTERVAL", "COUNT", "WKST"}


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


def _rule_parts(text: str) -> dict[str, str]:
    parts = {}
    for part in text.split(";"):
        key, _, value = part.partition("=")
        parts[key.strip().upper()] = value.strip().upper()
    return parts


def _bounded(rule: rrule, text: str, dtstart: datetime, near: datetime, until: datetime) -> rrule:
    """``rule`` restarted by whole periods shortly before ``near`` where that keeps its
    occurrences from there on, and ending by ``until``: the same moments in [near, until]."""
    parts = _rule_parts(text)
    count, last = rule._count, rule._until  # type: ignore[attr-defined]
    restart = dtstart
    period = _PERIOD.get(parts.get("FREQ", ""))
    if period is not None:
        period *= max(1, rule._interval)  # type: ignore[attr-defined]
        if count is not None and set(parts) <= _ONE_PER_PERIOD:
            # One moment per period: COUNT ends at a known moment, an UNTIL like any other.
            try:
                last, count = dtstart + period * (count - 1), None
            except OverflowError:
                count = None
        if count is None and near - dtstart > 2 * period:
            # One whole period before the one holding ``near``: the moments of that period
            # before the restart are before ``near`` too.
            restart = dtstart + period * ((near - dtstart) // period - 1)
    with warnings.catch_warnings():
        # COUNT with UNTIL is deprecated for rules people write, not for this bound.
        warnings.simplefilter("ignore", DeprecationWarning)
        return rule.replace(
            dtstart=restart, until=min(last, until) if last is not None else until, count=count
        )


def build_ruleset(
    lines: list[str],
    dtstart: datetime,
    *,
    near: datetime | None = None,
    until: datetime | None = None,
) -> rruleset:
    """The series' rules as one set; with ``near`` and ``until`` each RRULE/EXRULE is
    bounded to that range (``_bounded``), in the kind (naive or aware) of ``dtstart``."""
    rules = rruleset()
    has_rule = False
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        try:
            if name in ("RRULE", "EXRULE"):
                text = _normalise_until(line.split(":", 1)[1], dtstart)
                parsed = rrulestr(text, dtstart=dtstart)
                assert isinstance(parsed, rrule)
                if near is not None and until is not None:
                    parsed = _bounded(parsed, text, dtstart, near, until)
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


@dataclass(frozen=True)
class Expansion:
    """A series' instances in a range, in start order. ``walked_to``: None when they are
    all there; else the walk stopped early (``limit``, ``MAX_WALK``, ``MAX_SPAN``) and only
    the instances starting at or before it are all there."""

    occurrences: list[Occurrence]
    walked_to: datetime | None = None
    gave_up: bool = False  # ``MAX_WALK`` spent before the range: none shown there


def expand(
    resource: dict[str, Any],
    *,
    calendar_tz: str,
    window_start: datetime | None,
    window_end: datetime,
    start_from: datetime | None = None,
    limit: int | None = None,
) -> Expansion:
    """The series' instances that end after ``window_start``, start before ``window_end``
    and not before ``start_from`` (where a page goes on), at most ``limit`` of them."""
    dtstart, duration, tz_name, all_day = _series_origin(resource, calendar_tz)
    cal_zone = zone(calendar_tz) or UTC
    starts = [bound for bound in (window_start and window_start - duration, start_from) if bound]
    near_at = max(starts) if starts else None
    end_at, span_cut = window_end, None
    if near_at is not None and end_at - near_at > MAX_SPAN:
        end_at = span_cut = near_at + MAX_SPAN
    near = dtstart if near_at is None else _as_series_time(near_at, dtstart, cal_zone)
    until = _as_series_time(end_at, dtstart, cal_zone)
    rules = build_ruleset(resource.get("recurrence") or [], dtstart, near=near, until=until)
    occurrences: list[Occurrence] = []
    walked = 0
    last_start: datetime | None = None
    for moment in rules:
        start_at = moment.replace(tzinfo=cal_zone) if all_day else moment
        if start_at >= end_at:
            return Expansion(occurrences, span_cut)
        walked += 1
        if walked > MAX_WALK:
            if last_start is None or (near_at is not None and last_start <= near_at):
                # A rule that cannot restart, still before the range: no instances there.
                return Expansion(occurrences, gave_up=True)
            return Expansion(occurrences, last_start)
        last_start = start_at
        end_moment = moment + duration
        ends_at = end_moment.replace(tzinfo=cal_zone) if all_day else end_moment
        if window_start is not None and ends_at <= window_start:
            continue
        if start_from is not None and start_at < start_from:
            continue
        occurrences.append(_occurrence(resource, moment, end_moment, tz_name, all_day, cal_zone))
        if limit is not None and len(occurrences) >= limit:
            return Expansion(occurrences, start_at)
    return Expansion(occurrences, span_cut)


def _as_series_time(moment: datetime, dtstart: datetime, cal_zone: Any) -> datetime:
    """An instant as the series' rules count: naive in the calendar's zone for an all-day
    series, else aware in the series' own zone (so that whole periods are wall time)."""
    if dtstart.tzinfo is None:
        return moment.astimezone(cal_zone).replace(tzinfo=None)
    return moment.astimezone(dtstart.tzinfo)


def _occurrence(
    resource: dict[str, Any],
    moment: datetime,
    end_moment: datetime,
    tz_name: str,
    all_day: bool,
    cal_zone: Any,
) -> Occurrence:
    if all_day:
        start_value: dict[str, Any] = {"date": moment.date().isoformat()}
        end_value: dict[str, Any] = {"date": end_moment.date().isoformat()}
    else:
        start_value = {"dateTime": local_iso(moment), "timeZone": tz_name}
        end_tz = (resource["end"].get("timeZone")) or tz_name
        end_local = end_moment.astimezone(zone(end_tz) or UTC)
        end_value = {"dateTime": local_iso(end_local), "timeZone": end_tz}
    return Occurrence(
        key=occurrence_key(moment, all_day),
        start=start_value,
        end=end_value,
        start_at=moment.replace(tzinfo=cal_zone) if all_day else moment,
        end_at=end_moment.replace(tzinfo=cal_zone) if all_day else end_moment,
        original_start=dict(start_value),
    )
