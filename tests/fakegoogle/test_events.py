"""Behaviour of events.get/insert/update/patch/delete/move/import (Calendar API v3)."""

from __future__ import annotations

import httpx

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

from .conftest import ANN, API, BOB, client_for, error_reason, meeting, timed

EVENTS = f"{API}/calendars/primary/events"


def test_insert_returns_200_with_server_fields(api: httpx.Client) -> None:
    """An insert answers 200 (not 201) with etag, ms-precision updated, iCalUID, organizer."""
    response = api.post(EVENTS, json=meeting("Kick-off"))
    assert response.status_code == 200
    event = response.json()
    assert event["kind"] == "calendar#event"
    assert event["status"] == "confirmed"
    assert event["etag"].startswith('"') and event["etag"].endswith('"')
    assert event["updated"].endswith("Z") and len(event["updated"].split(".")[1]) == 4
    assert event["iCalUID"] == f"{event['id']}@google.com"
    assert event["organizer"]["email"] == ANN and event["creator"]["email"] == ANN
    assert event["htmlLink"]
    assert event["summary"] == "Kick-off"


def test_client_supplied_id_is_kept(api: httpx.Client) -> None:
    """A base32hex id chosen by the client becomes the event's id."""
    response = api.post(EVENTS, json=meeting(id="tandem0042abc"))
    assert response.status_code == 200
    assert response.json()["id"] == "tandem0042abc"
    assert api.get(f"{EVENTS}/tandem0042abc").json()["summary"] == "Meeting"


def test_client_id_outside_base32hex_is_refused(api: httpx.Client) -> None:
    """Ids with letters past 'v', uppercase, or shorter than 5 characters get 400."""
    for bad in ("tandemwxyz", "ABCDEF123", "abc1", "with-dash1"):
        response = api.post(EVENTS, json=meeting(id=bad))
        assert response.status_code == 400, bad
        assert error_reason(response) == "invalid"


def test_duplicate_id_is_409_even_after_delete(api: httpx.Client) -> None:
    """Re-inserting a live or a deleted id answers 409 duplicate."""
    assert api.post(EVENTS, json=meeting(id="dup00001")).status_code == 200
    again = api.post(EVENTS, json=meeting(id="dup00001"))
    assert again.status_code == 409
    assert error_reason(again) == "duplicate"
    assert api.delete(f"{EVENTS}/dup00001").status_code == 204
    after_delete = api.post(EVENTS, json=meeting(id="dup00001"))
    assert after_delete.status_code == 409


def test_start_end_validation(api: httpx.Client) -> None:
    """Missing end, mixed date/dateTime, no offset without timeZone, bad zone, end<start: 400."""
    cases = [
        {"start": {"dateTime": "2030-01-01T10:00:00Z"}},
        {"start": {"date": "2030-01-01"}, "end": {"dateTime": "2030-01-01T10:00:00Z"}},
        timed("2030-01-01T10:00:00", "2030-01-01T11:00:00"),
        timed("2030-01-01T10:00:00", "2030-01-01T11:00:00", tz="Mars/Olympus"),
        timed("2030-01-01T10:00:00Z", "2030-01-01T09:00:00Z"),
        {"start": {"date": "2030-02-30"}, "end": {"date": "2030-03-01"}},
    ]
    for body in cases:
        response = api.post(EVENTS, json=body)
        assert response.status_code == 400, body
        assert "errors" in response.json()["error"]
    empty = api.post(EVENTS, json=timed("2030-01-01T10:00:00Z", "2030-01-01T09:00:00Z"))
    assert error_reason(empty) == "timeRangeEmpty"


def test_local_time_with_time_zone_is_accepted(api: httpx.Client) -> None:
    """A dateTime without offset is fine when timeZone is given."""
    body = timed("2030-06-01T10:00:00", "2030-06-01T11:00:00", tz="Europe/Berlin")
    assert api.post(EVENTS, json=body).status_code == 200


def test_all_day_event(api: httpx.Client) -> None:
    """All-day events use dates with an exclusive end."""
    response = api.post(
        EVENTS, json={"start": {"date": "2030-05-01"}, "end": {"date": "2030-05-02"}}
    )
    assert response.status_code == 200
    assert response.json()["start"] == {"date": "2030-05-01"}


def test_put_replaces_and_drops_omitted_extended_properties(api: httpx.Client) -> None:
    """PUT replaces the resource: fields and extended properties left out are gone."""
    created = api.post(
        EVENTS,
        json=meeting(description="notes", extendedProperties={"private": {"tandem": "1"}}),
    ).json()
    response = api.put(f"{EVENTS}/{created['id']}", json=meeting("Renamed"))
    assert response.status_code == 200
    updated = response.json()
    assert updated["summary"] == "Renamed"
    assert "description" not in updated
    assert "extendedProperties" not in updated
    assert updated["etag"] != created["etag"]
    assert updated["id"] == created["id"] and updated["created"] == created["created"]


