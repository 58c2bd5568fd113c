""" "This and following events": a series cut in two at one of its occurrences.

What Google Calendar does, and what Google's guide tells API clients to do ("Modifying all
following instances",
https://developers.google.com/workspace/calendar/api/guides/recurringevents): the series is
trimmed with UNTIL just before the occurrence, and a new series starts at it with the
changes. In the CRM both are ordinary meetings, so the sync carries them as any other: the
trimmed rule is an update of the old series, the new series an insert, into the Google
calendar of the old series (the new one records it: ``Meeting.split_from``), where Google
Calendar keeps both parts.

Occurrences changed alone from the cut on are reset, as Google Calendar warns ("This and
following events: any changes to future events will be lost"); cancelled ones stay
cancelled, moved onto the new series where it still has that occurrence, so a cut never
brings a cancelled meeting back. Everything happens in one transaction.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from tandem.meetings import recurrence
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel
from tandem.meetings.occurrences import series_expansion
from tandem.meetings.rule_cost import MAX_STEPS
from tandem.meetings.rules import wall_shift
from tandem.meetings.series_exceptions import (
    exception_rows,
    exceptions_kept_and_reset,
    left_as_it_is,
)
from tandem.meetings.services import (
    MeetingInput,
    input_of,
    meeting_create,
    meeting_delete,
    meeting_update,
)


@transaction.atomic
def series_update(*, meeting: Meeting, data: MeetingInput) -> Meeting:
    """A person's change of a whole series ("all events", the meeting form and the API):
    ``meeting_update``, then the occurrences changed alone that the new rule or start no
    longer has go, as in Google Calendar ("All events": any changes to other events will
    be lost); the form lists them before saving (``series_preview``). A changed one is
    deleted like a meeting, so the sync deletes the exception Google keeps for it (Google's
    API leaves an exception in place when a new rule drops its instance); one deleted
    already stays (the sync may still owe Google its deletion: two cuts before a sync
    delete the exception as one does). A row that only hides a cancelled occurrence stays
    too, naming no occurrence, as Google's cancelled exception stays: both follow the
    series (``rules.original_moved``), so should a later change bring the series back to
    that day (a change of kind undone, a rule lengthened again), the day is hidden on both
    sides. Removed, the CRM showed that day while Google's exception still hid it
    (tests/sync/test_found_by_machine_kind.py).

    Not in ``meeting_update`` itself: a rule changed in Google reaches the CRM through it,
    and there the sync's own passes settle the rows (the outbound pass's occurrences)."""
    before = (meeting.recurrence, meeting.start, meeting.all_day)
    meeting = meeting_update(meeting=meeting, data=data)
    if meeting.series_id is None and before != (
        meeting.recurrence,
        meeting.start,
        meeting.all_day,
    ):
        for row in exceptions_kept_and_reset(meeting).reset:
            if left_as_it_is(row):
                # Deleted already (by an earlier cut, say): its deletion may not have
                # reached Google yet, which the row's link still owes. Cancelled: it hides
                # nothing now, as Google's exception does. Either stays as it is.
                continue
            meeting_delete(meeting=row)
    return meeting


def check_slot(*, series: Meeting, original_start: datetime) -> None:
    """ValidationError unless ``series`` (writable, alive) has an occurrence at
    ``original_start``, changed alone or not."""
    _check_series(series)
    _earlier_starts(series, original_start)


def _check_series(series: Meeting) -> None:
    if not series.is_recurring or series.series_id is not None:
        raise ValidationError("Only a recurring meeting has following events.")
    if series.read_only:
        raise ValidationError("This meeting comes from a Google calendar you cannot edit.")
    if series.is_deleted:
        raise ValidationError("A deleted meeting must be restored before it is edited.")


def _earlier_starts(series: Meeting, original_start: datetime) -> list[datetime]:
    """The series' occurrences before ``original_start``; ValidationError unless the series
    has an occurrence there."""
    starts = series_expansion(
        series=series, start=series.start, end=original_start, limit=MAX_STEPS
    ).starts
    here = series_expansion(
        series=series, start=original_start, end=original_start + (series.end - series.start)
    )
    if original_start not in here.starts and original_start != series.start:
        raise ValidationError("The meeting has no occurrence at that time.")
    return starts


def lines_until(series: Meeting, original_start: datetime) -> list[str]:
    """The series' lines ended just before its occurrence at ``original_start``."""
    zone = zoneinfo.ZoneInfo(series.time_zone)
    earlier = _earlier_starts(series, original_start)
    until = recurrence.split_until(
        previous=earlier[-1], split=original_start, zone=zone, all_day=series.all_day
    )
    wall = original_start.astimezone(zone).replace(tzinfo=None)
    return recurrence.lines_before(series.recurrence, until=until, split=wall, zone=zone)


