"""Series made and changed in the CRM reach Google as Google Calendar makes them (issue 13):
one recurring event with its instances; "this and following events" ends it with UNTIL and
starts a new recurring event; a weekly 09:00 stays 09:00 across daylight saving and an
all-day series keeps its dates, on both sides. Nothing duplicates, nothing cancelled comes
back, and a second run writes nothing."""

from __future__ import annotations

import zoneinfo
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import occurrences_between, series_starts
from tandem.meetings.series_edits import (
    lines_following,
    series_delete_following,
    series_split,
    series_update,
)
from tandem.meetings.services import MeetingInput, input_of, meeting_create, meeting_update
from tandem.sync.models import EventLink
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    google_requests,
    run_clean,
    save_settings,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _next_monday_at(hour: int) -> datetime:
    today = date.today()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return datetime(monday.year, monday.month, monday.day, hour, tzinfo=BERLIN)


def _weekly(world: SyncWorld, first: datetime, rule: str, subject: str = "Client call") -> Meeting:
    return meeting_create(
        owner=world.user,
        data=MeetingInput(
            subject=subject,
            start=first,
            end=first + HOUR,
            time_zone="Europe/Berlin",
            recurrence=[rule],
        ),
    )


def crm_view(world: SyncWorld, first: date, days: int = 70) -> list[tuple[str, str]]:
    """What the CRM calendar shows, as (subject, wall time in Berlin) or (subject, date)."""
    shown = occurrences_between(
        viewer=world.user,
        owner=world.user,
        first_day=first,
        end_day=first + timedelta(days=days),
        zone=BERLIN,
    )
    return sorted(
        (o.entry.subject, o.first_day.isoformat() if o.entry.all_day else _wall(o.entry.start))
        for o in shown
    )


def google_view(world: SyncWorld) -> list[tuple[str, str]]:
    """What Google shows: every live instance of every recurring event, every single event,
    and every live exception its series no longer lays out (Google keeps those)."""
    seen: list[tuple[str, str]] = []
    listed = world.google.events(world.primary)
    laid_out: set[str] = set()
    for event in listed:
        if event.get("recurringEventId"):
            continue
        occurrences = (
            world.google.instances(world.primary, event["id"])
            if event.get("recurrence")
            else [event]
        )
        laid_out |= {item["id"] for item in occurrences}
        seen += [_shown(item) for item in occurrences if item.get("status") != "cancelled"]
    seen += [
        _shown(event)
        for event in listed
        if event.get("recurringEventId")
        and event["id"] not in laid_out
        and event.get("status") != "cancelled"
    ]
    return sorted(seen)


def _shown(item: dict[str, Any]) -> tuple[str, str]:
    start = item["start"]
    return item.get("summary", ""), start.get("date") or _wall(
        datetime.fromisoformat(start["dateTime"])
    )


