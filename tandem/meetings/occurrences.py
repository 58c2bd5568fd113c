"""What a calendar page shows between two days: meetings and occurrences of recurring series.

Recurrence lines are Google's (RFC 5545 RRULE/EXRULE/RDATE/EXDATE, no DTSTART; see
shared/google-calendar-api.md). A series is expanded in the wall time of its own zone, as
Google's ``singleEvents`` does, so a weekly 09:00 meeting stays at 09:00 across a DST change.
A changed occurrence is its own row that replaces the occurrence at its ``original_start``;
a cancelled occurrence hides it.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil.rrule import rruleset
from django.contrib.auth.models import User

from tandem.meetings import rules as meeting_rules
from tandem.meetings.models import Meeting
from tandem.meetings.owner_bounds import owner_bounds
from tandem.meetings.rule_cost import (
    MAX_OCCURRENCES_PER_SERIES,
    MAX_STEPS,
    bounded_rule,
    dense_rule_summary,
)
from tandem.meetings.selectors import CalendarEntry, calendar_entry, meetings_of

# Zones are at most 14 hours from UTC, so a day either side catches every all-day meeting
# whose dates touch the window, whatever zone it was planned in.
_ZONE_MARGIN = timedelta(days=1)
OCCURRENCE_KEY_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Occurrence:
    """One box on the calendar. ``entry`` holds what the viewer may see (Busy for a
    colleague's private meeting) with this occurrence's start and end; ``first_day`` and
    ``end_day`` (exclusive) are the days it covers on the viewer's calendar."""

    entry: CalendarEntry
    first_day: date
    end_day: date
    is_recurring: bool
    note: str = ""  # why the series shows fewer boxes than it has occurrences here

    def covers(self, day: date) -> bool:
        return self.first_day <= day < self.end_day

    @property
    def key(self) -> str:
        """How the series' pages name this occurrence (empty for a plain meeting)."""
        return occurrence_key(self.entry.start) if self.is_recurring else ""


def occurrence_key(start: datetime) -> str:
    """An occurrence's name in URLs: its start in UTC, like ``20261201T080000Z``."""
    return start.astimezone(UTC).strftime(OCCURRENCE_KEY_FORMAT)


def occurrence_start(key: str) -> datetime | None:
    """The start an occurrence key names, or None if it is not one. A key outside the
    years a meeting may take place in names none (at 99991231T235959Z, a day's
    arithmetic overflowed into a 500)."""
    try:
        start = datetime.strptime(key, OCCURRENCE_KEY_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return start if meeting_rules.in_range(start) else None


def occurrences_between(
    *, viewer: User, owner: User, first_day: date, end_day: date, zone: zoneinfo.ZoneInfo
) -> list[Occurrence]:
    """The owner's occurrences touching the days [first_day, end_day) of ``zone``, as the
    viewer may see them, sorted by day, all-day first, then time."""
    window_start = datetime.combine(first_day, time.min, tzinfo=zone)
    window_end = datetime.combine(end_day, time.min, tzinfo=zone)
    query_start, query_end = window_start - _ZONE_MARGIN, window_end + _ZONE_MARGIN

    bounds = owner_bounds(owner=owner)  # read once for both queries
    # A changed occurrence shows while its series does (not after the series is deleted).
    candidates = meetings_of(owner=owner, start=query_start, end=query_end, bounds=bounds).exclude(
        series__deleted_at__isnull=False
    )
    occurrences = [
        _occurrence(viewer, meeting, meeting.start, meeting.end, zone)
        for meeting in candidates
        if not meeting.is_recurring
    ]
    # The owner's series by their ids (a few rows): a test of ``recurrence`` over every
    # meeting that starts before the range would read all of them (owner_bounds). Looked
    # up by primary key alone, the rest tested here: with the owner, the range or an
    # ORDER BY in the query, SQLite prefers an owner index and walks all their meetings.
    series_rows = (
        Meeting.objects.filter(pk__in=bounds.series_ids).order_by() if bounds.series_ids else []
    )
    series_list = sorted(
        (
            series
            for series in series_rows
            if series.owner_id == owner.pk  # the ids are the owner's: scoped all the same
            and series.deleted_at is None
            and not series.is_cancelled_occurrence
            and series.is_recurring
            and series.start < query_end
        ),
        key=lambda series: (series.start, series.pk),
    )
    replaced = _replaced_starts(owner, series_list)
    for series in series_list:
        occurrences += _series_occurrences(
            viewer, series, replaced.get(series.pk, set()), window_start, query_end, zone
        )
    visible = [o for o in occurrences if o.first_day < end_day and o.end_day > first_day]
    return sorted(
        visible,
        key=lambda o: (o.first_day, not o.entry.all_day, o.entry.start, o.entry.subject),
    )


@dataclass(frozen=True)
class Expansion:
    """A series' starts in a range; ``cut`` when a cost bound (``rule_cost``) stopped the
    walk before the end of the range, so more occurrences may exist there."""

    starts: list[datetime]
    cut: bool


def _series_occurrences(
    viewer: User,
    series: Meeting,
    replaced: set[datetime],
    window_start: datetime,
    query_end: datetime,
    zone: zoneinfo.ZoneInfo,
) -> list[Occurrence]:
    """The series' boxes in the range. A rule more frequent than daily shows once, at its
    first occurrence on the page, with a note saying how often it repeats; a series cut by
    the per-series maximum says so on its last box."""
    duration = series.end - series.start
    dense = dense_rule_summary(series.recurrence)
    if dense:
        # The first occurrence that ends after the page's first moment (no zone margin),
        # so the one box is on the page.
        start = window_start - duration + timedelta(microseconds=1)
        limit = min(len(replaced) + 1, MAX_OCCURRENCES_PER_SERIES)
    else:
        start, limit = window_start - _ZONE_MARGIN - duration, MAX_OCCURRENCES_PER_SERIES
    expansion = series_expansion(series=series, start=start, end=query_end, limit=limit)
    starts = [moment for moment in expansion.starts if moment not in replaced]
    if dense:
        starts = starts[:1]
    boxes = [
        _occurrence(viewer, series, moment, occurrence_end(series, moment, duration), zone)
        for moment in starts
    ]
    note = ""
    if dense:
        note = f"Repeats {dense}: shown once here."
    elif expansion.cut:
        note = "More occurrences of this series are not shown here."
    if boxes and note:
        boxes[-1] = dataclasses.replace(boxes[-1], note=note)
    return boxes


def series_starts(*, series: Meeting, start: datetime, end: datetime) -> list[datetime]:
    """Aware starts of the series' occurrences in [start, end), at most
    ``MAX_OCCURRENCES_PER_SERIES`` of them. A rule we cannot read shows the first occurrence
    alone rather than breaking the whole calendar page."""
    return series_expansion(series=series, start=start, end=end).starts


def series_expansion(
    *, series: Meeting, start: datetime, end: datetime, limit: int = MAX_OCCURRENCES_PER_SERIES
) -> Expansion:
    """The series' starts in [start, end), at most ``limit``, for a bounded cost whatever
    its rule (see ``rule_cost``)."""
    zone = zoneinfo.ZoneInfo(series.time_zone)
    first = series.start.astimezone(zone).replace(tzinfo=None)
    wall_start, wall_end = _wall(start, zone), _wall(end, zone)
    wall_times: list[datetime] = []
    cut = False
    try:
        rules = _ruleset(
            series.recurrence,
            first=first,
            zone=zone,
            all_day=series.all_day,
            start=wall_start,
            end=wall_end,
        )
        for step, wall in enumerate(rules):
            if wall > wall_end:
                break
            if len(wall_times) >= limit or step >= MAX_STEPS:
                cut = True
                break
            if wall >= wall_start:
                wall_times.append(wall)
    except (ValueError, TypeError, OverflowError, zoneinfo.ZoneInfoNotFoundError):
        wall_times = [first]
    starts = (wall.replace(tzinfo=zone) for wall in wall_times)
    return Expansion(starts=[moment for moment in starts if start <= moment < end], cut=cut)


def _ruleset(  # type: ignore[no-untyped-def]
    lines: list[str],
    *,
    first: datetime,
    zone: zoneinfo.ZoneInfo,
    all_day: bool,
    start: datetime,
    end: datetime,
):
    """The series' rules as one set, each bounded to the wall-time range [start, end]."""
    rules = rruleset()
    rules.rdate(first)  # DTSTART is always an occurrence (RFC 5545 §3.8.5.3)
    for line in lines:
        head, _, value = line.partition(":")
        name, *params = head.split(";")
        name = name.strip().upper()
        if name in {"RRULE", "EXRULE"}:
            text = _wall_until(value, zone=zone, all_day=all_day)
            rule = bounded_rule(text, first=first, start=start, end=end)
            if rule is not None:  # None: a rule matching no day adds and removes nothing
                (rules.rrule if name == "RRULE" else rules.exrule)(rule)
        elif name in {"RDATE", "EXDATE"}:
            for moment in _moments(value, params, first=first, zone=zone):
                (rules.rdate if name == "RDATE" else rules.exdate)(moment)
    return rules


def _wall_until(rule: str, *, zone: zoneinfo.ZoneInfo, all_day: bool) -> str:
    """The rule with UNTIL in the series' wall time, since we expand in naive wall time
    (dateutil refuses to mix a naive start with a UTC UNTIL)."""
    parts = []
    for part in rule.split(";"):
        key, _, value = part.partition("=")
        if key.strip().upper() == "UNTIL":
            until = _parse_moment(value, tzid=None, zone=zone)
            if len(value.strip()) == 8 and not all_day:
                until = until.replace(hour=23, minute=59, second=59)  # a date UNTIL is inclusive
            part = f"UNTIL={until:%Y%m%dT%H%M%S}"
        parts.append(part)
    return ";".join(parts)


def _moments(
    value: str, params: list[str], *, first: datetime, zone: zoneinfo.ZoneInfo
) -> list[datetime]:
    tzid = next((p.split("=", 1)[1] for p in params if p.upper().startswith("TZID=")), None)
    moments = []
    for text in value.split(","):
        moment = _parse_moment(text, tzid=tzid, zone=zone)
        if len(text.strip()) == 8:
            moment = datetime.combine(moment.date(), first.time())  # a DATE matches that day
        moments.append(moment)
    return moments


def _parse_moment(text: str, *, tzid: str | None, zone: zoneinfo.ZoneInfo) -> datetime:
    """An RFC 5545 DATE or DATE-TIME as naive wall time in ``zone``."""
    text = text.strip()
    if len(text) == 8:
        return datetime.strptime(text, "%Y%m%d")
    moment = datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")
    if text.endswith("Z"):
        return _wall(moment.replace(tzinfo=UTC), zone)
    if tzid:
        return _wall(moment.replace(tzinfo=zoneinfo.ZoneInfo(tzid)), zone)
    return moment


def _wall(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def occurrence_end(series: Meeting, start: datetime, duration: timedelta) -> datetime:
    """All-day occurrences last whole days in wall time (a DST change inside one must not
    make it end at 23:00); timed ones last the series' exact duration."""
    if series.all_day and series.start_date and series.end_date:
        days = series.end_date - series.start_date
        return datetime.combine(start.date() + days, time.min, tzinfo=start.tzinfo)
    return start + duration


def _replaced_starts(owner: User, series_list: list[Meeting]) -> dict[int, set[datetime]]:
    """Original starts of changed or cancelled occurrences, per series. A deleted changed
    occurrence still takes its slot: deleting one occurrence cancels it (as in Google)."""
    replaced: dict[int, set[datetime]] = {}
    if not series_list:
        return replaced
    # By owner too: the partial (owner, series) index is then searched, not scanned whole.
    exceptions = (
        Meeting.objects.filter(owner=owner, series__in=series_list, original_start__isnull=False)
        .order_by()
        .values_list("series_id", "original_start")
    )
    for series_id, original_start in exceptions:
        assert series_id is not None and original_start is not None
        replaced.setdefault(series_id, set()).add(original_start)
    return replaced


def _occurrence(
    viewer: User, meeting: Meeting, start: datetime, end: datetime, zone: zoneinfo.ZoneInfo
) -> Occurrence:
    seen = calendar_entry(viewer=viewer, meeting=meeting)
    entry = dataclasses.replace(seen, start=start, end=end)
    if meeting.all_day:
        # All-day meetings keep their dates whatever zone the viewer is in.
        own_zone = zoneinfo.ZoneInfo(meeting.time_zone)
        first_day, end_day = start.astimezone(own_zone).date(), end.astimezone(own_zone).date()
    else:
        # A meeting that ends at midnight does not spill onto the next day.
        first_day = start.astimezone(zone).date()
        end_day = (end - timedelta(microseconds=1)).astimezone(zone).date() + timedelta(days=1)
        # A zero-length meeting at midnight is on its day (end_day is exclusive).
        end_day = max(end_day, first_day + timedelta(days=1))
    return Occurrence(
        entry=entry, first_day=first_day, end_day=end_day, is_recurring=meeting.is_recurring
    )
