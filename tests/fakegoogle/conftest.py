"""Fixtures for the emulator's behaviour tests: an emulator, an account, an API client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

ANN = "ann@example.com"
BOB = "bob@example.com"
CLIENT_ID = "tandem-test.apps.googleusercontent.com"
CLIENT_SECRET = "test-secret"
REDIRECT_URI = "http://127.0.0.1:8000/oauth/google/callback"
BASE = "http://fakegoogle.test"
API = "/calendar/v3"


@pytest.fixture
def google(request: pytest.FixtureRequest) -> FakeGoogle:
    emulator = FakeGoogle()
    if request.node.get_closest_marker("snapshot_paging"):
        emulator.set_paging(live=False)  # the switch off from live paging, the default
    emulator.register_client(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[REDIRECT_URI]
    )
    emulator.create_account(email=ANN, name="Ann Example")
    return emulator


def client_for(google: FakeGoogle, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(transport=google.transport(), base_url=BASE, headers=headers)


@pytest.fixture
def api(google: FakeGoogle) -> Iterator[httpx.Client]:
    """Ann's Calendar API client, full calendar scope, through the in-process transport."""
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
    with client_for(google, token) as client:
        yield client


def timed(start: str, end: str, tz: str | None = None, **fields: Any) -> dict[str, Any]:
    """An event body with dateTime start/end (optionally with a timeZone)."""
    body: dict[str, Any] = {"start": {"dateTime": start}, "end": {"dateTime": end}, **fields}
    if tz:
        body["start"]["timeZone"] = tz
        body["end"]["timeZone"] = tz
    return body


def meeting(summary: str = "Meeting", day: int = 1, **fields: Any) -> dict[str, Any]:
    return timed(
        f"2030-01-{day:02d}T10:00:00+00:00",
        f"2030-01-{day:02d}T11:00:00+00:00",
        summary=summary,
        **fields,
    )


def error_reason(response: httpx.Response) -> str:
    return str(response.json()["error"]["errors"][0]["reason"])


def list_all(
    api: httpx.Client, calendar: str = "primary", **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Page through events.list to the end: (items, nextSyncToken)."""
    items: list[dict[str, Any]] = []
    page_token = None
    while True:
        query = dict(params)
        if page_token:
            query["pageToken"] = page_token
        response = api.get(f"{API}/calendars/{calendar}/events", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        if "nextSyncToken" in body:
            assert "nextPageToken" not in body
            return items, body["nextSyncToken"]
        page_token = body["nextPageToken"]
