"""The engine against Google's live pages, the emulator's default (issue 12, must have 3):
an event deleted while the sync pages through a listing comes as a tombstone on a later
page; the last copy of an item wins, nothing fails, nothing doubles."""

from __future__ import annotations

import pytest
from django.test import Client

from tandem.accounts.google_clients import use_transport
from tandem.meetings.models import Meeting
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_by_subject,
    google_by_subject,
    run_clean,
    soon,
)
from tests.sync.test_rules_listing_edges import AfterFirstPage

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def test_live_paging_is_what_the_engine_meets_by_default(world: SyncWorld) -> None:
    assert world.emulator.state.paging.live


def test_an_event_deleted_during_the_first_import_does_not_stay_in_the_crm(
    world: SyncWorld,
) -> None:
    """Deleted in Google after the page that listed it: the tombstone on a later page takes
    its meeting out again; renamed ones end as their last copy; one meeting each."""
    ids = [
        world.google.create_event(world.primary, f"Call {n}", soon(days=1 + n))["id"]
        for n in range(6)
    ]
    world.emulator.set_paging(page_cap=2)  # live, as by default

    def person_edits() -> None:
        world.google.delete_event(world.primary, ids[0])
        world.google.patch_event(world.primary, ids[1], summary="Call 1, renamed")

    transport = AfterFirstPage(world.emulator.transport(), person_edits)
    with use_transport(transport):
        run_clean(world)
    assert transport.fired
    crm = crm_by_subject(world)
    assert sorted(crm) == ["Call 1, renamed", "Call 2", "Call 3", "Call 4", "Call 5"]
    assert Meeting.objects.filter(owner=world.user, deleted_at__isnull=True).count() == 5
    again = run_clean(world)
    assert sum(again.counts.values()) == 0, again.counts
    assert crm == google_by_subject(world)
