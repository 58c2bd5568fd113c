"""Push: events.watch channels deliver sync, then exists, to a real loopback webhook."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tandem.fakegoogle import FakeGoogle

from .conftest import API, meeting
from .receiver import Receiver

EVENTS = f"{API}/calendars/primary/events"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.stop()


def _watch(
    api: httpx.Client, address: str, channel_id: str = "chan-1", **extra: object
) -> httpx.Response:
    return api.post(
        f"{EVENTS}/watch", json={"id": channel_id, "type": "web_hook", "address": address, **extra}
    )


def test_watch_returns_a_channel_with_seven_day_default(
    google: FakeGoogle, api: httpx.Client, receiver: Receiver
) -> None:
    """The watch answer is an api#channel whose expiration defaults to seven days ahead."""
    response = _watch(api, receiver.url, token="secret-token")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "api#channel" and body["id"] == "chan-1"
    assert body["resourceId"] and body["resourceUri"]
    assert body["token"] == "secret-token"
    expected = int(google.now_ts() * 1000) + 604_800_000
    assert abs(int(body["expiration"]) - expected) < 5_000


def test_sync_then_exists_with_google_headers(
    google: FakeGoogle, api: httpx.Client, receiver: Receiver
) -> None:
    """The first message is 'sync' number 1, later ones 'exists' with increasing numbers."""
    channel = _watch(api, receiver.url, token="tok").json()
    assert google.flush_push()
    api.post(EVENTS, json=meeting())
    api.post(EVENTS, json=meeting())
    assert google.flush_push()
    states = [h["X-Goog-Resource-State"] for h in receiver.received]
    assert states == ["sync", "exists", "exists"]
    numbers = [int(h["X-Goog-Message-Number"]) for h in receiver.received]
    assert numbers[0] == 1 and numbers == sorted(set(numbers))
    first = receiver.received[0]
    assert first["X-Goog-Channel-Id"] == "chan-1"
    assert first["X-Goog-Resource-Id"] == channel["resourceId"]
    assert first["X-Goog-Resource-Uri"] == channel["resourceUri"]
    assert first["X-Goog-Channel-Token"] == "tok"
    assert first["X-Goog-Channel-Expiration"].endswith("GMT")
    assert receiver.bodies == [b"", b"", b""]


def test_channels_stop_ends_deliveries(
    google: FakeGoogle, api: httpx.Client, receiver: Receiver
) -> None:
    """After channels.stop no more notifications arrive; a wrong resourceId is 404."""
    channel = _watch(api, receiver.url).json()
    wrong = api.post(f"{API}/channels/stop", json={"id": channel["id"], "resourceId": "nope"})
    assert wrong.status_code == 404
    stopped = api.post(
        f"{API}/channels/stop", json={"id": channel["id"], "resourceId": channel["resourceId"]}
    )
    assert stopped.status_code == 204
    google.flush_push()
    api.post(EVENTS, json=meeting())
    google.flush_push()
    assert [h["X-Goog-Resource-State"] for h in receiver.received] == ["sync"]


def test_drops_and_duplicates_on_demand(
    google: FakeGoogle, api: httpx.Client, receiver: Receiver
) -> None:
    """A test can make the next notification vanish, or arrive twice."""
    _watch(api, receiver.url)
    google.flush_push()
    google.set_push_faults(drop_next=1)
    api.post(EVENTS, json=meeting())
    google.flush_push()
    assert len(receiver.received) == 1
    google.set_push_faults(duplicate_next=1)
    api.post(EVENTS, json=meeting())
    google.flush_push()
    assert len(receiver.received) == 3
    assert receiver.received[1] == receiver.received[2]
    assert [d.outcome for d in google.push_log] == [
        "delivered",
        "dropped",
        "delivered",
        "delivered",
    ]


def test_address_must_be_https_unless_loopback(api: httpx.Client) -> None:
    """Plain http is refused except on loopback, where tests and the demo listen."""
    response = _watch(api, "http://crm.example.com/hook")
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["reason"] == "push.webhookUrlNotHttps"
    assert _watch(api, "https://crm.example.com/hook", channel_id="c2").status_code == 200


def test_channel_ids_are_unique(api: httpx.Client, receiver: Receiver) -> None:
    """Reusing a channel id is refused."""
    assert _watch(api, receiver.url).status_code == 200
    assert _watch(api, receiver.url).status_code == 400


def test_failing_webhook_is_retried_on_5xx(google: FakeGoogle, api: httpx.Client) -> None:
    """A 503 from the receiver is retried with backoff; a 404 is not."""
    failing = Receiver(status=503)
    try:
        _watch(api, failing.url)
        google.flush_push()
        assert len(failing.received) == 4
        assert google.push_log[0].outcome == "failed"
    finally:
        failing.stop()
    gone = Receiver(status=404)
    try:
        _watch(api, gone.url, channel_id="c404")
        google.flush_push()
        assert len(gone.received) == 1
    finally:
        gone.stop()
