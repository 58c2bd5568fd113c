"""Live paging is the emulator's default, as Google's pages are no snapshots (issue 12,
must have 3): an event changed between two page requests comes again on a later page, one
deleted comes as a tombstone; the ``snapshot_paging`` marker switches it off."""

from __future__ import annotations

import httpx
import pytest

from tandem.fakegoogle import FakeGoogle

from .conftest import API, list_all, meeting

EVENTS = f"{API}/calendars/primary/events"


def insert(api: httpx.Client, count: int) -> list[str]:
    return [api.post(EVENTS, json=meeting(f"E{n}", day=n + 1)).json()["id"] for n in range(count)]


def test_live_paging_is_on_by_default(google: FakeGoogle) -> None:
    assert google.state.paging.live


def test_an_event_deleted_while_paging_comes_as_a_tombstone_on_a_later_page(
    api: httpx.Client,
) -> None:
    """Deleted after its page was read: a later page says it is gone, and the final sync
    token has nothing left to report (the listing itself delivered the deletion)."""
    ids = insert(api, 6)
    first = api.get(EVENTS, params={"maxResults": 3}).json()
    deleted = first["items"][1]["id"]
    assert api.delete(f"{EVENTS}/{deleted}").status_code == 204
    rest, token = list_all(api, maxResults=3, pageToken=first["nextPageToken"])
    tombstones = [item for item in rest if item.get("status") == "cancelled"]
    assert [item["id"] for item in tombstones] == [deleted]
    assert set(tombstones[0]) <= {
        "kind",
        "etag",
        "id",
        "status",
        "recurringEventId",
        "originalStartTime",
    }
    assert {item["id"] for item in rest} == set(ids[3:]) | {deleted}
    changes, _ = list_all(api, syncToken=token)
    assert changes == []


def test_an_event_deleted_ahead_of_the_pages_is_simply_not_listed(api: httpx.Client) -> None:
    """Not yet listed when it went: the full listing leaves it out, as it leaves out every
    deleted event without showDeleted."""
    ids = insert(api, 6)
    first = api.get(EVENTS, params={"maxResults": 3}).json()
    assert api.delete(f"{EVENTS}/{ids[4]}").status_code == 204
    rest, _ = list_all(api, maxResults=3, pageToken=first["nextPageToken"])
    assert [item["id"] for item in rest] == [ids[3], ids[5]]


@pytest.mark.snapshot_paging
def test_the_switch_keeps_a_snapshot(google: FakeGoogle, api: httpx.Client) -> None:
    """With live paging off, later pages show the listing as it was at its first page, and
    the change comes in the next incremental sync instead."""
    assert not google.state.paging.live
    ids = insert(api, 4)
    first = api.get(EVENTS, params={"maxResults": 2}).json()
    api.patch(f"{EVENTS}/{ids[0]}", json={"summary": "renamed"})
    rest, token = list_all(api, maxResults=2, pageToken=first["nextPageToken"])
    assert [item["id"] for item in rest] == ids[2:]
    changes, _ = list_all(api, syncToken=token)
    assert [(item["id"], item["summary"]) for item in changes] == [(ids[0], "renamed")]
