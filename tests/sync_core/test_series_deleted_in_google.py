"""A whole series deleted in Google while the CRM changed one of its occurrences since the
last agreement (docs/sync-rules.md "Recurring events"): the occurrence stays, a meeting of
its own, over the in-memory sides. MemoryCrm keeps no series (its deletion takes no rows
along, as the database's does), so these pin what the core does: which writes it makes,
and which it holds back."""

from __future__ import annotations

from msgspec.structs import replace

from tandem.sync.core.mapping import event_body_from_fields
from tandem.sync.core.state import Link
from tests.sync_core.test_driver_passes import CAL
from tests.sync_core.test_outbound_occurrences import MOVED, SECOND, SERIES
from tests.sync_core.test_outbound_occurrences import World as OccurrenceWorld


class World(OccurrenceWorld):
    """A weekly series from Google, agreed; its second occurrence changed in the CRM and
    agreed (the row linked to its instance, an exception in Google); then the CRM user
    edits the row again and the person deletes the whole series in Google (which cancels
    its exceptions too), both before a sync."""

    def __init__(self) -> None:
        super().__init__()
        instance = self.instance(event_body_from_fields(MOVED, meeting_marker=None))
        self.instance_event = str(instance["id"])
        self.row_id = self.crm.user_create(MOVED)
        for meeting_id, event_id, base in (
            (self.series_id, self.series_event, SERIES),
            (self.row_id, self.instance_event, MOVED),
        ):
            self.links.save_link(
                Link(
                    calendar_id=CAL,
                    meeting_id=meeting_id,
                    event_id=event_id,
                    base=base,
                    etag=str(self.google.events[event_id]["etag"]),
                    crm_version=self.crm.rows[meeting_id].version,
                    origin="google",
                )
            )
        self.edited = replace(MOVED, location="Room 4")
        self.crm.user_edit(self.row_id, self.edited)
        self.google.user_delete(self.series_event)
        self.google.user_patch_instance(
            self.series_event, SECOND.isoformat(), {"status": "cancelled"}
        )


def test_the_changed_occurrence_stands_alone_and_the_series_goes() -> None:
    world = World()

    report = world.sync()

    assert not report.errors
    assert world.crm.rows[world.series_id].deleted
    row = world.crm.rows[world.row_id]
    assert (row.deleted, row.fields) == (False, world.edited)
    assert world.link_of(world.series_id) is None
    link = world.link_of(world.row_id)
    assert link is not None and link.event_id != world.instance_event  # a single event now
    assert "recurringEventId" not in world.google.events[link.event_id]


def test_a_failed_detach_holds_its_series_deletion_back_until_the_next_sync() -> None:
    """The detach fails (the row's version moved during the listing: here a fault the CRM
    side reports). The series' deletion would take the row along in the database, and the
    CRM's edit with it: it waits, with the listing's token, and the next run makes both."""
    world = World()
    world.crm.inject("before")

    report = world.sync()

    assert [problem.meeting_id for problem in report.errors] == [world.row_id]
    assert not world.crm.rows[world.series_id].deleted
    assert world.link_of(world.series_id) is not None
    assert world.links.sync_token(calendar_id=CAL) is None
    assert world.google.events[world.instance_event]["status"] == "cancelled"

    report = world.sync()

    assert not report.errors
    assert world.crm.rows[world.series_id].deleted
    row = world.crm.rows[world.row_id]
    assert (row.deleted, row.fields) == (False, world.edited)
    link = world.link_of(world.row_id)
    assert link is not None and link.event_id != world.instance_event