def lines_following(series: Meeting, original_start: datetime) -> list[str]:
    """The lines a new series starting at ``original_start`` takes over (a COUNT keeps only
    the occurrences left): what the form proposes for "this and following"."""
    zone = zoneinfo.ZoneInfo(series.time_zone)
    done = len(_earlier_starts(series, original_start))
    wall = original_start.astimezone(zone).replace(tzinfo=None)
    return recurrence.lines_from(series.recurrence, split=wall, done=done, zone=zone)


def rows_from(
    series: Meeting, original_start: datetime, *, rows: list[Meeting] | None = None
) -> list[Meeting]:
    """The series' changed and cancelled occurrences from ``original_start`` on (``rows``:
    its ``exception_rows`` when read already)."""
    rows = exception_rows(series) if rows is None else rows
    return [row for row in rows if row.original_start and row.original_start >= original_start]


@transaction.atomic
def series_split(*, series: Meeting, original_start: datetime, data: MeetingInput) -> Meeting:
    """Changes the series' occurrences from ``original_start`` on to ``data`` (its
    ``recurrence`` the new series' rule); returns the series that holds them. From the
    first occurrence on, that is the whole series, changed in place."""
    _check_series(series)
    if original_start == series.start:
        return series_update(meeting=series, data=data)
    # Only the cancellations of occurrences the series has: a row a change left apart
    # (series_update) hides none, and the new series starts without it, as Google's does.
    rows = exception_rows(series)
    named = {row.pk for row in exceptions_kept_and_reset(series, rows=rows).kept}
    cancelled = [
        row.original_start
        for row in rows_from(series, original_start, rows=rows)
        if left_as_it_is(row) and row.pk in named
    ]
    data = _rule_moved_along(series, original_start, data)
    _trim(series, original_start)
    new_series = meeting_create(owner=series.owner, data=data, split_from=series)
    zone = zoneinfo.ZoneInfo(new_series.time_zone)
    for slot in cancelled:
        assert slot is not None
        moved = wall_shift(slot, zone, old=original_start, new=new_series.start)
        try:
            occurrence_cancel(series=new_series, original_start=moved)
        except ValidationError:
            continue  # the new rule has no occurrence there: nothing to keep cancelled
    return new_series


def _rule_moved_along(
    series: Meeting, original_start: datetime, data: MeetingInput
) -> MeetingInput:
    """``data`` with the proposed rule (``lines_following``, kept as proposed) moved along
    with the start: its UNTIL was written for the series at ``original_start``, so a new
    series moved to a later day would lose its last occurrences, all of them when it is cut
    at its last one (a series ending before its own start). Google Calendar's "this and
    following events" moves the occurrences left, keeping them all; the UNTIL moves as many
    days on the wall clock (``lines_until_days_later``), and for a timed series keeps its
    last day under the new time of day (``lines_until_moved``). A rule the person changed
    is theirs, kept as given."""
    proposed = lines_following(series, original_start)
    if list(data.recurrence) != proposed:
        return data
    zone = zoneinfo.ZoneInfo(series.time_zone)
    was = original_start.astimezone(zone)
    if data.all_day:
        if data.start_date is None:
            return data
        day = data.start_date
    else:
        if data.start is None or data.start.tzinfo is None:
            return data
        start = data.start.astimezone(zoneinfo.ZoneInfo(data.time_zone))
        day = start.date()
    days = (day - was.date()).days
    lines = recurrence.lines_until_days_later(proposed, days=days, zone=zone)
    if not data.all_day and not series.all_day:
        written_for = (was.replace(tzinfo=None) + timedelta(days=days)).replace(tzinfo=zone)
        lines = recurrence.lines_until_moved(lines, written_for=written_for, start=start)
    return replace(data, recurrence=list(lines))


@transaction.atomic
def series_delete_following(*, series: Meeting, original_start: datetime) -> Meeting:
    """Deletes the series' occurrences from ``original_start`` on: the series ends just
    before it (from the first occurrence on, the whole series is deleted)."""
    _check_series(series)
    if original_start == series.start:
        return meeting_delete(meeting=series)
    return _trim(series, original_start)


def _trim(series: Meeting, original_start: datetime) -> Meeting:
    """Ends the series just before ``original_start``; ``series_update`` resets the rows of
    the occurrences it no longer has."""
    lines = lines_until(series, original_start)
    return series_update(meeting=series, data=replace(input_of(series), recurrence=lines))
