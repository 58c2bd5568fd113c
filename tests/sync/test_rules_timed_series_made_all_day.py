"""A timed series with an occurrence changed or cancelled alone, then made all-day.

The reverse of tests/sync/test_rules_all_day_series_made_timed.py. A weekly series
(09:00-10:00 Berlin time) has its second occurrence renamed or cancelled alone (in the CRM
or in Google) and synced, so both sides hold it as an exception of the series; then the
whole series is made all-day (in Google, on the same days or a day earlier, or in the CRM)
and the CRM syncs. Both calendars must then show the same occurrences (titles, days or
times), and the next run writes nothing.

Google's pages say nothing of an exception whose series changes kind; the emulator keeps
its ``originalStartTime`` a ``dateTime``, moved on the wall clock with its series
(fakegoogle/events.py ``_exceptions_follow``: 09:00 -> 00:00 of its day), which names no
instance of the all-day series (those are named by ``date``): a renamed exception stands on
its own beside the series' occurrence that day, a cancelled one hides nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from tandem.meetings.occurrence_edits import occurrence_change
from tandem.meetings.series_edits import series_update
from tandem.meetings.services import input_of
from tests.meetings.test_series_made_timed import made_all_day
from tests.sync.harness import SyncWorld, run_clean
from tests.sync.test_found_by_machine import _next_run_writes_nothing
from tests.sync.test_rules_all_day_series_made_timed import (
    FIRST,
    RENAMED,
    SECOND,
    WEEK,
    Shown,
    _at_nine,
    _cancelled_in_crm,
    _cancelled_in_google,
    _crm_second,
    _crm_series,
    _renamed_in_google,
    _shown_in_crm,
    _shown_in_google,
    world,
)

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["world"]  # the fixture: a user whose all-day meetings' days are Berlin days


def _renamed_in_crm(world: SyncWorld, event_id: str) -> None:
    series = _crm_series(world)
    data = replace(input_of(series), subject=RENAMED, recurrence=[])
    data = replace(data, start=_at_nine(SECOND), end=_at_nine(SECOND) + timedelta(hours=1))
    occurrence_change(series=series, original_start=_crm_second(series), data=data)


EXCEPTIONS: dict[str, Callable[[SyncWorld, str], None]] = {
    "renamed in the CRM": _renamed_in_crm,
    "cancelled in the CRM": _cancelled_in_crm,
    "renamed in Google": _renamed_in_google,
    "cancelled in Google": _cancelled_in_google,
}


def _series_with_exception(world: SyncWorld, exception: str) -> dict[str, Any]:
    """A weekly timed series of three, 09:00-10:00 Berlin time on Mondays from ``FIRST``,
    made in Google, its second occurrence changed alone (``exception``), synced: its
    event."""
    event = world.google.create_event(
        world.primary,
        "Site visit",
        _at_nine(FIRST),
        _at_nine(FIRST) + timedelta(hours=1),
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    run_clean(world)
    EXCEPTIONS[exception](world, event["id"])
    run_clean(world)
    mondays = [("Site visit", _at_nine(FIRST + n * WEEK).isoformat()) for n in (0, 2)]
    if exception.startswith("renamed"):
        mondays.append((RENAMED, _at_nine(SECOND).isoformat()))
    assert _shown_in_google(world) == sorted(mondays)
    assert _shown_in_crm(world) == _shown_in_google(world)
    return event


def _all_day_series(first: date) -> list[Shown]:
    return [("Site visit", (first + n * WEEK).isoformat()) for n in range(3)]


@pytest.mark.parametrize("exception", list(EXCEPTIONS))
@pytest.mark.parametrize(
    "first", [FIRST, FIRST - timedelta(days=1)], ids=["same days", "a day earlier"]
)
def test_a_timed_series_made_all_day_in_google_shows_its_exceptions_alike(
    world: SyncWorld, exception: str, first: date
) -> None:
    """Made all-day in Google (on its Mondays, or on the Sundays before): Google keeps the
    exception's original start a time (00:00 of its day), which names no instance of the
    all-day series: the series shows all three days, and a renamed exception shows on its
    own, at its time, beside them."""
    event = _series_with_exception(world, exception)
    world.google.patch_event(
        world.primary,
        event["id"],
        start={"date": first.isoformat(), "dateTime": None, "timeZone": None},
        end={"date": (first + timedelta(days=1)).isoformat(), "dateTime": None, "timeZone": None},
    )

    run_clean(world)

    expected = _all_day_series(first)
    if exception.startswith("renamed"):
        expected.append((RENAMED, _at_nine(SECOND).isoformat()))
    assert _shown_in_google(world) == sorted(expected)
    assert _shown_in_crm(world) == _shown_in_google(world)
    _next_run_writes_nothing(world)


@pytest.mark.parametrize("exception", list(EXCEPTIONS))
def test_a_timed_series_made_all_day_in_the_crm_shows_its_exceptions_alike(
    world: SyncWorld, exception: str
) -> None:
    """Made all-day by a person in the CRM ("all events"): the rows keep their time of day,
    which the all-day series has no occurrence at, so the change resets them (series_update,
    as Google Calendar's "All events" loses the changes to occurrences it no longer has),
    and the sync cancels the exception Google kept: both calendars show the three days. The
    CRM's row used to move to midnight, naming the second day and hiding it, while Google
    showed it."""
    _series_with_exception(world, exception)
    series = _crm_series(world)
    series_update(meeting=series, data=made_all_day(series, FIRST))

    run_clean(world)

    assert _shown_in_google(world) == sorted(_all_day_series(FIRST))
    assert _shown_in_crm(world) == _shown_in_google(world)
    _next_run_writes_nothing(world)
