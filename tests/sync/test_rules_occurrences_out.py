"""Recurring meetings whole, the other way (DESIGN.md §1): one occurrence changed or cancelled
in the CRM is changed or cancelled in Google, on that instance alone, against the emulator."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import series_starts
from tandem.meetings.services import MeetingInput, import_key_forget, meeting_create
from tandem.sync.models import EventLink, SyncRun
from tests.sync.harness import (
    HOUR,
    SyncWorld,
    connect_user,
    crm_create,
    crm_delete,
    crm_edit,
    google_requests,
    run_clean,
    run_sync,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def _crm_series(world: SyncWorld, **values: Any) -> Meeting:
    start = soon(days=2, hour=9).astimezone(BERLIN)
    return crm_create(
        world,
        "Weekly review",
        start,
        start + HOUR,
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"],
        **values,
    )


def _starts(series: Meeting) -> list[datetime]:
    return series_starts(series=series, start=series.start, end=series.start + timedelta(days=30))


def _instances(world: SyncWorld, series: Meeting) -> list[dict[str, Any]]:
    link = EventLink.objects.get(owner=world.user, meeting=series)
    return world.google.instances(world.primary, link.event_id)


def _moved(series: Meeting, original: datetime, subject: str) -> MeetingInput:
    return MeetingInput(
        subject=subject,
        start=original + 2 * HOUR,
        end=original + 3 * HOUR,
        time_zone=series.time_zone,
        location="Room 9",
    )


def test_an_occurrence_changed_in_the_crm_changes_that_instance_only(world: SyncWorld) -> None:
    series = _crm_series(world)
    run_clean(world)
    second = _starts(series)[1]

    row = occurrence_change(
        series=series, original_start=second, data=_moved(series, second, "Moved")
    )
    with google_requests(world) as requests:
        run_clean(world)

    patches = [entry for entry in writes(requests) if entry.method == "PATCH"]
    assert len(patches) == 1 and len(writes(requests)) == 1
    assert "sendUpdates=none" in patches[0].query
    instances = _instances(world, series)
    assert [i["summary"] for i in instances] == [
        "Weekly review",
        "Moved",
        "Weekly review",
        "Weekly review",
    ]
    moved = instances[1]
    assert datetime.fromisoformat(moved["start"]["dateTime"]) == second + 2 * HOUR
    assert moved["location"] == "Room 9"
    assert datetime.fromisoformat(moved["originalStartTime"]["dateTime"]) == second
    assert EventLink.objects.get(owner=world.user, meeting=row).event_id == moved["id"]

    # The echo changes nothing; a later CRM edit goes to that instance alone.
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert Meeting.objects.filter(owner=world.user).count() == 2
    crm_edit(row, subject="Moved again")
    run_clean(world)
    assert [i["summary"] for i in _instances(world, series)][1] == "Moved again"
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_an_instance_changed_in_google_meanwhile_is_looked_up_again_and_pushed(
    world: SyncWorld,
) -> None:
    """412 on the instance's PATCH → re-read, merge, retry (DESIGN.md §3): the instance is
    looked up afresh and the row pushed in the same run; a second run writes nothing."""
    series = _crm_series(world)
    run_clean(world)
    second = _starts(series)[1]
    instance_id = _instances(world, series)[1]["id"]
    row = occurrence_change(
        series=series, original_start=second, data=_moved(series, second, "Moved")
    )
    world.emulator.inject_fault(
        route=f"PATCH */events/{instance_id}", status=412, reason="conditionNotMet"
    )

    outcome = run_clean(world)

    assert outcome.counts["google_updated"] == 1, outcome.counts
    assert _instances(world, series)[1]["summary"] == "Moved"
    assert EventLink.objects.get(meeting=row).event_id == instance_id
    again = run_clean(world)
    assert sum(again.counts.values()) == 0, again.counts


@pytest.mark.parametrize(("status", "reason"), [(400, "invalid"), (403, "forbidden")])
def test_an_instance_write_google_refuses_stops_that_occurrence_only(
    world: SyncWorld, status: int, reason: str
) -> None:
    """One bad item never stops the others: the refused occurrence is the run's error,
    named, and stays in the CRM; the other occurrence reaches Google in the same run."""
    series = _crm_series(world)
    run_clean(world)
    starts = _starts(series)
    refused_id = _instances(world, series)[1]["id"]
    refused = occurrence_change(
        series=series, original_start=starts[1], data=_moved(series, starts[1], "Refused")
    )
    occurrence_change(
        series=series, original_start=starts[2], data=_moved(series, starts[2], "Accepted")
    )
    world.emulator.inject_fault(
        route=f"PATCH */events/{refused_id}", status=status, reason=reason, times=-1
    )

    outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.FAILED
    [problem] = outcome.run.report.errors
    assert problem.meeting_id == refused.pk
    assert problem.text.startswith(
        "“Refused”: Google refused the change, so it stays in the CRM only ("
    )
    assert [i["summary"] for i in _instances(world, series)][1:3] == [
        "Weekly review",
        "Accepted",
    ]
    assert not EventLink.objects.filter(meeting=refused).exists()


def test_an_occurrence_cancelled_in_the_crm_is_cancelled_in_google_and_stays_hidden(
    world: SyncWorld,
) -> None:
    series = _crm_series(world)
    run_clean(world)
    third = _starts(series)[2]

    occurrence_cancel(series=series, original_start=third)
    with google_requests(world) as requests:
        run_clean(world)

    deletes = [entry for entry in writes(requests) if entry.method == "DELETE"]
    assert len(deletes) == 1 and len(writes(requests)) == 1
    live = _instances(world, series)
    assert len(live) == 3
    assert third not in [datetime.fromisoformat(i["start"]["dateTime"]) for i in live]
    # The cancelled instance comes back in the listing: known, nothing changes or is written.
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
    assert Meeting.objects.filter(owner=world.user, is_cancelled_occurrence=True).count() == 1
    assert Meeting.objects.filter(owner=world.user, deleted_at__isnull=True).count() == 2


def test_a_changed_occurrence_deleted_before_it_was_pushed_cancels_the_instance(
    world: SyncWorld,
) -> None:
    series = _crm_series(world)
    run_clean(world)
    first = _starts(series)[0]
    row = occurrence_change(series=series, original_start=first, data=_moved(series, first, "Gone"))
    crm_delete(row)

    run_clean(world)

    assert len(_instances(world, series)) == 3
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_a_replayed_push_writes_nothing_twice(world: SyncWorld) -> None:
    """The process died after Google applied the PATCH and the DELETE, before the link and
    the import record were saved: the next run finds the instances already as wanted."""
    series = _crm_series(world)
    run_clean(world)
    starts = _starts(series)
    changed = occurrence_change(
        series=series, original_start=starts[1], data=_moved(series, starts[1], "Moved")
    )
    cancelled = occurrence_cancel(series=series, original_start=starts[3])
    run_clean(world)
    EventLink.objects.filter(meeting=changed).delete()
    import_key_forget(owner=world.user, meeting_ids=[cancelled.pk])

    with google_requests(world) as requests:
        run_clean(world)

    assert writes(requests) == []
    # The listing took the changed instance for a row of its own first: one row remains.
    (row,) = Meeting.objects.filter(owner=world.user, series=series, original_start=starts[1])
    assert row.subject == "Moved" and EventLink.objects.filter(meeting=row).exists()
    assert (
        Meeting.objects.filter(owner=world.user, series=series, original_start=starts[3]).count()
        == 1
    )
    assert [i["summary"] for i in _instances(world, series)] == [
        "Weekly review",
        "Moved",
        "Weekly review",
    ]


def test_an_occurrence_changed_on_both_sides_stays_one_meeting_with_the_crm_edit(
    world: SyncWorld,
) -> None:
    series = _crm_series(world)
    run_clean(world)
    second = _starts(series)[1]
    instance = _instances(world, series)[1]
    world.google.patch_event(world.primary, instance["id"], summary="Google's title")
    occurrence_change(
        series=series, original_start=second, data=_moved(series, second, "CRM's title")
    )

    run_clean(world)
    run_clean(world)

    rows = Meeting.objects.filter(owner=world.user, series=series, deleted_at__isnull=True)
    assert [row.subject for row in rows] == ["CRM's title"]
    assert _instances(world, series)[1]["summary"] == "CRM's title"
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []


def test_only_an_occurrence_the_series_has_and_nobody_replaced_can_be_changed(
    world: SyncWorld,
) -> None:
    series = _crm_series(world)
    second = _starts(series)[1]
    with pytest.raises(ValidationError, match="no occurrence"):
        occurrence_cancel(series=series, original_start=second + timedelta(minutes=30))
    occurrence_cancel(series=series, original_start=second)
    with pytest.raises(ValidationError, match="already"):
        occurrence_change(series=series, original_start=second, data=_moved(series, second, "X"))
    single = crm_create(world, "Once", soon(days=3))
    with pytest.raises(ValidationError, match="recurring"):
        occurrence_cancel(series=single, original_start=single.start)


def test_an_all_day_occurrence_cancelled_in_the_crm_is_cancelled_in_google(
    world: SyncWorld,
) -> None:
    first = soon(days=2).astimezone(BERLIN).date()
    series = meeting_create(
        owner=world.user,
        data=MeetingInput(
            subject="Offsite",
            all_day=True,
            start_date=first,
            end_date=first + timedelta(days=1),
            time_zone="Europe/Berlin",
            recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
        ),
    )
    run_clean(world)
    second = _starts(series)[1]

    occurrence_cancel(series=series, original_start=second)
    with google_requests(world) as requests:
        run_clean(world)

    assert [entry.method for entry in writes(requests)] == ["DELETE"]
    days = [i["start"]["date"] for i in _instances(world, series)]
    assert days == [first.isoformat(), (first + timedelta(days=14)).isoformat()]
    with google_requests(world) as requests:
        run_clean(world)
    assert writes(requests) == []
