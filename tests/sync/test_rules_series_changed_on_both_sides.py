"""A series' rule changed on both sides between two syncs, as the database state machine
met it (tests/sync/test_convergence_db.py): the merge takes the rule from one side
(docs/sync-rules.md, "The merge rule"), and what comes with it must be readable and alike
on both sides.

- Shortened on both sides (Google to one occurrence, then the CRM to four): the CRM's later
  edit wins the rule, and the side whose rule wins brings its exceptions inside that rule's
  range. Google's cut leaving an occurrence past its own shorter end is a consequence of
  the cut, no person's restoring of that occurrence: the CRM's cancellation of the fourth
  stands (and so does Google's own change of it, which Google's API keeps past the end).
- An all-day series cut in the CRM (its first part ends with a date UNTIL) and made timed
  in Google: the merged series is timed, so its UNTIL becomes a UTC time, the end of the
  same day in the series' zone (RFC 5545 §3.3.10; core/merge.py, ``_until_of_its_start``),
  and the other way round for a timed series made all-day.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel
from tandem.meetings.occurrences import series_starts
from tandem.meetings.series_edits import series_delete_following, series_update
from tandem.meetings.services import MeetingInput, input_of, meeting_create
from tandem.sync.models import EventLink
from tests.sync.harness import HOUR, SyncWorld, connect_user, run_clean
from tests.sync.test_found_by_machine import _next_run_writes_nothing
from tests.sync.test_rules_series_crm import crm_view, google_view

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
FIRST = date(2027, 3, 1)  # a Monday, before Berlin's summer time (29 March 2027)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _starts(series: Meeting) -> list[datetime]:
    near = timedelta(seconds=1)
    return series_starts(
        series=series, start=series.start - near, end=series.start + timedelta(weeks=8)
    )


def _series_in_the_crm(world: SyncWorld, data: MeetingInput) -> tuple[Meeting, str]:
    """A series made in the CRM and synced: its meeting and its event's id."""
    series = meeting_create(owner=world.user, data=data)
    run_clean(world)
    return series, EventLink.objects.get(meeting=series).event_id


def _weekly_in_the_crm(world: SyncWorld, subject: str, at: time, count: int) -> tuple[Meeting, str]:
    """``_series_in_the_crm``: weekly from ``FIRST`` at ``at`` in Berlin, an hour long."""
    first = datetime.combine(FIRST, at, tzinfo=BERLIN)
    return _series_in_the_crm(
        world,
        MeetingInput(
            subject=subject,
            start=first,
            end=first + HOUR,
            time_zone="Europe/Berlin",
            recurrence=[f"RRULE:FREQ=WEEKLY;COUNT={count}"],
        ),
    )


@pytest.mark.parametrize(
    "exception",
    [
        "cancelled in the CRM",
        "cancelled in the CRM, synced",
        "cancelled in Google",
        "renamed in Google",
    ],
)
def test_a_rule_shortened_on_both_sides_keeps_the_winning_sides_cancellation(
    world: SyncWorld, exception: str
) -> None:
    """A weekly series of five; its fourth occurrence is changed alone (cancelled in the CRM,
    synced or not, or cancelled or renamed in Google). Then, before a sync, the person ends
    the series in Google after one occurrence, and the CRM user after four ("all events"),
    later. The CRM's rule wins, and the fourth occurrence is inside it: as it was left, on
    both sides. Google's API keeps a recurring event's exceptions past a new end (as the
    emulator does, fakegoogle/events.py ``_exceptions_follow``), so Google's own change of
    the fourth comes back with the longer rule too (found by the machine, seed 1: its record
    had a CRM cancellation plain, dropped with Google's cut)."""
    series, event_id = _weekly_in_the_crm(world, "Weekly", time(9), 5)
    fourth = _starts(series)[3]
    if exception.endswith("in Google"):
        instance = world.google.instances(world.primary, event_id)[3]
        if exception.startswith("cancelled"):
            world.google.delete_event(world.primary, instance["id"])
        else:
            world.google.patch_event(world.primary, instance["id"], summary="Renamed")
    else:
        occurrence_cancel(series=series, original_start=fourth)
        if exception.endswith("synced"):
            run_clean(world)
    world.google.patch_event(world.primary, event_id, recurrence=["RRULE:FREQ=WEEKLY;COUNT=1"])
    series.refresh_from_db()
    series_update(
        meeting=series, data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    )

    run_clean(world)

    assert world.google.get_event(world.primary, event_id)["recurrence"] == [
        "RRULE:FREQ=WEEKLY;COUNT=4"
    ]
    shown = [("Weekly", f"{FIRST + timedelta(weeks=n)} 09:00") for n in range(3)]
    if exception == "renamed in Google":
        shown.append(("Renamed", f"{FIRST + timedelta(weeks=3)} 09:00"))
    assert crm_view(world, FIRST) == google_view(world) == sorted(shown)
    _next_run_writes_nothing(world)


def _kind_in_google(world: SyncWorld, event_id: str, start: Any, end: Any) -> None:
    """The person makes the series timed or all-day in Google (the other key emptied, as
    Google Calendar's own page sends it)."""
    world.google.patch_event(world.primary, event_id, start=start, end=end)


