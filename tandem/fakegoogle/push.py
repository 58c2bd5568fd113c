"""events.watch, channels.stop and the delivery of push notifications.

Reference: https://developers.google.com/workspace/calendar/api/guides/push. A channel
first gets a ``sync`` message (number 1), then an ``exists`` message after each change of
its calendar, with increasing but not consecutive numbers. Deliveries are POSTs with an
empty body, made from a background thread, so the first one can arrive before the watch
response does (as on Google). Drops and duplicates can be switched on for tests.
"""

from __future__ import annotations

import hashlib
import hmac
import queue
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from tandem.fakegoogle import errors
from tandem.fakegoogle.access import authorize, calendar_for
from tandem.fakegoogle.store import Channel
from tandem.fakegoogle.wire import ApiRequest, ApiResponse, empty_response, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

DEFAULT_TTL = 604_800  # seconds: 7 days
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
SUCCESS = {102, 200, 201, 202, 204}
RETRY = {500, 502, 503, 504}


@dataclass
class Delivery:
    channel_id: str
    state: str
    number: int
    address: str
    headers: dict[str, str]
    status: int | None = None
    outcome: str = "pending"  # delivered, failed, dropped, error
    attempts: int = 0


class PushDispatcher:
    """A queue and one worker thread that POSTs notifications."""

    def __init__(self, emu: FakeGoogle) -> None:
        self.emu = emu
        self.log: list[Delivery] = []
        self.drop_next = 0
        self.duplicate_next = 0
        self.retry_delays = (0.05, 0.2, 0.5)
        self.client: httpx.Client | None = None  # replaceable, e.g. by a MockTransport client
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._busy = 0
        self._idle = threading.Condition()

    def enqueue(self, channel: Channel, state: str) -> None:
        channel.message_number = (
            1 if state == "sync" else channel.message_number + 1 + secrets.randbelow(3)
        )
        headers = {
            "X-Goog-Channel-ID": channel.id,
            "X-Goog-Message-Number": str(channel.message_number),
            "X-Goog-Resource-ID": channel.resource_id,
            "X-Goog-Resource-State": state,
            "X-Goog-Resource-URI": channel.resource_uri,
            "X-Goog-Channel-Expiration": format_datetime(
                datetime.fromtimestamp(channel.expiration_ms / 1000, UTC), usegmt=True
            ),
        }
        if channel.token:
            headers["X-Goog-Channel-Token"] = channel.token
        copies = 1
        if self.drop_next > 0:
            self.drop_next -= 1
            copies = 0
        elif self.duplicate_next > 0:
            self.duplicate_next -= 1
            copies = 2
        if copies == 0:
            self.log.append(
                Delivery(
                    channel.id,
                    state,
                    channel.message_number,
                    channel.address,
                    headers,
                    outcome="dropped",
                )
            )
            return
        with self._idle:
            self._busy += copies
        for _ in range(copies):
            delivery = Delivery(channel.id, state, channel.message_number, channel.address, headers)
            self.log.append(delivery)
            self._queue.put(delivery)
        self._ensure_worker()

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="fakegoogle-push", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        client = self.client or httpx.Client(timeout=5.0)
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self._deliver(self.client or client, delivery)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        for delay in (0.0, *self.retry_delays):
            time.sleep(delay)
            delivery.attempts += 1
            try:
                response = client.post(delivery.address, headers=delivery.headers, content=b"")
            except httpx.HTTPError:
                delivery.outcome = "error"
                continue
            delivery.status = response.status_code
            if response.status_code in SUCCESS:
                delivery.outcome = "delivered"
                return
            delivery.outcome = "failed"
            if response.status_code not in RETRY:
                return

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued notification has been attempted."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def stop(self) -> None:
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout=2)
        self._worker = None

    def notify_change(self, calendar_id: str) -> None:
        now_ms = int(self.emu.now_ts() * 1000)
        for channel in self.emu.state.channels.values():
            if (
                channel.calendar_id == calendar_id
                and not channel.stopped
                and channel.expiration_ms > now_ms
            ):
                self.enqueue(channel, "exists")


