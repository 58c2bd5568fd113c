"""Changing or cancelling one occurrence of a recurring meeting, as Google does.

The occurrence becomes a row of its own pointing at the series (``series``,
``original_start``): a changed one with its own fields, a cancelled one as a row that only
hides its slot (``is_cancelled_occurrence``, never listed as a meeting). The calendar pages
show the row instead of the series' occurrence (``occurrences._replaced_starts``), and the
sync engine makes the same change to that instance in Google (``sync/engine/exceptions_out``).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import series_starts
from tandem.meetings.services import MeetingInput, announce, normalised, validate_lengths


def occurrence_of(*, series: Meeting, original_start: datetime) -> datetime:
    """``original_start`` as the series has it; ValidationError unless the series has an
    occurrence starting then that no row replaces yet."""
    if not series.is_recurring or series.series_id is not None:
        raise ValidationError("Only an occurrence of a recurring meeting can be changed alone.")
    if series.read_only:
        raise ValidationError("This meeting comes from a Google calendar you cannot edit.")
    if series.is_deleted:
        raise ValidationError("A deleted meeting must be restored before it is edited.")
    second = timedelta(seconds=1)
    starts = series_starts(
        series=series, start=original_start - second, end=original_start + second
    )
    if original_start not in starts:
        raise ValidationError("The meeting has no occurrence at that time.")
    if Meeting.objects.filter(series=series, original_start=original_start).exists():
        raise ValidationError("That occurrence was already changed or cancelled.")
    return original_start


@transaction.atomic
def occurrence_change(*, series: Meeting, original_start: datetime, data: MeetingInput) -> Meeting:
    """The occurrence of ``series`` at ``original_start`` becomes a meeting of its own with
    ``data`` (no recurrence of its own); the others stay as they are."""
    original = occurrence_of(series=series, original_start=original_start)
    values = normalised(MeetingInput(**{**data.__dict__, "recurrence": []}))
    row = Meeting(owner=series.owner, series=series, original_start=original, **values)
    validate_lengths(row)
    row.save()
    announce(row, "crm")
    return row


@transaction.atomic
def occurrence_cancel(*, series: Meeting, original_start: datetime) -> Meeting:
    """Cancels the occurrence of ``series`` at ``original_start`` alone: a row that hides
    that slot, with the series' subject and length there."""
    original = occurrence_of(series=series, original_start=original_start)
    row = Meeting(
        owner=series.owner,
        series=series,
        original_start=original,
        is_cancelled_occurrence=True,
        subject=series.subject,
        all_day=series.all_day,
        time_zone=series.time_zone,
        visibility=series.visibility,
        **occurrence_bounds(series=series, original_start=original),
    )
    row.save()
    announce(row, "crm")
    return row


def occurrence_bounds(*, series: Meeting, original_start: datetime) -> dict[str, Any]:
    """The Meeting bounds of the series' occurrence at ``original_start``."""
    if series.all_day and series.start_date and series.end_date:
        # Whole days in wall time (a DST change inside the occurrence must not shift its end).
        zone = zoneinfo.ZoneInfo(series.time_zone)
        first_day = original_start.astimezone(zone).date()
        end_day = first_day + (series.end_date - series.start_date)
        return {
            "start": datetime.combine(first_day, time.min, tzinfo=zone),
            "end": datetime.combine(end_day, time.min, tzinfo=zone),
            "start_date": first_day,
            "end_date": end_day,
        }
    return {"start": original_start, "end": original_start + (series.end - series.start)}
