"""An all-day series moved on one side while Google changed one of its occurrences.

- Moved in the CRM: the timed twin is in test_found_by_machine.py (a series moved by half an
  hour while Google renamed its third occurrence). The CRM must place the occurrence Google
  changed in the slot its series moved to, not the one it left, for all-day series too
  (whole days: sync/core/occurrence_slots.py, ``crm_original``); in the slot it left it
  doubled.
- Moved in Google: Google names the occurrence on its series as moved (its exceptions
  follow the series), so the CRM places it from Google's start as listed, once the run has
  given the CRM's series its start (core/pairing.py, ``SeriesRow.named_on``; the planner's
  "occurrence of a series moved in Google").
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between
from tests.sync.harness import SyncWorld, connect_user, crm_edit, run_clean
from tests.sync.test_found_by_machine import _next_run_writes_nothing

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
FIRST = date(2027, 3, 1)  # a Monday


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    world = connect_user(google_in_process, client)
    preferences = preferences_for(user=world.user)
    preferences.time_zone = "Europe/Berlin"  # all-day meetings' days are Berlin days
    preferences.save()
    return world


def _crm_days(world: SyncWorld) -> list[tuple[str, date]]:
    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=FIRST - timedelta(days=7),
        end_day=FIRST + timedelta(days=28),
        zone=BERLIN,
    )
    return [(o.entry.subject, o.first_day) for o in shown]


def _google_days(world: SyncWorld, event_id: str) -> list[tuple[str, date]]:
    return [
        (i.get("summary", ""), date.fromisoformat(i["start"]["date"]))
        for i in world.google.instances(world.primary, event_id)
    ]


def _synced_series(world: SyncWorld) -> tuple[Meeting, dict[str, Any]]:
    """A weekly all-day series of three, Mondays from ``FIRST``, made in Google and synced:
    its meeting and its event."""
    event = world.google.create_event(
        world.primary,
        "Site visit",
        FIRST,
        FIRST + timedelta(days=1),
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    run_clean(world)
    return Meeting.objects.get(owner=world.user, series__isnull=True), event


def test_an_all_day_series_moved_in_the_crm_shows_the_occurrence_google_renamed_once(
    world: SyncWorld,
) -> None:
    """A weekly all-day series of three (Mondays) made in Google and synced; the person
    renames the third occurrence in Google while the CRM user moves the whole series to
    Tuesdays, before a sync. Google keeps a changed occurrence on its own day when its
    series moves (its original start follows the series: fakegoogle/events.py), so after
    one run both calendars show two Tuesdays and the renamed Monday, each once; the third
    Tuesday is that occurrence's slot, not shown a second time."""
    series, event = _synced_series(world)
    third = world.google.instances(world.primary, event["id"])[2]
    world.google.patch_event(world.primary, third["id"], summary="Site visit, renamed")
    crm_edit(series, start_date=FIRST + timedelta(days=1), end_date=FIRST + timedelta(days=2))

    run_clean(world)

    tuesday = FIRST + timedelta(days=1)
    expected = [
        ("Site visit", tuesday),
        ("Site visit", tuesday + timedelta(days=7)),
        ("Site visit, renamed", FIRST + timedelta(days=14)),
    ]
    assert _google_days(world, event["id"]) == expected
    assert _crm_days(world) == expected


@pytest.mark.parametrize(
    ("crm_change", "expected"),
    [
        # The CRM's edit beats the deletion: the series comes back on Mondays, renamed.
        ("renamed, deleted in Google", [("Lunch", FIRST + timedelta(weeks=n)) for n in (1, 2)]),
        # Merged: Google's move and the CRM's subject.
        ("renamed", [("Lunch", FIRST - timedelta(days=1) + timedelta(weeks=n)) for n in (1, 2)]),
        # The CRM's later move wins the start: Tuesdays.
        ("moved", [("Site visit", FIRST + timedelta(days=1, weeks=n)) for n in (1, 2)]),
    ],
)
def test_an_occurrence_cancelled_in_google_stays_cancelled_when_google_moved_its_series(
    world: SyncWorld, crm_change: str, expected: list[tuple[str, date]]
) -> None:
    """A weekly all-day series of three (Mondays) made in Google and synced; before a sync,
    the person cancels its first occurrence in Google and moves the series a day earlier
    (Sundays: Google's cancelled exception follows it to the first Sunday), and the CRM user
    renames the series (the person then deletes it in Google, or not) or, later, moves it to
    Tuesdays. Wherever the run puts the series, Google's exception follows it there, and
    the CRM must hide the same occurrence: it placed the cancellation on the series as last
    agreed, on a day its series did not have, so it showed the first occurrence Google had
    cancelled (found by the database machine:
    test_db_machine_oracle.py::
    test_an_all_day_series_moved_and_deleted_in_google_while_renamed_in_the_crm_ends_alike)."""
    series, event = _synced_series(world)
    first = world.google.instances(world.primary, event["id"])[0]
    world.google.delete_event(world.primary, first["id"])
    sunday = FIRST - timedelta(days=1)
    world.google.patch_event(
        world.primary,
        event["id"],
        start={"date": sunday.isoformat()},
        end={"date": FIRST.isoformat()},
    )
    if crm_change == "moved":
        tuesday = FIRST + timedelta(days=1)
        crm_edit(series, start_date=tuesday, end_date=tuesday + timedelta(days=1))
    else:
        crm_edit(series, subject="Lunch")
    if crm_change.endswith("deleted in Google"):
        world.google.delete_event(world.primary, event["id"])

    run_clean(world)

    assert _google_days(world, event["id"]) == expected
    assert _crm_days(world) == expected
    _next_run_writes_nothing(world)
