"""When a recurring meeting's last occurrence ends: what "outside the window" means for a
series (DESIGN.md §3: the window holds meetings that end after now - 30 days). Google lists
a recurring event while any of its occurrences ends after ``timeMin``; a series whose rule
never ends is never over. Counting is bounded (``MAX_COUNTED``): a rule too long to count
is taken as going on, which keeps the meeting rather than dropping it. So is a rule whose
end lies more than ``MAX_PERIODS`` of its periods after its start: dateutil walks a rule
period by period, also through periods its filters never match, so a hostile
``FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;UNTIL=99991231`` would take seconds per event and
run (issue 12, finding 4)."""

from __future__ import annotations

import warnings
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice

from dateutil.rrule import rrule, rrulestr

from tandem.meetings.recurrence import rule_until_for
from tandem.sync.core.rule_probe import never_matches

MAX_COUNTED = 5000
MAX_PERIODS = 20_000
# Each frequency's period at its longest: the walk's horizon, not its calendar.
_PERIOD = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=31),
    "YEARLY": timedelta(days=366),
}


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
            if not isinstance(start, datetime):
                # An all-day series' UNTIL is a date (RFC 5545 §3.3.10), which dateutil
                # refuses beside a start with a zone: the same bound as the last moment of
                # that day in the series' zone, in UTC.
                value = rule_until_for(value, all_day=False, zone=tz)
            try:
                rule = rrulestr(value, dtstart=first)
                if isinstance(rule, rrule) and never_matches(rule, value, first=first):
                    continue  # no occurrence at all: nothing to count
                bounded, complete = _within_horizon(rule, value, first)
                counted = list(islice(iter(bounded), MAX_COUNTED + 1))
            except (ValueError, TypeError, OverflowError):
                return None
            if len(counted) > MAX_COUNTED or not complete(len(counted)):
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


def _within_horizon(rule: object, value: str, first: datetime):  # type: ignore[no-untyped-def]
    """The rule cut at ``MAX_PERIODS`` periods after ``first``, and a test of a walk's
    length (how many occurrences it found) that says whether the cut rule still has every
    occurrence of the whole one."""
    if not isinstance(rule, rrule):
        raise ValueError("Not a single recurrence rule.")
    parts = dict(part.partition("=")[::2] for part in value.upper().split(";"))
    try:
        interval = max(1, int(parts.get("INTERVAL", "1")))
        horizon = first + _PERIOD.get(parts.get("FREQ", ""), _PERIOD["YEARLY"]) * (
            interval * MAX_PERIODS
        )
    except (ValueError, OverflowError):
        return rule, lambda found: True
    until = getattr(rule, "_until", None)  # dateutil keeps no public accessor
    if until is not None and until <= horizon:
        return rule, lambda found: True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # COUNT with UNTIL: our bound
        cut = rule.replace(until=horizon)
    count = getattr(rule, "_count", None)
    # An UNTIL past the horizon: unknown. A COUNT: complete when the walk found all of it.
    return cut, lambda found: count is not None and found >= count


def _rdate(text: str, tz: tzinfo) -> datetime | None:
    try:
        if "T" not in text:
            return datetime.combine(datetime.strptime(text, "%Y%m%d").date(), time.min, tzinfo=tz)
        if text.endswith("Z"):
            return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=tz)
    except ValueError:
        return None
