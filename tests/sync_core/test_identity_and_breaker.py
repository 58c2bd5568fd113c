"""Client-chosen event ids, our marker, and the mass-delete breaker."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tandem.sync.core.actions import DeleteInCrm, DeleteInGoogle, ItemPlan
from tandem.sync.core.breaker import breaker_check
from tandem.sync.core.identity import (
    event_id_for_meeting,
    is_client_event_id,
    looks_like_ours,
    marker_for_meeting,
    meeting_id_from_marker,
)


@given(namespace=st.text(min_size=1, max_size=50), meeting_id=st.integers(0, 2**63))
def test_event_ids_are_valid_base32hex(namespace: str, meeting_id: int) -> None:
    """Ids use only a-v and 0-9 and fit Google's 5-1024 length rule."""
    event_id = event_id_for_meeting(namespace, meeting_id)
    assert re.fullmatch(r"[a-v0-9]{5,1024}", event_id)
    assert is_client_event_id(event_id)


def test_event_ids_are_deterministic_and_distinct() -> None:
    """The same meeting always gets the same id (a retry hits 409); others differ."""
    assert event_id_for_meeting("crm-a", 7) == event_id_for_meeting("crm-a", 7)
    assert event_id_for_meeting("crm-a", 7) != event_id_for_meeting("crm-a", 8)
    assert event_id_for_meeting("crm-a", 7) != event_id_for_meeting("crm-b", 7)
    assert len(event_id_for_meeting("crm-a", 7)) == 32


def test_an_empty_namespace_is_refused() -> None:
    """Without a namespace two installations could collide."""
    with pytest.raises(ValueError, match="namespace"):
        event_id_for_meeting("", 1)


def test_client_event_id_rule_rejects_google_forbidden_ids() -> None:
    """Upper case, w-z, punctuation and too short ids are not client ids."""
    for bad in ("ABCDE", "wxyz0", "abc", "abc-def", "a" * 1025):
        assert not is_client_event_id(bad)


def test_only_an_id_of_our_length_looks_like_ours() -> None:
    """The ids we give are 32 characters of base32hex; a valid client id of another length,
    or one of our length with a character Google forbids, is someone else's."""
    ours = event_id_for_meeting("crm-a", 7)
    assert looks_like_ours(ours)
    assert is_client_event_id(ours[:31]) and not looks_like_ours(ours[:31])
    assert is_client_event_id(ours + "0") and not looks_like_ours(ours + "0")
    assert not looks_like_ours("w" + ours[1:])


def test_markers_name_our_meetings_only() -> None:
    """Our marker round-trips; another namespace's or a foreign value is not ours."""
    assert meeting_id_from_marker("crm", marker_for_meeting("crm", 42)) == 42
    assert meeting_id_from_marker("crm", marker_for_meeting("other", 42)) is None
    assert meeting_id_from_marker("crm", "crm:abc") is None
    assert meeting_id_from_marker("crm", None) is None


# -- breaker -----------------------------------------------------------------------------


def test_the_breaker_needs_both_a_large_share_and_a_large_count() -> None:
    """More than 20% and more than 10 trips it; either alone does not."""
    assert breaker_check(deletes=11, synced=50).tripped
    assert not breaker_check(deletes=10, synced=20).tripped  # 50% but only 10
    assert not breaker_check(deletes=11, synced=100).tripped  # 11 but only 11%
    assert breaker_check(deletes=21, synced=100).tripped
    assert not breaker_check(deletes=20, synced=100).tripped  # exactly 20% is allowed


def test_an_empty_full_listing_that_deletes_trips_the_breaker() -> None:
    """A suddenly empty calendar looks like a broken listing: a single deletion it would
    make, below the floor, stops the run and asks."""
    verdict = breaker_check(deletes=1, synced=3, listing_complete=True, listed=0)
    assert verdict.tripped
    assert "no events" in verdict.reason
    assert "delete 1 of 3 synced meetings from the CRM" in verdict.reason
    assert not breaker_check(deletes=0, synced=0, listing_complete=True, listed=0).tripped
    # An empty incremental listing is the normal "nothing changed".
    assert not breaker_check(deletes=0, synced=3, listing_complete=False, listed=0).tripped


def test_an_empty_full_listing_that_deletes_nothing_asks_nothing() -> None:
    """Links exist but the empty listing deletes none of their meetings (pairs that ended
    before the window, which the listing's timeMin leaves out: the planner's "event out of
    the window"): nothing to ask about, so no question with an empty list."""
    assert not breaker_check(deletes=0, synced=3, listing_complete=True, listed=0).tripped


def test_a_confirmed_run_passes_the_breaker() -> None:
    """After the user confirms, the same plan goes through."""
    assert not breaker_check(deletes=50, synced=50, allow=True).tripped


def test_the_breaker_counts_deletions_of_user_data_in_a_plan() -> None:
    """CRM and Google deletions count; removals of private meetings kept in the CRM do not."""
    deletions = [
        ItemPlan(meeting_id=i, event_id=f"e{i}", actions=(DeleteInCrm(i, 1),), why="x")
        for i in range(6)
    ] + [
        ItemPlan(meeting_id=i, event_id=f"e{i}", actions=(DeleteInGoogle(f"e{i}", "1"),), why="x")
        for i in range(6, 11)
    ]
    private = [
        ItemPlan(
            meeting_id=i,
            event_id=f"e{i}",
            actions=(DeleteInGoogle(f"e{i}", "1", keep_in_crm=True),),
            why="x",
        )
        for i in range(11, 30)
    ]
    assert breaker_check(deletes=sum(p.deletes for p in deletions), synced=30).tripped
    assert not breaker_check(
        deletes=sum(p.deletes for p in deletions[:10] + private), synced=30
    ).tripped


def test_the_breaker_counts_synced_meetings_only_when_its_verdict_depends_on_it() -> None:
    """An idle run (no deletion, an incremental listing) asks no count of the database."""
    asked: list[str] = []

    def synced() -> int:
        asked.append("count")
        return 30

    assert not breaker_check(deletes=10, synced=synced).tripped
    assert not breaker_check(deletes=0, synced=synced, listing_complete=False, listed=0).tripped
    # An empty full listing that deletes nothing (old pairs only) asks no count either.
    assert not breaker_check(deletes=0, synced=synced, listing_complete=True, listed=0).tripped
    assert asked == []
    assert breaker_check(deletes=11, synced=synced).tripped
    assert breaker_check(deletes=1, synced=synced, listing_complete=True, listed=0).tripped
    assert asked == ["count", "count"]
