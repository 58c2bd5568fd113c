"""Google's official Python client, unchanged, against the emulator on a loopback port.

google-api-python-client with its bundled calendar v3 discovery document, google-auth
credentials whose ``token_uri`` is the emulator's, and ``BatchHttpRequest`` with the
emulator's ``batch_uri`` (spec §6). Every answer the client receives is validated against
the discovery document's schemas on the way in (``RecordingHttp``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import googleapiclient.http
import httpx
import pytest
from google.auth.exceptions import RefreshError
from google.auth.transport.requests import AuthorizedSession
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import Resource, build
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle, RunningServer

from .discovery import (
    ANN,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    Recorder,
    RecordingHttp,
    consent,
    running_emulator,
)

# Google's exact body for an invalidated sync token (spec §2.4).
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


@pytest.fixture
def emulator() -> Iterator[tuple[FakeGoogle, RunningServer]]:
    with running_emulator() as pair:
        yield pair


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def _service(credentials: Credentials, recorder: Recorder, base_url: str) -> tuple[Resource, Any]:
    """The discovery-based client exactly as an app would build it, plus its authorised http."""
    http = AuthorizedHttp(credentials, http=RecordingHttp(recorder))
    service = build(
        "calendar",
        "v3",
        http=http,
        client_options={"api_endpoint": base_url + "/calendar/v3/"},
        static_discovery=True,
        cache_discovery=False,
    )
    return service, http


@pytest.fixture
def calendar(
    emulator: tuple[FakeGoogle, RunningServer], recorder: Recorder
) -> tuple[Resource, Any]:
    """Ann's Calendar service with a minted bearer token and the full calendar scope."""
    google, server = emulator
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
    return _service(Credentials(token=token, scopes=[CALENDAR_SCOPE]), recorder, server.base_url)


def _event(summary: str, day: int = 1, **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": f"2030-03-{day:02d}T09:00:00Z"},
        "end": {"dateTime": f"2030-03-{day:02d}T10:00:00Z"},
        **extra,
    }


def _reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def _full_sync(service: Resource, **params: Any) -> tuple[list[dict[str, Any]], list[int], str]:
    """Page with list_next to the end: (items, page sizes, nextSyncToken)."""
    events = service.events()
    request = events.list(calendarId="primary", **params)
    items: list[dict[str, Any]] = []
    sizes: list[int] = []
    while request is not None:
        page = request.execute()
        items.extend(page["items"])
        sizes.append(len(page["items"]))
        assert ("nextPageToken" in page) != ("nextSyncToken" in page), "exactly one token"
        sync_token = page.get("nextSyncToken")
        request = events.list_next(request, page)
    assert sync_token
    return items, sizes, sync_token


def test_list_pages_with_next_page_token_until_next_sync_token(
    calendar: tuple[Resource, Any], recorder: Recorder
) -> None:
    """maxResults=3 over 7 events: pages of 3, 3, 1; only the last carries nextSyncToken."""
    service, _ = calendar
    inserted = {
        service.events().insert(calendarId="primary", body=_event(f"E{n}", n + 1)).execute()["id"]
        for n in range(7)
    }
    items, sizes, _ = _full_sync(service, maxResults=3)
    assert sizes == [3, 3, 1]
    assert {item["id"] for item in items} == inserted
    assert sum(1 for s in recorder.seen if s.schema == "Events") == 3


