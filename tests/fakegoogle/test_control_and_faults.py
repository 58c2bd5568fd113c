"""The control API under /_emulator/, fault injection, quotas, the request log, reset."""

from __future__ import annotations

import httpx
import pytest

from tandem.fakegoogle import CALENDAR_READONLY_SCOPE, CALENDAR_SCOPE, FakeGoogle

from .conftest import ANN, API, BOB, client_for, error_reason, meeting

EVENTS = f"{API}/calendars/primary/events"


@pytest.fixture
def control(google: FakeGoogle) -> httpx.Client:
    return client_for(google)


def test_control_api_sets_up_a_person_who_edits_in_google(
    google: FakeGoogle, control: httpx.Client
) -> None:
    """Accounts, calendars and tokens made over HTTP let another program act as the person."""
    assert (
        control.post("/_emulator/accounts", json={"email": BOB, "name": "Bob"}).status_code == 200
    )
    calendar = control.post("/_emulator/calendars", json={"email": BOB, "summary": "Work"}).json()
    token = control.post(
        "/_emulator/tokens", json={"email": BOB, "scopes": [CALENDAR_SCOPE]}
    ).json()
    with client_for(google, token["access_token"]) as bob:
        listed = bob.get(f"{API}/users/me/calendarList").json()["items"]
        assert {c["id"] for c in listed} == {BOB, calendar["id"]}
        assert (
            bob.post(f"{API}/calendars/{calendar['id']}/events", json=meeting()).status_code == 200
        )


def test_shared_calendars_show_their_access_role(google: FakeGoogle, api: httpx.Client) -> None:
    """Calendars shared to the account are listed with reader, freeBusyReader, writer roles."""
    for role in ("reader", "freeBusyReader", "writer"):
        google.create_calendar(email=ANN, summary=f"Shared {role}", access_role=role)
    items = api.get(f"{API}/users/me/calendarList").json()["items"]
    roles = {i["summary"]: i["accessRole"] for i in items}
    assert roles == {
        ANN: "owner",
        "Shared reader": "reader",
        "Shared freeBusyReader": "freeBusyReader",
        "Shared writer": "writer",
    }
    assert [i["id"] for i in items if i.get("primary")] == [ANN]
    writers = api.get(f"{API}/users/me/calendarList", params={"minAccessRole": "writer"}).json()
    assert {i["accessRole"] for i in writers["items"]} == {"owner", "writer"}


def test_calendars_insert_adds_an_owner_entry(api: httpx.Client) -> None:
    """calendars.insert makes a group calendar the caller owns and lists it."""
    response = api.post(
        f"{API}/calendars", json={"summary": "Tandem CRM", "timeZone": "Europe/Paris"}
    )
    assert response.status_code == 200
    calendar = response.json()
    assert calendar["id"].endswith("@group.calendar.google.com")
    assert calendar["kind"] == "calendar#calendar" and calendar["timeZone"] == "Europe/Paris"
    entry = api.get(f"{API}/users/me/calendarList/{calendar['id']}").json()
    assert entry["accessRole"] == "owner" and entry["summary"] == "Tandem CRM"
    assert api.post(f"{API}/calendars", json={}).status_code == 400


def test_calendar_list_paging(google: FakeGoogle, api: httpx.Client) -> None:
    """calendarList.list pages with nextPageToken and ends with nextSyncToken."""
    for n in range(4):
        google.create_calendar(email=ANN, summary=f"c{n}")
    first = api.get(f"{API}/users/me/calendarList", params={"maxResults": 3}).json()
    assert len(first["items"]) == 3 and "nextPageToken" in first
    rest = api.get(
        f"{API}/users/me/calendarList",
        params={"maxResults": 3, "pageToken": first["nextPageToken"]},
    ).json()
    assert len(rest["items"]) == 2 and "nextSyncToken" in rest


def test_scopes_are_checked_per_method(google: FakeGoogle) -> None:
    """A read-only token may list but not insert: 403 insufficientPermissions."""
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_READONLY_SCOPE])
    with client_for(google, token) as api:
        assert api.get(EVENTS).status_code == 200
        response = api.post(EVENTS, json=meeting())
        assert response.status_code == 403 and error_reason(response) == "insufficientPermissions"
        assert api.post(f"{API}/calendars", json={"summary": "x"}).status_code == 403


def test_events_owned_scope_reaches_only_owned_calendars(google: FakeGoogle) -> None:
    """calendar.events.owned works on the user's own calendars, not on shared ones."""
    shared = google.create_calendar(email=ANN, summary="Shared", access_role="writer")
    token = google.mint_access_token(
        email=ANN, scopes=["https://www.googleapis.com/auth/calendar.events.owned"]
    )
    with client_for(google, token) as api:
        assert api.post(EVENTS, json=meeting()).status_code == 200
        response = api.post(f"{API}/calendars/{shared['id']}/events", json=meeting())
        assert response.status_code == 403


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (403, "rateLimitExceeded", "usageLimits"),
        (403, "userRateLimitExceeded", "usageLimits"),
        (403, "quotaExceeded", "usageLimits"),
        (429, "rateLimitExceeded", "usageLimits"),
        (500, "backendError", "global"),
        (503, "backendError", "global"),
    ],
)
def test_injected_faults_use_google_shapes(
    google: FakeGoogle, api: httpx.Client, status: int, reason: str, domain: str
) -> None:
    """An injected fault answers with Google's status, domain and reason, then goes away."""
    google.inject_fault(route="POST */events", status=status, reason=reason)
    response = api.post(EVENTS, json=meeting())
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == status
    assert error["errors"][0]["reason"] == reason and error["errors"][0]["domain"] == domain
    assert api.post(EVENTS, json=meeting()).status_code == 200


