"""Where a listed occurrence of a recurring event sits in its CRM series, and the series'
values at that slot: what the row that hides a cancelled occurrence holds, and what an
occurrence changed alone on both sides started from. Pure: the series comes as its
``MeetingFields``, as every side reads it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from tandem.meetings.rules import wall_shift
from tandem.sync.core.fields import InvalidFields, MeetingFields, Moment, TimedMoment


def crm_original(
    original: Moment, series: MeetingFields, *, zone: str, agreed: datetime | None
) -> datetime:
    """The occurrence's original start in the CRM's series, as the CRM keeps it on the
    occurrence's row (all-day: midnight in ``zone``, the time zone of the series' row).

    Google names it on the series as last agreed (``agreed``: the series' start then); a
    timed series the CRM moved since (not synced yet) has its occurrences, changed ones
    included, moved on the wall clock of its zone (as meetings.services does to its rows,
    and Google to its exceptions, when a series moves), so the occurrence takes its own slot
    there, not a slot the series left."""
    start = series.start
    if not isinstance(original, TimedMoment):
        return datetime.combine(original, time.min, tzinfo=ZoneInfo(zone))
    if not isinstance(start, TimedMoment) or agreed is None or agreed == start.at:
        return original.at
    return wall_shift(original.at, ZoneInfo(start.zone), old=agreed, new=start.at)


def crm_moment(
    original: Moment, series: MeetingFields, *, zone: str, agreed: datetime | None
) -> Moment:
    """``crm_original`` as the fields of an occurrence read it."""
    start = series.start
    if not isinstance(start, TimedMoment) or not isinstance(original, TimedMoment):
        return original
    return TimedMoment(crm_original(original, series, zone=zone, agreed=agreed), start.zone)


def slot_fields(series: MeetingFields, original: Moment) -> MeetingFields | None:
    """The series' values at one occurrence's slot (its own start and end there, no rule):
    what an occurrence changed on both sides started from."""
    times = hiding_fields(series, original)
    if times is None:
        return None
    return replace(series, start=times.start, end=times.end, recurrence=())


def hiding_fields(series: MeetingFields, original: Moment) -> MeetingFields | None:
    """The fields of the row that hides a cancelled occurrence: the series' subject and
    length at the occurrence's original start (None if the two do not fit together)."""
    start, end = series.start, series.end
    try:
        if not isinstance(start, TimedMoment):
            if type(original) is not date or isinstance(end, TimedMoment):
                return None
            return MeetingFields(
                subject=series.subject, start=original, end=original + (end - start)
            )
        if not isinstance(original, TimedMoment) or not isinstance(end, TimedMoment):
            return None
        return MeetingFields(
            subject=series.subject,
            start=TimedMoment(original.at, start.zone),
            end=TimedMoment(original.at + (end.at - start.at), start.zone),
        )
    except InvalidFields:
        return None
