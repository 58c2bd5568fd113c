"""Every body the emulator returns fits the schemas of Google's own discovery document.

Each endpoint is driven once through httpx against the in-process transport; a response
hook validates every answer (success and error bodies, batch parts included) against
``calendar.v3.json`` as bundled with google-api-python-client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

from .discovery import (
    ANN,
    BOB,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SCOPE,
    Recorder,
    assert_fits,
    consent,
    discovery_document,
    schema_problems,
)

BASE = "http://fakegoogle.test"
API = "/calendar/v3"
EVENTS = f"{API}/calendars/primary/events"


@pytest.fixture
def google() -> FakeGoogle:
    emulator = FakeGoogle()
    emulator.register_client(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[REDIRECT_URI]
    )
    emulator.create_account(email=ANN, name="Ann Example")
    emulator.create_account(email=BOB, name="Bob Example")
    # Push deliveries go to a stand-in webhook that accepts them, not to the network.
    emulator.push.client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200))
    )
    return emulator


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def api(google: FakeGoogle, recorder: Recorder) -> Iterator[httpx.Client]:
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
    with httpx.Client(
        transport=google.transport(),
        base_url=BASE,
        headers={"Authorization": f"Bearer {token}"},
        event_hooks={"response": [recorder.httpx_hook]},
    ) as client:
        yield client


def _meeting(summary: str, day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": f"2030-01-{day:02d}T10:00:00+01:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": f"2030-01-{day:02d}T11:00:00+01:00", "timeZone": "Europe/Paris"},
        **extra,
    }


def test_the_translated_schemas_reject_unknown_fields_and_wrong_types() -> None:
    """The validator can fail: an unknown field, a wrong type, a bad date-time, a wrong kind."""
    good = {
        "kind": "calendar#event",
        "id": "abcde12345",
        "start": {"dateTime": "2030-01-01T10:00:00Z"},
        "end": {"date": "2030-01-02"},
        "sequence": 0,
        "extendedProperties": {"private": {"tandem": "1"}},
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 10}]},
    }
    assert schema_problems("Event", good) == []
    assert schema_problems("Event", {**good, "colour": "red"})  # not an Event field
    assert schema_problems("Event", {**good, "sequence": "0"})  # int32, not a string
    assert schema_problems("Event", {**good, "start": {"dateTime": "2030-01-01 10:00"}})
    assert schema_problems("Event", {**good, "end": {"date": "2030-02-30"}})
    assert schema_problems("Event", {**good, "kind": "calendar#events"})
    assert schema_problems("Event", {**good, "extendedProperties": {"private": {"n": 1}}})
    assert schema_problems("Event", {**good, "start": {"dateTime": "x", "tz": "UTC"}})
    assert schema_problems("Channel", {"kind": "api#channel", "expiration": 1700000000000})
    assert schema_problems("Error", {"error": {"code": 400, "message": "x"}})  # no errors[]


def test_the_schemas_come_from_the_bundled_discovery_document() -> None:
    """The reference is Calendar v3 as google-api-python-client ships it, with every resource."""
    document = discovery_document()
    assert document["id"] == "calendar:v3"
    for name in ("Event", "Events", "CalendarList", "CalendarListEntry", "Calendar", "Channel"):
        assert name in document["schemas"]


def test_every_endpoint_answers_with_bodies_that_fit_the_discovery_schemas(
    google: FakeGoogle, api: httpx.Client, recorder: Recorder
) -> None:
    """calendarList, calendars, every events method, watch, stop and batch: all bodies fit."""
    assert api.get(f"{API}/users/me/calendarList").status_code == 200
    assert api.get(f"{API}/users/me/calendarList/primary").status_code == 200
    created = api.post(f"{API}/calendars", json={"summary": "CRM", "timeZone": "Europe/Paris"})
    assert created.status_code == 200
    secondary = created.json()["id"]
    assert api.get(f"{API}/calendars/{secondary}").status_code == 200
    google.share_calendar(calendar_id=secondary, email=BOB, access_role="reader")

    private = {"private": {"tandem": "m-1"}, "shared": {"crm": "yes"}}
    event = api.post(
        EVENTS,
        json=_meeting(
            "Kick-off",
            description="<b>agenda</b>",
            location="Room 1",
            visibility="private",
            attendees=[{"email": BOB, "displayName": "Bob"}],
            reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
            extendedProperties=private,
            colorId="5",
            transparency="opaque",
        ),
        params={"sendUpdates": "none"},
    ).json()
    all_day = api.post(
        EVENTS,
        json={"summary": "Off", "start": {"date": "2030-01-05"}, "end": {"date": "2030-01-06"}},
    ).json()
    series = api.post(
        EVENTS, json=_meeting("Stand-up", 7, recurrence=["RRULE:FREQ=DAILY;COUNT=3"])
    ).json()
    assert api.get(f"{EVENTS}/{event['id']}").status_code == 200
    assert api.get(f"{EVENTS}/{event['id']}", params={"fields": "id,etag,start"}).status_code == 200
    assert api.get(f"{EVENTS}/{event['id']}", params={"prettyPrint": "true"}).status_code == 200
    assert (
        api.get(f"{EVENTS}/{event['id']}", headers={"If-None-Match": event["etag"]}).status_code
        == 304
    )
    assert (
        api.put(f"{EVENTS}/{all_day['id']}", json={**_meeting("Now timed", 5)}).status_code == 200
    )
    assert api.patch(f"{EVENTS}/{event['id']}", json={"summary": "Renamed"}).status_code == 200
    instances = api.get(f"{EVENTS}/{series['id']}/instances").json()["items"]
    assert len(instances) == 3
    assert (
        api.patch(f"{EVENTS}/{instances[1]['id']}", json={"status": "cancelled"}).status_code == 200
    )
    imported = api.post(
        f"{EVENTS}/import", json={**_meeting("Imported", 9), "iCalUID": "ext-1@example.com"}
    )
    assert imported.status_code == 200
    moved = api.post(f"{EVENTS}/{imported.json()['id']}/move", params={"destination": secondary})
    assert moved.status_code == 200
    assert api.delete(f"{EVENTS}/{all_day['id']}").status_code == 204
    assert api.get(f"{EVENTS}/{all_day['id']}").json()["status"] == "cancelled"

    full = api.get(EVENTS, params={"showDeleted": "true", "maxResults": "2"})
    assert full.status_code == 200
    sync_token = _page_to_end(api, EVENTS, {"showDeleted": "true", "maxResults": "2"}, full)
    assert (
        api.get(EVENTS, params={"singleEvents": "true", "orderBy": "startTime"}).status_code == 200
    )
    assert (
        api.get(
            EVENTS, params={"timeMin": "2030-01-01T00:00:00Z", "timeMax": "2030-02-01T00:00:00Z"}
        ).status_code
        == 200
    )
    api.patch(f"{EVENTS}/{event['id']}", json={"location": "Room 2"})
    api.delete(f"{EVENTS}/{series['id']}")
    incremental = api.get(EVENTS, params={"syncToken": sync_token})
    assert incremental.status_code == 200
    assert {"cancelled", "confirmed"} <= {i["status"] for i in incremental.json()["items"]}

    channel = api.post(
        f"{EVENTS}/watch",
        json={
            "id": str(uuid.uuid4()),
            "type": "web_hook",
            "address": "https://crm.test/hook",
            "token": "target=ann",
            "params": {"ttl": "3600"},
        },
    )
    assert channel.status_code == 200
    stop = {"id": channel.json()["id"], "resourceId": channel.json()["resourceId"]}
    assert api.post(f"{API}/channels/stop", json=stop).status_code == 204

    # Bob reads Ann's secondary calendar: the reader's view of entries and events.
    bob = google.mint_access_token(email=BOB, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
    bob_headers = {"Authorization": f"Bearer {bob}"}
    assert api.get(f"{API}/users/me/calendarList", headers=bob_headers).status_code == 200
    assert api.get(f"{API}/calendars/{secondary}/events", headers=bob_headers).status_code == 200

    assert api.delete(f"{API}/calendars/{secondary}").status_code == 204
    assert {
        "CalendarList",
        "CalendarListEntry",
        "Calendar",
        "Event",
        "Events",
        "Channel",
        None,
    } <= (recorder.schemas())


def _page_to_end(api: httpx.Client, url: str, params: dict[str, str], first: httpx.Response) -> str:
    body = first.json()
    while "nextPageToken" in body:
        body = api.get(url, params={**params, "pageToken": body["nextPageToken"]}).json()
    return str(body["nextSyncToken"])


def test_error_bodies_have_googles_error_shape(
    google: FakeGoogle, api: httpx.Client, recorder: Recorder
) -> None:
    """400, 401, 403, 404, 409, 410, 412, 429 and 503 bodies all fit Google's error shape."""
    event = api.post(EVENTS, json={**_meeting("x"), "id": "abcde12345"}).json()
    answers = [
        api.post(EVENTS, json={**_meeting("x"), "id": "ABC"}),  # 400 invalid id
        api.get(
            EVENTS, params={"timeMin": "2030-01-02T00:00:00Z", "timeMax": "2030-01-01T00:00:00Z"}
        ),  # 400 timeRangeEmpty
        api.get(EVENTS, params={"orderBy": "startTime"}),  # 400 without singleEvents
        api.get(EVENTS, headers={"Authorization": "Bearer nope"}),  # 401
        api.get(EVENTS, headers={"Authorization": ""}),  # 401 login required
        api.get(f"{API}/calendars/nobody@example.com/events"),  # 404
        api.post(EVENTS, json={**_meeting("x"), "id": "abcde12345"}),  # 409
        api.patch(
            f"{EVENTS}/{event['id']}", json={"summary": "y"}, headers={"If-Match": '"stale"'}
        ),  # 412
        api.get(EVENTS, params={"syncToken": "tampered"}),  # 410 fullSyncRequired
    ]
    api.delete(f"{EVENTS}/{event['id']}")
    answers.append(api.delete(f"{EVENTS}/{event['id']}"))  # 410 deleted
    readonly = google.mint_access_token(
        email=ANN, scopes=[SCOPE + "calendar.readonly"], client_id=CLIENT_ID
    )
    answers.append(
        api.post(EVENTS, json=_meeting("z"), headers={"Authorization": f"Bearer {readonly}"})
    )  # 403 insufficientPermissions
    google.inject_fault(route="GET /calendar/v3/calendars/primary/events", status=429)
    answers.append(api.get(EVENTS))
    google.inject_fault(route="GET /calendar/v3/calendars/primary/events", status=503)
    answers.append(api.get(EVENTS))
    google.inject_fault(
        route="GET /calendar/v3/calendars/primary/events", status=403, reason="quotaExceeded"
    )
    answers.append(api.get(EVENTS))
    statuses = [a.status_code for a in answers]
    assert statuses == [400, 400, 400, 401, 401, 404, 409, 412, 410, 410, 403, 429, 503, 403]
    assert sum(1 for s in recorder.seen if s.schema == "Error") == len(answers)