def test_incremental_sync_sees_creates_updates_and_cancelled_deletes(
    calendar: tuple[Resource, Any],
) -> None:
    """After a full sync, the sync token returns exactly the new, changed and deleted events."""
    service, _ = calendar
    events = service.events()
    kept = events.insert(calendarId="primary", body=_event("kept", 1)).execute()
    changed = events.insert(calendarId="primary", body=_event("changed", 2)).execute()
    doomed = events.insert(calendarId="primary", body=_event("doomed", 3)).execute()
    _, _, sync_token = _full_sync(service, maxResults=2)

    created = events.insert(calendarId="primary", body=_event("created", 4)).execute()
    events.patch(calendarId="primary", eventId=changed["id"], body={"summary": "new"}).execute()
    events.delete(calendarId="primary", eventId=doomed["id"], sendUpdates="none").execute()

    changes, _, next_token = _full_sync(service, maxResults=2, syncToken=sync_token)
    by_id = {item["id"]: item for item in changes}
    assert set(by_id) == {created["id"], changed["id"], doomed["id"]}
    assert kept["id"] not in by_id
    assert by_id[changed["id"]]["summary"] == "new"
    assert by_id[doomed["id"]]["status"] == "cancelled"
    assert next_token != sync_token
    assert _full_sync(service, syncToken=next_token)[0] == []


def test_expired_sync_token_raises_410_with_googles_exact_body(
    emulator: tuple[FakeGoogle, RunningServer], calendar: tuple[Resource, Any]
) -> None:
    """The emulator's "expire sync tokens" control makes the client raise HttpError 410."""
    google, _ = emulator
    service, _ = calendar
    service.events().insert(calendarId="primary", body=_event("x")).execute()
    _, _, sync_token = _full_sync(service)
    google.expire_sync_tokens(calendar_id=ANN)
    with pytest.raises(HttpError) as caught:
        service.events().list(calendarId="primary", syncToken=sync_token).execute()
    assert caught.value.resp.status == 410
    assert caught.value.error_details[0]["reason"] == "fullSyncRequired"
    assert json.loads(caught.value.content) == FULL_SYNC_REQUIRED


def test_insert_with_the_same_client_id_twice_raises_409(calendar: tuple[Resource, Any]) -> None:
    """A client-supplied id is taken once; the retry gets 409 duplicate."""
    service, _ = calendar
    body = _event("once", id="tandem0meeting42")
    first = service.events().insert(calendarId="primary", body=body).execute()
    assert first["id"] == "tandem0meeting42"
    with pytest.raises(HttpError) as caught:
        service.events().insert(calendarId="primary", body=body).execute()
    assert caught.value.resp.status == 409
    assert _reason(caught.value) == "duplicate"


def test_patch_with_a_stale_if_match_raises_412(calendar: tuple[Resource, Any]) -> None:
    """If-Match set on the request object: a stale etag fails, the current one succeeds."""
    service, _ = calendar
    events = service.events()
    event = events.insert(calendarId="primary", body=_event("v1")).execute()
    fresh = events.patch(calendarId="primary", eventId=event["id"], body={"summary": "v2"})
    fresh.headers["If-Match"] = event["etag"]
    second = fresh.execute()
    assert second["summary"] == "v2" and second["etag"] != event["etag"]

    stale = events.patch(calendarId="primary", eventId=event["id"], body={"summary": "v3"})
    stale.headers["If-Match"] = event["etag"]
    with pytest.raises(HttpError) as caught:
        stale.execute()
    assert caught.value.resp.status == 412
    assert _reason(caught.value) == "conditionNotMet"
    assert events.get(calendarId="primary", eventId=event["id"]).execute()["summary"] == "v2"


def test_delete_leaves_a_cancelled_event_and_a_second_delete_raises_410(
    calendar: tuple[Resource, Any],
) -> None:
    """Delete answers empty; get still finds the event as cancelled; deleting again is 410."""
    service, _ = calendar
    events = service.events()
    event = events.insert(calendarId="primary", body=_event("gone")).execute()
    assert events.delete(calendarId="primary", eventId=event["id"]).execute() == ""
    assert events.get(calendarId="primary", eventId=event["id"]).execute()["status"] == "cancelled"
    with pytest.raises(HttpError) as caught:
        events.delete(calendarId="primary", eventId=event["id"]).execute()
    assert caught.value.resp.status == 410
    assert _reason(caught.value) == "deleted"


