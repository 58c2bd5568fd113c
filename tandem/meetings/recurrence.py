"""Recurrence rules as people make them in the CRM: the form's choices, the checks of a rule
a person writes, and a series cut in two ("this and following events").

Pure Python (no Django), like ``rules``. Lines are Google's ``recurrence`` lines (RFC 5545
RRULE/EXRULE/RDATE/EXDATE, no DTSTART). Rules are read by python-dateutil's ``rrule``;
recurring-ical-events and icalendar (in the package lists) expand and parse whole
calendars, neither turns a form's choices into a rule nor cuts one, so this stays small.

The form offers what Google Calendar's own "Custom recurrence" screen offers: daily, weekly
on chosen days, monthly on a day of the month or on a weekday of the month ("the second
Tuesday", "the last Friday"), yearly; every N; ending never, on a date, or after N times.
Anything else is a *custom* rule: kept exactly as written and shown as text
(``repeat_of`` answers None for it, so nothing is silently simplified).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.rrule import rrulestr

OFFERED_FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_INTERVAL = 999
MAX_COUNT = 1000  # a bound of our own: a series of 1000 occurrences is decades of meetings
_LINE_NAMES = frozenset({"RRULE", "EXRULE", "RDATE", "EXDATE"})
_DENSE = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
_TIME_PARTS = frozenset({"BYHOUR", "BYMINUTE", "BYSECOND"})
_UTC_UNTIL = re.compile(r"^\d{8}T\d{6}Z$")
_DATE_UNTIL = re.compile(r"^\d{8}$")


@dataclass(frozen=True)
class Repeat:
    """The form's choices. ``frequency`` "" is "does not repeat"; ``monthly`` is "day" (the
    start's day of the month) or "weekday" (the start's weekday of the month); ``ends`` is
    "never", "on" (``until``, the last day, inclusive) or "after" (``count`` times)."""

    frequency: str = ""
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    monthly: str = "day"
    ends: str = "never"
    until: date | None = None
    count: int | None = None


def rule_parts(value: str) -> dict[str, str]:
    """``FREQ=DAILY;INTERVAL=2`` as ``{"FREQ": "DAILY", "INTERVAL": "2"}`` (upper-cased)."""
    parts: dict[str, str] = {}
    for part in value.split(";"):
        key, _, text = part.partition("=")
        if key.strip():
            parts[key.strip().upper()] = text.strip().upper()
    return parts


def line_name(line: str) -> str:
    """``RRULE``, ``EXDATE``... : the name before the first ``;`` or ``:``."""
    return re.split(r"[;:]", line, maxsplit=1)[0].strip().upper()


def _join(parts: dict[str, str]) -> str:
    return "RRULE:" + ";".join(f"{key}={value}" for key, value in parts.items())


def weekday_of_month(day: date) -> str:
    """The start's weekday in its month, as BYDAY: ``2TU`` for the second Tuesday, ``-1FR``
    for a Friday in the month's last seven days that is its fifth (Google Calendar offers
    "last Friday" then, since not every month has a fifth)."""
    nth = (day.day - 1) // 7 + 1
    return f"{-1 if nth == 5 else nth}{WEEKDAYS[day.weekday()]}"


def until_value(last_day: date, *, zone: tzinfo, all_day: bool) -> str:
    """UNTIL for "ends on ``last_day``" (inclusive). RFC 5545 §3.3.10: UNTIL has DTSTART's
    value type, and is in UTC when DTSTART has a time zone; so an all-day series ends on a
    DATE, a timed one at the last second of that day in its own zone, in UTC (as Google
    Calendar writes it: ``UNTIL=20261231T225959Z`` for a Berlin series)."""
    if all_day:
        return f"{last_day:%Y%m%d}"
    end = datetime.combine(last_day, time(23, 59, 59), tzinfo=zone)
    return f"{end.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def rule_line(repeat: Repeat, *, start: date, zone: zoneinfo.ZoneInfo, all_day: bool) -> str:
    """The RRULE line of the form's choices for a series starting on ``start`` (its first
    day in its own zone); empty for "does not repeat"."""
    if not repeat.frequency:
        return ""
    parts = {"FREQ": repeat.frequency}
    if repeat.interval > 1:
        parts["INTERVAL"] = str(repeat.interval)
    if repeat.frequency == "WEEKLY" and repeat.weekdays:
        parts["BYDAY"] = ",".join(day for day in WEEKDAYS if day in repeat.weekdays)
    if repeat.frequency == "MONTHLY":
        if repeat.monthly == "weekday":
            parts["BYDAY"] = weekday_of_month(start)
        else:
            parts["BYMONTHDAY"] = str(start.day)
    if repeat.ends == "after" and repeat.count:
        parts["COUNT"] = str(repeat.count)
    if repeat.ends == "on" and repeat.until:
        parts["UNTIL"] = until_value(repeat.until, zone=zone, all_day=all_day)
    return _join(parts)


def repeat_of(
    lines: Sequence[str], *, start: date, zone: zoneinfo.ZoneInfo, all_day: bool
) -> Repeat | None:
    """The form's choices that make exactly ``lines``, or None when the form cannot show
    them (a custom rule: EXDATEs, BYSETPOS, an UNTIL at another time of day...)."""
    if not lines:
        return Repeat()
    if len(lines) != 1 or line_name(lines[0]) != "RRULE" or ":" not in lines[0]:
        return None
    parts = rule_parts(lines[0].split(":", 1)[1])
    frequency = parts.get("FREQ", "")
    if frequency not in OFFERED_FREQUENCIES:
        return None
    repeat = Repeat(frequency=frequency)
    try:
        repeat = replace(repeat, interval=int(parts.get("INTERVAL", "1")))
        if "COUNT" in parts:
            repeat = replace(repeat, ends="after", count=int(parts["COUNT"]))
        if "UNTIL" in parts:
            repeat = replace(repeat, ends="on", until=_last_day(parts["UNTIL"], zone=zone))
    except ValueError:
        return None
    if frequency == "WEEKLY" and "BYDAY" in parts:
        days = parts["BYDAY"].split(",")
        if not set(days) <= set(WEEKDAYS):
            return None
        # In the week's order, as the form lists them ("TH,MO" is the rule "MO,TH").
        repeat = replace(repeat, weekdays=tuple(day for day in WEEKDAYS if day in days))
        parts["BYDAY"] = ",".join(repeat.weekdays)
    if frequency == "MONTHLY" and "BYDAY" in parts:
        repeat = replace(repeat, monthly="weekday")
    made = rule_parts(rule_line(repeat, start=start, zone=zone, all_day=all_day).split(":", 1)[1])
    if repeat.interval == 1:
        # The week's first day changes nothing of a rule that repeats every week (Google
        # Calendar writes WKST=SU); the callers keep the lines as stored when unchanged.
        parts.pop("WKST", None)
    return repeat if made == parts else None


def _last_day(until: str, *, zone: tzinfo) -> date:
    if _DATE_UNTIL.match(until):
        return datetime.strptime(until, "%Y%m%d").date()
    moment = datetime.strptime(until.rstrip("Z"), "%Y%m%dT%H%M%S")
    if until.endswith("Z"):
        return moment.replace(tzinfo=UTC).astimezone(zone).date()
    return moment.date()


# An UNTIL part of a rule value, or of a line after its name ("RRULE:...;UNTIL=...").
_UNTIL_PART = re.compile(r"(?<![^:;])UNTIL=([^;]*)", re.IGNORECASE)


def rule_until_for(value: str, *, all_day: bool, zone: tzinfo) -> str:
    """The rule (a line, or its value) with its UNTIL of the value type a start of that kind
    needs, the same last day: RFC 5545 §3.3.10 (https://www.rfc-editor.org/rfc/rfc5545#
    section-3.3.10): "The value of the UNTIL rule part MUST have the same value type as the
    DTSTART property", in UTC when DTSTART has a zone, as Google's recurring events take it
    (https://developers.google.com/calendar/api/concepts/events-calendars#recurring_events).
    A date becomes the last second of that day in ``zone``, in UTC (``until_value``); a time
    becomes its day in ``zone``. An UNTIL of the right type, or one that cannot be read, is
    left as it is."""

    def written_for(found: re.Match[str]) -> str:
        until = found[1].strip().upper()
        is_date = bool(_DATE_UNTIL.match(until))
        if is_date == all_day:
            return found[0]
        try:
            last_day = _last_day(until, zone=zone)
        except ValueError:
            return found[0]
        return "UNTIL=" + until_value(last_day, zone=zone, all_day=all_day)

    return _UNTIL_PART.sub(written_for, value)


def lines_until_for(lines: Sequence[str], *, all_day: bool, zone: tzinfo) -> tuple[str, ...]:
    """``lines`` with each RRULE's and EXRULE's UNTIL for a start of that kind
    (``rule_until_for``); the other lines as they are."""
    return tuple(
        rule_until_for(line, all_day=all_day, zone=zone)
        if line_name(line) in {"RRULE", "EXRULE"}
        else line
        for line in lines
    )


def lines_until_moved(
    lines: Sequence[str], *, written_for: datetime, start: datetime
) -> tuple[str, ...]:
    """The lines of a timed series whose UTC UNTILs were written for its start at
    ``written_for``, for the series starting at ``start`` instead (both aware, on their own
    zone's wall clock: another zone, or another time of day). A UTC UNTIL is an instant, so
    the same UNTIL can end the moved series a day early (moved to a zone further west, or
    later in the day: its last occurrence falls after the instant) or a day late (a cut
    "just before the split occurrence", as Google writes it, moved earlier in the day). The
    series keeps its last day: an UNTIL that no longer ends the series on the day it did
    becomes the end of that day in the new zone, in UTC (RFC 5545 §3.3.10, ``until_value``).
    At most one occurrence a day is assumed, as the frequencies a person can choose give;
    any other UNTIL is left as it is."""

    def kept_day(found: re.Match[str]) -> str:
        until = found[1].strip().upper()
        if not _UTC_UNTIL.match(until):
            return found[0]
        try:
            moment = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return found[0]
        last_day = _last_day_kept(moment, start=written_for)
        if _last_day_kept(moment, start=start) == last_day:
            return found[0]
        return "UNTIL=" + until_value(last_day, zone=start.tzinfo or UTC, all_day=False)

    return tuple(
        _UNTIL_PART.sub(kept_day, line) if line_name(line) in {"RRULE", "EXRULE"} else line
        for line in lines
    )


def _last_day_kept(until: datetime, *, start: datetime) -> date:
    """The last day on which a series starting at ``start`` (one occurrence a day at most,
    at its start's wall time) still has an occurrence under ``until`` (inclusive)."""
    local = until.astimezone(start.tzinfo)
    if local.time() >= start.time():
        return local.date()
    return local.date() - timedelta(days=1)


def lines_until_days_later(lines: Sequence[str], *, days: int, zone: tzinfo) -> tuple[str, ...]:
    """``lines`` with each RRULE's and EXRULE's UNTIL ``days`` later (earlier when negative)
    on ``zone``'s wall clock: a DATE that many days on, a UTC time at the same wall time
    that many days on, in UTC. For a rule whose occurrences all move by ``days``: it keeps
    the occurrences it had, as UNTIL is inclusive (RFC 5545 §3.3.10). An UNTIL that cannot
    be read, and the other lines, are left as they are."""

    def later(found: re.Match[str]) -> str:
        until = found[1].strip().upper()
        try:
            if _DATE_UNTIL.match(until):
                day = datetime.strptime(until, "%Y%m%d").date()
                return f"UNTIL={day + timedelta(days=days):%Y%m%d}"
            if _UTC_UNTIL.match(until):
                moment = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                wall = moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days)
                return f"UNTIL={wall.replace(tzinfo=zone).astimezone(UTC):%Y%m%dT%H%M%SZ}"
        except ValueError:
            pass
        return found[0]

    return tuple(
        _UNTIL_PART.sub(later, line) if line_name(line) in {"RRULE", "EXRULE"} else line
        for line in lines
    )


# -- the checks of a rule a person writes (the form's custom rule, the API) --------------


def recurrence_problems(lines: Sequence[str], *, all_day: bool) -> list[str]:
    """What is wrong with recurrence lines a person (the form, the API) gives, in words;
    empty when Google Calendar would take them and the CRM can lay them out.

    Stricter than what the sync accepts from Google (``rules.meeting_problems`` only wants
    non-empty lines), on purpose: Google may send any rule, and refusing one would lose a
    meeting; a person is told instead. Refused for people only: a rule more frequent than
    daily (SECONDLY, MINUTELY, HOURLY, or several times of day): Google Calendar's own
    screens offer a day at most, and the CRM's pages show such a rule once per page
    (``rule_cost``), so a person would not see what they made."""
    problems: list[str] = []
    for line in lines:
        name = line_name(line)
        if name not in _LINE_NAMES or ":" not in line:
            problems.append(
                f"“{line}” is not a recurrence line: start it with RRULE:, EXRULE:, RDATE or "
                "EXDATE (RFC 5545), e.g. RRULE:FREQ=WEEKLY;BYDAY=MO."
            )
            continue
        if name in {"RRULE", "EXRULE"}:
            problems += _rule_problems(line, all_day=all_day)
    if not problems and sum(line_name(line) == "RRULE" for line in lines) == 0 and lines:
        problems.append("A recurrence needs an RRULE line (the rule the series repeats by).")
    return problems


def _rule_problems(line: str, *, all_day: bool) -> list[str]:
    value = line.split(":", 1)[1]
    parts = rule_parts(value)
    frequency = parts.get("FREQ", "")
    if frequency in _DENSE or any(len(parts.get(key, "").split(",")) > 1 for key in _TIME_PARTS):
        return [
            f"“{line}” repeats more often than daily. Google Calendar's screens offer a day "
            "at most, and the calendar would show it only once per page: choose daily or "
            "less often."
        ]
    if "COUNT" in parts and "UNTIL" in parts:
        # RFC 5545 §3.3.10: "UNTIL or COUNT ... MUST NOT occur in the same 'recur'".
        return [f"“{line}” has both COUNT and UNTIL: keep one."]
    until = parts.get("UNTIL")
    if until is not None:
        # RFC 5545 §3.3.10: UNTIL has DTSTART's value type; UTC when DTSTART has a zone.
        if all_day and not _DATE_UNTIL.match(until):
            return [f"“{line}”: an all-day series ends on a date, like UNTIL=20261231."]
        if not all_day and not _UTC_UNTIL.match(until):
            return [f"“{line}”: UNTIL must be a UTC time, like UNTIL=20261231T225959Z."]
    try:
        # dateutil wants a UTC UNTIL with an aware start, a DATE one with a naive start.
        rrulestr(value, dtstart=datetime(2026, 1, 1, tzinfo=None if all_day else UTC))
    except (ValueError, TypeError, KeyError) as error:
        return [f"“{line}” cannot be read as an RFC 5545 rule ({error})."]
    count = parts.get("COUNT")
    # RFC 5545 §3.3.10's grammar takes any digits, but "the DTSTART property value always
    # counts as the first occurrence": COUNT=0 would be a series without its first one.
    if count is not None and not 1 <= int(count) <= MAX_COUNT:
        return [f"“{line}”: COUNT must be between 1 and {MAX_COUNT}."]
    return []


def ends_before_start(lines: Sequence[str], *, start: date | datetime, zone: tzinfo) -> list[str]:
    """The RRULEs among ``lines`` whose UNTIL falls before the series' ``start`` (a date for
    an all-day series, else aware), in words that name both. Such a series has no
    occurrence at all: the CRM would show nothing and Google would hold a series without an
    instance. UNTIL is inclusive (RFC 5545 §3.3.10, https://www.rfc-editor.org/rfc/rfc5545#
    section-3.3.10: "bounds the recurrence rule in an inclusive manner"), so an UNTIL at the
    start is one occurrence. An UNTIL not of the start's type is ``recurrence_problems``'
    to say, and left alone here."""
    problems: list[str] = []
    for line in lines:
        if line_name(line) != "RRULE" or ":" not in line:
            continue
        until = rule_parts(line.split(":", 1)[1]).get("UNTIL")
        problem = _until_before(until, start=start, zone=zone) if until else None
        if problem is not None:
            problems.append(problem)
    return problems


def _until_before(until: str, *, start: date | datetime, zone: tzinfo) -> str | None:
    try:
        if isinstance(start, datetime):
            return _timed_until_before(until, start=start, zone=zone)
        return _date_until_before(until, start=start)
    except ValueError:  # not a real date or time: reading the rule says so
        return None


def _timed_until_before(until: str, *, start: datetime, zone: tzinfo) -> str | None:
    if not _UTC_UNTIL.match(until):
        return None
    end = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if end >= start:
        return None
    ends, begins = end.astimezone(zone), start.astimezone(zone)
    return (
        f"The series ends on {ends:%Y-%m-%d at %H:%M} (UNTIL={until}), before it starts on "
        f"{begins:%Y-%m-%d at %H:%M} ({zone} time), {_NO_OCCURRENCE.format(first=begins)}"
    )


def _date_until_before(until: str, *, start: date) -> str | None:
    if not _DATE_UNTIL.match(until):
        return None
    last_day = datetime.strptime(until, "%Y%m%d").date()
    if last_day >= start:
        return None
    return (
        f"The series ends on {last_day:%Y-%m-%d} (UNTIL={until}), before it starts on "
        f"{start:%Y-%m-%d}, {_NO_OCCURRENCE.format(first=start)}"
    )


_NO_OCCURRENCE = (
    "so it would have no occurrence: choose a last day on or after {first:%Y-%m-%d}, "
    "or an earlier start."
)


# -- "this and following events": one series cut in two ----------------------------------


def lines_before(
    lines: Sequence[str], *, until: str, split: datetime, zone: zoneinfo.ZoneInfo
) -> list[str]:
    """The series' lines ended just before its occurrence at ``split`` (naive wall time):
    every RRULE gets ``until`` instead of its COUNT or UNTIL, and RDATE/EXDATE lines keep
    only their dates before the split. Google's guide, "Modifying all following instances"
    (https://developers.google.com/workspace/calendar/api/guides/recurringevents): the
    original series is trimmed with UNTIL, a new one starts at the instance."""
    kept: list[str] = []
    for line in lines:
        name = line_name(line)
        if name == "RRULE":
            parts = rule_parts(line.split(":", 1)[1])
            parts.pop("COUNT", None)
            parts["UNTIL"] = until
            kept.append(_join(parts))
        elif name in {"RDATE", "EXDATE"}:
            kept += _dates_line(line, zone=zone, keep=lambda moment: moment < split)
        else:
            kept.append(line)
    return kept


def lines_from(
    lines: Sequence[str], *, split: datetime, done: int, zone: zoneinfo.ZoneInfo
) -> list[str]:
    """The lines of the new series that starts at ``split``: a COUNT loses the ``done``
    occurrences the first part had, RDATE/EXDATE lines keep their dates from the split."""
    kept: list[str] = []
    for line in lines:
        name = line_name(line)
        if name == "RRULE":
            parts = rule_parts(line.split(":", 1)[1])
            if "COUNT" in parts:
                parts["COUNT"] = str(max(int(parts["COUNT"]) - done, 1))
            kept.append(_join(parts))
        elif name in {"RDATE", "EXDATE"}:
            kept += _dates_line(line, zone=zone, keep=lambda moment: moment >= split)
        else:
            kept.append(line)
    return kept


def _dates_line(
    line: str, *, zone: zoneinfo.ZoneInfo, keep: Callable[[datetime], bool]
) -> list[str]:
    head, _, value = line.partition(":")
    tzid = next(
        (p.split("=", 1)[1] for p in head.split(";")[1:] if p.upper().startswith("TZID=")), None
    )
    texts = [text for text in value.split(",") if text.strip()]
    chosen = [text for text in texts if keep(_wall(text, tzid=tzid, zone=zone))]
    return [f"{head}:{','.join(chosen)}"] if chosen else []


def _wall(text: str, *, tzid: str | None, zone: zoneinfo.ZoneInfo) -> datetime:
    """An RDATE/EXDATE value as naive wall time of the series' zone (a DATE: its midnight)."""
    text = text.strip()
    if len(text) == 8:
        return datetime.strptime(text, "%Y%m%d")
    moment = datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")
    own = UTC if text.endswith("Z") else zoneinfo.ZoneInfo(tzid) if tzid else None
    if own is None:
        return moment
    return moment.replace(tzinfo=own).astimezone(zone).replace(tzinfo=None)


def split_until(
    *, previous: datetime, split: datetime, zone: zoneinfo.ZoneInfo, all_day: bool
) -> str:
    """UNTIL for a series that keeps its occurrence at ``previous`` and none from ``split``
    (aware). The end of ``previous``'s day when the split is on a later day, so the form can
    show it as "ends on" that day; else the previous occurrence's own start (UNTIL is
    inclusive)."""
    last_day = previous.astimezone(zone).date()
    if all_day or split.astimezone(zone).date() > last_day:
        return until_value(last_day, zone=zone, all_day=all_day)
    return f"{previous.astimezone(UTC):%Y%m%dT%H%M%SZ}"
