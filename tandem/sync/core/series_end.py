"""When a recurring meeting's last occurrence ends: what "outside the window" means for a
series (DESIGN.md §3: the window holds meetings that end after now - 30 days). Google lists
a recurring event while any of its occurrences ends after ``timeMin``; a series whose rule
never ends is never over. Counting is bounded (``MAX_COUNTED``): a rule too long to count
is taken as going on, which keeps the meeting rather than dropping it."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice

from dateutil.rrule import rrulestr

MAX_COUNTED = 5000


def series_last_end(
    *, start: datetime | date, end: datetime | date, zone: str | None, lines: tuple[str, ...]
) -> datetime | None:
    """The instant the last occurrence ends (all-day: UTC midnight after its last day, as
    ``MeetingFields.ends_before`` reads all-day ends), or None when the series never ends,
    is too long to count, or its rule cannot be read."""
    tz: tzinfo = zoneinfo.ZoneInfo(zone) if zone else UTC
    if isinstance(start, datetime):
        first = start.astimezone(tz)
        length = end - start
    else:
        first = datetime.combine(start, time.min, tzinfo=tz)
        length = timedelta(days=(end - start).days)  # type: ignore[operator]
    last = first
    for line in lines:
        name, _, value = line.partition(":")
        name = name.split(";")[0].upper()
        if name == "RRULE":
            upper = value.upper()
            if "COUNT=" not in upper and "UNTIL=" not in upper:
                return None  # never ends
            try:
                rule = rrulestr(value, dtstart=first)
                counted = list(islice(iter(rule), MAX_COUNTED + 1))
            except (ValueError, TypeError, OverflowError):
                return None
            if len(counted) > MAX_COUNTED:
                return None
            if counted:
                last = max(last, counted[-1])
        elif name == "RDATE":
            for text in value.split(","):
                moment = _rdate(text.strip(), tz)
                if moment is None:
                    return None
                last = max(last, moment)
    finish = last + length
    if isinstance(start, datetime):
        return finish.astimezone(UTC)
    return datetime.combine(finish.date(), time.min, tzinfo=UTC)


def _rdate(text: str, tz: tzinfo) -> datetime | None:
    try:
        if "T" not in text:
            return datetime.combine(datetime.strptime(text, "%Y%m%d").date(), time.min, tzinfo=tz)
        if text.endswith("Z"):
            return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
    except ValueError:
        return None