def _resource_id(secret: bytes, calendar_id: str) -> str:
    digest = hmac.new(secret, b"resource:" + calendar_id.encode(), hashlib.sha256).hexdigest()
    return digest[:27]


def watch(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.watch")
    body = req.json()
    if not isinstance(body, dict):
        raise errors.bad_request("Parse Error", reason="parseError")
    channel_id, address = body.get("id"), body.get("address")
    if not channel_id or not isinstance(channel_id, str):
        raise errors.required("Required channel id")
    if len(channel_id) > 64:
        raise errors.invalid("Invalid channel id")
    if body.get("type") not in ("web_hook", "webhook"):
        raise errors.bad_request("Invalid value for: type", reason="invalid")
    if not address or not isinstance(address, str):
        raise errors.required("Required address")
    parts = urlsplit(address)
    if parts.scheme != "https" and not (
        parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS
    ):
        raise errors.bad_request(
            f"WebHook callback must be HTTPS: {address}", reason="push.webhookUrlNotHttps"
        )
    channel_token = body.get("token")
    if channel_token is not None and (
        not isinstance(channel_token, str) or len(channel_token) > 256
    ):
        raise errors.invalid("Invalid channel token")
    now_ms = int(emu.now_ts() * 1000)
    ttl_raw = (body.get("params") or {}).get("ttl")
    try:
        ttl = int(ttl_raw) if ttl_raw is not None else DEFAULT_TTL
    except (TypeError, ValueError) as exc:
        raise errors.invalid("Invalid ttl") from exc
    expiration = now_ms + min(ttl, DEFAULT_TTL) * 1000
    if body.get("expiration"):
        try:
            expiration = min(expiration, int(body["expiration"]))
        except (TypeError, ValueError) as exc:
            raise errors.invalid("Invalid expiration") from exc
    with emu.state.lock:
        calendar, _ = calendar_for(emu, token, calendar_id, method="events.watch", write=False)
        if channel_id in emu.state.channels:
            raise errors.bad_request(
                f"Channel id {channel_id} not unique", reason="channelIdNotUnique"
            )
        channel = Channel(
            id=channel_id,
            resource_id=_resource_id(emu.state.secret, calendar.id),
            resource_uri=(
                f"{req.base_url}/calendar/v3/calendars/"
                f"{quote(calendar.id, safe='')}/events?alt=json"
            ),
            calendar_id=calendar.id,
            email=token.email,
            client_id=token.client_id,
            address=address,
            token=channel_token,
            expiration_ms=expiration,
        )
        emu.state.channels[channel_id] = channel
        emu.push.enqueue(channel, "sync")
        emu.persist_soon()
        result: dict[str, Any] = {
            "kind": "api#channel",
            "id": channel.id,
            "resourceId": channel.resource_id,
            "resourceUri": channel.resource_uri,
        }
        if channel.token:
            result["token"] = channel.token
        result["expiration"] = str(channel.expiration_ms)
    return json_response(result)


def stop(emu: FakeGoogle, req: ApiRequest) -> ApiResponse:
    token = authorize(emu, req, "channels.stop")
    body = req.json()
    if not isinstance(body, dict) or not body.get("id") or not body.get("resourceId"):
        raise errors.required("Required channel id and resourceId")
    with emu.state.lock:
        channel = emu.state.channels.get(body["id"])
        if (
            channel is None
            or channel.stopped
            or channel.resource_id != body["resourceId"]
            or channel.email != token.email
            or channel.client_id != token.client_id
        ):
            raise errors.ApiError(404, "notFound", f"Channel '{body['id']}' not found for project")
        channel.stopped = True
        emu.persist_soon()
    return empty_response(204)
