"""events.list paging and the incremental sync contract (sync tokens, tombstones, 410)."""

from __future__ import annotations

import httpx
import pytest

from tandem.fakegoogle import FakeGoogle

from .conftest import API, error_reason, list_all, meeting

EVENTS = f"{API}/calendars/primary/events"
FULL_SYNC_REQUIRED = {
    "error": {
        "errors": [
            {
                "domain": "calendar",
                "reason": "fullSyncRequired",
                "message": "Sync token is no longer valid, a full sync is required.",
                "locationType": "parameter",
                "location": "syncToken",
            }
        ],
        "code": 410,
        "message": "Sync token is no longer valid, a full sync is required.",
    }
}


def _insert(api: httpx.Client, count: int) -> list[str]:
    return [
        api.post(EVENTS, json=meeting(f"m{i}", day=1 + i % 28)).json()["id"] for i in range(count)
    ]


def test_default_page_is_250_and_max_is_2500(api: httpx.Client) -> None:
    """Without maxResults a page holds 250 items; maxResults above 2500 is capped."""
    _insert(api, 260)
    first = api.get(EVENTS).json()
    assert len(first["items"]) == 250
    assert "nextPageToken" in first and "nextSyncToken" not in first
    capped = api.get(EVENTS, params={"maxResults": 99999}).json()
    assert len(capped["items"]) == 260 and "nextSyncToken" in capped


def test_pages_then_sync_token_only_on_last_page(api: httpx.Client) -> None:
    """nextPageToken on every page but the last; nextSyncToken only on the last one."""
    ids = _insert(api, 7)
    items, sync_token = list_all(api, maxResults=3)
    assert [i["id"] for i in items] == ids
    assert sync_token


def test_order_is_stable_across_calls(api: httpx.Client) -> None:
    """Two listings of the same data come back in the same order."""
    _insert(api, 5)
    first = [i["id"] for i in api.get(EVENTS).json()["items"]]
    second = [i["id"] for i in api.get(EVENTS).json()["items"]]
    assert first == second


def test_incremental_sync_returns_creates_updates_and_deletes(api: httpx.Client) -> None:
    """After a full sync, the token yields exactly the changes, deletions as cancelled stubs."""
    kept, changed, removed = _insert(api, 3)
    _, token = list_all(api)
    added = api.post(EVENTS, json=meeting("new")).json()["id"]
    api.patch(f"{EVENTS}/{changed}", json={"summary": "changed"})
    api.delete(f"{EVENTS}/{removed}")
    items, next_token = list_all(api, syncToken=token)
    by_id = {i["id"]: i for i in items}
    assert set(by_id) == {added, changed, removed}
    assert kept not in by_id
    assert by_id[changed]["summary"] == "changed"
    assert by_id[removed]["status"] == "cancelled"
    assert "summary" not in by_id[removed]  # a minimal tombstone without showDeleted
    assert list_all(api, syncToken=next_token)[0] == []


def test_show_deleted_gives_full_tombstones(api: httpx.Client) -> None:
    """With showDeleted=true, deleted events keep their details in the listing."""
    event_id = _insert(api, 1)[0]
    api.delete(f"{EVENTS}/{event_id}")
    assert api.get(EVENTS).json()["items"] == []
    items = api.get(EVENTS, params={"showDeleted": "true"}).json()["items"]
    assert items[0]["status"] == "cancelled" and items[0]["summary"] == "m0"


def test_large_change_set_is_paged(api: httpx.Client) -> None:
    """An incremental result larger than maxResults is paged, the sync token on the last page."""
    _, token = list_all(api)
    ids = _insert(api, 5)
    items, _ = list_all(api, syncToken=token, maxResults=2)
    assert [i["id"] for i in items] == ids


def test_expired_sync_token_gives_google_410_body(google: FakeGoogle, api: httpx.Client) -> None:
    """An expired token answers 410 with Google's exact fullSyncRequired body."""
    _, token = list_all(api)
    google.expire_sync_tokens()
    response = api.get(EVENTS, params={"syncToken": token})
    assert response.status_code == 410
    assert response.json() == FULL_SYNC_REQUIRED


def test_one_sync_token_can_be_expired_alone(google: FakeGoogle, api: httpx.Client) -> None:
    """expire_sync_tokens(token=...) kills that token; a newer one of the same calendar works."""
    _, old = list_all(api)
    api.post(EVENTS, json=meeting())
    _, new = list_all(api)
    google.expire_sync_tokens(token=old)
    assert api.get(EVENTS, params={"syncToken": old}).status_code == 410
    assert api.get(EVENTS, params={"syncToken": new}).status_code == 200


def test_tampered_sync_token_gives_410(api: httpx.Client) -> None:
    """A token that was altered, or is not ours at all, answers 410 fullSyncRequired."""
    _, token = list_all(api)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage"):
        response = api.get(EVENTS, params={"syncToken": bad})
        assert response.status_code == 410
        assert response.json() == FULL_SYNC_REQUIRED


