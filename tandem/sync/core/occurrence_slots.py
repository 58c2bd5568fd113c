"""Where a listed occurrence of a recurring event sits in its CRM series, and the series'
values at that slot: what the row that hides a cancelled occurrence holds, and what an
occurrence changed alone on both sides started from. Pure: the series comes as its
``MeetingFields``, as every side reads it."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from msgspec.structs import replace

from tandem.meetings.rules import original_moved
from tandem.sync.core.fields import InvalidFields, MeetingFields, Moment, TimedMoment


def crm_original(
    original: Moment, series: MeetingFields, *, zone: str, named_on: Moment | None
) -> datetime:
    """The occurrence's original start in the CRM's series, as the CRM keeps it on the
    occurrence's row (all-day: midnight in ``zone``, the time zone of the series' row).

    Google names it on its series as Google has it now (``named_on``: that series' start,
    ``SeriesRow.named_on``: as last agreed, or as this listing returned it when Google moved
    it); a series whose start differs in the CRM (moved there since, not synced yet; or
    Google's move that the CRM's values beat) has its occurrences, changed ones included,
    moved on the wall clock of its zone, by whole days for an all-day series (as
    meetings.services does to its rows, and Google to its exceptions, when a series moves),
    so the occurrence takes its own slot there, not a slot the series left. An original
    start that is a day (an exception of an all-day series) moves by whole days, also to a
    series made timed since, as the CRM moves its rows (``rules.original_moved``); a timed
    one of a series made all-day since moves by whole days too, keeping its time of day."""
    at = _as_kept(original, zone)
    if named_on is None:
        return at
    old, new = _as_kept(named_on, zone), _as_kept(series.start, zone)
    if old == new:
        return at
    of_all_day = not isinstance(original, TimedMoment)
    to_all_day = not isinstance(series.start, TimedMoment)
    return original_moved(
        at, ZoneInfo(zone), old=old, new=new, of_all_day=of_all_day, to_all_day=to_all_day
    )


def crm_moment(
    original: Moment, series: MeetingFields, *, zone: str, named_on: Moment | None
) -> Moment:
    """``crm_original`` as the fields of an occurrence read it."""
    at = crm_original(original, series, zone=zone, named_on=named_on)
    if not isinstance(series.start, TimedMoment):
        return at.astimezone(ZoneInfo(zone)).date()
    return TimedMoment(at, series.start.zone)


def _as_kept(moment: Moment, zone: str) -> datetime:
    """A moment as the Meeting model keeps it (a day: its midnight in ``zone``)."""
    if isinstance(moment, TimedMoment):
        return moment.at
    return datetime.combine(moment, time.min, tzinfo=ZoneInfo(zone))


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
