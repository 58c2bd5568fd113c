"""Recurring events: expansion in the event's zone, instances, exceptions, cancellations."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from .conftest import API, list_all, timed

EVENTS = f"{API}/calendars/primary/events"


def _weekly(api: httpx.Client, *lines: str, **fields: Any) -> dict[str, Any]:
    body = timed(
        "2030-03-22T10:00:00",
        "2030-03-22T11:00:00",
        tz="Europe/Paris",
        summary="Weekly",
        recurrence=list(lines) or ["RRULE:FREQ=WEEKLY;COUNT=3"],
        **fields,
    )
    response = api.post(EVENTS, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _wall(moment: dict[str, str]) -> str:
    """A dateTime on the wall clock of its own timeZone: Google writes the offset of the
    calendar's zone (UTC for these tests' calendar), whatever ``timeZone`` names."""
    at = datetime.fromisoformat(moment["dateTime"])
    return at.astimezone(ZoneInfo(moment["timeZone"])).isoformat()


def _single(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    items, _ = list_all(api, singleEvents="true", orderBy="startTime", **params)
    return items


def test_recurring_event_needs_a_time_zone(api: httpx.Client) -> None:
    """A timed recurring event without start.timeZone is refused."""
    body = timed(
        "2030-03-22T10:00:00+01:00", "2030-03-22T11:00:00+01:00", recurrence=["RRULE:FREQ=DAILY"]
    )
    assert api.post(EVENTS, json=body).status_code == 400


def test_invalid_rule_is_refused(api: httpx.Client) -> None:
    """A malformed RRULE is a 400."""
    body = timed(
        "2030-03-22T10:00:00", "2030-03-22T11:00:00", tz="UTC", recurrence=["RRULE:FREQ=SOMETIMES"]
    )
    assert api.post(EVENTS, json=body).status_code == 400


def test_single_events_expand_in_local_time_across_dst(api: httpx.Client) -> None:
    """A 10:00 Paris meeting stays at 10:00 local after the switch to summer time."""
    series = _weekly(api)
    items = _single(api)
    assert [_wall(i["start"]) for i in items] == [
        "2030-03-22T10:00:00+01:00",
        "2030-03-29T10:00:00+01:00",
        "2030-04-05T10:00:00+02:00",
    ]
    for item in items:
        assert item["recurringEventId"] == series["id"]
        assert item["originalStartTime"] == item["start"]
        assert item["id"] != series["id"]
        assert "recurrence" not in item
    assert len({i["id"] for i in items}) == 3


def test_without_single_events_the_series_is_one_item(api: httpx.Client) -> None:
    """singleEvents=false lists the series parent with its recurrence."""
    series = _weekly(api)
    items = api.get(EVENTS).json()["items"]
    assert [i["id"] for i in items] == [series["id"]]
    assert items[0]["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]


def test_exdate_and_rdate(api: httpx.Client) -> None:
    """EXDATE removes an instance, RDATE adds one."""
    _weekly(
        api,
        "RRULE:FREQ=WEEKLY;COUNT=3",
        "EXDATE;TZID=Europe/Paris:20300329T100000",
        "RDATE;TZID=Europe/Paris:20300401T150000",
    )
    starts = [_wall(i["start"]) for i in _single(api)]
    assert starts == [
        "2030-03-22T10:00:00+01:00",
        "2030-04-01T15:00:00+02:00",
        "2030-04-05T10:00:00+02:00",
    ]


def test_until_in_local_date_form(api: httpx.Client) -> None:
    """UNTIL as a date ends the series on that day."""
    _weekly(api, "RRULE:FREQ=DAILY;UNTIL=20300324")
    assert len(_single(api)) == 3


def test_instances_endpoint_and_time_window(api: httpx.Client) -> None:
    """events.instances lists the occurrences, and respects timeMin/timeMax."""
    series = _weekly(api)
    response = api.get(f"{EVENTS}/{series['id']}/instances")
    assert response.status_code == 200
    assert len(response.json()["items"]) == 3
    window = api.get(
        f"{EVENTS}/{series['id']}/instances",
        params={"timeMin": "2030-03-28T00:00:00Z", "timeMax": "2030-04-01T00:00:00Z"},
    ).json()["items"]
    assert [_wall(i["start"]) for i in window] == ["2030-03-29T10:00:00+01:00"]


def test_instances_by_original_start_match_the_instant_whatever_the_offset(
    api: httpx.Client,
) -> None:
    """originalStart picks the one instance the series puts then, moved or cancelled too
    (with showDeleted); an instant in UTC names the same occurrence as local time."""
    series = _weekly(api)
    url = f"{EVENTS}/{series['id']}/instances"

    def by_original(value: str, **params: str) -> list[str]:
        items = api.get(url, params={"originalStart": value, **params}).json()["items"]
        return [_wall(i["originalStartTime"]) for i in items]

    assert by_original("2030-03-29T10:00:00+01:00") == ["2030-03-29T10:00:00+01:00"]
    assert by_original("2030-03-29T09:00:00Z") == ["2030-03-29T10:00:00+01:00"]
    assert by_original("2030-03-29T10:00:00Z") == []
    second = api.get(url, params={"originalStart": "2030-03-29T09:00:00Z"}).json()["items"][0]
    assert api.delete(f"{EVENTS}/{second['id']}").status_code == 204
    assert by_original("2030-03-29T09:00:00Z") == []
    assert by_original("2030-03-29T09:00:00Z", showDeleted="true") == ["2030-03-29T10:00:00+01:00"]
    bad = api.get(url, params={"originalStart": "2030-03-29T25:00"})
    assert bad.status_code == 400


def test_endless_series_is_bounded_by_time_max(api: httpx.Client) -> None:
    """A daily series without end lists only instances inside the window."""
    _weekly(api, "RRULE:FREQ=DAILY")
    items = _single(api, timeMin="2030-03-22T00:00:00Z", timeMax="2030-03-25T00:00:00Z")
    assert len(items) == 3


def test_modified_instance_becomes_an_exception(api: httpx.Client) -> None:
    """Patching one instance changes only it; listings show it in place of the original."""
    series = _weekly(api)
    second = _single(api)[1]
    patched = api.patch(
        f"{EVENTS}/{second['id']}",
        json={
            "summary": "Moved",
            "start": {"dateTime": "2030-03-29T14:00:00+01:00"},
            "end": {"dateTime": "2030-03-29T15:00:00+01:00"},
        },
    )
    assert patched.status_code == 200
    assert patched.json()["recurringEventId"] == series["id"]
    assert _wall(patched.json()["originalStartTime"]) == "2030-03-29T10:00:00+01:00"
    items = _single(api)
    assert [i["summary"] for i in items] == ["Weekly", "Moved", "Weekly"]
    assert items[1]["id"] == second["id"]
    assert api.get(f"{EVENTS}/{second['id']}").json()["summary"] == "Moved"
    parents = api.get(EVENTS).json()["items"]
    assert {p["id"] for p in parents} == {series["id"], second["id"]}


def test_cancelled_instance(api: httpx.Client) -> None:
    """Deleting one instance hides it from singleEvents, and shows a cancelled stub otherwise."""
    series = _weekly(api)
    _, token = list_all(api)
    first = _single(api)[0]
    assert api.delete(f"{EVENTS}/{first['id']}").status_code == 204
    assert len(_single(api)) == 2
    items = api.get(EVENTS).json()["items"]
    stub = next(i for i in items if i["id"] == first["id"])
    assert stub["status"] == "cancelled"
    assert stub["recurringEventId"] == series["id"]
    assert _wall(stub["originalStartTime"]) == "2030-03-22T10:00:00+01:00"
    changes, _ = list_all(api, syncToken=token)
    assert [(c["id"], c["status"]) for c in changes] == [(first["id"], "cancelled")]


def test_deleting_the_series_cancels_everything(api: httpx.Client) -> None:
    """Deleting the parent removes every instance from the listing."""
    series = _weekly(api)
    first = _single(api)[0]
    api.patch(f"{EVENTS}/{first['id']}", json={"summary": "exception"})
    api.delete(f"{EVENTS}/{series['id']}")
    assert _single(api) == []
    assert api.get(EVENTS).json()["items"] == []


def test_all_day_recurring_event(api: httpx.Client) -> None:
    """All-day series expand to dates."""
    body = {
        "start": {"date": "2030-01-01"},
        "end": {"date": "2030-01-02"},
        "recurrence": ["RRULE:FREQ=YEARLY;COUNT=2"],
    }
    assert api.post(EVENTS, json=body).status_code == 200
    assert [i["start"] for i in _single(api)] == [{"date": "2030-01-01"}, {"date": "2031-01-01"}]


def test_instance_ids_are_stable_between_listings(api: httpx.Client) -> None:
    """The same instance keeps the same id in every listing."""
    _weekly(api)
    assert [i["id"] for i in _single(api)] == [i["id"] for i in _single(api)]