def test_corrupted_sync_token_handed_out_fails_later(google: FakeGoogle, api: httpx.Client) -> None:
    """corrupt_sync_tokens makes the next nextSyncToken unusable (410 on use)."""
    google.corrupt_sync_tokens(count=1)
    _, token = list_all(api)
    assert api.get(EVENTS, params={"syncToken": token}).status_code == 410
    _, good = list_all(api)
    assert api.get(EVENTS, params={"syncToken": good}).status_code == 200


def test_sync_token_of_another_calendar_gives_410(google: FakeGoogle, api: httpx.Client) -> None:
    """A token is bound to its calendar."""
    other = google.create_calendar(email="ann@example.com", summary="Other")
    _, token = list_all(api)
    response = api.get(f"{API}/calendars/{other['id']}/events", params={"syncToken": token})
    assert response.status_code == 410


def test_sync_token_refuses_filters(api: httpx.Client) -> None:
    """syncToken with timeMin/timeMax/updatedMin/q/iCalUID/orderBy/extended properties is 400."""
    _, token = list_all(api)
    for name, value in (
        ("timeMin", "2030-01-01T00:00:00Z"),
        ("timeMax", "2030-01-01T00:00:00Z"),
        ("updatedMin", "2030-01-01T00:00:00Z"),
        ("q", "x"),
        ("iCalUID", "x"),
        ("orderBy", "updated"),
        ("privateExtendedProperty", "a=b"),
        ("sharedExtendedProperty", "a=b"),
    ):
        response = api.get(EVENTS, params={"syncToken": token, name: value})
        assert response.status_code == 400, name


@pytest.mark.snapshot_paging
def test_page_token_carries_a_snapshot(api: httpx.Client) -> None:
    """Inserts made while paging neither shift nor duplicate items; they arrive by sync token."""
    ids = _insert(api, 6)
    first = api.get(EVENTS, params={"maxResults": 3}).json()
    late = api.post(EVENTS, json=meeting("late")).json()["id"]
    api.delete(f"{EVENTS}/{ids[0]}")  # already returned: no shift of the rest
    rest, token = list_all(api, maxResults=3, pageToken=first["nextPageToken"])
    seen = [i["id"] for i in first["items"]] + [i["id"] for i in rest]
    assert seen == ids
    changes, _ = list_all(api, syncToken=token)
    assert {c["id"] for c in changes} == {late, ids[0]}


