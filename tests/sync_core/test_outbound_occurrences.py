"""The outbound pass's occurrences (core/outbound.py): an occurrence changed or cancelled
alone in the CRM is looked up in Google, planned by ``plan_occurrence_out`` and carried out
by the one applier, over the in-memory sides.

MemoryCrm holds no recurring series, so the store here hands the pass the facts a database
store finds for a row (``OccurrenceRow``); the row itself, the series' event and its
instances (stored as Google stores an exception) are the memory sides' own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from msgspec.structs import replace

from tandem.sync.core.apply import SyncReport
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.identity import import_key_of
from tandem.sync.core.mapping import fields_from_event
from tandem.sync.core.memory_stores import MemoryOutboundStore
from tandem.sync.core.outbound import Outbound
from tandem.sync.core.sides import Event
from tandem.sync.core.state import CrmMeeting, Link, OccurrenceRow
from tests.sync_core.test_driver import World as DriverWorld
from tests.sync_core.test_driver_passes import CAL, outbound_pass

FIRST = datetime(2026, 3, 2, 9, tzinfo=UTC)
SECOND = FIRST + timedelta(weeks=1)
SERIES = MeetingFields(
    subject="Weekly",
    start=TimedMoment(FIRST, "UTC"),
    end=TimedMoment(FIRST + timedelta(hours=1), "UTC"),
    recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",),
)
SLOT = replace(
    SERIES,
    start=TimedMoment(SECOND, "UTC"),
    end=TimedMoment(SECOND + timedelta(hours=1), "UTC"),
    recurrence=(),
)
MOVED = replace(
    SLOT,
    subject="Moved",
    start=TimedMoment(SECOND + timedelta(hours=2), "UTC"),
    end=TimedMoment(SECOND + timedelta(hours=3), "UTC"),
    location="Room 9",
)


class OccurrenceStore(MemoryOutboundStore):
    """The memory store, with the occurrence rows a database store would find (which are
    rows of a series, never meetings to insert)."""

    rows: list[OccurrenceRow]

    def unpushed(self) -> list[CrmMeeting]:
        return []

    def unpushed_occurrences(self) -> list[OccurrenceRow]:
        return self.rows


class World(DriverWorld):
    """The memory sides with a weekly series in each (the store's facts name its event)."""

    def __init__(self) -> None:
        super().__init__()
        self.series_event = self.google.user_create(SERIES)
        self.series_id = self.crm.user_create(SERIES)

    def instance(self, patch: Event | None = None) -> Event:
        """The series' second instance, stored as an exception (``patch`` applied)."""
        self.google.user_patch_instance(self.series_event, SECOND.isoformat(), patch or {})
        found = self.google.instance(
            series_event_id=self.series_event, original_start=SECOND.isoformat()
        )
        assert found is not None
        return found

    def row(self, fields: MeetingFields = MOVED, **facts: Any) -> OccurrenceRow:
        meeting_id = self.crm.user_create(fields)
        values: dict[str, Any] = {
            "hides": False,
            "series_event_id": self.series_event,
            "series_origin": "crm",
            "in_series": True,
            "as_in_series": False,
            "original_start": SECOND.isoformat(),
        } | facts
        [meeting] = [m for m in self.crm.list_meetings() if m.meeting_id == meeting_id]
        return OccurrenceRow(row=meeting, **values)

    def push(self, *rows: OccurrenceRow) -> tuple[Outbound, SyncReport]:
        store = OccurrenceStore(self.crm, self.links, calendar_id=CAL, is_target=True)
        store.rows = list(rows)
        outbound = outbound_pass(self, store=store)
        return outbound, outbound.report

    def link_of(self, meeting_id: int) -> Link | None:
        return self.links.by_meeting.get((CAL, meeting_id))


@pytest.fixture
def world() -> World:
    return World()


def test_a_changed_row_patches_its_instance_and_is_linked_to_it(world: World) -> None:
    instance = world.instance()
    row = world.row()

    outbound, report = world.push(row)

    now = world.google.events[instance["id"]]
    assert fields_from_event(now) == MOVED
    assert "recurrence" not in now  # an instance has its series' rule, never its own
    link = world.link_of(row.row.meeting_id)
    assert link is not None
    assert (link.event_id, link.etag, link.base, link.origin) == (
        instance["id"],
        now["etag"],
        MOVED,
        "crm",
    )
    assert (report.counts["google_updated"], outbound.clean) == (1, True)
    assert [plan.why for plan in report.plans] == ["occurrence changed in the CRM"]


def test_a_cancelled_row_cancels_its_instance_and_stands_for_it(world: World) -> None:
    instance = world.instance()
    row = world.row(SLOT, hides=True)

    outbound, report = world.push(row)

    assert world.google.events[instance["id"]]["status"] == "cancelled"
    assert world.crm.rows[row.row.meeting_id].import_key == import_key_of(CAL, instance["id"])
    assert (report.counts["google_deleted"], outbound.clean) == (1, True)


def test_a_changed_row_brings_a_cancelled_instance_back_without_a_rule(world: World) -> None:
    """The instance left Google (private for a while): a CRM edit beats a deletion."""
    instance = world.instance({"status": "cancelled"})

    outbound, _ = world.push(world.row())

    now = world.google.events[instance["id"]]
    assert now["status"] == "confirmed" and "recurrence" not in now
    assert fields_from_event(now) == MOVED
    assert outbound.clean


def test_a_changed_row_overwrites_an_instance_the_crm_cannot_read(world: World) -> None:
    """An instance made unreadable in Google (a date end for a timed start): the CRM's edit
    of that occurrence is pushed onto it whole, as onto a cancelled one, and the row is
    linked to it."""
    instance = world.instance({"end": {"date": "2026-03-10"}})
    row = world.row()

    outbound, report = world.push(row)

    now = world.google.events[instance["id"]]
    assert fields_from_event(now) == MOVED
    link = world.link_of(row.row.meeting_id)
    assert link is not None and link.event_id == instance["id"]
    assert outbound.clean and not report.errors


def test_a_missing_instance_is_the_rows_error_said_with_its_original_start(
    world: World,
) -> None:
    row = world.row()

    outbound, report = world.push(row)

    [problem] = report.errors
    assert problem.text == (
        f"“Moved”: the series in Google has no occurrence at {SECOND.isoformat()}, so this "
        f"change stays in the CRM [no such occurrence in Google; meeting {row.row.meeting_id}]"
    )
    assert not outbound.clean
    assert world.link_of(row.row.meeting_id) is None


def test_a_row_neither_series_has_any_more_goes(world: World) -> None:
    row = world.row(in_series=False)

    outbound, report = world.push(row)

    assert row.row.meeting_id not in world.crm.rows
    assert (report.errors, outbound.clean) == ([], True)


def test_a_row_whose_instance_another_row_holds_merges_into_it(world: World) -> None:
    """One row per occurrence: a listing made a row for the instance first."""
    instance = world.instance({"summary": "From Google"})
    holder = world.crm.user_create(fields_from_event(world.google.events[instance["id"]]))
    world.links.save_link(Link(CAL, holder, instance["id"], SLOT, instance["etag"], 1, "crm"))
    row = world.row()

    _, report = world.push(row)

    assert row.row.meeting_id not in world.crm.rows
    assert world.crm.rows[holder].fields == MOVED
    assert report.counts["crm_updated"] == 1


def test_an_instance_changed_in_google_meanwhile_is_looked_up_again_and_pushed(
    world: World,
) -> None:
    """412 → re-read, merge, retry (DESIGN.md §3): the instance is looked up again and the
    row planned once more, in the same run; no error."""
    instance = world.instance()
    row = world.row()
    look_up: Callable[..., Event | None] = world.google.instance
    changes = iter([{"location": "Room 2"}])

    def changed_once_after_the_look_up(**kwargs: str) -> Event | None:
        found = look_up(**kwargs)
        for change in changes:
            world.google.user_patch(instance["id"], change)
            break
        return found

    world.google.instance = changed_once_after_the_look_up  # type: ignore[method-assign]
    outbound, report = world.push(row)

    assert (report.errors, report.google_writes, outbound.clean) == ([], 1, True)
    assert fields_from_event(world.google.events[instance["id"]]) == MOVED
    assert world.link_of(row.row.meeting_id) is not None


def test_an_instance_changed_in_google_again_and_again_is_that_rows_error(world: World) -> None:
    """A second 412 is not chased: the row is the run's error and waits for the next run."""
    instance = world.instance()
    row = world.row()
    look_up: Callable[..., Event | None] = world.google.instance
    rooms = iter(f"Room {n}" for n in range(2, 10))

    def changed_after_every_look_up(**kwargs: str) -> Event | None:
        found = look_up(**kwargs)
        world.google.user_patch(instance["id"], {"location": next(rooms)})
        return found

    world.google.instance = changed_after_every_look_up  # type: ignore[method-assign]
    outbound, report = world.push(row)

    assert report.google_writes == 0 and not outbound.clean
    assert ["changed again" in error.message for error in report.errors] == [True]
    assert world.link_of(row.row.meeting_id) is None