def test_a_local_date_time_with_a_time_zone_comes_back_with_its_offset(
    calendar: tuple[Resource, Any],
) -> None:
    """ "09:00" in Europe/Paris is answered with an offset (RFC 3339, as the discovery doc's
    date-time requires), for the series and for each of its instances: the offset of the
    calendar's zone (UTC here), as Google writes it, with timeZone naming the event's."""
    service, _ = calendar
    local = {"timeZone": "Europe/Paris"}
    series = (
        service.events()
        .insert(
            calendarId="primary",
            body={
                "summary": "Weekly",
                "start": {"dateTime": "2030-03-01T09:00:00", **local},
                "end": {"dateTime": "2030-03-01T10:00:00", **local},
                "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
            },
        )
        .execute()
    )
    assert series["start"] == {"dateTime": "2030-03-01T08:00:00+00:00", **local}
    assert series["end"] == {"dateTime": "2030-03-01T09:00:00+00:00", **local}
    instances = service.events().instances(calendarId="primary", eventId=series["id"]).execute()
    assert [i["start"]["dateTime"] for i in instances["items"]] == [
        "2030-03-01T08:00:00+00:00",
        "2030-03-08T08:00:00+00:00",
        "2030-03-15T08:00:00+00:00",
    ]


def test_a_secondary_calendar_is_created_listed_and_used_through_its_encoded_id(
    calendar: tuple[Resource, Any],
) -> None:
    """calendars.insert gives a …@group.calendar.google.com id; the client percent-encodes
    it in paths and events land in that calendar, not in primary."""
    service, _ = calendar
    created = service.calendars().insert(body={"summary": "Tandem CRM"}).execute()
    calendar_id = created["id"]
    assert calendar_id.endswith("@group.calendar.google.com")
    entries = {e["id"]: e for e in service.calendarList().list().execute()["items"]}
    assert entries[calendar_id]["accessRole"] == "owner"
    assert entries[ANN]["primary"] is True
    event = service.events().insert(calendarId=calendar_id, body=_event("CRM meeting")).execute()
    assert event["organizer"]["email"] == calendar_id
    listed = service.events().list(calendarId=calendar_id).execute()["items"]
    assert [e["id"] for e in listed] == [event["id"]]
    assert service.events().list(calendarId="primary").execute()["items"] == []


def test_watch_and_stop_a_channel(calendar: tuple[Resource, Any]) -> None:
    """events.watch answers an api#channel with a ms expiration string; stop is empty; a
    second stop of the same channel is 404."""
    service, _ = calendar
    channel = (
        service.events()
        .watch(
            calendarId="primary",
            body={"id": "channel-1", "type": "web_hook", "address": "http://127.0.0.1:9/hook"},
        )
        .execute()
    )
    assert channel["kind"] == "api#channel" and channel["id"] == "channel-1"
    assert int(channel["expiration"]) > 0
    stop = {"id": channel["id"], "resourceId": channel["resourceId"]}
    assert service.channels().stop(body=stop).execute() == ""
    with pytest.raises(HttpError) as caught:
        service.channels().stop(body=stop).execute()
    assert caught.value.resp.status == 404


@pytest.mark.parametrize(
    ("status", "reason", "retried"),
    [
        (403, "rateLimitExceeded", True),
        (403, "userRateLimitExceeded", True),
        (429, None, True),
        (503, None, True),
        (403, "quotaExceeded", False),
    ],
)
def test_the_clients_retry_rules_read_the_emulators_errors_as_googles(
    emulator: tuple[FakeGoogle, RunningServer],
    calendar: tuple[Resource, Any],
    status: int,
    reason: str | None,
    retried: bool,
) -> None:
    """execute(num_retries) retries rate limits and 5xx and gives up at once on a daily
    quota, deciding from the status and errors[0].reason the emulator sends."""
    google, _ = emulator
    service, _ = calendar
    route = "GET /calendar/v3/calendars/primary/events"
    google.inject_fault(route=route, status=status, reason=reason, times=2)
    request = service.events().list(calendarId="primary")
    request._sleep = lambda seconds: None  # the client's own backoff, not the emulator's
    if retried:
        assert request.execute(num_retries=3)["items"] == []
        expected = [status, status, 200]
    else:
        with pytest.raises(HttpError) as caught:
            request.execute(num_retries=3)
        assert caught.value.resp.status == status and _reason(caught.value) == reason
        expected = [status]
    assert _calls(google, "/calendar/v3/calendars/primary/events") == expected