def test_patch_merges_and_null_removes_a_key(api: httpx.Client) -> None:
    """PATCH keeps unspecified fields, replaces arrays, and null deletes an extended property."""
    created = api.post(
        EVENTS,
        json=meeting(
            description="keep me",
            extendedProperties={"private": {"a": "1", "b": "2"}},
            attendees=[{"email": "x@example.com"}, {"email": "y@example.com"}],
        ),
    ).json()
    response = api.patch(
        f"{EVENTS}/{created['id']}",
        json={
            "summary": "Patched",
            "extendedProperties": {"private": {"a": None, "c": "3"}},
            "attendees": [{"email": "z@example.com"}],
        },
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["summary"] == "Patched"
    assert patched["description"] == "keep me"
    assert patched["extendedProperties"]["private"] == {"b": "2", "c": "3"}
    assert patched["attendees"] == [{"email": "z@example.com", "responseStatus": "needsAction"}]


def test_patch_of_start_keeps_time_zone_and_bumps_sequence(api: httpx.Client) -> None:
    """Objects merge under PATCH, and a time change bumps the iCalendar sequence."""
    body = timed("2030-06-01T10:00:00", "2030-06-01T11:00:00", tz="Europe/Berlin")
    created = api.post(EVENTS, json=body).json()
    patched = api.patch(
        f"{EVENTS}/{created['id']}",
        json={"start": {"dateTime": "2030-06-01T09:00:00"}},
    ).json()
    # 09:00 Berlin, written with the offset of the calendar's zone (UTC here), as Google does.
    assert patched["start"] == {
        "dateTime": "2030-06-01T07:00:00+00:00",
        "timeZone": "Europe/Berlin",
    }
    assert patched["sequence"] == created["sequence"] + 1


def test_attendees_get_a_response_status(api: httpx.Client) -> None:
    """Attendees come back with responseStatus needsAction unless one was given."""
    created = api.post(
        EVENTS,
        json=meeting(
            attendees=[
                {"email": "a@example.com"},
                {"email": "b@example.com", "responseStatus": "accepted"},
            ]
        ),
    ).json()
    assert [a["responseStatus"] for a in created["attendees"]] == ["needsAction", "accepted"]


def test_delete_leaves_a_cancelled_event(api: httpx.Client) -> None:
    """Delete answers 204; get then shows status cancelled; a second delete is 410 deleted."""
    created = api.post(EVENTS, json=meeting()).json()
    deleted = api.delete(f"{EVENTS}/{created['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    fetched = api.get(f"{EVENTS}/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["status"] == "cancelled"
    again = api.delete(f"{EVENTS}/{created['id']}")
    assert again.status_code == 410
    assert error_reason(again) == "deleted"


def test_unknown_event_is_404(api: httpx.Client) -> None:
    """A missing event answers Google's 404 notFound."""
    response = api.get(f"{EVENTS}/nosuchevent")
    assert response.status_code == 404
    assert response.json()["error"] == {
        "errors": [{"domain": "global", "reason": "notFound", "message": "Not Found"}],
        "code": 404,
        "message": "Not Found",
    }


def test_if_match_guards_writes(api: httpx.Client) -> None:
    """A stale If-Match gives 412 conditionNotMet on patch, put and delete; a fresh one succeeds."""
    created = api.post(EVENTS, json=meeting()).json()
    url = f"{EVENTS}/{created['id']}"
    fresh = api.patch(url, json={"summary": "v2"}, headers={"If-Match": created["etag"]})
    assert fresh.status_code == 200
    stale = {"If-Match": created["etag"]}
    for response in (
        api.patch(url, json={"summary": "v3"}, headers=stale),
        api.put(url, json=meeting("v3"), headers=stale),
        api.delete(url, headers=stale),
    ):
        assert response.status_code == 412
        assert error_reason(response) == "conditionNotMet"
    assert api.get(url).json()["summary"] == "v2"


def test_if_none_match_gives_304_when_unchanged(api: httpx.Client) -> None:
    """A get with the current etag in If-None-Match answers 304 with no body."""
    created = api.post(EVENTS, json=meeting()).json()
    url = f"{EVENTS}/{created['id']}"
    unchanged = api.get(url, headers={"If-None-Match": created["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    api.patch(url, json={"summary": "changed"})
    assert api.get(url, headers={"If-None-Match": created["etag"]}).status_code == 200


def test_percent_encoded_calendar_id_and_primary_alias(api: httpx.Client) -> None:
    """calendars/ann%40example.com and calendars/primary are the same calendar."""
    created = api.post(f"{API}/calendars/ann%40example.com/events", json=meeting()).json()
    assert api.get(f"{EVENTS}/{created['id']}").status_code == 200


def test_unknown_fields_are_ignored_and_never_echoed(api: httpx.Client) -> None:
    """Fields outside the Event schema are dropped, so responses only carry schema fields."""
    created = api.post(EVENTS, json=meeting(bogusField="x", kind="nonsense")).json()
    assert "bogusField" not in created
    assert created["kind"] == "calendar#event"


def test_reader_cannot_write(google: FakeGoogle) -> None:
    """A calendar shared read-only refuses inserts with 403."""
    google.create_account(email=BOB)
    shared = google.create_calendar(email=ANN, summary="Team")
    google.share_calendar(calendar_id=shared["id"], email=BOB, access_role="reader")
    token = google.mint_access_token(email=BOB, scopes=[CALENDAR_SCOPE])
    with client_for(google, token) as bob:
        response = bob.post(f"{API}/calendars/{shared['id']}/events", json=meeting())
        assert response.status_code == 403
        assert bob.get(f"{API}/calendars/{shared['id']}/events").status_code == 200


def test_free_busy_reader_sees_only_busy_time(google: FakeGoogle, api: httpx.Client) -> None:
    """A freeBusyReader sees start and end, never the summary or description."""
    google.create_account(email=BOB)
    api.post(EVENTS, json=meeting("Secret plan", description="details"))
    google.share_calendar(calendar_id=ANN, email=BOB, access_role="freeBusyReader")
    token = google.mint_access_token(email=BOB, scopes=[CALENDAR_SCOPE])
    with client_for(google, token) as bob:
        items = bob.get(f"{API}/calendars/{ANN}/events").json()["items"]
    assert len(items) == 1
    assert "summary" not in items[0] and "description" not in items[0]
    assert items[0]["start"]


def test_other_accounts_calendars_are_not_found(google: FakeGoogle, api: httpx.Client) -> None:
    """A calendar the caller has no access to answers 404, not its events."""
    google.create_account(email=BOB)
    assert api.get(f"{API}/calendars/{BOB}/events").status_code == 404


def test_move_leaves_a_tombstone_and_changes_organizer(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """events.move puts the event in the destination; the source keeps it as cancelled."""
    target = google.create_calendar(email=ANN, summary="CRM")
    created = api.post(EVENTS, json=meeting(id="moveme001")).json()
    moved = api.post(f"{EVENTS}/moveme001/move", params={"destination": target["id"]})
    assert moved.status_code == 200
    assert moved.json()["organizer"]["email"] == target["id"]
    assert (
        api.get(f"{API}/calendars/{target['id']}/events/moveme001").json()["summary"] == "Meeting"
    )
    assert api.get(f"{EVENTS}/moveme001").json()["status"] == "cancelled"
    assert moved.json()["iCalUID"] == created["iCalUID"]


def test_import_is_keyed_by_ical_uid(api: httpx.Client) -> None:
    """A second import with the same iCalUID updates the same event instead of adding one."""
    first = api.post(f"{EVENTS}/import", json=meeting("v1", iCalUID="abc@elsewhere"))
    assert first.status_code == 200
    second = api.post(f"{EVENTS}/import", json=meeting("v2", iCalUID="abc@elsewhere"))
    assert second.json()["id"] == first.json()["id"]
    items = api.get(EVENTS, params={"iCalUID": "abc@elsewhere"}).json()["items"]
    assert [i["summary"] for i in items] == ["v2"]
    missing = api.post(f"{EVENTS}/import", json=meeting())
    assert missing.status_code == 400


def test_send_updates_is_accepted_and_validated(api: httpx.Client) -> None:
    """sendUpdates=none is accepted; an unknown value is a 400."""
    assert api.post(EVENTS, params={"sendUpdates": "none"}, json=meeting()).status_code == 200
    assert api.post(EVENTS, params={"sendUpdates": "sometimes"}, json=meeting()).status_code == 400


def test_standard_parameters_are_accepted(api: httpx.Client) -> None:
    """alt=json, prettyPrint, quotaUser are accepted; fields trims the response."""
    api.post(EVENTS, json=meeting("Trim me"))
    response = api.get(
        EVENTS,
        params={
            "alt": "json",
            "prettyPrint": "false",
            "quotaUser": "u1",
            "fields": "items(id,summary)",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["items"]
    assert set(body["items"][0]) == {"id", "summary"}