def test_live_pages_are_no_snapshot_a_changed_event_comes_again(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """In live paging mode (Google's own behaviour) an event changed after its page was
    returned comes again on a later page with its newer etag; nothing is left out."""
    google.set_paging(live=True)
    ids = _insert(api, 6)
    first = api.get(EVENTS, params={"maxResults": 3}).json()
    old_etag = first["items"][0]["etag"]
    api.patch(f"{EVENTS}/{ids[0]}", json={"summary": "renamed while paging"})
    rest, token = list_all(api, maxResults=3, pageToken=first["nextPageToken"])
    seen = [i["id"] for i in first["items"]] + [i["id"] for i in rest]
    assert sorted(set(seen)) == sorted(ids)
    assert seen.count(ids[0]) == 2
    again = next(i for i in rest if i["id"] == ids[0])
    assert again["summary"] == "renamed while paging" and again["etag"] != old_etag
    changes, _ = list_all(api, syncToken=token)
    assert changes == []  # the change was delivered by the listing itself


def test_live_repeats_that_do_not_fit_one_page_come_on_the_next(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """More events changed while paging than one page holds: every one comes again, over
    as many pages as it takes, and the final sync token has nothing left to report."""
    google.set_paging(live=True, page_cap=2)
    ids = _insert(api, 6)
    first = api.get(EVENTS, params={"maxResults": 2}).json()
    second = api.get(EVENTS, params={"maxResults": 2, "pageToken": first["nextPageToken"]}).json()
    passed = [i["id"] for i in first["items"] + second["items"]]
    for event_id in passed[:3]:
        api.patch(f"{EVENTS}/{event_id}", json={"summary": f"renamed {event_id}"})
    rest, token = list_all(api, maxResults=2, pageToken=second["nextPageToken"])
    again = {i["id"]: i["summary"] for i in rest if i["id"] in passed[:3]}
    assert again == {event_id: f"renamed {event_id}" for event_id in passed[:3]}
    assert {i["id"] for i in rest} >= set(ids[4:])
    changes, _ = list_all(api, syncToken=token)
    assert changes == []


def test_page_token_is_bound_to_its_query(api: httpx.Client) -> None:
    """A page token used with a different query is refused."""
    _insert(api, 4)
    page = api.get(EVENTS, params={"maxResults": 2}).json()["nextPageToken"]
    response = api.get(EVENTS, params={"pageToken": page, "q": "other"})
    assert response.status_code == 400


def test_short_and_empty_pages_still_reach_the_end(google: FakeGoogle, api: httpx.Client) -> None:
    """In short paging mode pages hold fewer items, some none, yet paging ends with all items."""
    ids = _insert(api, 10)
    google.set_paging(mode="short")
    sizes = []
    items: list[str] = []
    params: dict[str, str | int] = {"maxResults": 4}
    while True:
        body = api.get(EVENTS, params=params).json()
        sizes.append(len(body["items"]))
        items += [i["id"] for i in body["items"]]
        if "nextSyncToken" in body:
            break
        params = {"maxResults": 4, "pageToken": body["nextPageToken"]}
    assert items == ids
    assert 0 in sizes[:-1]
    assert max(sizes) < 4


def test_time_window_filters(api: httpx.Client) -> None:
    """timeMin keeps events ending after it; timeMax keeps events starting before it."""
    ids = [api.post(EVENTS, json=meeting(f"d{d}", day=d)).json()["id"] for d in (1, 2, 3)]
    window = {"timeMin": "2030-01-01T11:00:00Z", "timeMax": "2030-01-03T10:00:00Z"}
    items = api.get(EVENTS, params=window).json()["items"]
    assert [i["id"] for i in items] == [ids[1]]


def test_time_range_empty_and_bad_order_by(api: httpx.Client) -> None:
    """timeMin >= timeMax is 400 timeRangeEmpty; orderBy=startTime needs singleEvents."""
    response = api.get(
        EVENTS, params={"timeMin": "2030-01-02T00:00:00Z", "timeMax": "2030-01-01T00:00:00Z"}
    )
    assert response.status_code == 400 and error_reason(response) == "timeRangeEmpty"
    assert api.get(EVENTS, params={"orderBy": "startTime"}).status_code == 400
    ok = api.get(EVENTS, params={"orderBy": "startTime", "singleEvents": "true"})
    assert ok.status_code == 200


def test_time_min_without_offset_is_refused(api: httpx.Client) -> None:
    """timeMin must carry an offset (RFC 3339)."""
    assert api.get(EVENTS, params={"timeMin": "2030-01-01T00:00:00"}).status_code == 400


def test_extended_property_filter(api: httpx.Client) -> None:
    """privateExtendedProperty=name=value keeps only the events carrying that property."""
    marked = api.post(
        EVENTS, json=meeting(extendedProperties={"private": {"tandemMeeting": "7"}})
    ).json()["id"]
    api.post(EVENTS, json=meeting())
    items = api.get(EVENTS, params={"privateExtendedProperty": "tandemMeeting=7"}).json()["items"]
    assert [i["id"] for i in items] == [marked]


def test_updated_min_includes_deletions_and_refuses_old_bounds(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """updatedMin lists changes since then including deletions; a bound too old is 410."""
    event_id = _insert(api, 1)[0]
    since = google.now().isoformat()
    api.delete(f"{EVENTS}/{event_id}")
    items = api.get(EVENTS, params={"updatedMin": since}).json()["items"]
    assert [(i["id"], i["status"]) for i in items] == [(event_id, "cancelled")]
    old = api.get(EVENTS, params={"updatedMin": "2001-01-01T00:00:00Z"})
    assert old.status_code == 410 and error_reason(old) == "updatedMinTooLongAgo"


def test_events_envelope(api: httpx.Client) -> None:
    """The list envelope carries kind, summary, timeZone, accessRole and defaultReminders."""
    body = api.get(EVENTS).json()
    assert body["kind"] == "calendar#events"
    assert body["accessRole"] == "owner"
    assert body["timeZone"] == "UTC"
    assert isinstance(body["defaultReminders"], list)


def test_own_writes_appear_in_incremental_sync(api: httpx.Client) -> None:
    """The sync engine's own inserts come back through the sync token (echo to suppress)."""
    _, token = list_all(api)
    mine = api.post(EVENTS, json=meeting(id="tandem00001")).json()
    items, _ = list_all(api, syncToken=token)
    assert [(i["id"], i["etag"]) for i in items] == [("tandem00001", mine["etag"])]


def test_move_tombstone_reaches_incremental_sync(google: FakeGoogle, api: httpx.Client) -> None:
    """After events.move the source calendar's sync reports the event as cancelled."""
    target = google.create_calendar(email="ann@example.com", summary="CRM")
    api.post(EVENTS, json=meeting(id="moving0001"))
    _, token = list_all(api)
    api.post(f"{EVENTS}/moving0001/move", params={"destination": target["id"]})
    items, _ = list_all(api, syncToken=token)
    assert [(i["id"], i["status"]) for i in items] == [("moving0001", "cancelled")]
