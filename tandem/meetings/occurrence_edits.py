"""Changing or cancelling one occurrence of a recurring meeting, as Google does.

The occurrence becomes a row of its own pointing at the series (``series``,
``original_start``): a changed one with its own fields, a cancelled one as a row that only
hides its slot (``is_cancelled_occurrence``, never listed as a meeting). The calendar pages
show the row instead of the series' occurrence (``occurrences._replaced_starts``), and the
sync engine makes the same change to that instance in Google (``sync/core/outbound.py``).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrence_end, series_starts
from tandem.meetings.services import MeetingInput, announce, normalised, validate_lengths


def check_occurrence(*, series: Meeting, original_start: datetime) -> None:
    """ValidationError unless the series (writable, alive) has an occurrence starting at
    ``original_start`` that no row replaces yet."""
    if not series.is_recurring or series.series_id is not None:
        raise ValidationError("Only an occurrence of a recurring meeting can be changed alone.")
    if series.read_only:
        raise ValidationError("This meeting comes from a Google calendar you cannot edit.")
    if series.is_deleted:
        raise ValidationError("A deleted meeting must be restored before it is edited.")
    near = timedelta(seconds=1)
    starts = series_starts(series=series, start=original_start - near, end=original_start + near)
    if original_start not in starts:
        raise ValidationError("The meeting has no occurrence at that time.")
    if Meeting.objects.filter(series=series, original_start=original_start).exists():
        raise ValidationError("That occurrence was already changed or cancelled.")


@transaction.atomic
def occurrence_change(*, series: Meeting, original_start: datetime, data: MeetingInput) -> Meeting:
    """The occurrence of ``series`` at ``original_start`` becomes a meeting of its own with
    ``data`` (no recurrence of its own); the others stay as they are."""
    check_occurrence(series=series, original_start=original_start)
    values = normalised(MeetingInput(**{**data.__dict__, "recurrence": []}))
    row = Meeting(owner=series.owner, series=series, original_start=original_start, **values)
    validate_lengths(row)
    row.save()
    announce(row, "crm")
    return row


@transaction.atomic
def occurrence_cancel(*, series: Meeting, original_start: datetime) -> Meeting:
    """Cancels the occurrence of ``series`` at ``original_start`` alone: a row that hides
    that slot, with the series' subject and length there."""
    check_occurrence(series=series, original_start=original_start)
    row = Meeting(
        owner=series.owner,
        series=series,
        original_start=original_start,
        is_cancelled_occurrence=True,
        subject=series.subject,
        all_day=series.all_day,
        time_zone=series.time_zone,
        visibility=series.visibility,
        **occurrence_bounds(series=series, original_start=original_start),
    )
    row.save()
    announce(row, "crm")
    return row


def occurrence_bounds(*, series: Meeting, original_start: datetime) -> dict[str, Any]:
    """The Meeting bounds of the series' occurrence at ``original_start``, as the calendar
    shows it (``occurrence_end``: all-day occurrences last whole days in wall time)."""
    start = original_start.astimezone(zoneinfo.ZoneInfo(series.time_zone))
    end = occurrence_end(series, start, series.end - series.start)
    if series.all_day:
        return {"start": start, "end": end, "start_date": start.date(), "end_date": end.date()}
    return {"start": original_start, "end": end}
