"""The LinkStore contract (``tandem.sync.core.sides.LinkStore``), written once.

A binding subclasses ``LinkStoreContract`` and provides the ``links`` fixture: a
``LinkBench``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import ClassVar, Protocol

import pytest

from tandem.sync.core.sides import LinkStore
from tandem.sync.core.state import Link
from tests.contract.values import SAMPLES, samples

CAL_A = "dana@example.com"
CAL_B = "team-calendar@group.calendar.google.com"
WINDOW = datetime(2026, 3, 1, tzinfo=UTC)


class LinkBench(Protocol):
    @property
    def store(self) -> LinkStore: ...

    def new_meeting(self) -> int:
        """The id of a meeting that links may name (the database wants a real one)."""
        ...


def a_link(meeting_id: int, *, calendar_id: str = CAL_A, event: str = "ev1", **changes) -> Link:
    values = {
        "calendar_id": calendar_id,
        "meeting_id": meeting_id,
        "event_id": event,
        "base": samples(WINDOW)["timed"],
        "etag": '"3"',
        "crm_version": 2,
        "origin": "crm",
        "leaving": False,
    }
    return Link(**(values | changes))  # type: ignore[arg-type]


class LinkStoreContract:
    """What the driver may rely on from any link store."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def links(self) -> Iterator[LinkBench]:
        raise NotImplementedError("the binding provides the LinkBench")

    def test_an_empty_store_has_no_links_and_no_tokens(self, links: LinkBench) -> None:
        assert list(links.store.links(calendar_id=CAL_A)) == []
        assert links.store.linked_meeting_ids() == set()
        assert links.store.sync_token(calendar_id=CAL_A) is None

    @pytest.mark.parametrize("shape", SAMPLES)
    @pytest.mark.parametrize("origin", ["crm", "google"])
    def test_a_saved_link_reads_back_equal(self, links: LinkBench, shape: str, origin: str) -> None:
        """Every field of the link, its base copy included, comes back as saved."""
        link = a_link(
            links.new_meeting(),
            base=samples(WINDOW)[shape],
            origin=origin,
            leaving=origin == "crm",
            etag='"31415926"',
            crm_version=7,
        )
        links.store.save_link(link)
        assert list(links.store.links(calendar_id=CAL_A)) == [link]

    def test_saving_again_replaces_the_meetings_link(self, links: LinkBench) -> None:
        """Same calendar and meeting: the new link replaces the old, even for another event."""
        meeting = links.new_meeting()
        links.store.save_link(a_link(meeting))
        newer = a_link(
            meeting,
            event="ev2",
            etag='"9"',
            crm_version=5,
            base=samples(WINDOW)["all-day"],
            leaving=True,
        )
        links.store.save_link(newer)
        assert list(links.store.links(calendar_id=CAL_A)) == [newer]
        assert links.store.linked_meeting_ids() == {meeting}

    def test_saving_a_link_leaves_other_meetings_links_alone(self, links: LinkBench) -> None:
        one, two = links.new_meeting(), links.new_meeting()
        first = a_link(one, event="ev1")
        second = a_link(two, event="ev2")
        links.store.save_link(first)
        links.store.save_link(second)
        found = sorted(links.store.links(calendar_id=CAL_A), key=lambda link: link.meeting_id)
        assert found == sorted([first, second], key=lambda link: link.meeting_id)

    def test_a_link_to_an_event_already_linked_takes_the_event_over(self, links: LinkBench) -> None:
        """An event stands for one meeting in a calendar: linking it to a second meeting
        replaces the first meeting's link (never two meetings for one event)."""
        one, two = links.new_meeting(), links.new_meeting()
        links.store.save_link(a_link(one, event="ev1"))
        second = a_link(two, event="ev1")
        links.store.save_link(second)
        assert list(links.store.links(calendar_id=CAL_A)) == [second]
        assert links.store.linked_meeting_ids() == {two}

    def test_links_are_kept_per_calendar(self, links: LinkBench) -> None:
        meeting = links.new_meeting()
        in_a = a_link(meeting, calendar_id=CAL_A, event="ev1")
        in_b = a_link(meeting, calendar_id=CAL_B, event="ev1", etag='"8"')
        links.store.save_link(in_a)
        links.store.save_link(in_b)
        assert list(links.store.links(calendar_id=CAL_A)) == [in_a]
        assert list(links.store.links(calendar_id=CAL_B)) == [in_b]
        links.store.drop_link(calendar_id=CAL_A, meeting_id=meeting)
        assert list(links.store.links(calendar_id=CAL_A)) == []
        assert list(links.store.links(calendar_id=CAL_B)) == [in_b]
        assert links.store.linked_meeting_ids() == {meeting}

    def test_linked_meeting_ids_span_calendars(self, links: LinkBench) -> None:
        one, two, unlinked = links.new_meeting(), links.new_meeting(), links.new_meeting()
        links.store.save_link(a_link(one, calendar_id=CAL_A))
        links.store.save_link(a_link(two, calendar_id=CAL_B))
        assert links.store.linked_meeting_ids() == {one, two}
        assert unlinked not in links.store.linked_meeting_ids()

    def test_a_dropped_link_is_gone(self, links: LinkBench) -> None:
        one, two = links.new_meeting(), links.new_meeting()
        links.store.save_link(a_link(one, event="ev1"))
        kept = a_link(two, event="ev2")
        links.store.save_link(kept)
        links.store.drop_link(calendar_id=CAL_A, meeting_id=one)
        assert list(links.store.links(calendar_id=CAL_A)) == [kept]
        assert links.store.linked_meeting_ids() == {two}

    def test_dropping_a_missing_link_does_nothing(self, links: LinkBench) -> None:
        meeting = links.new_meeting()
        kept = a_link(meeting)
        links.store.save_link(kept)
        links.store.drop_link(calendar_id=CAL_A, meeting_id=links.new_meeting())
        links.store.drop_link(calendar_id=CAL_B, meeting_id=meeting)
        assert list(links.store.links(calendar_id=CAL_A)) == [kept]

    def test_a_moved_link_keeps_its_agreement_in_its_new_calendar(self, links: LinkBench) -> None:
        """events.move to a new target: same event, base, version and etag (the etag of
        the agreement: the moved event may carry an edit made in Google since)."""
        one, two = links.new_meeting(), links.new_meeting()
        moved = a_link(one, event="ev1", origin="crm")
        kept = a_link(two, event="ev2")
        links.store.save_link(moved)
        links.store.save_link(kept)
        links.store.move_link(calendar_id=CAL_A, meeting_id=one, destination=CAL_B)
        assert list(links.store.links(calendar_id=CAL_A)) == [kept]
        assert list(links.store.links(calendar_id=CAL_B)) == [
            a_link(one, calendar_id=CAL_B, event="ev1", origin="crm")
        ]
        assert links.store.linked_meeting_ids() == {one, two}

    def test_the_meeting_linked_to_an_event_is_found_in_its_calendar_only(
        self, links: LinkBench
    ) -> None:
        """Which row holds an instance already (planner.plan_occurrence_out's held_by)."""
        one, two = links.new_meeting(), links.new_meeting()
        links.store.save_link(a_link(one, event="ev1"))
        links.store.save_link(a_link(two, calendar_id=CAL_B, event="ev2"))
        assert links.store.meeting_of(calendar_id=CAL_A, event_id="ev1") == one
        assert links.store.meeting_of(calendar_id=CAL_B, event_id="ev2") == two
        assert links.store.meeting_of(calendar_id=CAL_B, event_id="ev1") is None
        assert links.store.meeting_of(calendar_id=CAL_A, event_id="ev3") is None
        links.store.drop_link(calendar_id=CAL_A, meeting_id=one)
        assert links.store.meeting_of(calendar_id=CAL_A, event_id="ev1") is None

    def test_a_link_saved_with_its_events_ical_uid_reads_back_equal(self, links: LinkBench) -> None:
        """The iCalUID is the store's to keep beside the link, not part of the agreement."""
        meeting = links.new_meeting()
        link = a_link(meeting)
        links.store.save_link(link, ical_uid="series@google.com")
        assert list(links.store.links(calendar_id=CAL_A)) == [link]

    def test_sync_tokens_are_kept_per_calendar(self, links: LinkBench) -> None:
        links.store.save_sync_token(calendar_id=CAL_A, token="token-a")
        assert links.store.sync_token(calendar_id=CAL_A) == "token-a"
        assert links.store.sync_token(calendar_id=CAL_B) is None
        links.store.save_sync_token(calendar_id=CAL_B, token="token-b")
        assert links.store.sync_token(calendar_id=CAL_A) == "token-a"
        assert links.store.sync_token(calendar_id=CAL_B) == "token-b"

    def test_a_saved_token_replaces_the_last_and_none_clears_it(self, links: LinkBench) -> None:
        links.store.save_sync_token(calendar_id=CAL_A, token="first")
        links.store.save_sync_token(calendar_id=CAL_A, token="second")
        assert links.store.sync_token(calendar_id=CAL_A) == "second"
        links.store.save_sync_token(calendar_id=CAL_A, token=None)
        assert links.store.sync_token(calendar_id=CAL_A) is None
