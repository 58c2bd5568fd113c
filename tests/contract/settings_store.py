"""The SettingsStore contract (``tandem.sync.core.stores.SettingsStore``), written once: the
links a change of the user's calendars concerns and what a calendar no longer synced leaves
behind, as the settings pass of the one driver (core/settings_changes.py) reads and forgets
them.

A binding subclasses ``SettingsStoreContract`` and provides the ``stores`` fixture: a
``StoreBench`` (store_bench.py) whose ``settings`` makes the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest

from tests.contract.store_bench import (
    CAL,
    OTHER_CAL,
    StoreBench,
    fields_of,
    imported,
    link_to,
    meeting,
)


class SettingsStoreContract:
    """What the settings pass may rely on from any settings store."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def stores(self) -> Iterator[StoreBench]:
        raise NotImplementedError("the binding provides the StoreBench")

    def test_our_meetings_outside_the_target_are_found_with_their_meetings(
        self, stores: StoreBench
    ) -> None:
        """A new target: the meetings we pushed elsewhere move there; imported meetings and
        ours already in the target stay."""
        away = stores.person_creates(fields_of(stores, "Pushed to the old target"))
        link = link_to(stores, away, "ev1", calendar_id=OTHER_CAL, origin="crm")
        link_to(stores, stores.person_creates(fields_of(stores)), "ev2", origin="crm")
        link_to(
            stores,
            imported(stores, "ev3", calendar_id=OTHER_CAL).meeting_id,
            "ev3",
            calendar_id=OTHER_CAL,
        )
        found = stores.settings(synced={CAL, OTHER_CAL}, target=CAL).outside_target()
        assert [(found_link, crm.meeting_id) for found_link, crm in found] == [(link, away)]
        [(_, crm)] = found
        assert (crm.fields, crm.version) == (meeting(stores, away).fields, link.crm_version)

    def test_a_calendar_with_sync_state_that_is_not_synced_is_unpicked(
        self, stores: StoreBench
    ) -> None:
        stores.links.save_sync_token(calendar_id=CAL, token="t1")
        stores.links.save_sync_token(calendar_id=OTHER_CAL, token="t2")
        assert stores.settings(synced={CAL, OTHER_CAL}, target=CAL).unpicked() == []
        assert stores.settings(synced={CAL}, target=CAL).unpicked() == [OTHER_CAL]
        assert stores.settings(synced={OTHER_CAL}, target=OTHER_CAL).unpicked() == [CAL]

    def test_a_calendars_links_come_with_their_meetings(self, stores: StoreBench) -> None:
        kept = imported(stores, "ev1", calendar_id=OTHER_CAL)
        gone = imported(stores, "ev2", calendar_id=OTHER_CAL)
        link_to(stores, kept.meeting_id, "ev1", calendar_id=OTHER_CAL)
        link_to(stores, gone.meeting_id, "ev2", calendar_id=OTHER_CAL)
        stores.person_deletes(gone.meeting_id)
        link_to(stores, stores.person_creates(fields_of(stores)), "ev3", origin="crm")
        found = stores.settings(synced={CAL}, target=CAL).links_of(OTHER_CAL)
        assert [(link.event_id, link.calendar_id) for link, _ in found] == [
            ("ev1", OTHER_CAL),
            ("ev2", OTHER_CAL),
        ]
        assert [(crm.meeting_id, crm.deleted) for _, crm in found if crm is not None] == [
            (kept.meeting_id, False),
            (gone.meeting_id, True),
        ]

    def test_an_items_transaction_that_raises_undoes_its_writes(self, stores: StoreBench) -> None:
        """A calendar's meeting removed while its link stayed would read as deleted by the
        user at the next push before leaving: an item's removal is all or none."""
        mine = imported(stores, "ev1", calendar_id=OTHER_CAL)
        link = link_to(stores, mine.meeting_id, "ev1", calendar_id=OTHER_CAL)
        store = stores.settings(synced={CAL}, target=CAL)
        with pytest.raises(RuntimeError), store.transaction():
            stores.crm.delete_meeting(meeting_id=mine.meeting_id, expected_version=mine.version)
            stores.links.drop_link(calendar_id=OTHER_CAL, meeting_id=mine.meeting_id)
            stores.crm.forget_import(meeting_id=mine.meeting_id)
            raise RuntimeError("the next write failed")
        assert meeting(stores, mine.meeting_id) == mine
        assert list(stores.links.links(calendar_id=OTHER_CAL)) == [link]

    def test_a_calendar_that_begins_to_leave_keeps_its_links_but_no_token(
        self, stores: StoreBench
    ) -> None:
        """Picked again before every link went (a removal failed), it lists in full; until
        then it is still one to leave, and another calendar's token stays."""
        there = imported(stores, "ev1", calendar_id=OTHER_CAL)
        link = link_to(stores, there.meeting_id, "ev1", calendar_id=OTHER_CAL)
        stores.links.save_sync_token(calendar_id=CAL, token="t1")
        stores.links.save_sync_token(calendar_id=OTHER_CAL, token="t2")
        stores.settings(synced={CAL}, target=CAL).forget_token(OTHER_CAL)
        assert stores.settings(synced={CAL}, target=CAL).unpicked() == [OTHER_CAL]
        assert stores.links.sync_token(calendar_id=OTHER_CAL) is None
        assert stores.links.sync_token(calendar_id=CAL) == "t1"
        assert list(stores.links.links(calendar_id=OTHER_CAL)) == [link]

    def test_a_forgotten_calendar_keeps_no_token_and_no_import_record(
        self, stores: StoreBench
    ) -> None:
        """Picked again, it gets a full listing and its events come back as new meetings;
        another calendar's state and imports stay."""
        there = imported(stores, "ev1", calendar_id=OTHER_CAL)
        here = imported(stores, "ev1")
        stores.links.save_sync_token(calendar_id=CAL, token="t1")
        stores.links.save_sync_token(calendar_id=OTHER_CAL, token="t2")
        store = stores.settings(synced={CAL}, target=CAL)
        with store.transaction():
            store.forget_calendar(OTHER_CAL)
        # Asked first: the database's link store makes a calendar's state as it reads it.
        assert stores.settings(synced={CAL}, target=CAL).unpicked() == []
        assert stores.links.sync_token(calendar_id=OTHER_CAL) is None
        assert stores.links.sync_token(calendar_id=CAL) == "t1"
        assert meeting(stores, there.meeting_id).import_key is None
        assert meeting(stores, here.meeting_id).import_key == f"{CAL}/ev1"