def test_batch_of_inserts_reports_each_part_on_its_own(
    emulator: tuple[FakeGoogle, RunningServer],
    calendar: tuple[Resource, Any],
    recorder: Recorder,
) -> None:
    """A batch posted to the emulator's batch_uri: three inserts succeed, a duplicate id fails."""
    _, server = emulator
    service, http = calendar
    service.events().insert(calendarId="primary", body=_event("taken", id="taken0001")).execute()
    results: dict[str, Any] = {}

    def collect(request_id: str, response: Any, exception: HttpError | None) -> None:
        results[request_id] = exception if exception is not None else response

    batch = BatchHttpRequest(callback=collect, batch_uri=server.base_url + "/batch/calendar/v3")
    for n in range(3):
        batch.add(service.events().insert(calendarId="primary", body=_event(f"B{n}", n + 1)))
    batch.add(service.events().insert(calendarId="primary", body=_event("dup", id="taken0001")))
    batch.execute(http=http)

    assert [type(results[str(n)]).__name__ for n in range(1, 5)] == [
        "dict",
        "dict",
        "dict",
        "HttpError",
    ]
    assert [results[str(n)]["summary"] for n in range(1, 4)] == ["B0", "B1", "B2"]
    failure = results["4"]
    assert isinstance(failure, HttpError) and failure.resp.status == 409
    assert _reason(failure) == "duplicate"
    listed = service.events().list(calendarId="primary").execute()["items"]
    assert sorted(e["summary"] for e in listed) == ["B0", "B1", "B2", "taken"]
    # The batch answer was validated part by part: three Events and one error body.
    assert [s.schema for s in recorder.seen if s.method == "POST"][-4:] == [
        "Event",
        "Event",
        "Event",
        "Error",
    ]


