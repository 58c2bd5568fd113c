"""What one run of the one driver reports (``SyncReport``): the counts, writes, problems and
warnings the run record, the status page and ``tandem sync`` show. Over the in-memory
stores through ``sync_once``; the database engine records the same report
(tandem/sync/engine/records.py)."""

from __future__ import annotations

from msgspec.structs import replace

from tandem.sync.core.apply import SyncReport
from tests.sync_core.strategies import timed
from tests.sync_core.test_driver import World


def counts(report: SyncReport) -> dict[str, int]:
    return {kind: number for kind, number in report.counts.items() if number}


def test_a_first_import_counts_its_new_meetings() -> None:
    world = World()
    for hour in (9, 11, 13):
        world.google.user_create(timed(hour))
    report = world.sync()
    assert counts(report) == {"crm_created": 3}
    assert (report.crm_writes, report.google_writes) == (3, 0)
    assert report.full_listing and report.token_saved
    assert not report.errors and not report.warnings


def test_google_edits_and_deletions_are_counted_as_the_crm_takes_them() -> None:
    world = World()
    edited, deleted, kept = (world.google.user_create(timed(hour)) for hour in (9, 11, 13))
    world.sync()
    world.google.user_patch(edited, {"location": "Room 4"})
    world.google.user_delete(deleted)
    report = world.sync()
    assert counts(report) == {"crm_updated": 1, "crm_deleted": 1}
    assert (report.crm_writes, report.google_writes) == (2, 0)
    assert not report.full_listing and report.token_saved
    assert kept in world.google.alive()


def test_crm_changes_are_counted_as_google_takes_them() -> None:
    world = World()
    made = world.crm.user_create(timed(9))
    report = world.sync()
    assert counts(report) == {"google_created": 1}
    world.crm.user_edit(made, replace(timed(9), subject="Renamed"))
    assert counts(world.sync()) == {"google_updated": 1}
    world.crm.user_delete(made)
    deleted = world.sync()
    assert counts(deleted) == {"google_deleted": 1}
    assert (deleted.crm_writes, deleted.google_writes) == (0, 1)


def test_every_google_write_of_a_run_is_counted() -> None:
    """Three CRM meetings pushed in one run are three Google writes (a count that stayed at
    1 survived the engine's mutation sample: every test had pushed one at a time)."""
    world = World()
    for hour in (9, 11, 13):
        world.crm.user_create(timed(hour))
    report = world.sync()
    assert counts(report) == {"google_created": 3}
    assert (report.crm_writes, report.google_writes, report.writes) == (0, 3, 3)


def test_a_dead_token_is_counted_as_a_full_resync() -> None:
    world = World()
    world.google.user_create(timed(9))
    world.sync()
    world.google.dead_tokens = True
    report = world.sync()
    assert counts(report) == {"full_resyncs": 1}
    assert report.full_listing and report.token_saved


def test_cut_text_is_counted_once_per_event() -> None:
    world = World()
    for hour in (9, 11):
        event_id = world.google.user_create(timed(hour))
        world.google.events[event_id]["description"] = "d" * 9000
    report = world.sync()
    assert counts(report) == {"crm_created": 2, "text_changed": 2}
    assert len(report.warnings) == 2


def test_an_unreadable_event_is_counted_as_a_problem_and_saves_the_token() -> None:
    world = World()
    bad = world.google.user_create(timed(9))
    world.google.events[bad]["end"] = {"date": "2026-03-02"}
    report = world.sync()
    assert counts(report) == {"problems": 1}
    assert report.token_saved and report.errors == [] and len(report.warnings) == 1


def test_a_failed_crm_write_fails_its_item_and_keeps_the_token() -> None:
    world = World()
    first = world.google.user_create(timed(9))
    world.sync()
    token = world.links.tokens["primary"]
    world.google.user_patch(first, {"location": "Room 4"})
    world.crm.inject("before")
    report = world.sync()
    assert report.errors and not report.token_saved
    assert world.links.tokens["primary"] == token
    assert counts(report).get("crm_updated", 0) == 0
    retried = world.sync()
    assert counts(retried) == {"crm_updated": 1} and retried.token_saved


def test_an_import_a_fault_stops_is_counted_for_what_went_through() -> None:
    world = World()
    for hour in (9, 11, 13):
        world.google.user_create(timed(hour))
    world.crm.inject(None, "before")
    report = world.sync()
    assert counts(report) == {"crm_created": 2}
    assert report.crm_writes == 2 and len(report.errors) == 1 and not report.token_saved
    assert counts(world.sync()) == {"crm_created": 1}
