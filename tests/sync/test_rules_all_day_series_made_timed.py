"""An all-day series with an occurrence changed or cancelled alone, then made timed.

The occurrence was renamed or cancelled alone (in the CRM or in Google) and synced, so both
sides hold it as an exception of the series; then the whole series is made timed
(09:00-10:00 in the series' zone) and the CRM syncs. Both calendars must then show the same
occurrences (titles, days or times), and the next run writes nothing.

Google's pages say nothing of an exception whose series changes kind; the emulator keeps
its ``originalStartTime`` a date, moved by whole days with its series
(fakegoogle/events.py ``_exceptions_follow``), so it names no instance of the timed series:
a renamed one stands on its own beside the series' occurrence that day, a cancelled one
hides nothing. The CRM's row used to move onto the timed slot (meetings.services
``_exceptions_follow``) and hid that occurrence, which Google showed (meetings/rules.py
``original_moved``).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import occurrences_between, series_starts
from tandem.meetings.series_edits import series_update
from tandem.meetings.services import input_of
from tests.meetings.test_series_made_timed import made_all_day, made_timed
from tests.sync import test_rules_all_day_series_moved as moved
from tests.sync.harness import SyncWorld, run_clean
from tests.sync.test_found_by_machine import _next_run_writes_nothing

pytestmark = pytest.mark.django_db(transaction=True)

world = moved.world  # the fixture: a user whose all-day meetings' days are Berlin days
FIRST = moved.FIRST  # a Monday; the three Mondays are in winter time

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
WEEK = timedelta(weeks=1)
SECOND = FIRST + WEEK
RENAMED = "Site visit, renamed"

# What a calendar shows of one occurrence: its title, and its day (all-day) or its start
# on Berlin's wall clock (timed).
Shown = tuple[str, str]


def _at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=BERLIN)


def _timed(day: date, *, hours: int = 0) -> dict[str, Any]:
    """A PATCH of an all-day bound to 09:00 (+ ``hours``) Berlin time on ``day`` (null
    clears the date: a PATCH merges into the bound)."""
    at = _at_nine(day) + timedelta(hours=hours)
    return {"date": None, "dateTime": at.isoformat(), "timeZone": "Europe/Berlin"}


def _shown_in_crm(world: SyncWorld) -> list[Shown]:
    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=FIRST - timedelta(days=7),
        end_day=FIRST + timedelta(days=28),
        zone=BERLIN,
    )
    return sorted(
        (
            o.entry.subject,
            o.first_day.isoformat()
            if o.entry.all_day
            else o.entry.start.astimezone(BERLIN).isoformat(),
        )
        for o in shown
    )


def _shown_in_google(world: SyncWorld) -> list[Shown]:
    """The calendar as Google shows it: events.list with ``singleEvents`` (the series
    expanded, every exception listed on its own)."""
    params = {
        "singleEvents": "true",
        "timeMin": _at_nine(FIRST - timedelta(days=7)).isoformat(),
        "timeMax": _at_nine(FIRST + timedelta(days=28)).isoformat(),
        "maxResults": 2500,
    }
    path = world.google._events(world.primary)
    items = world.google._ok(world.google._send("GET", path, params=params))["items"]

    def start(event: dict[str, Any]) -> str:
        if "date" in event["start"]:
            return str(event["start"]["date"])
        return datetime.fromisoformat(event["start"]["dateTime"]).astimezone(BERLIN).isoformat()

    return sorted((e.get("summary", ""), start(e)) for e in items)


# -- the occurrence changed alone, on either side --------------------------------------------


def _crm_series(world: SyncWorld) -> Meeting:
    return Meeting.objects.get(owner=world.user, series__isnull=True)


def _crm_second(series: Meeting) -> datetime:
    near = timedelta(seconds=1)
    return series_starts(series=series, start=series.start - near, end=series.start + 2 * WEEK)[1]


def _renamed_in_crm(world: SyncWorld, event_id: str) -> None:
    series = _crm_series(world)
    data = replace(input_of(series), subject=RENAMED, recurrence=[])
    data = replace(data, start_date=SECOND, end_date=SECOND + timedelta(days=1))
    occurrence_change(series=series, original_start=_crm_second(series), data=data)


def _cancelled_in_crm(world: SyncWorld, event_id: str) -> None:
    series = _crm_series(world)
    occurrence_cancel(series=series, original_start=_crm_second(series))


def _renamed_in_google(world: SyncWorld, event_id: str) -> None:
    second = world.google.instances(world.primary, event_id)[1]
    world.google.patch_event(world.primary, second["id"], summary=RENAMED)


def _cancelled_in_google(world: SyncWorld, event_id: str) -> None:
    second = world.google.instances(world.primary, event_id)[1]
    world.google.delete_event(world.primary, second["id"])


EXCEPTIONS: dict[str, Callable[[SyncWorld, str], None]] = {
    "renamed in the CRM": _renamed_in_crm,
    "cancelled in the CRM": _cancelled_in_crm,
    "renamed in Google": _renamed_in_google,
    "cancelled in Google": _cancelled_in_google,
}


def _series_with_exception(world: SyncWorld, exception: str) -> dict[str, Any]:
    """A weekly all-day series of three, Mondays from ``FIRST``, made in Google, its second
    occurrence changed alone (``exception``), synced: its event."""
    _, event = moved._synced_series(world)  # Mondays from FIRST, before summer time
    EXCEPTIONS[exception](world, event["id"])
    run_clean(world)
    mondays = [("Site visit", (FIRST + timedelta(weeks=n)).isoformat()) for n in (0, 2)]
    if exception.startswith("renamed"):
        mondays.append((RENAMED, SECOND.isoformat()))
    assert _shown_in_google(world) == sorted(mondays)
    assert _shown_in_crm(world) == _shown_in_google(world)
    return event


def _timed_series(first: date) -> list[Shown]:
    return [("Site visit", _at_nine(first + timedelta(weeks=n)).isoformat()) for n in range(3)]


# -- made timed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("exception", list(EXCEPTIONS))
@pytest.mark.parametrize(
    "first", [FIRST, FIRST - timedelta(days=1)], ids=["same days", "a day earlier"]
)
def test_an_all_day_series_made_timed_in_google_shows_its_exceptions_alike(
    world: SyncWorld, exception: str, first: date
) -> None:
    """Made timed in Google (on its Mondays, or on the Sundays before): Google keeps the
    exception on its day (its original start moved by whole days), where it names no
    instance of the timed series: the series shows all three occurrences, and a renamed
    exception shows on its own beside them. The CRM shows the same: it showed two timed
    occurrences, its row having taken the second one's slot."""
    event = _series_with_exception(world, exception)
    world.google.patch_event(
        world.primary, event["id"], start=_timed(first), end=_timed(first, hours=1)
    )

    run_clean(world)

    expected = _timed_series(first)
    if exception.startswith("renamed"):
        expected.append((RENAMED, SECOND.isoformat()))
    assert _shown_in_google(world) == sorted(expected)
    assert _shown_in_crm(world) == _shown_in_google(world)
    _next_run_writes_nothing(world)


