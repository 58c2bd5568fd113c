"""A series edited as a whole after some of its occurrences were changed or cancelled alone
(issue 11, defect 1). Google keeps such exceptions when the recurring event itself is
updated (https://gsuite-developers.googleblog.com/2011/12/calendar-v3-best-practices-recurring.html:
"changes are preserved even if the recurring event itself is updated"): the moved occurrence
stays moved (once), the cancelled one stays cancelled, on both sides."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import occurrences_between, series_starts
from tandem.meetings.services import MeetingInput
from tandem.sync.models import EventLink
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_edit,
    google_requests,
    run_clean,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
HALF_HOUR = timedelta(minutes=30)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _next_monday_at(hour: int) -> datetime:
    today = date.today()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=BERLIN)


def _crm_view(world: SyncWorld, first: datetime) -> list[tuple[str, datetime]]:
    """What the CRM calendar shows for the five weeks of the series, in Berlin time."""
    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=first.date(),
        end_day=first.date() + timedelta(days=35),
        zone=BERLIN,
    )
    return [(o.entry.subject, o.entry.start.astimezone(BERLIN)) for o in shown]


def _google_view(world: SyncWorld, series_event_id: str) -> list[tuple[str, datetime]]:
    """The live instances Google shows for the series, in Berlin time."""
    return [
        (i.get("summary", ""), datetime.fromisoformat(i["start"]["dateTime"]).astimezone(BERLIN))
        for i in world.google.instances(world.primary, series_event_id)
    ]


@pytest.mark.parametrize("sync_between_steps", [True, False])
def test_a_series_edited_after_an_occurrence_moved_and_one_cancelled_keeps_both(
    world: SyncWorld, sync_between_steps: bool
) -> None:
    first = _next_monday_at(9)
    event = world.google.create_event(
        world.primary,
        "Client call",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5"],
    )
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
    mondays = series_starts(series=series, start=first - HOUR, end=first + timedelta(days=35))
    assert len(mondays) == 5
    second, third = mondays[1], mondays[2]

    occurrence_change(
        series=series,
        original_start=second,
        data=MeetingInput(
            subject="Client call, later",
            start=second + HOUR,
            end=second + 2 * HOUR,
            time_zone="Europe/Berlin",
        ),
    )
    if sync_between_steps:
        run_clean(world)
    occurrence_cancel(series=series, original_start=third)
    if sync_between_steps:
        run_clean(world)
    crm_edit(series, start=first - HALF_HOUR, end=first + HALF_HOUR)
    run_clean(world)

    expected = [
        ("Client call", first - HALF_HOUR),
        ("Client call, later", (second + HOUR).astimezone(BERLIN)),
        *[("Client call", (m - HALF_HOUR).astimezone(BERLIN)) for m in mondays[3:]],
    ]
    assert _crm_view(world, first) == expected
    assert _google_view(world, event["id"]) == expected
    # Settled: the next run writes nothing and both sides still agree.
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert _crm_view(world, first) == expected
    assert EventLink.objects.filter(owner=world.user).count() == 2  # series + moved one


def test_a_series_edited_in_google_keeps_its_crm_exceptions_in_place(world: SyncWorld) -> None:
    """The same from the other side: the person moves the whole series in Google after the
    CRM moved one occurrence and cancelled another."""
    first = _next_monday_at(9)
    event = world.google.create_event(
        world.primary,
        "Stand-up",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"],
    )
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
    mondays = series_starts(series=series, start=first - HOUR, end=first + timedelta(days=28))
    occurrence_change(
        series=series,
        original_start=mondays[1],
        data=MeetingInput(
            subject="Stand-up, moved",
            start=mondays[1] + 2 * HOUR,
            end=mondays[1] + 3 * HOUR,
            time_zone="Europe/Berlin",
        ),
    )
    occurrence_cancel(series=series, original_start=mondays[2])
    run_clean(world)

    later = first + HALF_HOUR
    world.google.patch_event(
        world.primary,
        event["id"],
        start={"dateTime": later.isoformat(), "timeZone": "Europe/Berlin"},
        end={"dateTime": (later + HOUR).isoformat(), "timeZone": "Europe/Berlin"},
    )
    run_clean(world)

    expected = [
        ("Stand-up", later),
        ("Stand-up, moved", (mondays[1] + 2 * HOUR).astimezone(BERLIN)),
        ("Stand-up", (mondays[3] + HALF_HOUR).astimezone(BERLIN)),
    ]
    assert _google_view(world, event["id"]) == expected
    assert _crm_view(world, first) == expected
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_a_series_moved_across_daylight_saving_keeps_its_exceptions_on_their_days(
    world: SyncWorld,
) -> None:
    """Moved by a week across the change to summer time (Berlin, 28 March 2027): each
    occurrence moves by a week of days on the wall clock, and so does the cancelled one."""
    first = datetime(2027, 3, 22, 9, tzinfo=BERLIN)  # CET, a Monday
    event = world.google.create_event(
        world.primary,
        "Board call",
        first,
        first + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
    )
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
    mondays = series_starts(series=series, start=first - HOUR, end=first + timedelta(days=28))
    occurrence_cancel(series=series, original_start=mondays[2])  # 5 April, CEST
    run_clean(world)

    later = datetime(2027, 3, 29, 9, tzinfo=BERLIN)  # a week later, CEST
    crm_edit(series, start=later, end=later + HOUR)
    run_clean(world)

    days = [datetime(2027, 3, 29, 9), datetime(2027, 4, 5, 9), datetime(2027, 4, 19, 9)]
    expected = [("Board call", day.replace(tzinfo=BERLIN)) for day in days]
    assert _crm_view(world, later) == expected
    assert _google_view(world, event["id"]) == expected
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_an_all_day_series_moved_across_daylight_saving_keeps_its_exceptions(
    world: SyncWorld,
) -> None:
    preferences = preferences_for(user=world.user)
    preferences.time_zone = "Europe/Berlin"  # all-day meetings' days are Berlin days
    preferences.save()
    first = date(2027, 3, 28)  # the day summer time starts in Berlin
    event = world.google.create_event(
        world.primary,
        "Stand-down",
        first,
        first + timedelta(days=1),
        recurrence=["RRULE:FREQ=DAILY;COUNT=5"],
    )
    run_clean(world)
    series = Meeting.objects.get(owner=world.user, series__isnull=True)
    starts = series_starts(
        series=series, start=series.start - HOUR, end=series.start + timedelta(days=6)
    )
    occurrence_cancel(series=series, original_start=starts[2])  # 30 March
    run_clean(world)

    crm_edit(series, start_date=date(2027, 3, 29), end_date=date(2027, 3, 30))
    run_clean(world)

    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=date(2027, 3, 27),
        end_day=date(2027, 4, 6),
        zone=BERLIN,
    )
    assert [o.first_day for o in shown] == [
        date(2027, 3, 29),
        date(2027, 3, 30),
        date(2027, 4, 1),
        date(2027, 4, 2),
    ]
    google_days = [i["start"]["date"] for i in world.google.instances(world.primary, event["id"])]
    assert google_days == ["2027-03-29", "2027-03-30", "2027-04-01", "2027-04-02"]
