"""Series made and changed through the API: ``recurrence`` is written, checked by the same
rules as the form, and "this and following events" has its endpoint."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting

from .helpers import MEETINGS_URL, make_meeting, meeting_url

BODY = {
    "subject": "Client call",
    "start": "2026-05-04T09:00:00+02:00",
    "end": "2026-05-04T10:00:00+02:00",
    "time_zone": "Europe/Berlin",
}


def test_a_series_is_created_with_its_rule(api: APIClient, alice: User) -> None:
    rule = ["RRULE:FREQ=WEEKLY;BYDAY=MO,TH;COUNT=10"]
    response = api.post(MEETINGS_URL, {**BODY, "recurrence": rule}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["recurrence"] == rule
    assert Meeting.objects.get(owner=alice).recurrence == rule


def test_a_rule_more_frequent_than_daily_is_refused(api: APIClient, alice: User) -> None:
    response = api.post(
        MEETINGS_URL, {**BODY, "recurrence": ["RRULE:FREQ=MINUTELY"]}, format="json"
    )
    assert response.status_code == 400
    assert "more often than daily" in response.json()["recurrence"][0]
    assert not Meeting.objects.exists()


def test_a_rule_is_changed_by_patch_and_kept_by_a_put_without_it(
    api: APIClient, alice: User
) -> None:
    meeting = make_meeting(alice, recurrence=["RRULE:FREQ=WEEKLY"])
    response = api.patch(
        meeting_url(meeting.pk), {"recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = {key: value for key, value in response.json().items() if key != "recurrence"}
    response = api.put(meeting_url(meeting.pk), {**body, "subject": "Daily"}, format="json")
    assert response.json()["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=3"]
    response = api.patch(meeting_url(meeting.pk), {"recurrence": []}, format="json")
    assert response.json()["recurrence"] == []


def test_this_and_following_through_the_api(api: APIClient, alice: User) -> None:
    series = make_meeting(alice, recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    url = f"{meeting_url(series.pk)}occurrences/20260518T090000Z/following/"
    body = {
        "subject": "Later call",
        "start": "2026-05-18T13:00:00+00:00",
        "end": "2026-05-18T14:00:00+00:00",
        "time_zone": "UTC",
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"],
    }
    response = api.post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=2"]
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20260511T235959Z"]

    assert (
        api.delete(f"{meeting_url(series.pk)}occurrences/20260511T090000Z/following/").status_code
        == 204
    )
    series.refresh_from_db()
    assert series.recurrence == ["RRULE:FREQ=WEEKLY;UNTIL=20260504T235959Z"]


def test_following_needs_the_rule_and_a_real_occurrence(api: APIClient, alice: User) -> None:
    series = make_meeting(alice, recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"])
    url = f"{meeting_url(series.pk)}occurrences/20260518T090000Z/following/"
    body = {"subject": "x", "start": "2026-05-18T13:00:00Z", "end": "2026-05-18T14:00:00Z"}
    assert "recurrence" in api.post(url, body, format="json").json()
    missing = f"{meeting_url(series.pk)}occurrences/20260518T100000Z/following/"
    response = api.delete(missing)
    assert response.status_code == 400 and "no occurrence" in str(response.json())
    series.refresh_from_db()
    assert series.version == 1


def test_a_rule_ending_before_its_start_is_refused_with_both_dates(
    api: APIClient, alice: User
) -> None:
    """UNTIL is inclusive (RFC 5545 §3.3.10), so a series that ends before it starts has no
    occurrence at all: a 400 on ``recurrence`` naming both, and nothing written."""
    rule = ["RRULE:FREQ=WEEKLY;UNTIL=20260503T215959Z"]  # 2026-05-03, the day before, Berlin
    response = api.post(MEETINGS_URL, {**BODY, "recurrence": rule}, format="json")
    assert response.status_code == 400, response.json()
    (message,) = response.json()["recurrence"]
    assert "2026-05-03 at 23:59" in message and "2026-05-04 at 09:00" in message
    assert not Meeting.objects.exists()


def test_an_all_day_rule_ending_before_its_start_is_refused_by_patch(
    api: APIClient, alice: User
) -> None:
    series = make_meeting(
        alice,
        start=None,
        end=None,
        all_day=True,
        start_date=date(2026, 5, 4),
        end_date=date(2026, 5, 5),
        recurrence=["RRULE:FREQ=WEEKLY;UNTIL=20260601"],
    )
    response = api.patch(
        meeting_url(series.pk), {"recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20260503"]}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "ends on 2026-05-03" in response.json()["recurrence"][0]
    series.refresh_from_db()
    assert (series.recurrence, series.version) == (["RRULE:FREQ=WEEKLY;UNTIL=20260601"], 1)


def test_a_rule_ending_at_its_start_is_one_occurrence(api: APIClient, alice: User) -> None:
    rule = ["RRULE:FREQ=WEEKLY;UNTIL=20260504T070000Z"]  # 09:00 in Berlin: the start itself
    response = api.post(MEETINGS_URL, {**BODY, "recurrence": rule}, format="json")
    assert response.status_code == 201, response.json()
