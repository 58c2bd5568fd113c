"""A recurring meeting's occurrences in a range, as a list a script can read: each slot of
the series with what became of it (scheduled as the rule says, changed alone, or cancelled
alone), like Google's ``events.instances`` with ``showDeleted``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_bounds
from tandem.meetings.occurrences import occurrence_end, occurrence_key, series_expansion
from tandem.meetings.rule_cost import MAX_OCCURRENCES_PER_SERIES

# A series is expanded only over the range asked for; a year keeps one answer small.
MAX_RANGE = timedelta(days=366)


@dataclass(frozen=True)
class SeriesOccurrence:
    key: str  # the occurrence's name in URLs: its original start in UTC
    original_start: datetime
    start: datetime
    end: datetime
    status: str  # "scheduled", "changed" or "cancelled"
    time_zone: str  # the series' zone (a changed occurrence's own), to show the times in
    all_day: bool
    meeting_id: int | None = None  # the meeting a changed occurrence became


def series_occurrences(
    *, series: Meeting, start: datetime, end: datetime
) -> list[SeriesOccurrence]:
    """The occurrences of ``series`` that intersect [start, end), by original start. A changed
    occurrence is listed where it is now (it counts when either its slot or its new times
    intersect the range); a cancelled one, or a changed one deleted since, is "cancelled"."""
    if not series.is_recurring or series.series_id is not None:
        raise ValidationError("Only a recurring meeting has occurrences.")
    if end - start > MAX_RANGE:
        raise ValidationError(f"Ask for at most {MAX_RANGE.days} days of occurrences at a time.")
    duration = series.end - series.start
    expansion = series_expansion(series=series, start=start - duration, end=end)
    if expansion.cut:
        # Never a silently shorter list: a script would take it for the whole range.
        raise ValidationError(
            f"This series has more than {MAX_OCCURRENCES_PER_SERIES} occurrences in that "
            "range: ask for a shorter one."
        )
    slots = {
        moment: occurrence_end(series, moment, duration)
        for moment in expansion.starts
        if occurrence_end(series, moment, duration) > start
    }
    rows = {
        row.original_start: row
        for row in Meeting.objects.filter(series=series, original_start__isnull=False)
        if row.original_start is not None
    }
    found: list[SeriesOccurrence] = []
    for original_start, slot_end in slots.items():
        row = rows.pop(original_start, None)
        found.append(_occurrence(series, original_start, slot_end, row))
    for original_start, row in rows.items():  # changed rows moved in from outside
        if row.is_cancelled_occurrence or row.deleted_at is not None:
            continue
        if row.start < end and row.end > start:
            slot_end = occurrence_bounds(series=series, original_start=original_start)["end"]
            found.append(_occurrence(series, original_start, slot_end, row))
    return sorted(found, key=lambda occurrence: occurrence.original_start)


def _occurrence(
    series: Meeting, original_start: datetime, slot_end: datetime, row: Meeting | None
) -> SeriesOccurrence:
    key = occurrence_key(original_start)
    if row is None or row.is_cancelled_occurrence or row.deleted_at is not None:
        status = "scheduled" if row is None else "cancelled"
        return SeriesOccurrence(
            key,
            original_start,
            original_start,
            slot_end,
            status,
            time_zone=series.time_zone,
            all_day=series.all_day,
        )
    return SeriesOccurrence(
        key,
        original_start,
        row.start,
        row.end,
        "changed",
        time_zone=row.time_zone,
        all_day=row.all_day,
        meeting_id=row.pk,
    )
