"""A series' values at one of its occurrence slots, as MeetingFields: what the row that
hides a cancelled occurrence holds, and what an occurrence "changed" alone started from."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tandem.meetings.models import Meeting
from tandem.sync.adapters.crm import meeting_fields
from tandem.sync.core.fields import InvalidFields, MeetingFields, Moment, TimedMoment


def series_slot_fields(series: Meeting, original: Moment) -> MeetingFields | None:
    """The series' values at one occurrence's slot (its own start and end there, no rule):
    what an occurrence changed on both sides started from."""
    times = cancelled_occurrence_fields(series, original)
    if times is None:
        return None
    return replace(meeting_fields(series), start=times.start, end=times.end, recurrence=())


def cancelled_occurrence_fields(series: Meeting, original: Moment) -> MeetingFields | None:
    """The fields of the row that hides a cancelled occurrence: the series' subject and
    length at the occurrence's original start (None if the two do not fit together)."""
    try:
        if series.all_day and series.start_date and series.end_date:
            if type(original) is not date:
                return None
            length = series.end_date - series.start_date
            return MeetingFields(subject=series.subject, start=original, end=original + length)
        if not isinstance(original, TimedMoment):
            return None
        zone = series.time_zone
        length_ = series.end - series.start
        return MeetingFields(
            subject=series.subject,
            start=TimedMoment(original.at, zone),
            end=TimedMoment(original.at + length_, zone),
        )
    except InvalidFields:
        return None
