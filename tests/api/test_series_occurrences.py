"""A recurring meeting's occurrences in a date range through the API, cancelled ones
included and marked (issue 16)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create

from .helpers import make_meeting, meeting_url
from .sync_support import unauthenticated_status

RANGE = {"start": "2026-05-01T00:00:00Z", "end": "2026-06-01T00:00:00Z"}


def weekly(owner: User) -> Meeting:
    """Mondays 09:00-10:00 UTC from 2026-05-04, six times (the last on 2026-06-08)."""
    return make_meeting(owner, recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"])


def listing_url(series: Meeting) -> str:
    return f"{meeting_url(series.pk)}occurrences/"


def test_each_occurrence_in_the_range_with_what_became_of_it(api: APIClient, alice: User):
    """Scheduled ones as the rule says; one cancelled alone is listed and marked cancelled;
    one changed alone is listed where it is now, with the meeting it became."""
    series = weekly(alice)
    assert api.delete(f"{listing_url(series)}20260511T090000Z/").status_code == 204
    changed = api.post(
        f"{listing_url(series)}20260518T090000Z/",
        {"subject": "Moved", "start": "2026-05-19T13:00:00Z", "end": "2026-05-19T14:00:00Z"},
        format="json",
    ).json()

    response = api.get(listing_url(series), RANGE)
    assert response.status_code == 200, response.content
    rows = [(o["key"], o["status"], o["start"], o["meeting_id"]) for o in response.json()]
    assert rows == [
        ("20260504T090000Z", "scheduled", "2026-05-04T09:00:00+00:00", None),
        ("20260511T090000Z", "cancelled", "2026-05-11T09:00:00+00:00", None),
        ("20260518T090000Z", "changed", "2026-05-19T13:00:00+00:00", changed["id"]),
        ("20260525T090000Z", "scheduled", "2026-05-25T09:00:00+00:00", None),
    ]
    assert response.json()[2]["original_start"] == "2026-05-18T09:00:00+00:00"


def test_times_are_on_the_series_wall_clock_across_daylight_saving(api: APIClient, alice: User):
    """A weekly 09:00 in Berlin stays 09:00 when the clocks change (2026-03-29)."""
    berlin = ZoneInfo("Europe/Berlin")
    series = make_meeting(
        alice,
        start=datetime(2026, 3, 23, 9, 0, tzinfo=berlin),
        end=datetime(2026, 3, 23, 10, 0, tzinfo=berlin),
        time_zone="Europe/Berlin",
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
    )
    query = {"start": "2026-03-20T00:00:00Z", "end": "2026-04-10T00:00:00Z"}
    rows = api.get(listing_url(series), query).json()
    assert [(o["start"], o["time_zone"], o["all_day"]) for o in rows] == [
        ("2026-03-23T09:00:00+01:00", "Europe/Berlin", False),
        ("2026-03-30T09:00:00+02:00", "Europe/Berlin", False),
        ("2026-04-06T09:00:00+02:00", "Europe/Berlin", False),
    ]


def test_a_changed_occurrence_deleted_since_is_cancelled(api: APIClient, alice: User):
    series = weekly(alice)
    row = api.post(
        f"{listing_url(series)}20260504T090000Z/",
        {"subject": "Moved", "start": "2026-05-04T13:00:00Z", "end": "2026-05-04T14:00:00Z"},
        format="json",
    ).json()
    assert api.delete(meeting_url(row["id"])).status_code == 204
    first = api.get(listing_url(series), RANGE).json()[0]
    assert (first["key"], first["status"]) == ("20260504T090000Z", "cancelled")


def test_an_occurrence_moved_into_the_range_is_listed(api: APIClient, alice: User):
    """The last occurrence (2026-06-08) moved to 2026-05-29 shows in May."""
    series = weekly(alice)
    api.post(
        f"{listing_url(series)}20260608T090000Z/",
        {"subject": "Early", "start": "2026-05-29T09:00:00Z", "end": "2026-05-29T10:00:00Z"},
        format="json",
    )
    keys = [o["key"] for o in api.get(listing_url(series), RANGE).json()]
    assert keys[-1] == "20260608T090000Z"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "start"),
        ({"start": "2026-05-01T00:00:00Z"}, "end"),
        ({"start": "2026-05-01T00:00:00", "end": "2026-06-01T00:00:00Z"}, "start"),
        ({"start": "2026-06-01T00:00:00Z", "end": "2026-05-01T00:00:00Z"}, "end"),
    ],
)
def test_a_bad_range_is_a_400_naming_the_parameter(
    api: APIClient, alice: User, query: dict[str, str], field: str
):
    response = api.get(listing_url(weekly(alice)), query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_range_over_a_year_is_refused(api: APIClient, alice: User):
    response = api.get(
        listing_url(weekly(alice)),
        {"start": "2026-01-01T00:00:00Z", "end": "2027-06-01T00:00:00Z"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Ask for at most 366 days of occurrences at a time."]
    }


def test_a_range_with_more_occurrences_than_one_answer_holds_is_refused(
    api: APIClient, alice: User
):
    """Found by review: an hourly rule (as Google may send one) over a month answered the
    first 400 occurrences as if they were all."""
    hourly = meeting_create(  # as the sync stores Google's event (a person may not make it)
        owner=alice,
        data=MeetingInput(
            subject="Hourly",
            start=datetime(2026, 5, 4, 9, tzinfo=ZoneInfo("UTC")),
            end=datetime(2026, 5, 4, 9, 30, tzinfo=ZoneInfo("UTC")),
            recurrence=["RRULE:FREQ=HOURLY"],
        ),
        origin="sync",
    )

    response = api.get(listing_url(hourly), RANGE)

    assert response.status_code == 400
    assert "more than 400 occurrences" in str(response.json())
    two_days = {"start": "2026-05-05T00:00:00Z", "end": "2026-05-07T00:00:00Z"}
    assert len(api.get(listing_url(hourly), two_days).json()) == 48


def test_a_meeting_that_does_not_repeat_has_no_occurrences_to_list(api: APIClient, alice: User):
    response = api.get(listing_url(make_meeting(alice)), RANGE)
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only a recurring meeting has occurrences."]}


def test_another_users_series_is_a_404_and_nothing_leaks(bob_api: APIClient, alice: User):
    series = weekly(alice)
    response = bob_api.get(listing_url(series), RANGE)
    assert response.status_code == 404
    assert "Quarterly" not in response.content.decode()


def test_without_credentials_the_occurrences_are_not_listed(alice: User):
    response = APIClient().get(listing_url(weekly(alice)), RANGE)
    assert response.status_code == unauthenticated_status()
    assert "Quarterly" not in response.content.decode()
