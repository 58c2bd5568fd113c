"""One set of Calendar API behaviour tests, run against the emulator and against Google.

The "google" side runs only when a test account's credentials are in the environment
(GOOGLE_TEST_CLIENT_ID, GOOGLE_TEST_CLIENT_SECRET, GOOGLE_TEST_REFRESH_TOKEN, for a
refresh token granted the ``calendar`` scope); otherwise it is skipped and says so. Each
test works in a fresh secondary calendar that it creates through the API and deletes at
the end, on both sides, so a real account is left as it was found. On the emulator side
every body is also checked against the discovery document's schemas.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest

from tandem.fakegoogle import CALENDAR_SCOPE

from .discovery import ANN, CLIENT_ID, Recorder, running_emulator

GOOGLE_ENV = ("GOOGLE_TEST_CLIENT_ID", "GOOGLE_TEST_CLIENT_SECRET", "GOOGLE_TEST_REFRESH_TOKEN")
SKIP_WITHOUT_GOOGLE = (
    "real Google: set GOOGLE_TEST_CLIENT_ID, GOOGLE_TEST_CLIENT_SECRET, "
    "GOOGLE_TEST_REFRESH_TOKEN to run the contract suite against Google"
)
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_API = "https://www.googleapis.com/calendar/v3/"


@dataclass
class Side:
    """One implementation of the Calendar API, with a fresh calendar to work in."""

    name: str
    api: httpx.Client  # base_url ends with /calendar/v3/
    calendar_id: str

    @property
    def events(self) -> str:
        return f"calendars/{quote(self.calendar_id, safe='')}/events"

    def event(self, event_id: str) -> str:
        return f"{self.events}/{event_id}"


def google_credentials() -> tuple[str, str, str]:
    """The test account's client id, secret and refresh token, or a skip that says why."""
    values = [os.environ.get(name, "") for name in GOOGLE_ENV]
    if not all(values):
        pytest.skip(SKIP_WITHOUT_GOOGLE)
    return values[0], values[1], values[2]


