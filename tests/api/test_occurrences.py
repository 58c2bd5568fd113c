"""One occurrence of a recurring meeting, changed or cancelled alone through the API."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting

from .helpers import UTC, make_meeting, meeting_url

KEY = "20260511T090000Z"  # the second Monday of the series below


def weekly(owner: User) -> Meeting:
    return make_meeting(owner, recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])


def occurrence_url(series: Meeting, key: str = KEY) -> str:
    return f"{meeting_url(series.pk)}occurrences/{key}/"


def test_changing_one_occurrence_creates_its_own_meeting(api: APIClient, alice: User) -> None:
    series = weekly(alice)
    body = {
        "subject": "Quarterly review (moved)",
        "start": "2026-05-11T13:00:00+00:00",
        "end": "2026-05-11T14:00:00+00:00",
        "time_zone": "UTC",
        "location": "Room 4",
    }

    response = api.post(occurrence_url(series), body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["series"] == series.pk
    assert data["original_start"].startswith("2026-05-11T09:00:00")
    assert data["recurrence"] == [] and data["location"] == "Room 4"
    assert response["Location"].endswith(meeting_url(data["id"]))
    series.refresh_from_db()
    assert series.version == 1 and series.recurrence == ["RRULE:FREQ=WEEKLY;COUNT=4"]
    again = api.post(occurrence_url(series), body, format="json")
    assert again.status_code == 400
    assert "already changed or cancelled" in str(again.json())


def test_cancelling_one_occurrence_hides_it_and_lists_nothing_new(
    api: APIClient, alice: User
) -> None:
    series = weekly(alice)
    assert api.delete(occurrence_url(series)).status_code == 204
    hidden = Meeting.objects.get(series=series)
    assert hidden.is_cancelled_occurrence
    assert hidden.original_start == datetime(2026, 5, 11, 9, tzinfo=UTC)
    listed = api.get("/api/v1/meetings/").json()["results"]
    assert [row["id"] for row in listed] == [series.pk]
    assert api.get(meeting_url(hidden.pk)).status_code == 404


def test_a_bad_key_or_a_slot_the_series_does_not_have_is_a_400(api: APIClient, alice: User) -> None:
    series = weekly(alice)
    bad = api.delete(occurrence_url(series, "next-monday"))
    assert bad.status_code == 400 and "key" in bad.json()
    missing = api.delete(occurrence_url(series, "20260511T093000Z"))
    assert missing.status_code == 400 and "no occurrence at that time" in str(missing.json())
    single = make_meeting(alice)
    assert api.delete(occurrence_url(single, "20260504T090000Z")).status_code == 400
    invalid = api.post(occurrence_url(series), {"subject": ""}, format="json")
    assert invalid.status_code == 400 and "subject" in invalid.json()
    assert not Meeting.objects.filter(series__isnull=False).exists()


def test_another_users_series_is_a_404_and_a_read_only_one_a_403(
    api: APIClient, bob_api: APIClient, alice: User
) -> None:
    series = weekly(alice)
    assert bob_api.delete(occurrence_url(series)).status_code == 404
    assert bob_api.post(occurrence_url(series), {"subject": "X"}, format="json").status_code == 404
    Meeting.objects.filter(pk=series.pk).update(read_only=True)
    assert api.delete(occurrence_url(series)).status_code == 403
    assert not Meeting.objects.filter(series=series).exists()
