"""``sync_once`` over the in-memory sides: retries, stale etags, dead tokens, the breaker."""

from __future__ import annotations

from typing import Any

import pytest
from msgspec.structs import replace

from tandem.sync.core.apply import SyncReport
from tandem.sync.core.driver import sync_once
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.identity import event_id_for_meeting
from tandem.sync.core.mapping import MARKER_KEY, fields_from_event
from tandem.sync.core.memory import Clock, MemoryCrm, MemoryGoogle, MemoryLinks
from tandem.sync.core.run_report import RunProblem
from tandem.sync.core.state import SyncSettings
from tests.sync_core.strategies import timed

NAMESPACE = "test"


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.crm = MemoryCrm(self.clock)
        self.google = MemoryGoogle(self.clock)
        self.links = MemoryLinks()

    def sync(self, **settings: Any) -> SyncReport:
        allow = settings.pop("allow_mass_delete", False)
        return sync_once(
            self.crm,
            self.google,
            self.links,
            settings=SyncSettings(**settings),
            namespace=NAMESPACE,
            allow_mass_delete=allow,
        )

    def google_fields(self, event_id: str) -> MeetingFields:
        return fields_from_event(self.google.events[event_id])


@pytest.fixture
def world() -> World:
    return World()


def test_a_crm_meeting_reaches_google_with_our_id_and_marker(world: World) -> None:
    """The insert uses the deterministic id, carries our marker, and is linked."""
    meeting_id = world.crm.user_create(timed(9))
    report = world.sync()
    event_id = event_id_for_meeting(NAMESPACE, meeting_id)
    event = world.google.events[event_id]
    assert event["extendedProperties"]["private"][MARKER_KEY] == f"{NAMESPACE}:{meeting_id}"
    assert world.google_fields(event_id) == timed(9)
    assert report.google_writes == 1
    assert world.sync().writes == 0


def test_a_retried_insert_links_the_existing_event(world: World) -> None:
    """An insert that succeeded but reported failure is paired, never inserted twice."""
    meeting_id = world.crm.user_create(timed(9))
    world.google.inject("after")
    first = world.sync()
    assert first.errors and not world.links.by_meeting
    second = world.sync()
    assert not second.errors
    assert len(world.google.alive()) == 1
    assert world.links.links(calendar_id="primary")[0].meeting_id == meeting_id
    assert second.writes == 0


def test_an_insert_that_meets_409_undeletes_our_cancelled_event(world: World) -> None:
    """Made public again after a privacy removal, the meeting's id is taken by its cancelled
    event (not in the incremental listing): the 409 leads to undeleting that event."""
    meeting_id = world.crm.user_create(timed(9))
    world.sync()
    world.sync()  # the token now lies past our insert
    world.crm.user_edit(meeting_id, replace(timed(9), visibility="private"))
    world.sync()
    world.sync()
    event_id = event_id_for_meeting(NAMESPACE, meeting_id)
    assert world.google.events[event_id]["status"] == "cancelled"
    world.crm.user_edit(meeting_id, replace(timed(9), visibility="public"))
    report = world.sync()
    assert not report.errors
    assert [plan.why for plan in report.plans] == ["new meeting", "push, undeleting our event"]
    assert world.google.events[event_id]["status"] == "confirmed"
    assert world.google_fields(event_id).visibility == "public"
    assert world.sync().writes == 0


def test_an_event_that_lost_our_marker_is_still_ours(world: World) -> None:
    """A PUT elsewhere dropped our private marker: the event id still pairs it."""
    meeting_id = world.crm.user_create(timed(9))
    world.google.inject("after")
    world.sync()
    world.google.events[event_id_for_meeting(NAMESPACE, meeting_id)]["extendedProperties"] = {}
    report = world.sync()
    assert not report.errors
    assert len(world.crm.alive()) == 1
    assert world.links.links(calendar_id="primary")[0].meeting_id == meeting_id


def test_a_stale_etag_is_reread_merged_and_retried(world: World) -> None:
    """A 412 on PATCH re-reads the event, merges the Google edit, and writes once more."""
    meeting_id = world.crm.user_create(timed(9))
    world.sync()
    event_id = event_id_for_meeting(NAMESPACE, meeting_id)
    world.crm.user_edit(meeting_id, replace(timed(9), subject="From CRM"))
    real_pages = world.google.pages

    def list_then_edit(*, sync_token: str | None) -> Any:
        pages = list(real_pages(sync_token=sync_token))
        world.google.user_patch(event_id, {"location": "Room 4"})  # lands after the listing
        return iter(pages)

    world.google.pages = list_then_edit  # type: ignore[method-assign]
    report = world.sync()
    world.google.pages = real_pages  # type: ignore[method-assign]
    assert not report.errors
    expected = replace(timed(9), subject="From CRM", location="Room 4")
    assert world.google_fields(event_id) == expected
    assert world.crm.rows[meeting_id].fields == expected
    assert world.sync().writes == 0