def test_an_all_day_series_cut_in_the_crm_and_made_timed_in_google_ends_on_a_utc_time(
    world: SyncWorld,
) -> None:
    """A weekly all-day series of four, synced. The CRM user deletes "this and following"
    from the third (the rule ends with UNTIL=20270308, a date, as an all-day series'
    does), and before a sync the person makes the series timed in Google, 09:00 to 10:00
    Berlin. The merge takes the CRM's rule and Google's start: the UNTIL must become the
    end of 8 March in Berlin, in UTC, on both sides (the run kept the date UNTIL on a timed
    series, which RFC 5545 does not allow and the machine's checks could not read)."""
    series, event_id = _series_in_the_crm(
        world,
        MeetingInput(
            subject="Inventory",
            all_day=True,
            start_date=FIRST,
            end_date=FIRST + timedelta(days=1),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
        ),
    )
    series_delete_following(series=series, original_start=_starts(series)[2])
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20270308"]
    at = datetime.combine(FIRST, time(9), tzinfo=BERLIN)
    _kind_in_google(
        world,
        event_id,
        {"date": None, "dateTime": at.isoformat(), "timeZone": "Europe/Berlin"},
        {"date": None, "dateTime": (at + HOUR).isoformat(), "timeZone": "Europe/Berlin"},
    )

    run_clean(world)

    series.refresh_from_db()
    rule = ["RRULE:FREQ=WEEKLY;UNTIL=20270308T225959Z"]  # 23:59:59 in Berlin (UTC+1)
    assert (series.all_day, series.recurrence) == (False, rule)
    assert world.google.get_event(world.primary, event_id)["recurrence"] == rule
    shown = [("Inventory", "2027-03-01 09:00"), ("Inventory", "2027-03-08 09:00")]
    assert crm_view(world, FIRST) == google_view(world) == shown
    _next_run_writes_nothing(world)


def test_a_timed_series_cut_in_the_crm_and_made_all_day_in_google_ends_on_a_date(
    world: SyncWorld,
) -> None:
    """The twin: a weekly series at 00:30 Berlin (23:30 UTC the day before), cut in the
    CRM before its third occurrence (UNTIL=20270308T225959Z, the end of 8 March in Berlin),
    made all-day in Google before a sync. The UNTIL becomes 8 March, its day in the zone
    the series had, not the UTC day."""
    series, event_id = _weekly_in_the_crm(world, "Night shift", time(0, 30), 4)
    series_delete_following(series=series, original_start=_starts(series)[2])
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20270308T225959Z"]
    _kind_in_google(
        world,
        event_id,
        {"dateTime": None, "timeZone": None, "date": FIRST.isoformat()},
        {"dateTime": None, "timeZone": None, "date": (FIRST + timedelta(days=1)).isoformat()},
    )

    run_clean(world)

    series.refresh_from_db()
    rule = ["RRULE:FREQ=WEEKLY;UNTIL=20270308"]
    assert (series.all_day, series.recurrence) == (True, rule)
    assert world.google.get_event(world.primary, event_id)["recurrence"] == rule
    shown = [("Night shift", "2027-03-01"), ("Night shift", "2027-03-08")]
    assert crm_view(world, FIRST) == google_view(world) == shown
    _next_run_writes_nothing(world)


def test_a_series_cut_in_the_crm_and_moved_to_another_zone_in_google_keeps_its_last_day(
    world: SyncWorld,
) -> None:
    """A weekly series at 09:00 Berlin, cut in the CRM before its third occurrence
    (UNTIL=20270308T225959Z, the end of 8 March in Berlin), moved by the person in Google to
    19:00 New York (00:00 UTC the next day) before a sync. The merge takes the CRM's rule
    and Google's start; kept as it was, the UTC UNTIL would end the series before its 8
    March occurrence in New York and drop it. The series keeps its last day: the UNTIL
    becomes the end of 8 March in New York (RFC 5545 §3.3.10: UTC for a start with a zone),
    on both sides."""
    series, event_id = _weekly_in_the_crm(world, "Board call", time(9), 4)
    series_delete_following(series=series, original_start=_starts(series)[2])
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20270308T225959Z"]
    at = datetime.combine(FIRST, time(19), tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    world.google.patch_event(
        world.primary,
        event_id,
        start={"dateTime": at.isoformat(), "timeZone": "America/New_York"},
        end={"dateTime": (at + HOUR).isoformat(), "timeZone": "America/New_York"},
    )

    run_clean(world)

    series.refresh_from_db()
    rule = ["RRULE:FREQ=WEEKLY;UNTIL=20270309T045959Z"]  # 23:59:59 in New York (UTC-5)
    assert (series.time_zone, series.recurrence) == ("America/New_York", rule)
    assert world.google.get_event(world.primary, event_id)["recurrence"] == rule
    # 19:00 in New York is 01:00 the next day in Berlin, where the views are read.
    shown = [("Board call", "2027-03-02 01:00"), ("Board call", "2027-03-09 01:00")]
    assert crm_view(world, FIRST) == google_view(world) == shown
    _next_run_writes_nothing(world)