def test_a_batch_over_1000_parts_is_refused(
    emulator: tuple[FakeGoogle, RunningServer],
    calendar: tuple[Resource, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The client stops at 1000 parts; lifting its limit, the emulator answers 400 itself."""
    _, server = emulator
    service, http = calendar
    batch_uri = server.base_url + "/batch/calendar/v3"
    full = BatchHttpRequest(batch_uri=batch_uri)
    for _ in range(1000):
        full.add(service.events().get(calendarId="primary", eventId="nothere01"))
    with pytest.raises(BatchError):
        full.add(service.events().get(calendarId="primary", eventId="nothere01"))

    monkeypatch.setattr(googleapiclient.http, "MAX_BATCH_LIMIT", 2000)
    oversized = BatchHttpRequest(batch_uri=batch_uri)
    for n in range(1001):
        oversized.add(service.events().insert(calendarId="primary", body=_event(f"X{n}")))
    with pytest.raises(HttpError) as caught:
        oversized.execute(http=http)
    assert caught.value.resp.status == 400
    assert service.events().list(calendarId="primary").execute()["items"] == []


def _offline_credentials(base_url: str, scopes: list[str]) -> Credentials:
    """Consent in a 'browser', exchange the code: credentials with a refresh token."""
    with httpx.Client() as browser:
        url = httpx.URL(
            base_url + "/o/oauth2/v2/auth",
            params={
                "client_id": CLIENT_ID,
                "redirect_uri": REDIRECT_URI,
                "response_type": "code",
                "scope": " ".join(scopes),
                "access_type": "offline",
                "prompt": "consent",
            },
        )
        code = httpx.URL(consent(browser, str(url), account=ANN)).params["code"]
        answer = browser.post(
            base_url + "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": REDIRECT_URI,
            },
        ).json()
    return Credentials(
        token=answer["access_token"],
        refresh_token=answer["refresh_token"],
        token_uri=base_url + "/token",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=scopes,
    )


def _calls(google: FakeGoogle, path: str) -> list[int]:
    return [entry.status for entry in google.request_log if entry.path == path]


def test_an_expired_access_token_is_refreshed_through_the_emulators_token_uri(
    emulator: tuple[FakeGoogle, RunningServer], recorder: Recorder
) -> None:
    """401 authError after expiry: AuthorizedHttp refreshes at token_uri and retries once."""
    google, server = emulator
    credentials = _offline_credentials(server.base_url, [CALENDAR_SCOPE])
    service, _ = _service(credentials, recorder, server.base_url)
    assert service.calendarList().list().execute()["items"][0]["id"] == ANN
    old_token = credentials.token

    assert google.expire_access_tokens(email=ANN) >= 1
    assert service.calendarList().list().execute()["items"][0]["id"] == ANN

    assert credentials.token != old_token
    assert _calls(google, "/calendar/v3/users/me/calendarList") == [200, 401, 200]
    assert _calls(google, "/token") == [200, 200]  # the code exchange, then the refresh
    assert [s.schema for s in recorder.seen if s.path == "/token"] == ["Token"]


def test_requests_transport_refreshes_before_expiry_as_expires_in_says() -> None:
    """With a 60 s token life, google-auth refreshes ahead of every call: the API never
    sees an expired token."""
    with running_emulator(access_token_ttl=60) as (google, server):
        granted = _offline_credentials(server.base_url, [CALENDAR_SCOPE])
        credentials = Credentials(
            token=None,
            refresh_token=granted.refresh_token,
            token_uri=server.base_url + "/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            scopes=[CALENDAR_SCOPE],
        )
        session = AuthorizedSession(credentials)
        session.hooks["response"].append(Recorder().requests_hook)
        url = server.base_url + "/calendar/v3/users/me/calendarList"
        assert session.get(url).json()["items"][0]["id"] == ANN
        assert credentials.expiry is not None
        lifetime = credentials.expiry.replace(tzinfo=UTC) - datetime.now(UTC)
        assert timedelta(seconds=50) < lifetime <= timedelta(seconds=60)
        first_token = credentials.token
        assert session.get(url).status_code == 200
        assert credentials.token != first_token
        assert _calls(google, "/calendar/v3/users/me/calendarList") == [200, 200]
        assert _calls(google, "/token") == [200, 200, 200]


def test_after_the_clock_passes_the_token_life_the_next_call_refreshes(
    emulator: tuple[FakeGoogle, RunningServer],
) -> None:
    """The emulator's clock moves past expiry: 401, refresh through requests, then 200."""
    google, server = emulator
    credentials = _offline_credentials(server.base_url, [CALENDAR_SCOPE])
    session = AuthorizedSession(credentials)
    session.hooks["response"].append(Recorder().requests_hook)
    url = server.base_url + "/calendar/v3/calendars/primary/events"
    assert session.get(url).status_code == 200
    google.advance_clock(seconds=3601)
    assert session.get(url).status_code == 200
    assert _calls(google, "/calendar/v3/calendars/primary/events") == [200, 401, 200]


def test_a_revoked_grant_makes_refresh_fail_with_invalid_grant(
    emulator: tuple[FakeGoogle, RunningServer], recorder: Recorder
) -> None:
    """After the person removes the app's access, google-auth raises RefreshError."""
    google, server = emulator
    credentials = _offline_credentials(server.base_url, [CALENDAR_SCOPE])
    service, _ = _service(credentials, recorder, server.base_url)
    google.revoke_tokens(email=ANN, client_id=CLIENT_ID)
    with pytest.raises(RefreshError) as caught:
        service.calendarList().list().execute()
    assert "invalid_grant" in str(caught.value)