def _google_access_token() -> str:
    client_id, client_secret, refresh_token = google_credentials()
    answer = httpx.post(
        GOOGLE_TOKEN_URI,
        data={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        timeout=30,
    )
    assert answer.status_code == 200, f"refreshing the test account's token: {answer.text}"
    return str(answer.json()["access_token"])


def _in_fresh_calendar(name: str, api: httpx.Client) -> Iterator[Side]:
    created = api.post("calendars", json={"summary": f"Tandem contract {secrets.token_hex(4)}"})
    assert created.status_code == 200, created.text
    calendar_id = created.json()["id"]
    try:
        yield Side(name=name, api=api, calendar_id=calendar_id)
    finally:
        api.delete(f"calendars/{quote(calendar_id, safe='')}")


@pytest.fixture(params=["emulator", pytest.param("google", marks=pytest.mark.google_live)])
def side(request: pytest.FixtureRequest) -> Iterator[Side]:
    if request.param == "google":
        headers = {"Authorization": f"Bearer {_google_access_token()}"}
        with httpx.Client(base_url=GOOGLE_API, headers=headers, timeout=30) as api:
            yield from _in_fresh_calendar("google", api)
        return
    with running_emulator() as (google, server):
        token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
        with httpx.Client(
            base_url=server.base_url + "/calendar/v3/",
            headers={"Authorization": f"Bearer {token}"},
            event_hooks={"response": [Recorder().httpx_hook]},
            timeout=30,
        ) as api:
            yield from _in_fresh_calendar("emulator", api)


def _body(summary: str = "Contract", **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": "2030-06-03T09:00:00+02:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-06-03T10:00:00+02:00", "timeZone": "Europe/Berlin"},
        **extra,
    }


def _client_id() -> str:
    """A fresh client-supplied id: hex digits are base32hex too."""
    return "tandem" + secrets.token_hex(8)


def _reason(response: httpx.Response) -> str:
    return str(response.json()["error"]["errors"][0]["reason"])


def _insert(side: Side, **extra: Any) -> dict[str, Any]:
    response = side.api.post(side.events, json=_body(**extra), params={"sendUpdates": "none"})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _sync(side: Side, **params: str) -> tuple[list[dict[str, Any]], str]:
    """Page events.list to the end: (items, nextSyncToken)."""
    items: list[dict[str, Any]] = []
    query = dict(params)
    while True:
        response = side.api.get(side.events, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        if "nextPageToken" not in page:
            return items, str(page["nextSyncToken"])
        query = {**params, "pageToken": page["nextPageToken"]}


def test_google_side_without_credentials_is_skipped_with_instructions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without the three variables the Google side skips, naming what to set."""
    for name in GOOGLE_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pytest.skip.Exception, match="GOOGLE_TEST_REFRESH_TOKEN"):
        google_credentials()


def test_insert_answers_200_with_etag_icaluid_and_updated(side: Side) -> None:
    """events.insert answers 200 (not 201) with a quoted etag, an iCalUID and updated (ms)."""
    response = side.api.post(side.events, json=_body("Kick-off"))
    assert response.status_code == 200
    event = response.json()
    assert event["kind"] == "calendar#event" and event["status"] == "confirmed"
    assert event["etag"].startswith('"') and event["etag"].endswith('"')
    assert event["iCalUID"]
    assert event["updated"].endswith("Z") and len(event["updated"].split(".")[-1]) == 4
    assert event["summary"] == "Kick-off"


@pytest.mark.parametrize("bad_id", ["ABCDE12345", "abcd", "wxyz12345", "abc-12345", "tandem_01"])
def test_client_ids_outside_base32hex_or_too_short_are_400(side: Side, bad_id: str) -> None:
    """Client ids are base32hex (a-v, 0-9), at least 5 characters: anything else is 400."""
    response = side.api.post(side.events, json=_body(id=bad_id))
    assert response.status_code == 400
    assert side.api.get(side.event(bad_id)).status_code in (400, 404)


def test_a_reused_client_id_is_409_even_after_the_event_is_deleted(side: Side) -> None:
    """Ids stay taken: reuse gives 409 duplicate, before and after deletion."""
    event_id = _client_id()
    assert _insert(side, id=event_id)["id"] == event_id
    again = side.api.post(side.events, json=_body(id=event_id))
    assert again.status_code == 409 and _reason(again) == "duplicate"
    assert side.api.delete(side.event(event_id)).status_code == 204
    after_delete = side.api.post(side.events, json=_body(id=event_id))
    assert after_delete.status_code == 409 and _reason(after_delete) == "duplicate"


def test_patch_merges_and_null_removes_an_extended_property_key(side: Side) -> None:
    """PATCH keeps unnamed fields and keys; a null value deletes just that key."""
    event = _insert(
        side,
        description="keep me",
        extendedProperties={"private": {"tandem": "m-1", "stale": "x"}, "shared": {"s": "1"}},
    )
    response = side.api.patch(
        side.event(event["id"]),
        json={"summary": "Renamed", "extendedProperties": {"private": {"stale": None, "n": "2"}}},
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["summary"] == "Renamed" and patched["description"] == "keep me"
    assert patched["extendedProperties"]["private"] == {"tandem": "m-1", "n": "2"}
    assert patched["extendedProperties"]["shared"] == {"s": "1"}
    assert (
        side.api.get(side.event(event["id"])).json()["extendedProperties"]
        == (patched["extendedProperties"])
    )


def test_a_stale_if_match_is_412_and_a_matching_if_none_match_is_304(side: Side) -> None:
    """Etag preconditions: writes with an old etag fail; a get with the current one is 304."""
    event = _insert(side)
    updated = side.api.patch(
        side.event(event["id"]), json={"summary": "v2"}, headers={"If-Match": event["etag"]}
    )
    assert updated.status_code == 200
    stale = side.api.patch(
        side.event(event["id"]), json={"summary": "v3"}, headers={"If-Match": event["etag"]}
    )
    assert stale.status_code == 412 and _reason(stale) == "conditionNotMet"
    current = updated.json()["etag"]
    unchanged = side.api.get(side.event(event["id"]), headers={"If-None-Match": current})
    assert unchanged.status_code == 304 and unchanged.content == b""
    changed = side.api.get(side.event(event["id"]), headers={"If-None-Match": event["etag"]})
    assert changed.status_code == 200 and changed.json()["summary"] == "v2"


def test_delete_then_get_is_cancelled_and_a_second_delete_is_410(side: Side) -> None:
    """A deleted event is a cancelled tombstone to get; deleting it again is 410 deleted."""
    event = _insert(side)
    first = side.api.delete(side.event(event["id"]), params={"sendUpdates": "none"})
    assert first.status_code == 204 and first.content == b""
    got = side.api.get(side.event(event["id"]))
    assert got.status_code == 200 and got.json()["status"] == "cancelled"
    second = side.api.delete(side.event(event["id"]))
    assert second.status_code == 410 and _reason(second) == "deleted"


def test_incremental_sync_after_a_full_sync_sees_changes_including_cancelled(
    side: Side,
) -> None:
    """The sync token yields new, changed and deleted (cancelled) events, nothing else."""
    kept, changed, doomed = _insert(side), _insert(side), _insert(side)
    items, token = _sync(side, maxResults="2")
    assert {i["id"] for i in items} == {kept["id"], changed["id"], doomed["id"]}

    created = _insert(side, summary="new")
    side.api.patch(side.event(changed["id"]), json={"location": "Room 7"})
    side.api.delete(side.event(doomed["id"]))
    changes, next_token = _sync(side, maxResults="2", syncToken=token)
    by_id = {i["id"]: i for i in changes}
    assert set(by_id) == {created["id"], changed["id"], doomed["id"]}
    assert by_id[changed["id"]]["location"] == "Room 7"
    assert by_id[doomed["id"]]["status"] == "cancelled"
    assert _sync(side, syncToken=next_token)[0] == []


def test_a_sync_token_with_time_min_is_400(side: Side) -> None:
    """timeMin cannot be combined with syncToken."""
    _insert(side)
    _, token = _sync(side)
    response = side.api.get(
        side.events, params={"syncToken": token, "timeMin": "2030-01-01T00:00:00Z"}
    )
    assert response.status_code == 400


def test_order_by_start_time_without_single_events_is_400(side: Side) -> None:
    """orderBy=startTime needs singleEvents=true."""
    assert side.api.get(side.events, params={"orderBy": "startTime"}).status_code == 400
    both = side.api.get(side.events, params={"orderBy": "startTime", "singleEvents": "true"})
    assert both.status_code == 200


@pytest.mark.parametrize(
    ("time_min", "time_max"),
    [
        ("2030-06-02T00:00:00Z", "2030-06-01T00:00:00Z"),
        ("2030-06-01T00:00:00Z", "2030-06-01T00:00:00Z"),
        ("2030-06-01T02:00:00+02:00", "2030-06-01T00:00:00Z"),
    ],
)
def test_time_min_not_before_time_max_is_400_time_range_empty(
    side: Side, time_min: str, time_max: str
) -> None:
    """An empty or inverted window (compared as instants) is 400 timeRangeEmpty."""
    response = side.api.get(side.events, params={"timeMin": time_min, "timeMax": time_max})
    assert response.status_code == 400
    assert _reason(response) == "timeRangeEmpty"


# -- Google's shapes (issue 12, must-have 7) -------------------------------------------------


def test_a_zero_length_event_is_valid_and_an_end_before_its_start_is_not(side: Side) -> None:
    """End equal to start is an event (reminders, deadlines); an end before the start is
    400 timeRangeEmpty."""
    at = {"dateTime": "2030-06-03T09:00:00+02:00", "timeZone": "Europe/Berlin"}
    zero = side.api.post(side.events, json=_body(start=at, end=at))
    assert zero.status_code == 200, zero.text
    before = {"dateTime": "2030-06-03T08:00:00+02:00", "timeZone": "Europe/Berlin"}
    inverted = side.api.post(side.events, json=_body(start=at, end=before))
    assert inverted.status_code == 400


def test_a_date_start_with_a_date_time_end_is_400_invalid(side: Side) -> None:
    response = side.api.post(
        side.events,
        json=_body(start={"date": "2030-06-03"}, end={"dateTime": "2030-06-03T10:00:00Z"}),
    )
    assert response.status_code == 400
    assert _reason(response) == "invalid"


def test_created_has_whole_seconds_and_etags_are_quoted_numbers(side: Side) -> None:
    event = _insert(side)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.000)?Z", event["created"])
    assert re.fullmatch(r'"\d+"', event["etag"])


def test_date_times_come_with_the_calendars_offset_and_the_events_zone(side: Side) -> None:
    """An event planned in New York keeps timeZone America/New_York and its instant; the
    offset it is written with is the calendar's zone's."""
    calendar_zone = side.api.get(f"calendars/{quote(side.calendar_id, safe='')}").json()["timeZone"]
    start = {"dateTime": "2030-01-10T09:00:00-05:00", "timeZone": "America/New_York"}
    end = {"dateTime": "2030-01-10T10:00:00-05:00", "timeZone": "America/New_York"}
    event = _insert(side, start=start, end=end)
    written = datetime.fromisoformat(event["start"]["dateTime"])
    assert event["start"]["timeZone"] == "America/New_York"
    assert written == datetime.fromisoformat(start["dateTime"])
    assert written.utcoffset() == written.astimezone(ZoneInfo(calendar_zone)).utcoffset()