def test_batch_parts_fit_the_schemas(api: httpx.Client, recorder: Recorder) -> None:
    """Each part of a batch answer, success or error, fits its own schema."""
    boundary = "===parts==="
    parts = [
        ("POST", EVENTS, _meeting("one")),
        ("POST", EVENTS, {**_meeting("two"), "id": "bad"}),
        ("GET", f"{API}/users/me/calendarList", None),
    ]
    chunks = []
    for n, (method, path, body) in enumerate(parts):
        payload = "" if body is None else httpx.Request("POST", "/", json=body).content.decode()
        chunks.append(
            f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{n}>\r\n\r\n"
            f"{method} {path} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{payload}\r\n"
        )
    response = api.post(
        "/batch/calendar/v3",
        content="".join(chunks) + f"--{boundary}--\r\n",
        headers={"Content-Type": f'multipart/mixed; boundary="{boundary}"'},
    )
    assert response.status_code == 200
    batch_seen = [(s.status, s.schema) for s in recorder.seen[-3:]]
    assert batch_seen == [(200, "Event"), (400, "Error"), (200, "CalendarList")]


def test_token_endpoint_answers_fit_the_oauth_shapes(
    google: FakeGoogle, recorder: Recorder
) -> None:
    """Code exchange, refresh and token errors have exactly the documented fields."""
    with httpx.Client(
        transport=google.transport(), base_url=BASE, event_hooks={"response": [recorder.httpx_hook]}
    ) as browser:
        url = str(
            httpx.URL(
                f"{BASE}/o/oauth2/v2/auth",
                params={
                    "client_id": CLIENT_ID,
                    "redirect_uri": REDIRECT_URI,
                    "response_type": "code",
                    "scope": f"openid {SCOPE}userinfo.email {CALENDAR_SCOPE}",
                    "access_type": "offline",
                    "state": "s1",
                },
            )
        )
        location = consent(browser, url, account=ANN)
        code = httpx.URL(location).params["code"]
        form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        first = browser.post(
            "/token",
            data={
                **form,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
            },
        )
        assert first.status_code == 200 and "refresh_token" in first.json()
        again = browser.post(
            "/token",
            data={
                **form,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
            },
        )
        assert again.status_code == 400
        refreshed = browser.post(
            "/token",
            data={
                **form,
                "grant_type": "refresh_token",
                "refresh_token": first.json()["refresh_token"],
            },
        )
        assert refreshed.status_code == 200 and "refresh_token" not in refreshed.json()
        bad_client = browser.post(
            "/token",
            data={
                "client_id": "x",
                "client_secret": "y",
                "grant_type": "refresh_token",
                "refresh_token": "1//x",
            },
        )
        assert bad_client.status_code == 401
    assert [s.schema for s in recorder.seen] == ["Token", "OAuthError", "Token", "OAuthError"]
    assert_fits("Token", first.json())