def test_a_dead_sync_token_falls_back_to_a_full_listing(world: World) -> None:
    """Google's 410 leads to a full listing that reconciles by id: nothing duplicated."""
    world.google.user_create(timed(9))
    world.sync()
    world.google.dead_tokens = True
    report = world.sync()
    assert report.full_listing and report.token_saved
    assert report.writes == 0
    assert len(world.crm.alive()) == 1


def test_a_malformed_event_is_recorded_and_the_run_goes_on(world: World) -> None:
    """One unreadable event is a warning of the run; the others still sync."""
    good = world.google.user_create(timed(9))
    bad = world.google.user_create(timed(10))
    world.google.events[bad]["end"] = {"date": "2026-03-02"}
    report = world.sync()
    title = world.google.events[bad]["summary"]
    # Said once, as a warning of the run that met it; the token moves on (the event comes
    # again when Google changes it).
    assert report.warnings == [
        RunProblem(
            f"“{title}”: The start and the end mix a date and a date-time.",
            event_id=bad,
            rule="malformed event",
        )
    ]
    assert not report.errors and report.token_saved
    assert len(world.crm.alive()) == 1
    assert world.links.links(calendar_id="primary")[0].event_id == good
    assert world.sync().warnings == []


def test_cut_text_is_reported_as_a_warning(world: World) -> None:
    """An over-long description is imported cut, and the run says so."""
    event_id = world.google.user_create(timed(9))
    world.google.events[event_id]["description"] = "d" * 9000
    report = world.sync()
    assert report.warnings and report.warnings[0].event_id == event_id
    assert len(next(iter(world.crm.alive().values())).description) == 8192


def test_the_breaker_holds_a_mass_deletion_until_confirmed(world: World) -> None:
    """Deleting 12 of 20 synced events in Google stops the run; a confirmed run applies it."""
    events = [world.google.user_create(timed(9 + i % 8, day=1 + i // 8)) for i in range(20)]
    world.sync()
    token = world.links.tokens["primary"]
    for event_id in events[:12]:
        world.google.user_delete(event_id)
    held = world.sync()
    assert held.needs_attention
    assert len(world.crm.alive()) == 20
    assert world.links.tokens["primary"] == token  # the deletions will be listed again
    confirmed = world.sync(allow_mass_delete=True)
    assert not confirmed.needs_attention
    assert len(world.crm.alive()) == 8


def test_the_breaker_weighs_each_direction_on_its_own(world: World) -> None:
    """Deletions in either direction count, each against the synced meetings: 12 of 30
    deleted in Google trip the inbound breaker while the CRM's own 3 would not trip the
    outbound one; the question says where the deletions happened, and the run writes
    nothing more until the user answers (as the database engine: no outbound pass after a
    held inbound one). Confirmed, both go through."""
    events = [world.google.user_create(timed(9 + i % 8, day=1 + i // 8)) for i in range(30)]
    world.sync()
    for event_id in events[:12]:
        world.google.user_delete(event_id)
    doomed = sorted(world.crm.alive())[-3:]
    for meeting_id in doomed:
        world.crm.user_delete(meeting_id)
    held = world.sync()
    assert "deleted in Google" in held.needs_attention
    assert len(world.crm.alive()) == 30 - 3  # the 12 held; the CRM's 3 were the user's
    assert len(world.google.alive()) == 30 - 12  # the CRM's 3 wait for the answer
    confirmed = world.sync(allow_mass_delete=True)
    assert not confirmed.needs_attention
    assert len(world.crm.alive()) == 30 - 12 - 3
    assert len(world.google.alive()) == 30 - 12 - 3


def test_an_empty_listing_with_links_deletes_nothing(world: World) -> None:
    """A full listing that comes back empty while meetings are linked trips the breaker."""
    world.google.user_create(timed(9))
    world.sync()
    world.google.events.clear()
    world.links.tokens.clear()
    report = world.sync()
    assert "no events" in report.needs_attention
    assert len(world.crm.alive()) == 1


def test_a_failed_write_keeps_the_sync_token(world: World) -> None:
    """When any item fails, the token stays, so the change is listed again next time."""
    world.sync()
    token = world.links.tokens["primary"]
    world.google.user_create(timed(9))
    world.crm.inject("before")
    report = world.sync()
    assert report.errors and not report.token_saved
    assert world.links.tokens["primary"] == token
    assert world.sync().crm_writes == 1
    assert len(world.crm.alive()) == 1


def test_our_own_writes_come_back_as_echoes_that_change_nothing(world: World) -> None:
    """The incremental listing after a push shows our events; nothing is written again."""
    world.crm.user_create(timed(9))
    world.crm.user_create(timed(11))
    world.sync()
    echo = world.sync()
    # Both echoes were listed and planned (and the outbound look found the links agreeing).
    assert {plan.event_id for plan in echo.plans} == set(world.google.events)
    assert {plan.why for plan in echo.plans} == {"unchanged"}
    assert echo.writes == 0
