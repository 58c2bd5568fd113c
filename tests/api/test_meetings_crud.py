"""Every endpoint of /api/v1/meetings/ as its owner uses it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create

from .helpers import MEETINGS_URL, UTC, make_meeting, meeting_url

BERLIN = ZoneInfo("Europe/Berlin")


def test_create_a_timed_meeting_returns_it_in_its_own_time_zone(api: APIClient, alice: User):
    """POST creates the meeting for the caller and answers 201 with Location and ETag."""
    response = api.post(
        MEETINGS_URL,
        {
            "subject": "Kick-off",
            "start": "2026-06-01T09:00:00+02:00",
            "end": "2026-06-01T10:30:00+02:00",
            "time_zone": "Europe/Berlin",
            "location": "Room 4",
            "description": "Agenda follows.",
            "visibility": "private",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.owner == alice
    assert meeting.start == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    assert body["start"] == "2026-06-01T09:00:00+02:00"
    assert body["end"] == "2026-06-01T10:30:00+02:00"
    assert body["start_date"] is None and body["end_date"] is None
    assert body["visibility"] == "private"
    assert body["version"] == 1
    assert body["read_only"] is False
    assert response["Location"].endswith(meeting_url(meeting.pk))
    assert response["ETag"] == '"1"'


def test_a_time_given_in_another_offset_is_shown_in_the_meeting_zone(api: APIClient):
    """The instant is kept; the answer shows the wall-clock time of the meeting's zone."""
    response = api.post(
        MEETINGS_URL,
        {
            "subject": "Call with New York",
            "start": "2026-06-01T13:00:00Z",
            "end": "2026-06-01T14:00:00Z",
            "time_zone": "America/New_York",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["start"] == "2026-06-01T09:00:00-04:00"


def test_create_an_all_day_meeting_uses_exclusive_end_dates(api: APIClient):
    """An all-day meeting on Jan 31 has end_date Feb 1 and no start/end times."""
    response = api.post(
        MEETINGS_URL,
        {
            "subject": "Offsite",
            "all_day": True,
            "start_date": "2026-01-31",
            "end_date": "2026-02-01",
            "time_zone": "Europe/Berlin",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["all_day"] is True
    assert (body["start_date"], body["end_date"]) == ("2026-01-31", "2026-02-01")
    assert body["start"] is None and body["end"] is None
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.start == datetime(2026, 1, 31, tzinfo=BERLIN)
    assert meeting.end == datetime(2026, 2, 1, tzinfo=BERLIN)


def test_list_returns_only_live_meetings_of_the_caller_in_start_order(api: APIClient, alice: User):
    """Deleted meetings (tombstones) are not listed; the list is paginated."""
    later = make_meeting(
        alice,
        subject="Later",
        start=datetime(2026, 5, 5, 9, tzinfo=UTC),
        end=datetime(2026, 5, 5, 10, tzinfo=UTC),
    )
    earlier = make_meeting(alice, subject="Earlier")
    gone = make_meeting(alice, subject="Gone")
    api.delete(meeting_url(gone.pk))

    body = api.get(MEETINGS_URL).json()
    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [earlier.pk, later.pk]


def test_list_filters_by_intersection_with_a_half_open_range(api: APIClient, alice: User):
    """A meeting that ends exactly at the range start, or starts at its end, is outside."""
    nine = datetime(2026, 5, 4, 9, tzinfo=UTC)
    before = make_meeting(alice, subject="before", start=nine - timedelta(hours=1), end=nine)
    inside = make_meeting(alice, subject="inside", start=nine, end=nine + timedelta(hours=1))
    across = make_meeting(
        alice, subject="across", start=nine + timedelta(minutes=30), end=nine + timedelta(hours=3)
    )
    after = make_meeting(
        alice, subject="after", start=nine + timedelta(hours=2), end=nine + timedelta(hours=3)
    )

    response = api.get(
        MEETINGS_URL, {"start": "2026-05-04T11:00:00+02:00", "end": "2026-05-04T13:00:00+02:00"}
    )
    assert response.status_code == 200
    listed = {row["id"] for row in response.json()["results"]}
    assert listed == {inside.pk, across.pk}
    assert before.pk not in listed and after.pk not in listed


def test_a_plus_sign_decoded_to_a_space_in_the_query_is_still_read_as_an_offset(
    api: APIClient, alice: User
):
    """?start=...T11:00:00+02:00 typed unencoded in a URL arrives as a space before 02:00."""
    meeting = make_meeting(alice)
    query = "start=2026-05-04T11:00:00+02:00&end=2026-05-04T12:00:00+02:00"
    response = api.get(f"{MEETINGS_URL}?{query}")
    assert response.status_code == 200, response.json()
    assert [row["id"] for row in response.json()["results"]] == [meeting.pk]


def test_get_returns_the_meeting_with_its_etag(api: APIClient, alice: User):
    meeting = make_meeting(alice, location="Room 1", description="Numbers")
    response = api.get(meeting_url(meeting.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == "Quarterly review"
    assert body["location"] == "Room 1"
    assert body["description"] == "Numbers"
    assert body["recurrence"] == []
    assert response["ETag"] == '"1"'


def test_put_replaces_every_field_and_bumps_the_version(api: APIClient, alice: User):
    """Fields left out of a PUT fall back to their defaults."""
    meeting = make_meeting(alice, location="Room 1", description="Numbers", visibility="private")
    response = api.put(
        meeting_url(meeting.pk),
        {"subject": "Renamed", "start": "2026-05-04T10:00:00Z", "end": "2026-05-04T11:00:00Z"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    meeting.refresh_from_db()
    assert meeting.subject == "Renamed"
    assert meeting.location == "" and meeting.description == ""
    assert meeting.visibility == "default"
    assert meeting.start == datetime(2026, 5, 4, 10, tzinfo=UTC)
    assert meeting.version == 2
    assert response["ETag"] == '"2"'


def test_a_meeting_google_gave_an_old_zone_name_is_written_back_as_read(
    api: APIClient, alice: User
):
    """Found by review: the API refused the old alias the meeting already had, so a GET
    then PUT of such a meeting answered 400. People still cannot choose an alias (issue 14):
    only the meeting's own zone is taken as it is."""
    meeting = meeting_create(  # as the sync stores Google's event
        owner=alice,
        data=MeetingInput(
            subject="From Google",
            start=datetime(2026, 5, 4, 13, tzinfo=UTC),
            end=datetime(2026, 5, 4, 14, tzinfo=UTC),
            time_zone="US/Eastern",
        ),
        origin="sync",
    )
    body = api.get(meeting_url(meeting.pk)).json()
    assert body["time_zone"] == "US/Eastern"

    response = api.put(meeting_url(meeting.pk), body, format="json")

    assert response.status_code == 200, response.json()
    meeting.refresh_from_db()
    assert meeting.time_zone == "US/Eastern"
    assert meeting.start == datetime(2026, 5, 4, 13, tzinfo=UTC)
    for chosen in ("Factory", "US/Pacific"):
        refused = api.put(meeting_url(meeting.pk), {**body, "time_zone": chosen}, format="json")
        assert refused.status_code == 400 and "time_zone" in refused.json()


def test_put_keeps_the_recurrence_the_api_does_not_write(api: APIClient, alice: User):
    meeting = make_meeting(alice, recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO"])
    body = api.get(meeting_url(meeting.pk)).json()
    body["subject"] = "Weekly sync"
    response = api.put(meeting_url(meeting.pk), body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["recurrence"] == ["RRULE:FREQ=WEEKLY;BYDAY=MO"]


def test_patch_merges_onto_the_current_values(api: APIClient, alice: User):
    meeting = make_meeting(alice, location="Room 1", time_zone="Europe/Berlin")
    response = api.patch(meeting_url(meeting.pk), {"subject": "New subject"}, format="json")
    assert response.status_code == 200, response.json()
    meeting.refresh_from_db()
    assert meeting.subject == "New subject"
    assert meeting.location == "Room 1"
    assert meeting.time_zone == "Europe/Berlin"
    assert meeting.start == datetime(2026, 5, 4, 9, tzinfo=UTC)
    assert meeting.version == 2


def test_patch_turns_a_timed_meeting_into_an_all_day_one(api: APIClient, alice: User):
    meeting = make_meeting(alice)
    response = api.patch(
        meeting_url(meeting.pk),
        {"all_day": True, "start_date": "2026-12-31", "end_date": "2027-01-01"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["start_date"] == "2026-12-31"
    meeting.refresh_from_db()
    assert meeting.all_day and meeting.end_date == date(2027, 1, 1)


def test_patch_to_timed_needs_the_times_of_the_former_all_day_meeting(api: APIClient, alice: User):
    """An all-day meeting's stored midnights are not silently reused as meeting times."""
    meeting = make_meeting(
        alice,
        all_day=True,
        start=None,
        end=None,
        start_date=date(2026, 5, 4),
        end_date=date(2026, 5, 5),
    )
    response = api.patch(meeting_url(meeting.pk), {"all_day": False}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"start", "end"}


def test_an_unchanged_write_keeps_the_version(api: APIClient, alice: User):
    meeting = make_meeting(alice)
    response = api.patch(meeting_url(meeting.pk), {"subject": "Quarterly review"}, format="json")
    assert response.status_code == 200
    assert response.json()["version"] == 1


def test_delete_is_a_soft_delete_and_restore_brings_it_back(api: APIClient, alice: User):
    meeting = make_meeting(alice)
    assert api.delete(meeting_url(meeting.pk)).status_code == 204
    meeting.refresh_from_db()
    assert meeting.deleted_at is not None
    assert api.get(meeting_url(meeting.pk)).status_code == 404

    response = api.post(f"{meeting_url(meeting.pk)}restore/")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 3
    assert api.get(meeting_url(meeting.pk)).status_code == 200


def test_restore_after_thirty_days_is_refused_with_a_reason(api: APIClient, alice: User):
    meeting = make_meeting(alice)
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        api.delete(meeting_url(meeting.pk))
    with time_machine.travel(datetime(2026, 1, 31, 0, 0, 1, tzinfo=UTC), tick=False):
        response = api.post(f"{meeting_url(meeting.pk)}restore/")
    assert response.status_code == 400
    assert "30 days" in response.json()["non_field_errors"][0]


def test_restore_of_a_live_meeting_changes_nothing(api: APIClient, alice: User):
    meeting = make_meeting(alice)
    response = api.post(f"{meeting_url(meeting.pk)}restore/")
    assert response.status_code == 200
    assert response.json()["version"] == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_stale_if_match_is_refused_with_412(api: APIClient, alice: User, method: str):
    """A write based on an old version does not overwrite a newer one."""
    meeting = make_meeting(alice)
    api.patch(meeting_url(meeting.pk), {"subject": "Changed elsewhere"}, format="json")
    body = {"subject": "Mine", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}
    response = getattr(api, method)(
        meeting_url(meeting.pk), body, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert "version 2" in response.json()["detail"]
    meeting.refresh_from_db()
    assert meeting.subject == "Changed elsewhere"
    assert meeting.deleted_at is None


@pytest.mark.parametrize("if_match", ['"1"', "1", 'W/"1"', "*", '"7", "1"'])
def test_a_current_if_match_lets_the_write_through(api: APIClient, alice: User, if_match: str):
    meeting = make_meeting(alice)
    response = api.patch(
        meeting_url(meeting.pk), {"subject": "Mine"}, format="json", HTTP_IF_MATCH=if_match
    )
    assert response.status_code == 200
    assert response.json()["subject"] == "Mine"


def test_a_malformed_if_match_is_a_400_with_an_example(api: APIClient, alice: User):
    meeting = make_meeting(alice)
    response = api.patch(
        meeting_url(meeting.pk), {"subject": "Mine"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400
    assert 'If-Match: "3"' in response.json()["If-Match"][0]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_read_only_meeting_refuses_writes_with_403(api: APIClient, alice: User, method: str):
    """A meeting from a Google calendar the user can only read stays as Google has it."""
    meeting = make_meeting(alice, read_only=True)
    body = {"subject": "Mine", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}
    response = getattr(api, method)(meeting_url(meeting.pk), body, format="json")
    assert response.status_code == 403
    assert "Google calendar" in response.json()["detail"]
    meeting.refresh_from_db()
    assert meeting.subject == "Quarterly review" and meeting.deleted_at is None


def test_a_read_only_meeting_is_readable_and_says_so(api: APIClient, alice: User):
    meeting = make_meeting(alice, read_only=True)
    response = api.get(meeting_url(meeting.pk))
    assert response.status_code == 200
    assert response.json()["read_only"] is True


def test_a_meeting_across_the_berlin_spring_dst_change_keeps_both_offsets(api: APIClient):
    """01:00 CET to 04:00 CEST on 2026-03-29 is two hours of real time."""
    response = api.post(
        MEETINGS_URL,
        {
            "subject": "Night shift",
            "start": "2026-03-29T01:00:00+01:00",
            "end": "2026-03-29T04:00:00+02:00",
            "time_zone": "Europe/Berlin",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["start"] == "2026-03-29T01:00:00+01:00"
    assert body["end"] == "2026-03-29T04:00:00+02:00"
    meeting = Meeting.objects.get(pk=body["id"])
    assert meeting.end - meeting.start == timedelta(hours=2)


def test_a_read_only_tombstone_cannot_be_restored_from_the_crm(api: APIClient, alice: User):
    """Google deleted it; only Google can bring it back."""
    from tandem.meetings.services import meeting_delete

    meeting = make_meeting(alice, read_only=True)
    meeting_delete(meeting=meeting, origin="sync")
    response = api.post(f"{meeting_url(meeting.pk)}restore/")
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.is_deleted


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_deleted_meeting_is_a_404_for_writes(api: APIClient, alice: User, method: str):
    meeting = make_meeting(alice)
    api.delete(meeting_url(meeting.pk))
    body = {"subject": "Zombie", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}
    assert getattr(api, method)(meeting_url(meeting.pk), body, format="json").status_code == 404
    meeting.refresh_from_db()
    assert meeting.subject == "Quarterly review"