def test_fault_after_n_calls_and_times(google: FakeGoogle, api: httpx.Client) -> None:
    """after=N lets N matching calls through; times=M fails the next M."""
    google.inject_fault(route="GET */events", status=500, after=2, times=2)
    statuses = [api.get(EVENTS).status_code for _ in range(5)]
    assert statuses == [200, 200, 500, 500, 200]


def test_fault_route_matches_method_and_path(google: FakeGoogle, api: httpx.Client) -> None:
    """A fault on POST */events leaves GETs of the same path alone."""
    google.inject_fault(route="POST */events", status=503, times=-1)
    assert api.get(EVENTS).status_code == 200
    assert api.post(EVENTS, json=meeting()).status_code == 503
    google.clear_faults()
    assert api.post(EVENTS, json=meeting()).status_code == 200


def test_dropped_connection_in_process(google: FakeGoogle, api: httpx.Client) -> None:
    """drop=True hangs up without an answer: httpx raises RemoteProtocolError."""
    google.inject_fault(route="GET */events", status=0, drop=True)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(EVENTS)
    assert api.get(EVENTS).status_code == 200


def test_faults_over_http_control(
    google: FakeGoogle, control: httpx.Client, api: httpx.Client
) -> None:
    """POST /_emulator/faults injects; DELETE clears."""
    assert (
        control.post(
            "/_emulator/faults", json={"route": "GET */events", "status": 429, "times": -1}
        ).status_code
        == 200
    )
    assert api.get(EVENTS).status_code == 429
    assert control.get("/_emulator/faults").json()["faults"][0]["fired"] == 1
    assert control.delete("/_emulator/faults").status_code == 200
    assert api.get(EVENTS).status_code == 200


def test_control_refuses_non_json_posts(control: httpx.Client) -> None:
    """A form post (what a hostile web page could send) cannot drive the control API."""
    response = control.post("/_emulator/accounts", data={"email": "x@example.com"})
    assert response.status_code == 415


def test_request_log_and_counters(
    google: FakeGoogle, api: httpx.Client, control: httpx.Client
) -> None:
    """Every Google call is logged with method, path, query, status and account."""
    api.get(EVENTS, params={"maxResults": "5"})
    api.get(f"{EVENTS}/missing")
    log = control.get("/_emulator/requests").json()["requests"]
    assert [(e["method"], e["path"], e["status"], e["account"]) for e in log] == [
        ("GET", EVENTS, 200, ANN),
        ("GET", f"{EVENTS}/missing", 404, ANN),
    ]
    assert log[0]["query"] == "maxResults=5"
    later = control.get("/_emulator/requests", params={"since": 1}).json()["requests"]
    assert len(later) == 1
    counters = control.get("/_emulator/counters").json()["counters"]
    assert counters["total"] == 2 and counters["GET 404"] == 1


def test_quota_per_user_over_a_sliding_window(google: FakeGoogle, api: httpx.Client) -> None:
    """With quotas on, the user's 4th call in a minute fails until the window slides."""
    google.set_quota(enabled=True, per_user_per_minute=3)
    statuses = [api.get(EVENTS).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 403]
    google.advance_clock(seconds=61)
    assert api.get(EVENTS).status_code == 200


def test_quota_patch_costs_three_units(google: FakeGoogle, api: httpx.Client) -> None:
    """A patch counts as three requests against the quota."""
    created = api.post(EVENTS, json=meeting()).json()
    google.set_quota(enabled=True, per_user_per_minute=4)
    assert api.patch(f"{EVENTS}/{created['id']}", json={"summary": "x"}).status_code == 200
    assert api.get(EVENTS).status_code == 200
    response = api.get(EVENTS)
    assert response.status_code == 403 and error_reason(response) == "userRateLimitExceeded"


def test_quota_per_project(google: FakeGoogle) -> None:
    """The project limit applies across users of the same client."""
    google.create_account(email=BOB)
    google.set_quota(enabled=True, per_project_per_minute=2)
    ann = client_for(
        google, google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE], client_id="p")
    )
    bob = client_for(
        google, google.mint_access_token(email=BOB, scopes=[CALENDAR_SCOPE], client_id="p")
    )
    assert ann.get(EVENTS).status_code == 200
    assert bob.get(EVENTS).status_code == 200
    response = ann.get(EVENTS)
    assert response.status_code == 403 and error_reason(response) == "rateLimitExceeded"


def test_expire_access_tokens_over_control(
    google: FakeGoogle, api: httpx.Client, control: httpx.Client
) -> None:
    """/_emulator/tokens/expire makes live tokens answer 401."""
    control.post("/_emulator/tokens/expire", json={})
    assert api.get(EVENTS).status_code == 401


def test_reset_forgets_everything(
    google: FakeGoogle, control: httpx.Client, api: httpx.Client
) -> None:
    """After reset accounts, tokens and logs are gone."""
    api.get(EVENTS)
    assert control.post("/_emulator/reset", json={}).status_code == 200
    assert control.get("/_emulator/accounts").json()["accounts"] == []
    assert google.request_log == []
    assert api.get(EVENTS).status_code == 401


def test_unknown_control_endpoint_is_404_and_bad_input_400(control: httpx.Client) -> None:
    """Clear messages for a wrong path or missing fields."""
    assert control.get("/_emulator/nope").status_code == 404
    response = control.post("/_emulator/accounts", json={"name": "no email"})
    assert response.status_code == 400 and "email" in response.json()["error"]
