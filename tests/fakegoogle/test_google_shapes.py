"""Google's other shapes (issue 12, must-have 7), as events recorded from real Google show
them and the Events reference (https://developers.google.com/workspace/calendar/api/v3/reference/events)
describes them: instance ids, the minimal cancelled occurrence, dateTime offsets in the
calendar's zone, ``created`` in whole seconds, quoted numeric etags, the ``invalid`` reason
for a date/dateTime mix, a series split by Google's UI, and the ``no_tokens`` fault."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

from .conftest import ANN, API, CLIENT_ID, client_for, error_reason, list_all, meeting, timed

EVENTS = f"{API}/calendars/primary/events"
ETAG = re.compile(r'^"\d+"$')


def _weekly(api: httpx.Client, rule: str = "RRULE:FREQ=WEEKLY;COUNT=3") -> dict[str, Any]:
    body = timed("2030-03-22T10:00:00", "2030-03-22T11:00:00", tz="Europe/Paris", recurrence=[rule])
    response = api.post(EVENTS, json=body | {"summary": "Weekly"})
    assert response.status_code == 200, response.text
    return response.json()


def test_instance_ids_are_the_series_id_and_the_original_start(api: httpx.Client) -> None:
    """Timed: ``<series>_<YYYYMMDDTHHMMSSZ>`` (UTC); all-day: ``<series>_<YYYYMMDD>``."""
    series = _weekly(api)
    instances = api.get(f"{EVENTS}/{series['id']}/instances").json()["items"]
    assert [item["id"] for item in instances] == [
        f"{series['id']}_20300322T090000Z",
        f"{series['id']}_20300329T090000Z",
        f"{series['id']}_20300405T080000Z",
    ]
    days = api.post(
        EVENTS,
        json={
            "summary": "Daily",
            "start": {"date": "2030-01-01"},
            "end": {"date": "2030-01-02"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=2"],
        },
    ).json()
    ids = [i["id"] for i in api.get(f"{EVENTS}/{days['id']}/instances").json()["items"]]
    assert ids == [f"{days['id']}_20300101", f"{days['id']}_20300102"]
    # Such an id is an event of its own for get and patch.
    assert api.get(f"{EVENTS}/{ids[1]}").json()["recurringEventId"] == days["id"]


def test_a_cancelled_occurrence_comes_in_the_minimal_shape(api: httpx.Client) -> None:
    """A cancelled occurrence is only its identity: id, status, recurringEventId,
    originalStartTime (and kind, etag): "Cancelled exceptions are only guaranteed to have
    values for the id, recurringEventId and originalStartTime fields populated"."""
    series = _weekly(api)
    _, token = list_all(api)
    second = api.get(f"{EVENTS}/{series['id']}/instances").json()["items"][1]
    assert api.delete(f"{EVENTS}/{second['id']}").status_code == 204
    (change,) = list_all(api, syncToken=token)[0]
    assert set(change) <= {"kind", "etag", "id", "status", "recurringEventId", "originalStartTime"}
    assert {"id", "status", "recurringEventId", "originalStartTime"} <= set(change)
    assert change["status"] == "cancelled"
    # 10:00 in Paris (+01:00 until 31 March 2030), written in the calendar's zone (UTC).
    assert change["originalStartTime"]["dateTime"] == "2030-03-29T09:00:00+00:00"
    # With showDeleted too (the sync's listings), as the Events reference allows.
    (listed,) = [
        item for item in list_all(api, showDeleted="true")[0] if item.get("status") == "cancelled"
    ]
    assert listed == change


def test_date_times_carry_the_calendars_offset_and_the_events_zone(google: FakeGoogle) -> None:
    """On a Europe/Berlin calendar an event planned at 09:00 in New York comes back as
    15:00+01:00 with timeZone America/New_York: the same instant, the calendar's offset."""
    google.create_account(email="bea@example.com", time_zone="Europe/Berlin")
    token = google.mint_access_token(
        email="bea@example.com", scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID
    )
    with client_for(google, token) as bea:
        body = timed("2030-01-10T09:00:00", "2030-01-10T10:00:00", tz="America/New_York")
        event = bea.post(EVENTS, json=body).json()
        assert event["start"] == {
            "dateTime": "2030-01-10T15:00:00+01:00",
            "timeZone": "America/New_York",
        }
        listed = bea.get(EVENTS).json()["items"][0]
        assert listed["end"]["dateTime"] == "2030-01-10T16:00:00+01:00"


def test_created_has_whole_seconds_updated_has_milliseconds_etags_are_quoted_numbers(
    api: httpx.Client,
) -> None:
    event = api.post(EVENTS, json=meeting("Etags")).json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", event["created"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["updated"])
    assert ETAG.match(event["etag"])
    patched = api.patch(f"{EVENTS}/{event['id']}", json={"summary": "Again"}).json()
    assert ETAG.match(patched["etag"]) and patched["etag"] != event["etag"]
    assert patched["created"] == event["created"]
    listing = api.get(EVENTS).json()
    assert ETAG.match(listing["etag"]) or listing["etag"].startswith('"')


def test_a_date_and_date_time_mix_is_400_invalid(api: httpx.Client) -> None:
    """Google's reason for a start and end of different kinds is ``invalid``."""
    body = {"start": {"date": "2030-01-01"}, "end": {"dateTime": "2030-01-01T10:00:00Z"}}
    response = api.post(EVENTS, json=body)
    assert response.status_code == 400
    assert error_reason(response) == "invalid"


def test_a_series_split_by_googles_ui_continues_as_an_r_series(
    google: FakeGoogle, api: httpx.Client
) -> None:
    """ "This and following" in Google's UI: the series ends with UNTIL before the split and
    a new series ``<id>_R<local start>`` starts there, an event of its own (no
    recurringEventId), in incremental sync too."""
    series = _weekly(api, "RRULE:FREQ=WEEKLY;UNTIL=20300501T000000Z")
    _, token = list_all(api)
    trimmed, new = google.split_series(
        calendar_id=ANN, event_id=series["id"], at="2030-04-05T10:00:00+02:00"
    )
    assert new["id"] == f"{series['id']}_R20300405T100000"
    assert trimmed["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20300405T075959Z"]
    assert new["recurrence"] == ["RRULE:FREQ=WEEKLY;UNTIL=20300501T000000Z"]
    assert "recurringEventId" not in new
    changes, _ = list_all(api, syncToken=token)
    assert {c["id"] for c in changes} == {series["id"], new["id"]}
    starts = [i["start"]["dateTime"] for i in list_all(api, singleEvents="true")[0]]
    assert len(starts) == 6  # 22 and 29 March, then 5, 12, 19 and 26 April


def test_the_no_tokens_fault_answers_a_page_without_either_token(
    google: FakeGoogle, api: httpx.Client
) -> None:
    api.post(EVENTS, json=meeting())
    google.inject_fault(route="GET */events", status=0, no_tokens=True)
    body = api.get(EVENTS).json()
    assert len(body["items"]) == 1
    assert "nextPageToken" not in body and "nextSyncToken" not in body
    assert "nextSyncToken" in api.get(EVENTS).json()