def _wall(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")


def test_a_crm_series_is_one_recurring_event_in_google(world: SyncWorld) -> None:
    first = _next_monday_at(9)
    _weekly(world, first, "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6")
    run_clean(world)
    masters = [e for e in world.google.events(world.primary) if e.get("recurrence")]
    assert len(masters) == 1 and len(world.google.events(world.primary)) == 1
    assert masters[0]["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6"]
    assert len(google_view(world)) == 6
    assert crm_view(world, first.date()) == google_view(world)


def test_this_and_following_after_a_move_and_a_cancel_agrees_with_google(
    world: SyncWorld,
) -> None:
    first = _next_monday_at(9)
    series = _weekly(world, first, "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6")
    run_clean(world)
    mondays = series_starts(series=series, start=first - HOUR, end=first + timedelta(days=42))
    occurrence_change(
        series=series,
        original_start=mondays[1],
        data=MeetingInput(
            subject="Client call, later",
            start=mondays[1] + 2 * HOUR,
            end=mondays[1] + 3 * HOUR,
            time_zone="Europe/Berlin",
        ),
    )
    occurrence_cancel(series=series, original_start=mondays[4])
    occurrence_change(
        series=series,
        original_start=mondays[5],
        data=MeetingInput(
            subject="Client call, reset by the cut",
            start=mondays[5] - HOUR,
            end=mondays[5],
            time_zone="Europe/Berlin",
        ),
    )
    run_clean(world)
    assert crm_view(world, first.date()) == google_view(world)

    split = mondays[3]
    series.refresh_from_db()
    new = series_split(
        series=series,
        original_start=split,
        data=MeetingInput(
            subject="Client call (new slot)",
            start=split + HOUR,
            end=split + 2 * HOUR,
            time_zone="Europe/Berlin",
            recurrence=lines_following(series, split),
        ),
    )
    run_clean(world)

    expected = sorted(
        [
            ("Client call", _wall(mondays[0])),
            ("Client call, later", _wall(mondays[1] + 2 * HOUR)),
            ("Client call", _wall(mondays[2])),
            ("Client call (new slot)", _wall(mondays[3] + HOUR)),
            # mondays[4] stays cancelled on the new series; mondays[5]'s change is reset
            ("Client call (new slot)", _wall(mondays[5] + HOUR)),
        ]
    )
    assert crm_view(world, first.date()) == expected
    assert google_view(world) == expected
    masters = [e for e in world.google.events(world.primary) if e.get("recurrence")]
    assert sorted(m["summary"] for m in masters) == ["Client call", "Client call (new slot)"]
    assert EventLink.objects.filter(meeting=new).count() == 1
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert crm_view(world, first.date()) == expected


def test_deleting_this_and_following_trims_the_event_in_google(world: SyncWorld) -> None:
    first = _next_monday_at(10)
    series = _weekly(world, first, "RRULE:FREQ=WEEKLY;COUNT=5")
    run_clean(world)
    mondays = series_starts(series=series, start=first - HOUR, end=first + timedelta(days=35))
    series_delete_following(series=series, original_start=mondays[2])
    run_clean(world)
    expected = [("Client call", _wall(monday)) for monday in mondays[:2]]
    assert crm_view(world, first.date()) == expected
    assert google_view(world) == expected


def test_a_rule_changed_in_the_crm_reaches_google(world: SyncWorld) -> None:
    first = _next_monday_at(9)
    series = _weekly(world, first, "RRULE:FREQ=WEEKLY;COUNT=3")
    run_clean(world)
    meeting_update(
        meeting=series,
        data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4"]),
    )
    run_clean(world)
    assert len(google_view(world)) == 4
    assert crm_view(world, first.date()) == google_view(world)


def test_a_new_rule_deletes_the_exception_google_would_keep(world: SyncWorld) -> None:
    """ "All events" with a shorter rule: the occurrence changed alone after the new end is
    reset on both sides, as Google Calendar's own screen does (Google's API alone would
    leave the exception as an event of its own)."""
    first = _next_monday_at(9)
    series = _weekly(world, first, "RRULE:FREQ=WEEKLY;COUNT=5")
    run_clean(world)
    mondays = series_starts(series=series, start=first - HOUR, end=first + timedelta(days=35))
    occurrence_change(
        series=series,
        original_start=mondays[4],
        data=MeetingInput(
            subject="Client call, moved",
            start=mondays[4] + HOUR,
            end=mondays[4] + 2 * HOUR,
            time_zone="Europe/Berlin",
        ),
    )
    run_clean(world)
    series.refresh_from_db()
    series_update(
        meeting=series,
        data=replace(input_of(series), recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"]),
    )
    run_clean(world)
    expected = [("Client call", _wall(monday)) for monday in mondays[:3]]
    assert crm_view(world, first.date()) == expected
    assert google_view(world) == expected
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_a_weekly_0900_stays_at_0900_across_daylight_saving_on_both_sides(
    world: SyncWorld,
) -> None:
    """The next change of Berlin's clocks falls inside ten weeks of the series whatever
    today is: spring (late March) or autumn (late October) are at most six months apart,
    so the series starts five weeks before the next one."""
    today = date.today()
    changes = [
        day
        for day in (today + timedelta(days=n) for n in range(1, 370))
        if (datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN).utcoffset())
        != (
            datetime(day.year, day.month, day.day, 12, tzinfo=BERLIN) - timedelta(days=1)
        ).utcoffset()
    ]
    change = changes[0]
    monday = change - timedelta(days=change.weekday()) - timedelta(weeks=5)
    monday = max(monday, today + timedelta(days=7 - today.weekday()))
    first = datetime(monday.year, monday.month, monday.day, 9, tzinfo=BERLIN)
    weeks = (change - monday).days // 7 + 4
    _weekly(world, first, f"RRULE:FREQ=WEEKLY;COUNT={weeks}")
    run_clean(world)
    google = google_view(world)
    assert len(google) == weeks
    assert {moment[-5:] for _, moment in google} == {"09:00"}
    offsets = {
        datetime.fromisoformat(item["start"]["dateTime"]).utcoffset()
        for event in world.google.events(world.primary)
        for item in world.google.instances(world.primary, event["id"])
    }
    assert len(offsets) == 2  # both sides of the change
    assert crm_view(world, first.date(), days=7 * weeks) == google


def test_an_all_day_series_keeps_its_dates_on_both_sides(world: SyncWorld) -> None:
    first = _next_monday_at(0).date()
    meeting_create(
        owner=world.user,
        data=MeetingInput(
            subject="Inventory",
            all_day=True,
            start_date=first,
            end_date=first + timedelta(days=1),
            time_zone="Europe/Berlin",
            recurrence=[f"RRULE:FREQ=WEEKLY;UNTIL={first + timedelta(weeks=3):%Y%m%d}"],
        ),
    )
    run_clean(world)
    expected = [("Inventory", (first + timedelta(weeks=n)).isoformat()) for n in range(4)]
    assert google_view(world) == expected
    assert crm_view(world, first) == expected


def _cut_at(series: Meeting, start: datetime, *, visibility: str) -> Meeting:
    """ "This and following" from the occurrence at ``start``, an hour long, as it was but
    for ``visibility``: the new series."""
    return series_split(
        series=series,
        original_start=start,
        data=replace(
            input_of(series),
            start=start,
            end=start + HOUR,
            visibility=visibility,
            recurrence=lines_following(series, start),
        ),
    )


def _cut_a_google_series(world: SyncWorld, *, visibility: str = "default") -> tuple[Meeting, str]:
    """A weekly series made in Google's primary calendar while the CRM's target is "Team",
    synced, then cut in the CRM at its third Monday ("this and following events"): the new
    series, and the target's id."""
    team = str(world.emulator.create_calendar(email=world.primary, summary="Team")["id"])
    save_settings(world, inbound=[world.primary, team], target=team)
    first = _next_monday_at(9)
    world.google.create_event(
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
    new_series = _cut_at(series, mondays[2], visibility=visibility)
    return new_series, team


def test_this_and_following_of_a_google_series_stays_in_its_calendar(world: SyncWorld) -> None:
    """The new series goes beside its first part, in the series' calendar, not to the
    target: Google Calendar keeps both parts in the series' calendar."""
    new_series, team = _cut_a_google_series(world)
    assert new_series.split_from is not None
    run_clean(world)
    in_primary = [e for e in world.google.events(world.primary) if e.get("recurrence")]
    assert len(in_primary) == 2
    assert not [e for e in world.google.events(team) if e.get("recurrence")]
    with google_requests(world) as calls:
        run_clean(world)
    assert writes(calls) == []


def test_a_series_cut_from_a_google_series_stays_when_the_target_changes(
    world: SyncWorld,
) -> None:
    """A new target receives the meetings we pushed, but not the second part of a series:
    it stays beside its first part while their calendar is synced."""
    new_series, team = _cut_a_google_series(world)
    run_clean(world)
    link = EventLink.objects.get(meeting=new_series)
    assert (link.calendar_id, link.origin) == (world.primary, EventLink.Origin.CRM)
    other = str(world.emulator.create_calendar(email=world.primary, summary="CRM")["id"])
    save_settings(world, inbound=[world.primary, team], target=other)
    run_clean(world)
    assert EventLink.objects.get(meeting=new_series).calendar_id == world.primary
    assert len([e for e in world.google.events(world.primary) if e.get("recurrence")]) == 2
    assert world.google.events(other) == []


def test_a_cut_series_whose_first_part_leaves_the_crm_moves_to_the_target(
    world: SyncWorld,
) -> None:
    """Un-picking the first part's calendar takes that series out of the CRM (Google keeps
    it); the second part, made in the CRM, moves to the target, and picking the calendar
    again deletes nothing in Google."""
    new_series, team = _cut_a_google_series(world)
    run_clean(world)
    save_settings(world, inbound=[team], target=team)
    run_clean(world)
    assert EventLink.objects.get(meeting=new_series).calendar_id == team
    new_series.refresh_from_db()
    assert new_series.deleted_at is None
    save_settings(world, inbound=[world.primary, team], target=team)
    run_clean(world)
    assert len([e for e in world.google.events(world.primary) if e.get("recurrence")]) == 1
    assert len([e for e in world.google.events(team) if e.get("recurrence")]) == 1
    with google_requests(world) as calls:
        run_clean(world)
    assert writes(calls) == []


def test_a_series_cut_from_one_never_pushed_follows_a_new_target(world: SyncWorld) -> None:
    """A private series (private sync off: never pushed) cut "this and following" into a
    public one, which goes to the target; a new target then takes it along, as every meeting
    we pushed: its first part was never pushed, so its home is the target (docs/sync-rules.md,
    "Which calendar a CRM meeting belongs in"). Found by review of 9c7f21d, whose fallback
    to the cut series' own calendar kept it in the old target for good."""
    team = str(world.emulator.create_calendar(email=world.primary, summary="Team")["id"])
    save_settings(world, inbound=[world.primary, team], target=team)
    first = _next_monday_at(9)
    series = meeting_create(
        owner=world.user,
        data=MeetingInput(
            subject="Private call",
            start=first,
            end=first + HOUR,
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"],
            visibility="private",
        ),
    )
    run_clean(world)
    assert not EventLink.objects.filter(meeting=series).exists()
    mondays = series_starts(series=series, start=first - HOUR, end=first + HOUR * 24 * 40)
    cut = _cut_at(series, mondays[2], visibility="default")
    run_clean(world)
    assert EventLink.objects.get(meeting=cut).calendar_id == team
    other = str(world.emulator.create_calendar(email=world.primary, summary="CRM")["id"])
    save_settings(world, inbound=[world.primary, team], target=other)
    run_clean(world)
    assert EventLink.objects.get(meeting=cut).calendar_id == other
