"""An all-day series moved in the CRM while Google changed one of its occurrences.

The timed twin is in test_found_by_machine.py (a series moved by half an hour while Google
renamed its third occurrence). The CRM must place the occurrence Google changed in the slot
its series moved to, not the one it left, for all-day series too (whole days:
sync/core/occurrence_slots.py, ``crm_original``); in the slot it left it doubled.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta

import pytest
from django.test import Client

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between
from tests.sync.harness import SyncWorld, connect_user, crm_edit, run_clean

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


def test_an_all_day_series_moved_in_the_crm_shows_the_occurrence_google_renamed_once(
    world: SyncWorld,
) -> None:
    """A weekly all-day series of three (Mondays) made in Google and synced; the person
    renames the third occurrence in Google while the CRM user moves the whole series to
    Tuesdays, before a sync. Google keeps a changed occurrence on its own day when its
    series moves (its original start follows the series: fakegoogle/events.py), so after
    one run both calendars show two Tuesdays and the renamed Monday, each once; the third
    Tuesday is that occurrence's slot, not shown a second time."""
    event = world.google.create_event(
        world.primary,
        "Site visit",
        FIRST,
        FIRST + timedelta(days=1),
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
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
