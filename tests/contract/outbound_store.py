"""The OutboundStore contract (``tandem.sync.core.stores.OutboundStore``), written once: the
candidates the outbound pass of the one driver (core/outbound.py) plans, and what it
records.

A store may return more linked candidates than these tests ask for (a link with nothing to
do passes through the planner unplanned): the contract is that it never misses one. A
binding subclasses ``OutboundStoreContract`` and provides the ``stores`` fixture: a
``StoreBench`` (store_bench.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from msgspec.structs import replace

from tests.contract.store_bench import (
    CAL,
    OTHER_CAL,
    StoreBench,
    fields_of,
    ids,
    imported,
    link_to,
    meeting,
    occurrence_start,
    weekly,
)
from tests.contract.values import DAY, HOUR, timed


class OutboundStoreContract:
    """What the outbound pass may rely on from any outbound store."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def stores(self) -> Iterator[StoreBench]:
        raise NotImplementedError("the binding provides the StoreBench")

    def candidates(self, stores: StoreBench, calendar_id: str = CAL) -> dict[str, tuple]:
        """The linked candidates by event id: (link, meeting id, meeting version, deleted)."""
        found = stores.outbound(calendar_id).linked_candidates()
        by_event = {link.event_id: (link, m.meeting_id, m.version, m.deleted) for link, m in found}
        assert len(by_event) == len(found), "an event came twice"
        return by_event

    # -- linked_candidates -------------------------------------------------------------------

    def test_an_empty_calendar_has_no_candidates(self, stores: StoreBench) -> None:
        stores.person_creates(fields_of(stores))
        store = stores.outbound()
        assert store.linked_candidates() == []
        assert store.restored_imports() == []

    def test_a_meeting_changed_since_its_agreement_is_a_candidate(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        link = link_to(stores, meeting_id, "ev1")
        stores.person_edits(meeting_id, fields_of(stores, "Renamed in the CRM"))
        now = meeting(stores, meeting_id)
        assert now.version != link.crm_version
        [(found, crm)] = stores.outbound().linked_candidates()
        assert found == link
        assert (crm.meeting_id, crm.version, crm.fields) == (meeting_id, now.version, now.fields)

    def test_a_meeting_deleted_in_the_crm_is_a_candidate_as_a_tombstone(
        self, stores: StoreBench
    ) -> None:
        """Its event is deleted in Google (behind the mass-delete breaker)."""
        meeting_id = stores.person_creates(fields_of(stores))
        link_to(stores, meeting_id, "ev1")
        stores.person_deletes(meeting_id)
        [(_, crm)] = stores.outbound().linked_candidates()
        assert (crm.meeting_id, crm.deleted) == (meeting_id, True)

    def test_a_leaving_link_is_a_candidate(self, stores: StoreBench) -> None:
        """We started removing its event (private while private sync is off)."""
        meeting_id = stores.person_creates(fields_of(stores))
        link = link_to(stores, meeting_id, "ev1", leaving=True, origin="crm")
        assert self.candidates(stores)["ev1"][:2] == (link, meeting_id)

    def test_a_candidate_carries_its_meetings_import_key(self, stores: StoreBench) -> None:
        mine = imported(stores, "ev1")
        link_to(stores, mine.meeting_id, "ev1")
        stores.person_edits(mine.meeting_id, fields_of(stores, "Edited in the CRM"))
        [(_, crm)] = stores.outbound().linked_candidates()
        assert crm.import_key == f"{CAL}/ev1"

    def test_another_calendars_links_are_not_candidates(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        link_to(stores, meeting_id, "ev1", calendar_id=OTHER_CAL)
        link_to(stores, stores.person_creates(fields_of(stores)), "ev2", leaving=True)
        stores.person_edits(meeting_id, fields_of(stores, "Edited"))
        assert set(self.candidates(stores)) == {"ev2"}
        assert set(self.candidates(stores, OTHER_CAL)) == {"ev1"}

    # -- restored_imports --------------------------------------------------------------------

    def test_a_live_import_without_a_link_is_restored(self, stores: StoreBench) -> None:
        """Deleted in Google (the deletion dropped its link), restored in the CRM: its event
        is undeleted."""
        mine = imported(stores, "ev1")
        link_to(stores, mine.meeting_id, "ev1")
        stores.person_deletes(mine.meeting_id)
        stores.links.drop_link(calendar_id=CAL, meeting_id=mine.meeting_id)
        assert stores.outbound().restored_imports() == []
        stores.person_restores(mine.meeting_id)
        [(crm, event_id)] = stores.outbound().restored_imports()
        assert (crm.meeting_id, crm.deleted, crm.import_key, event_id) == (
            mine.meeting_id,
            False,
            f"{CAL}/ev1",
            "ev1",
        )

    def test_a_linked_import_or_another_calendars_is_not_restored(self, stores: StoreBench) -> None:
        linked = imported(stores, "ev1")
        link_to(stores, linked.meeting_id, "ev1")
        linked_there = imported(stores, "ev2")
        link_to(stores, linked_there.meeting_id, "ev2", calendar_id=OTHER_CAL)
        imported(stores, "ev3", calendar_id=OTHER_CAL)
        assert stores.outbound().restored_imports() == []
        [(_, event_id)] = stores.outbound(OTHER_CAL).restored_imports()
        assert event_id == "ev3"

    def test_an_import_unlinked_by_this_pass_is_looked_at_for_a_restore(
        self, stores: StoreBench
    ) -> None:
        """Looked up after the pass's writes to its linked candidates: an import whose link
        one of them dropped is live and unlinked, as a restored one is, and goes to the
        planner. Here the inbound pass of this run wrote the meeting and the leaving link, so
        the meeting is none of the changes a narrowed look starts from: only the linked
        candidates name it."""
        stores.this_runs_inbound_pass_begins()
        mine = imported(stores, "ev1")
        link_to(stores, mine.meeting_id, "ev1", leaving=True)
        store = stores.outbound()
        assert ids(meeting for _, meeting in store.linked_candidates()) == {mine.meeting_id}
        stores.links.drop_link(calendar_id=CAL, meeting_id=mine.meeting_id)
        [(crm, event_id)] = store.restored_imports()
        assert (crm.meeting_id, event_id) == (mine.meeting_id, "ev1")

    # -- unpushed ----------------------------------------------------------------------------

    def test_a_crm_meeting_never_pushed_goes_to_the_target(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        [crm] = stores.outbound().unpushed()
        assert (crm.meeting_id, crm.fields, crm.import_key) == (meeting_id, fields_of(stores), None)

    def test_a_calendar_that_is_not_the_target_gets_no_plain_meeting(
        self, stores: StoreBench
    ) -> None:
        stores.person_creates(fields_of(stores))
        assert stores.outbound(OTHER_CAL, target=False).unpushed() == []

    def test_linked_imported_deleted_and_read_only_meetings_are_not_unpushed(
        self, stores: StoreBench
    ) -> None:
        wanted = stores.person_creates(fields_of(stores, "Wanted"))
        linked_here = stores.person_creates(fields_of(stores))
        link_to(stores, linked_here, "ev1", origin="crm")
        linked_there = stores.person_creates(fields_of(stores))
        link_to(stores, linked_there, "ev2", calendar_id=OTHER_CAL, origin="crm")
        imported(stores, "ev3")
        imported(stores, "ev4", calendar_id=OTHER_CAL)
        stores.person_deletes(stores.person_creates(fields_of(stores, "Deleted")))
        stores.person_creates(fields_of(stores, "Read-only"), read_only=True)
        assert ids(stores.outbound().unpushed()) == {wanted}

    def test_a_meeting_over_before_the_window_is_not_unpushed(self, stores: StoreBench) -> None:
        """Older meetings are left alone (DESIGN.md §3, the window)."""
        stores.person_creates(timed(stores.window_start - 2 * DAY, subject="Long ago"))
        assert stores.outbound().unpushed() == []

    def test_a_meeting_unlinked_by_this_pass_is_unpushed(self, stores: StoreBench) -> None:
        """Looked up after the pass's writes: a leaving link dropped, its meeting (private
        sync turned on again) goes back in."""
        meeting_id = stores.person_creates(fields_of(stores))
        link_to(stores, meeting_id, "ev1", leaving=True, origin="crm")
        store = stores.outbound()
        assert ids(meeting for _, meeting in store.linked_candidates()) == {meeting_id}
        assert store.unpushed() == []
        stores.links.drop_link(calendar_id=CAL, meeting_id=meeting_id)
        assert ids(store.unpushed()) == {meeting_id}

    # -- version_agrees, synced, hold --------------------------------------------------------

    def test_version_agrees_moves_the_links_version_only(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        link = link_to(stores, meeting_id, "ev1")
        stores.person_edits(meeting_id, fields_of(stores))  # no mapped field changed
        version = meeting(stores, meeting_id).version
        stores.outbound().version_agrees(link, version)
        assert stores.links.links(calendar_id=CAL) == [replace(link, crm_version=version)]

    def test_synced_counts_this_calendars_links(self, stores: StoreBench) -> None:
        assert stores.outbound().synced() == 0
        one = stores.person_creates(fields_of(stores))
        link_to(stores, one, "ev1")
        link_to(stores, stores.person_creates(fields_of(stores)), "ev2")
        link_to(stores, one, "ev3", calendar_id=OTHER_CAL)
        assert stores.outbound().synced() == 2

    def test_hold_puts_the_meetings_in_the_users_question(self, stores: StoreBench) -> None:
        one = stores.person_creates(fields_of(stores))
        two = stores.person_creates(fields_of(stores, "Two"))
        meetings = [meeting(stores, one), meeting(stores, two)]
        stores.outbound().hold("Many meetings were deleted in the CRM.", meetings)
        assert stores.held() == [one, two]

    # -- unpushed_occurrences ----------------------------------------------------------------

    def test_without_occurrence_rows_no_occurrence_is_unpushed(self, stores: StoreBench) -> None:
        series = stores.person_creates(weekly(stores))
        link_to(stores, series, "series1", origin="crm")
        stores.person_creates(fields_of(stores))
        assert stores.outbound().unpushed_occurrences() == []

    def test_an_occurrence_changed_alone_is_unpushed_with_its_series_event(
        self, stores: StoreBench
    ) -> None:
        """What plan_occurrence_out needs: the row, its series' event here and the origin
        of that link, and the slot as Google writes ``originalStart`` (UTC)."""
        series = stores.person_creates(weekly(stores))
        link_to(stores, series, "series1", origin="crm")
        second = occurrence_start(weekly(stores), 1)
        moved = timed(second + 2 * HOUR, subject="Moved", location="Room 9")
        row = stores.person_changes_occurrence(series, 1, moved)
        [found] = stores.outbound().unpushed_occurrences()
        assert (found.row.meeting_id, found.row.fields, found.row.import_key) == (row, moved, None)
        assert (found.hides, found.series_event_id, found.series_origin) == (
            False,
            "series1",
            "crm",
        )
        assert (found.in_series, found.as_in_series) == (True, False)
        assert found.original_start == second.isoformat()

    def test_a_cancelled_occurrence_hides_and_one_saved_unchanged_is_as_in_series(
        self, stores: StoreBench
    ) -> None:
        """By start; and the origin is the series' link's (imported from Google here)."""
        fields = weekly(stores)
        series = stores.person_creates(fields)
        link_to(stores, series, "series1", origin="google")
        third = occurrence_start(fields, 2)
        cancelled = stores.person_cancels_occurrence(series, 2)
        slot = timed(occurrence_start(fields, 1), subject="Weekly")
        unchanged = stores.person_changes_occurrence(series, 1, slot)
        found = stores.outbound().unpushed_occurrences()
        assert [(o.row.meeting_id, o.hides) for o in found] == [
            (unchanged, False),
            (cancelled, True),
        ]
        assert found[0].as_in_series
        assert {o.series_origin for o in found} == {"google"}
        assert found[1].original_start == third.isoformat()

    def test_an_occurrence_the_series_no_longer_has_is_not_in_series(
        self, stores: StoreBench
    ) -> None:
        """The series' rule was cut in the CRM after the occurrence was changed: the row
        goes with it (plan_occurrence_out), when Google has no instance there either."""
        series = stores.person_creates(weekly(stores))
        link_to(stores, series, "series1", origin="crm")
        row = stores.person_changes_occurrence(
            series, 2, timed(occurrence_start(weekly(stores), 2), subject="Moved")
        )
        stores.person_edits(series, weekly(stores, count=2))
        [found] = stores.outbound().unpushed_occurrences()
        assert (found.row.meeting_id, found.in_series) == (row, False)

    def test_an_occurrence_is_unpushed_where_its_series_is_linked(self, stores: StoreBench) -> None:
        series = stores.person_creates(weekly(stores))
        link_to(stores, series, "series1", calendar_id=OTHER_CAL, origin="crm")
        row = stores.person_cancels_occurrence(series, 1)
        assert stores.outbound().unpushed_occurrences() == []
        [found] = stores.outbound(OTHER_CAL, target=False).unpushed_occurrences()
        assert (found.row.meeting_id, found.series_event_id) == (row, "series1")

    def test_a_pushed_occurrence_is_not_unpushed_again(self, stores: StoreBench) -> None:
        """Linked to its instance (changed) or recorded as it (cancelled)."""
        series = stores.person_creates(weekly(stores))
        link_to(stores, series, "series1", origin="crm")
        changed = stores.person_changes_occurrence(
            series, 1, timed(occurrence_start(weekly(stores), 1), subject="Moved")
        )
        cancelled = stores.person_cancels_occurrence(series, 2)
        assert len(stores.outbound().unpushed_occurrences()) == 2
        link_to(stores, changed, "series1_1", origin="crm")
        stores.crm.record_import(meeting_id=cancelled, import_key=f"{CAL}/series1_2")
        assert stores.outbound().unpushed_occurrences() == []
