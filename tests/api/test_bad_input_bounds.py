"""Input at the edges (issue 15, finding 6 and 11): far-off years, huge pages, deep or big
bodies, occurrence keys at the calendar's edge, empty filters. Each gets a clear 4xx, stores
nothing, and leaves every page of the user working."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from tandem.api.limits import MAX_BODY_BYTES, MAX_BODY_DEPTH, json_depth

from .helpers import MEETINGS_URL, make_meeting, meeting_url

TIMED: dict[str, Any] = {"subject": "Planning", "time_zone": "UTC"}

FAR_OFF = [
    ("year 9999", {**TIMED, "start": "9999-12-31T22:00:00Z", "end": "9999-12-31T23:00:00Z"}),
    (
        "year 9999 behind UTC",
        {**TIMED, "start": "9999-12-31T22:00:00-05:00", "end": "9999-12-31T23:00:00-05:00"},
    ),
    ("year 1", {**TIMED, "start": "0001-01-01T09:00:00Z", "end": "0001-01-01T10:00:00Z"}),
    (
        "year 1 ahead of UTC",
        {**TIMED, "start": "0001-01-01T00:30:00+01:00", "end": "2026-01-01T00:00:00Z"},
    ),
    (
        "year 1510",
        {**TIMED, "start": "1510-06-27T09:00:00+01:00", "end": "1510-06-27T10:00:00+01:00"},
    ),
    ("year 2201", {**TIMED, "start": "2201-01-01T09:00:00Z", "end": "2201-01-01T10:00:00Z"}),
    (
        "all-day in year 9999",
        {"subject": "Off", "all_day": True, "start_date": "9999-12-30", "end_date": "9999-12-31"},
    ),
    (
        "all-day in year 1",
        {"subject": "Off", "all_day": True, "start_date": "0001-01-01", "end_date": "0001-01-02"},
    ),
]


@pytest.mark.parametrize("body", [b for _, b in FAR_OFF], ids=[why for why, _ in FAR_OFF])
def test_a_meeting_in_a_far_off_year_is_refused_and_the_pages_keep_working(
    api: APIClient, alice: User, body: dict[str, Any]
) -> None:
    response = api.post(MEETINGS_URL, body, format="json")

    assert response.status_code == 400, response.content
    assert "between 1900 and 2200" in json.dumps(response.json())
    assert not alice.meetings.exists()
    assert api.get(MEETINGS_URL).status_code == 200
    browser = Client()
    browser.force_login(alice)
    assert browser.get("/").status_code == 200


def test_a_meeting_moved_to_a_far_off_year_is_refused_and_keeps_its_time(
    api: APIClient, alice: User
) -> None:
    meeting = make_meeting(alice)
    body = {"start": "9999-12-31T22:00:00Z", "end": "9999-12-31T23:00:00Z"}

    response = api.patch(meeting_url(meeting.pk), body, format="json")

    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.start.year == 2026 and meeting.version == 1


def test_the_edges_of_the_range_are_meetings(api: APIClient) -> None:
    first = {**TIMED, "start": "1900-01-01T00:00:00Z", "end": "1900-01-01T01:00:00Z"}
    last = {"subject": "Off", "all_day": True, "start_date": "2200-12-31", "end_date": "2201-01-01"}
    assert api.post(MEETINGS_URL, first, format="json").status_code == 201
    assert api.post(MEETINGS_URL, last, format="json").status_code == 201


def test_times_come_back_in_rfc3339_even_where_the_zone_had_seconds_in_its_offset(
    api: APIClient, alice: User
) -> None:
    """Liberia kept local mean time (-00:44:30) until 1972: RFC 3339 §5.6 offsets are hours
    and minutes, so such a time is written in UTC."""
    start = datetime(1950, 3, 1, 9, tzinfo=ZoneInfo("Africa/Monrovia"))
    meeting = make_meeting(
        alice, start=start, end=start.replace(hour=10), time_zone="Africa/Monrovia"
    )

    data = api.get(meeting_url(meeting.pk)).json()

    assert data["start"] == "1950-03-01T09:44:30Z"
    assert data["end"] == "1950-03-01T10:44:30Z"


@pytest.mark.parametrize(
    "query",
    [
        "limit=9223372036854775808",
        "limit=100000",
        "limit=0",
        "limit=-1",
        "limit=ten",
        "limit=" + "9" * 5000,
        "offset=9223372036854775808",
        "offset=-5",
    ],
)
def test_a_page_size_or_position_out_of_bounds_is_refused(api: APIClient, query: str) -> None:
    response = api.get(f"{MEETINGS_URL}?{query}")

    assert response.status_code == 400
    name = query.split("=")[0]
    assert "Give a whole number" in response.json()[name][0]


def test_the_largest_page_is_served(api: APIClient, alice: User) -> None:
    make_meeting(alice)
    response = api.get(f"{MEETINGS_URL}?limit=500&offset=0")
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_a_deeply_nested_body_is_refused(api: APIClient, alice: User) -> None:
    body = '{"subject": ' + "[" * 100_000 + "]" * 100_000 + "}"

    response = api.post(MEETINGS_URL, body, content_type="application/json")

    assert response.status_code == 400
    assert f"deeper than {MAX_BODY_DEPTH} levels" in response.json()["detail"]
    assert not alice.meetings.exists()


def test_a_body_too_large_is_refused(api: APIClient, alice: User) -> None:
    body = json.dumps({**TIMED, "description": "x" * (MAX_BODY_BYTES + 10)})

    response = api.post(MEETINGS_URL, body, content_type="application/json")

    assert response.status_code == 413
    assert "larger than 256 KB" in response.json()["detail"]
    assert not alice.meetings.exists()


def test_a_form_body_is_refused_the_api_reads_json(api: APIClient, alice: User) -> None:
    response = api.post(
        MEETINGS_URL, "subject=x&end_date=", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 415
    assert not alice.meetings.exists()


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        (b"1", 0),
        (b'"[[[["', 0),
        (b'{"a": "\\"[{"}', 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b"[[],[[]]]", 3),
    ],
)
def test_json_depth_counts_nesting_not_brackets_in_strings(text: bytes, depth: int) -> None:
    assert json_depth(text) == depth


@pytest.mark.parametrize("query", ["start=", "end=", "start=&end=", "start=%20"])
def test_an_empty_date_filter_is_refused(api: APIClient, query: str) -> None:
    response = api.get(f"{MEETINGS_URL}?{query}")
    assert response.status_code == 400
    assert "Give a date and time" in json.dumps(response.json())


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_a_date_filter_in_a_far_off_year_is_refused(api: APIClient, when: str) -> None:
    response = api.get(MEETINGS_URL, {"start": when})
    assert response.status_code == 400
    assert "between 1900 and 2200" in response.json()["start"][0]


@pytest.mark.parametrize(
    ("field", "value"),
    [("location", 0), ("description", 1.5), ("subject", 7), ("all_day", "true"), ("all_day", 1)],
)
def test_a_value_of_another_type_than_the_schema_says_is_refused(
    api: APIClient, alice: User, field: str, value: object
) -> None:
    """Found by schemathesis: DRF read 0 as "0" and "true" as True; the schema says string
    and boolean, so anything else is named and nothing stored."""
    body = {**TIMED, "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}

    response = api.post(MEETINGS_URL, {**body, field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not alice.meetings.exists()


def test_the_schema_states_the_bounds(api: APIClient) -> None:
    schema = api.get("/api/schema/?format=json").json()
    listing = schema["paths"]["/api/v1/meetings/"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    assert {"400", "401", "429"} <= set(listing["responses"])
    assert "413" in schema["paths"]["/api/v1/meetings/"]["post"]["responses"]
    subject = schema["components"]["schemas"]["Meeting"]["properties"]["subject"]
    assert subject["minLength"] == 1
    zones = schema["components"]["schemas"]["Meeting"]["properties"]["time_zone"]
    assert "Europe/Berlin" in str(zones) and "Factory" not in str(zones)
