"""Bad input on every field of the API gets a 400 with {"field": ["message"]} and writes
nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting

from .helpers import MEETINGS_URL, make_meeting, meeting_url

VALID: dict[str, Any] = {
    "subject": "Planning",
    "start": "2026-05-04T09:00:00+02:00",
    "end": "2026-05-04T10:00:00+02:00",
    "time_zone": "Europe/Berlin",
}
ALL_DAY: dict[str, Any] = {
    "subject": "Holiday",
    "all_day": True,
    "start_date": "2026-05-04",
    "end_date": "2026-05-05",
}

BAD_BODIES = [
    # (why, body, field, words the message must contain)
    ("missing subject", {k: v for k, v in VALID.items() if k != "subject"}, "subject", "required"),
    ("blank subject", {**VALID, "subject": "   "}, "subject", "blank"),
    ("null subject", {**VALID, "subject": None}, "subject", "null"),
    ("subject as a list", {**VALID, "subject": ["a"]}, "subject", "valid string"),
    ("overlong subject", {**VALID, "subject": "x" * 1025}, "subject", "1024 characters"),
    ("end before start", {**VALID, "end": "2026-05-04T08:00:00+02:00"}, "end", "before the start"),
    ("NUL in the subject", {**VALID, "subject": "a\x00b"}, "subject", "Null characters"),
    ("naive start", {**VALID, "start": "2026-05-04T09:00:00"}, "start", "UTC offset"),
    ("naive end", {**VALID, "end": "2026-05-04T10:00:00"}, "end", "UTC offset"),
    ("start not a date-time", {**VALID, "start": "next monday"}, "start", "wrong format"),
    ("start as a number", {**VALID, "start": 1746345600}, "start", "wrong format"),
    ("impossible end", {**VALID, "end": "2026-13-45T10:00:00Z"}, "end", "wrong format"),
    ("missing start", {k: v for k, v in VALID.items() if k != "start"}, "start", "start time"),
    ("missing end", {k: v for k, v in VALID.items() if k != "end"}, "end", "end time"),
    ("unknown time zone", {**VALID, "time_zone": "Mars/Olympus"}, "time_zone", "IANA"),
    ("time zone as an object", {**VALID, "time_zone": {"a": 1}}, "time_zone", "IANA"),
    ("overlong time zone", {**VALID, "time_zone": "E" * 65}, "time_zone", "IANA"),
    ("the machine's zone", {**VALID, "time_zone": "localtime"}, "time_zone", "IANA"),
    ("tzdata's placeholder zone", {**VALID, "time_zone": "Factory"}, "time_zone", "IANA"),
    ("bad visibility", {**VALID, "visibility": "secret"}, "visibility", "not a valid choice"),
    ("visibility as a list", {**VALID, "visibility": ["private"]}, "visibility", "valid choice"),
    ("overlong location", {**VALID, "location": "x" * 1025}, "location", "1024 characters"),
    ("location as an object", {**VALID, "location": {"room": 4}}, "location", "valid string"),
    (
        "overlong description",
        {**VALID, "description": "x" * 8193},
        "description",
        "8192 characters",
    ),
    ("all_day not a boolean", {**VALID, "all_day": "maybe"}, "all_day", "valid boolean"),
    ("all-day without dates", {"subject": "Off", "all_day": True}, "start_date", "first day"),
    ("all-day without end", {**ALL_DAY, "end_date": None}, "end_date", "last day"),
    (
        "all-day ending on its first day",
        {**ALL_DAY, "end_date": ALL_DAY["start_date"]},
        "end_date",
        "before the first",
    ),
    ("start_date not a date", {**ALL_DAY, "start_date": "4 May"}, "start_date", "wrong format"),
    ("end_date impossible", {**ALL_DAY, "end_date": "2026-02-30"}, "end_date", "wrong format"),
]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [pytest.param(body, field, words, id=why) for why, body, field, words in BAD_BODIES],
)
def test_bad_input_is_a_400_naming_the_field(
    api: APIClient, body: dict[str, Any], field: str, words: str
):
    response = api.post(MEETINGS_URL, body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors, errors
    assert isinstance(errors[field], list)
    assert words in " ".join(errors[field]), errors[field]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        pytest.param(body, field, words, id=why)
        for why, body, field, words in BAD_BODIES
        if "missing" not in why and "without" not in why
    ],
)
def test_bad_input_in_a_patch_is_refused_and_changes_nothing(
    api: APIClient, alice: User, body: dict[str, Any], field: str, words: str
):
    meeting = make_meeting(alice)
    response = api.patch(meeting_url(meeting.pk), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    meeting.refresh_from_db()
    assert meeting.version == 1 and meeting.subject == "Quarterly review"


def test_several_bad_fields_are_reported_together(api: APIClient):
    response = api.post(
        MEETINGS_URL,
        {**VALID, "subject": "", "time_zone": "Nowhere", "visibility": "loud"},
        format="json",
    )
    assert response.status_code == 400
    assert {"subject", "visibility"} <= set(response.json())


def test_a_body_that_is_not_json_gets_a_parse_error(api: APIClient):
    response = api.generic(
        "POST", MEETINGS_URL, '{"subject": "Planning",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_json_array_body_is_refused(api: APIClient):
    response = api.post(MEETINGS_URL, [VALID], format="json")
    assert response.status_code == 400
    assert "Expected a dictionary" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"start": "yesterday"}, "start", "wrong format"),
        ({"end": "2026-05-04"}, "end", "UTC offset"),  # a bare date is a naive midnight
        ({"start": "2026-05-04T09:00:00"}, "start", "UTC offset"),
        ({"end": "2026-05-04T09:00:00"}, "end", "UTC offset"),
        ({"start": "2026-05-04T10:00:00Z", "end": "2026-05-04T09:00:00Z"}, "end", "after"),
    ],
)
def test_a_bad_date_range_filter_is_a_400(
    api: APIClient, query: dict[str, str], field: str, words: str
):
    response = api.get(MEETINGS_URL, query)
    assert response.status_code == 400
    assert words in response.json()[field][0]


def test_hostile_text_is_returned_as_data_not_markup(api: APIClient):
    """JSON answers carry the text verbatim with a JSON content type; no HTML is produced."""
    script = "<script>alert('x')</script>"
    response = api.post(MEETINGS_URL, {**VALID, "subject": script}, format="json")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["subject"] == script


def test_a_lone_surrogate_sent_escaped_is_a_400_not_a_500(api: APIClient):
    """JSON lets a client send "\\ud800" (RFC 8259 §8.2); no database can store it: the
    API refuses it by field (DRF's own check, before the rules' text_problem)."""
    body = json.dumps({**VALID, "location": "Room PLACE"}).replace("PLACE", "\\ud800")
    response = api.post(MEETINGS_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["location"] == ["Surrogate characters are not allowed: U+D800."]
    assert not Meeting.objects.exists()
