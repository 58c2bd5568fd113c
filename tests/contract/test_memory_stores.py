"""The store contracts bound to the in-memory stores ``sync_once`` and the in-memory state
machine run the one driver through (``tandem.sync.core.memory_stores``): inbound, outbound
and settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from tandem.sync.core.apply import SyncReport
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.memory import Clock, MemoryCrm, MemoryLinks
from tandem.sync.core.memory_stores import (
    MemoryInboundStore,
    MemoryOutboundStore,
    MemorySettingsStore,
)
from tests.contract.inbound_store import InboundStoreContract
from tests.contract.outbound_store import OutboundStoreContract
from tests.contract.settings_store import SettingsStoreContract
from tests.contract.store_bench import CAL

# The memory sides keep no window; the tests place meetings around this one.
WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
NO_SERIES = (
    "MemoryCrm holds no recurring series, so no occurrence is changed or cancelled alone "
    "there: unpushed_occurrences has none to find"
)


@dataclass
class MemoryStoreBench:
    crm: MemoryCrm = field(default_factory=lambda: MemoryCrm(Clock()))
    links: MemoryLinks = field(default_factory=MemoryLinks)
    namespace: str = "contract"
    window_start: datetime = WINDOW_START
    refusals: tuple[type[BaseException], ...] = ()  # failures come back in words
    report: SyncReport = field(default_factory=SyncReport)
    made: list[MemoryInboundStore | MemoryOutboundStore] = field(default_factory=list)

    def inbound(self, calendar_id: str = CAL) -> MemoryInboundStore:
        store = MemoryInboundStore(
            self.crm,
            self.links,
            calendar_id=calendar_id,
            namespace=self.namespace,
            report=self.report,
        )
        self.made.append(store)
        return store

    def outbound(self, calendar_id: str = CAL, *, target: bool = True) -> MemoryOutboundStore:
        store = MemoryOutboundStore(self.crm, self.links, calendar_id=calendar_id, is_target=target)
        self.made.append(store)
        return store

    def settings(self, *, synced: set[str], target: str) -> MemorySettingsStore:
        return MemorySettingsStore(self.crm, self.links, synced=synced, target=target)

    def person_creates(self, fields: MeetingFields, *, read_only: bool = False) -> int:
        meeting_id = self.crm.user_create(fields)
        self.crm.rows[meeting_id].read_only = read_only
        return meeting_id

    def this_runs_inbound_pass_begins(self) -> None:
        pass  # the memory stores look at every row, whoever wrote it

    def person_edits(self, meeting_id: int, fields: MeetingFields) -> None:
        self.crm.user_edit(meeting_id, fields)

    def person_deletes(self, meeting_id: int) -> None:
        self.crm.user_delete(meeting_id)

    def person_restores(self, meeting_id: int) -> None:
        self.crm.user_restore(meeting_id)

    def person_changes_occurrence(self, series_id: int, n: int, fields: MeetingFields) -> int:
        raise NotImplementedError(NO_SERIES)

    def person_cancels_occurrence(self, series_id: int, n: int) -> int:
        raise NotImplementedError(NO_SERIES)

    def held(self) -> list[int]:
        found: list[int] = []
        for store in self.made:
            if isinstance(store, MemoryInboundStore):
                found += store.held
            else:
                found += [meeting.meeting_id for meeting in store.held]
        return found

    def conflicts(self) -> list[int]:
        return [meeting_id for meeting_id, _ in self.report.conflicts if meeting_id is not None]


class TestMemoryInboundStore(InboundStoreContract):
    violations = {
        "test_an_event_linked_in_another_calendar_is_linked_elsewhere": (
            "MemoryLinks keeps no iCalUID (Link has none): memory's lookup never fills "
            "PageLookup.linked_elsewhere (sync_once syncs one calendar)"
        ),
        "test_an_occurrence_finds_its_series_linked_in_the_calendar": (
            "the memory stores hold no recurring series: lookup fills no PageLookup.series"
        ),
        "test_the_lookup_reads_only_the_meetings_its_page_names": (
            "memory's lookup holds every meeting in PageLookup.meetings (as cheap over a dict)"
        ),
        "test_a_pages_writes_are_all_or_none": (
            "memory has no transactions (transaction() is a nullcontext): its single items "
            "fail by injected faults, reported in words by write_page"
        ),
    }

    @pytest.fixture
    def stores(self) -> MemoryStoreBench:
        return MemoryStoreBench()


class TestMemoryOutboundStore(OutboundStoreContract):
    violations = {
        "test_a_meeting_over_before_the_window_is_not_unpushed": (
            "MemoryOutboundStore keeps no window: unpushed lists every meeting, however long "
            "ago it ended (the planner applies SyncSettings.window_start instead)"
        ),
        "test_an_occurrence_changed_alone_is_unpushed_with_its_series_event": NO_SERIES,
        "test_a_cancelled_occurrence_hides_and_one_saved_unchanged_is_as_in_series": NO_SERIES,
        "test_an_occurrence_the_series_no_longer_has_is_not_in_series": NO_SERIES,
        "test_an_occurrence_is_unpushed_where_its_series_is_linked": NO_SERIES,
        "test_a_pushed_occurrence_is_not_unpushed_again": NO_SERIES,
    }

    @pytest.fixture
    def stores(self) -> MemoryStoreBench:
        return MemoryStoreBench()


class TestMemorySettingsStore(SettingsStoreContract):
    @pytest.fixture
    def stores(self) -> MemoryStoreBench:
        return MemoryStoreBench()
