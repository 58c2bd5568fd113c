"""What expanding a recurrence rule may cost: the bounds that keep one event from making a
page or an API call slow (issue 12, finding 4).

Anyone who can put an event on a user's calendar (an invitation) chooses its RRULE, and
RFC 5545 allows rules as dense as one occurrence a second, without end. dateutil walks a rule
from its DTSTART, one period at a time, until it passes the end asked for, so an unbounded
expansion costs as much as the rule's age and density. Three bounds, applied to each rule
before dateutil sees it:

- the rule restarts shortly before the range asked for: for a rule of fixed-length periods
  (second to week) without COUNT, moving DTSTART by whole periods gives the same
  occurrences from there on (a COUNT with one occurrence per period is an UNTIL first);
- its UNTIL is cut at the end of the range, and at ``MAX_PERIODS`` periods after its
  (restarted) start, so a rule whose filters never match stops anyway;
- the caller stops after ``MAX_OCCURRENCES_PER_SERIES`` occurrences in the range and
  ``MAX_STEPS`` occurrences walked in all.

Rules more frequent than daily are ones Google Calendar's own screens cannot make (its
custom recurrence offers days, weeks, months and years): they are stored and synced as they
are, and the calendar shows such a series once per page (``dense_rule_summary``).
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

from dateutil.rrule import rrule, rrulestr

from tandem.sync.core.rule_probe import never_matches

MAX_OCCURRENCES_PER_SERIES = 400  # a month page of a daily meeting needs 42
MAX_STEPS = 10_000  # occurrences walked per series per request, before the range included
MAX_PERIODS = 20_000  # periods of its frequency one rule may be walked over

# Each frequency's period, at its longest (months and years only bound the walk).
_PERIOD = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": timedelta(days=1),
    "WEEKLY": timedelta(weeks=1),
    "MONTHLY": timedelta(days=31),
    "YEARLY": timedelta(days=366),
}
_FIXED_LENGTH = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY"}
_ONE_PER_PERIOD = {"FREQ", "INTERVAL", "COUNT", "WKST"}
_UNIT = {"SECONDLY": "second", "MINUTELY": "minute", "HOURLY": "hour", "DAILY": "day"}
_LATEST = datetime(9999, 12, 31)


def rule_parts(rule: str) -> dict[str, str]:
    """``FREQ=DAILY;INTERVAL=2`` as ``{"FREQ": "DAILY", "INTERVAL": "2"}`` (names upper-cased)."""
    parts = {}
    for part in rule.split(";"):
        key, _, value = part.partition("=")
        parts[key.strip().upper()] = value.strip().upper()
    return parts


def _interval(parts: dict[str, str]) -> int:
    try:
        return max(1, int(parts.get("INTERVAL", "1")))
    except ValueError:
        return 1


def _per_day(parts: dict[str, str]) -> int:
    """How many times of day a DAILY-or-longer rule lays on each of its days."""
    count = 1
    for name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        if parts.get(name):
            count *= len(parts[name].split(","))
    return count


def dense_rule_summary(lines: list[str]) -> str:
    """How often the series repeats (``every 30 seconds``) when one of its RRULEs is more
    frequent than daily, or an empty string for a rule Google Calendar's screens can make."""
    for line in lines:
        head, _, value = line.partition(":")
        if head.split(";")[0].strip().upper() != "RRULE":
            continue
        parts = rule_parts(value)
        freq, interval = parts.get("FREQ", ""), _interval(parts)
        if freq in {"SECONDLY", "MINUTELY", "HOURLY"}:
            unit = _UNIT[freq]
            return f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
        if freq in _PERIOD and _per_day(parts) > 1:
            return f"{_per_day(parts)} times a day"
    return ""


def bounded_rule(text: str, *, first: datetime, start: datetime, end: datetime) -> rrule | None:
    """The RRULE/EXRULE value ``text`` (naive wall time, UNTIL already in wall time) of a
    series starting at ``first``, restarted shortly before ``start`` where that keeps its
    occurrences, and ending by ``end`` (inclusive) and by ``MAX_PERIODS`` periods: the same
    occurrences in [start, end] as the unbounded rule, for a walk of bounded length; None for
    a rule whose filters match no day at all (``never_matches``), which has none."""
    parts = rule_parts(text)
    freq = parts.get("FREQ", "")
    if freq in _FIXED_LENGTH and "COUNT" in parts and set(parts) <= _ONE_PER_PERIOD:
        text = _count_as_until(parts, first=first)
        parts = rule_parts(text)
    rule = rrulestr(text, dtstart=first)
    if not isinstance(rule, rrule):
        raise ValueError(f"Not a single recurrence rule: {text!r}")
    if never_matches(rule, text, first=first):
        return None
    period = _PERIOD.get(freq, _PERIOD["YEARLY"]) * _interval(parts)
    restart = first
    if freq in _FIXED_LENGTH and "COUNT" not in parts and start - first > 2 * period:
        # One whole step before the period holding ``start``, so the occurrences of that
        # period that fall before the restart time are all before ``start`` too.
        restart = first + period * ((start - first) // period - 1)
    until = min(end, _horizon(restart, period))
    if "UNTIL" in parts:
        until = min(until, datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%S"))
    with warnings.catch_warnings():
        # COUNT with UNTIL is deprecated by RFC 5545 for rules people write, not for this
        # internal bound: the walk ends at whichever comes first, as we want.
        warnings.simplefilter("ignore", DeprecationWarning)
        return rule.replace(dtstart=restart, until=until)


def _count_as_until(parts: dict[str, str], *, first: datetime) -> str:
    """A rule with one occurrence per period (no BY part) ends at a known instant: its
    COUNT written as that UNTIL, so it can be restarted near the page like any other."""
    step = _PERIOD[parts["FREQ"]] * _interval(parts)
    try:
        last = first + step * (int(parts["COUNT"]) - 1)
    except OverflowError:
        last = _LATEST
    kept = ";".join(f"{key}={value}" for key, value in parts.items() if key != "COUNT")
    return f"{kept};UNTIL={last:%Y%m%dT%H%M%S}"


def _horizon(restart: datetime, period: timedelta) -> datetime:
    try:
        return restart + period * MAX_PERIODS
    except OverflowError:
        return _LATEST
