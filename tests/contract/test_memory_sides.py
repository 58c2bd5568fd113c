"""The contracts bound to the in-memory sides the property tests drive
(``tandem.sync.core.memory``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.memory import Clock, MemoryCrm, MemoryGoogle, MemoryLinks
from tandem.sync.core.sides import Event
from tandem.sync.core.state import Link
from tests.contract.crm_side import CrmSideContract
from tests.contract.google_side import GoogleSideContract, WriteCall
from tests.contract.link_store import LinkStoreContract

# The memory sides keep no window; the tests place meetings around this one.
WINDOW_START = datetime(2026, 1, 1, tzinfo=UTC)
NO_WINDOW = (
    "{} keeps no window: it lists every {}, however long ago it ended (the planner "
    "applies SyncSettings.window_start instead)"
)


@dataclass
class MemoryCrmBench:
    side: MemoryCrm
    window_start: datetime = WINDOW_START
    links: MemoryLinks = field(default_factory=MemoryLinks)

    def person_creates(self, fields: MeetingFields) -> int:
        return self.side.user_create(fields)

    def person_edits(self, meeting_id: int, fields: MeetingFields) -> None:
        self.side.user_edit(meeting_id, fields)

    def person_deletes(self, meeting_id: int) -> None:
        self.side.user_delete(meeting_id)

    def person_changes_occurrence(self, fields: MeetingFields) -> int:
        # MemoryCrm keeps no series: the row of an occurrence is a meeting like any other.
        return self.side.user_create(fields)

    def link(self, meeting_id: int, fields: MeetingFields) -> None:
        # MemoryCrm never asks the link store; the link is saved all the same.
        self.links.save_link(
            Link("primary", meeting_id, f"ev{meeting_id:05d}", fields, '"1"', 1, "google")
        )


class TestMemoryCrm(CrmSideContract):
    violations = {
        "test_a_meeting_over_before_the_window_is_not_listed": NO_WINDOW.format(
            "MemoryCrm", "meeting"
        ),
    }

    @pytest.fixture
    def crm(self) -> MemoryCrmBench:
        return MemoryCrmBench(MemoryCrm(Clock()))


@dataclass
class MemoryCalendarBench:
    side: MemoryGoogle
    window_start: datetime = WINDOW_START
    zone: str = "UTC"

    def person_creates(self, fields: MeetingFields) -> str:
        return self.side.user_create(fields)

    def person_patches(self, event_id: str, patch: Event) -> None:
        self.side.user_patch(event_id, patch)

    def person_deletes(self, event_id: str) -> None:
        self.side.user_delete(event_id)

    def kill_sync_tokens(self) -> None:
        self.side.dead_tokens = True

    def fail_next_write(self, call: WriteCall, *, applied: bool) -> None:
        self.side.inject("after" if applied else "before")

    def other_calendar(self) -> MemoryGoogle:
        return MemoryGoogle(self.side.clock, calendar_id="team", account=self.side.account)

    def person_changes_instance(self, series_id: str, original_start: str, patch: Event) -> None:
        self.side.user_patch_instance(series_id, original_start, patch)

    def person_cancels_instance(self, series_id: str, original_start: str) -> None:
        self.side.user_patch_instance(series_id, original_start, {"status": "cancelled"})


class TestMemoryGoogle(GoogleSideContract):
    violations = {
        "test_a_full_listing_starts_at_the_window": NO_WINDOW.format("MemoryGoogle", "event"),
        "test_an_instance_the_rule_makes_is_found_by_its_original_start": (
            "MemoryGoogle expands no rule: it knows the instances changed or cancelled alone "
            "(stored as events of their own), not those the rule alone makes (the memory "
            "CRM holds no recurring series, so the sync never asks it for one)"
        ),
    }

    @pytest.fixture
    def calendar(self) -> MemoryCalendarBench:
        return MemoryCalendarBench(MemoryGoogle(Clock()))


@dataclass
class MemoryLinkBench:
    store: MemoryLinks = field(default_factory=MemoryLinks)
    last_meeting: int = 0

    def new_meeting(self) -> int:
        self.last_meeting += 1
        return self.last_meeting


class TestMemoryLinks(LinkStoreContract):
    @pytest.fixture
    def links(self) -> MemoryLinkBench:
        return MemoryLinkBench()
