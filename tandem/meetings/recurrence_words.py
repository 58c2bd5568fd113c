"""A series' rule in words: "Weekly on Monday and Thursday, 10 times".

Pure Python, like ``recurrence``. Written here rather than taken from a library: the
``recurrent`` package (0.4.1, 2021) formats only the rules it parses itself, and
recurring-ical-events and icalendar have no words at all. English only: the CRM has no
language setting yet (LANGUAGE_CODE is en-us); the user's date format and time zone are
honoured (``format_day``, ``viewer_zone``).

A rule's parts that have no words here (BYSETPOS, BYWEEKNO, several month days...) make
``rule_in_words`` answer ``exact=False``: the pages then show the rule as stored beside the
words, so a custom rule is never shown simpler than it is.
"""

from __future__ import annotations

import calendar
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from tandem.meetings.recurrence import line_name, rule_parts

_DAY_NAMES = dict(zip(("MO", "TU", "WE", "TH", "FR", "SA", "SU"), calendar.day_name, strict=True))
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_UNITS = {
    "SECONDLY": "second",
    "MINUTELY": "minute",
    "HOURLY": "hour",
    "DAILY": "day",
    "WEEKLY": "week",
    "MONTHLY": "month",
    "YEARLY": "year",
}
_ONCE = {"DAILY": "Daily", "WEEKLY": "Weekly", "MONTHLY": "Monthly", "YEARLY": "Annually"}
_WORDED = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH"})


@dataclass(frozen=True)
class RuleWords:
    text: str
    exact: bool  # False: some part of the rule has no words; show the rule as stored too


def rule_in_words(
    lines: Sequence[str],
    *,
    start: datetime,
    zone: zoneinfo.ZoneInfo,
    all_day: bool,
    format_day: Callable[[date], str],
    viewer_zone: str | None = None,
) -> RuleWords:
    """``lines`` of a series whose first occurrence starts at ``start`` (aware), laid out in
    ``zone``, in words. Weekdays and days are the series' own (as Google Calendar words
    them); when the reader's zone is another, the words say whose clock they follow."""
    first = start.astimezone(zone)
    rules = [line for line in lines if line_name(line) == "RRULE" and ":" in line]
    if not rules:
        return RuleWords("Repeats on chosen dates", exact=False)
    texts, exact = [], len(rules) == 1
    for line in rules:
        words, known = _rule_words(rule_parts(line.split(":", 1)[1]), first, zone, format_day)
        texts.append(words)
        exact = exact and known
    text = "; and ".join(texts)
    extra = _dates_words(lines)
    if extra:
        text += f", {extra}"
    if any(line_name(line) == "EXRULE" for line in lines):
        exact = False
    if not all_day and viewer_zone and viewer_zone != zone.key:
        text += f" ({zone.key} time)"
    return RuleWords(text, exact=exact)


def _rule_words(
    parts: dict[str, str],
    first: datetime,
    zone: zoneinfo.ZoneInfo,
    format_day: Callable[[date], str],
) -> tuple[str, bool]:
    frequency = parts.get("FREQ", "")
    unit = _UNITS.get(frequency)
    if unit is None:
        return "Repeats by a custom rule", False
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return "Repeats by a custom rule", False
    known = set(parts) - {"WKST"} <= _WORDED
    text = _ONCE.get(frequency, f"Every {unit}") if interval == 1 else f"Every {interval} {unit}s"
    how_often = text
    days = [day for day in parts.get("BYDAY", "").split(",") if day]
    if frequency == "WEEKLY":
        names = [_DAY_NAMES.get(day) for day in days] or [calendar.day_name[first.weekday()]]
        known = known and None not in names
        text += " on " + _and([name or "?" for name in names])
    elif frequency == "MONTHLY":
        on, ok = _monthly_words(parts, days, first)
        text, known = f"{text} on {on}", known and ok
    elif frequency == "YEARLY":
        on, ok = _yearly_words(parts, days, first)
        text, known = f"{text} on {on}", known and ok
    elif days or "BYMONTHDAY" in parts or "BYMONTH" in parts:
        known = False
    if "COUNT" in parts:
        count = parts["COUNT"]
        text += ", once" if count == "1" else f", {count} times"
    if "UNTIL" in parts:
        last = _until_day(parts["UNTIL"], zone)
        text += f", until {format_day(last)}" if last else ""
        known = known and last is not None
    if not known:
        # Part of the rule has no words here: a partial description would mislead
        # (BYSETPOS=-1 with five days is one day a month), so say only how often.
        return f"{how_often}, by a custom rule", False
    return text, known


def _monthly_words(parts: dict[str, str], days: list[str], first: datetime) -> tuple[str, bool]:
    if "BYMONTHDAY" in parts:
        month_days = parts["BYMONTHDAY"].split(",")
        return f"day {_and(month_days)}", len(month_days) == 1 and not days
    if len(days) == 1 and days[0][:-2].lstrip("-+").isdigit():
        nth, name = int(days[0][:-2]), _DAY_NAMES.get(days[0][-2:])
        if nth in _ORDINALS and name:
            return f"the {_ORDINALS[nth]} {name}", True
    if days:
        return _and([_DAY_NAMES.get(day[-2:], day) for day in days]), False
    return f"day {first.day}", True


def _yearly_words(parts: dict[str, str], days: list[str], first: datetime) -> tuple[str, bool]:
    month = parts.get("BYMONTH", str(first.month))
    day = parts.get("BYMONTHDAY", str(first.day))
    if days or not month.isdigit() or not day.lstrip("-").isdigit() or not 1 <= int(month) <= 12:
        return "chosen days", False
    return f"{calendar.month_name[int(month)]} {day}", True


def _until_day(until: str, zone: zoneinfo.ZoneInfo) -> date | None:
    """The last day an UNTIL allows, on the series' own calendar."""
    try:
        if len(until) == 8:
            return datetime.strptime(until, "%Y%m%d").date()
        moment = datetime.strptime(until.rstrip("Z"), "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    if until.endswith("Z"):
        return moment.replace(tzinfo=UTC).astimezone(zone).date()
    return moment.date()


def _dates_words(lines: Sequence[str]) -> str:
    counts = {"EXDATE": 0, "RDATE": 0}
    for line in lines:
        name = line_name(line)
        if name in counts:
            counts[name] += len([v for v in line.partition(":")[2].split(",") if v.strip()])
    words = []
    if counts["RDATE"]:
        words.append(f"and on {_dates(counts['RDATE'])} more")
    if counts["EXDATE"]:
        words.append(f"except on {_dates(counts['EXDATE'])}")
    return ", ".join(words)


def _dates(count: int) -> str:
    return "1 date" if count == 1 else f"{count} dates"


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
