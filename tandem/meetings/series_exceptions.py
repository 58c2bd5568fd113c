"""Which occurrences changed or cancelled alone a series keeps when the series changes.

A changed or cancelled occurrence is a row of its series (``series``, ``original_start``).
When the whole series moves, each row follows its occurrence (``original_moved``, as Google
keeps exceptions when a recurring event is updated); when the rule changes, a row whose
occurrence the new rule no longer has is *reset*: Google Calendar drops it ("All events:
any changes to other events will be lost" when the occurrence is gone), and a row that
replaced nothing would show as a meeting of its own. The meeting form lists both before
saving (``exceptions_kept_and_reset``), and ``series_edits.series_update`` removes the
reset ones in the same transaction. The rows of an all-day series made timed are reset
too: they stay on their days, which the timed series has no occurrence at; so are those of
a timed series made all-day, which keep their time of day.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import series_starts
from tandem.meetings.rules import original_moved

_NEAR = timedelta(seconds=1)


@dataclass(frozen=True)
class Exceptions:
    kept: list[Meeting]
    reset: list[Meeting]


def exceptions_kept_and_reset(
    series: Meeting,
    *,
    rows: list[Meeting] | None = None,
    moved_from: datetime | None = None,
    was_all_day: bool = False,
) -> Exceptions:
    """The rows of ``series`` (saved, or an unsaved copy with the values about to be saved)
    it keeps and those it resets. ``moved_from``: the series' start before the change, for
    rows not moved yet (a preview), moved as the save will move them (``was_all_day``: the
    series was all-day, ``rules.original_moved``); None when they already follow it."""
    if rows is None:
        rows = exception_rows(series)
    zone = zoneinfo.ZoneInfo(series.time_zone)
    kept, reset = [], []
    for row in rows:
        assert row.original_start is not None  # exception_rows
        slot = row.original_start
        if moved_from is not None:
            slot = original_moved(
                slot,
                zone,
                old=moved_from,
                new=series.start,
                of_all_day=was_all_day,
                to_all_day=series.all_day,
            )
        if series.is_recurring and slot in series_starts(
            series=series, start=slot - _NEAR, end=slot + _NEAR
        ):
            kept.append(row)
        else:
            reset.append(row)
    return Exceptions(kept=kept, reset=reset)


def left_as_it_is(row: Meeting) -> bool:
    """A row a reset leaves as it is (``series_edits.series_update``): deleted already (its
    link may still owe Google the deletion), or one that only hides a cancelled
    occurrence (it follows the series, naming none, as Google's cancelled exception
    does)."""
    return row.is_cancelled_occurrence or row.is_deleted


def exception_rows(series: Meeting) -> list[Meeting]:
    """The series' changed and cancelled occurrences (deleted ones too: a deleted occurrence
    still takes its slot), in the order of their occurrences."""
    if series.pk is None:
        return []
    rows = Meeting.objects.filter(series_id=series.pk, original_start__isnull=False)
    return list(rows.order_by("original_start"))