@pytest.mark.parametrize("exception", list(EXCEPTIONS))
def test_an_all_day_series_made_timed_in_the_crm_resets_its_exceptions_on_both_sides(
    world: SyncWorld, exception: str
) -> None:
    """Made timed by a person in the CRM ("all events"): the rows stay on their days, which
    the timed series has no occurrence at, so the change resets them (series_update, as
    Google Calendar's "All events" loses the changes to occurrences it no longer has), and
    the sync cancels the exception Google kept: both calendars show the three timed
    occurrences. The CRM's row used to take the timed slot, hiding the second occurrence
    that Google showed beside the renamed exception."""
    _series_with_exception(world, exception)
    series = _crm_series(world)
    series_update(meeting=series, data=made_timed(series, _at_nine(FIRST)))

    run_clean(world)

    assert _shown_in_google(world) == sorted(_timed_series(FIRST))
    assert _shown_in_crm(world) == _shown_in_google(world)
    _next_run_writes_nothing(world)


# -- made timed, then all-day again -------------------------------------------------------------


@pytest.mark.parametrize("synced_between", [False, True], ids=["one sync", "a sync between"])
@pytest.mark.parametrize("exception", ["cancelled in the CRM", "cancelled in Google"])
def test_made_timed_and_all_day_again_in_the_crm_hides_the_cancelled_day_on_both_sides(
    world: SyncWorld, exception: str, synced_between: bool
) -> None:
    """Made timed on the Sundays before (09:00), then all-day on the Saturdays before, by a
    person in the CRM. Google moves its cancelled exception with the series each time, by
    the series' days (a date moves by whole days: Monday, Sunday, Saturday), so it hides
    the second Saturday; the CRM's row, which named no occurrence while the series was
    timed, follows the same days (series_update keeps it, rules.original_moved), so the
    CRM hides that Saturday too. The form used to delete the row: the CRM showed three
    Saturdays, Google two. With a sync between, the emulator moved the exception by the
    floor of the wall-clock hours (-33 h: two days, onto the Friday), which named no day."""
    _series_with_exception(world, exception)
    series = _crm_series(world)
    series_update(meeting=series, data=made_timed(series, _at_nine(FIRST - timedelta(days=1))))
    if synced_between:
        run_clean(world)
        assert _shown_in_google(world) == sorted(_timed_series(FIRST - timedelta(days=1)))
    series = _crm_series(world)
    saturday = FIRST - timedelta(days=2)
    series_update(meeting=series, data=made_all_day(series, saturday))

    run_clean(world)

    saturdays = [("Site visit", (saturday + timedelta(weeks=n)).isoformat()) for n in (0, 2)]
    assert _shown_in_google(world) == saturdays
    assert _shown_in_crm(world) == _shown_in_google(world)
    _next_run_writes_nothing(world)
