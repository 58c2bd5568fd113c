"""The time-zone picker (sorted, common zones first, no zone of no place nor old alias, and
the API refuses those too) and descriptions whose lines end in "\\n" wherever they came from."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tandem.accounts.selectors import preferences_for
from tandem.meetings import rules
from tandem.meetings.forms import initial_for
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.timezones import label, time_zone_choices

pytestmark = pytest.mark.django_db

NOT_OFFERED = ["Factory", "localtime", "US/Eastern", "Asia/Calcutta", "GMT+0", "Etc/GMT+5"]
NINE = datetime(2026, 11, 24, 8, tzinfo=UTC)
TEN = datetime(2026, 11, 24, 9, tzinfo=UTC)


def test_the_zones_people_choose_from_are_sorted_and_leave_out_old_names() -> None:
    names = rules.time_zone_names()
    assert names == sorted(names)
    for name in NOT_OFFERED:
        assert name not in names
    for name in ("UTC", "Europe/Amsterdam", "Europe/Berlin", "America/New_York", "Asia/Kolkata"):
        assert name in names


def test_an_old_alias_google_sends_is_still_a_time_zone() -> None:
    """Google may put "US/Eastern" on an event: the sync must still read it."""
    assert rules.is_time_zone("US/Eastern")
    assert not rules.is_time_zone("Factory")


def test_the_picker_offers_common_zones_first_then_all_by_name() -> None:
    winter = datetime(2026, 1, 15, 12, tzinfo=UTC)
    (common_title, common), (all_title, every) = time_zone_choices(winter)
    assert (common_title, all_title) == ("Common time zones", "All time zones")
    common_names = [name for name, _ in common]
    assert common_names[0] == "America/Los_Angeles"  # west to east
    assert common_names.index("UTC") < common_names.index("Europe/Berlin")
    assert [name for name, _ in every] == rules.time_zone_names()
    assert label("Europe/Berlin", winter) == "Europe/Berlin · Germany · UTC+01:00"
    assert label("America/New_York", winter) == "America/New York · United States · UTC-05:00"


def test_preferences_refuse_a_zone_of_no_place_and_an_old_alias(client_alice: Client) -> None:
    for name in ("Factory", "US/Eastern"):
        response = client_alice.post(
            reverse("preferences"),
            {"time_zone": name, "date_format": "Y-m-d", "time_format": "H:i"},
        )
        assert response.status_code == 200
        assert f"“{name}” is not an IANA time zone." in response.content.decode()


def test_the_preferences_page_shows_the_grouped_searchable_picker(client_alice: Client) -> None:
    html = client_alice.get(reverse("preferences")).content.decode()
    assert '<optgroup label="Common time zones">' in html
    assert "data-zone-search" in html
    assert "js/zone_search.js" in html
    assert ">Factory" not in html and ">localtime" not in html


@pytest.mark.parametrize("name", ["US/Eastern", "Etc/GMT+5", "GMT"])
def test_the_api_refuses_an_old_alias(alice: User, name: str) -> None:
    api = APIClient()
    api.force_authenticate(alice)
    body = {
        "subject": "Planning",
        "start": "2026-05-04T09:00:00-04:00",
        "end": "2026-05-04T10:00:00-04:00",
        "time_zone": name,
    }
    response = api.post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 400, response.content
    assert "time_zone" in response.json()
    assert not Meeting.objects.exists()


def test_a_meeting_google_gave_an_old_alias_is_edited_in_its_current_name(alice: User) -> None:
    meeting = meeting_create(
        owner=alice,
        data=MeetingInput(subject="Call", start=NINE, end=TEN, time_zone="US/Eastern"),
    )
    assert initial_for(meeting)["time_zone"] == "America/New_York"


def test_a_description_typed_in_the_browser_is_stored_with_newlines(
    client_alice: Client, alice: User
) -> None:
    """Browsers send a textarea's lines with CRLF (the HTML form encoding)."""
    preferences_for(user=alice)
    response = client_alice.post(
        reverse("meeting-create"),
        {
            "subject": "Planning",
            "start_date": "2026-11-24",
            "start_time": "09:00",
            "end_date": "2026-11-24",
            "end_time": "10:00",
            "time_zone": "Europe/Berlin",
            "description": "Agenda:\r\n- numbers\r\n- next steps",
            "visibility": "default",
        },
    )
    assert response.status_code == 302
    assert Meeting.objects.get().description == "Agenda:\n- numbers\n- next steps"


def test_what_the_sync_reads_has_newlines_whichever_side_wrote_it() -> None:
    """A meeting stored before the rule (or a Google text with CRLF) leaves with "\\n" and
    equals the same text with "\\n": no edit to push back and forth."""
    crlf = MeetingFields(
        subject="Call",
        start=TimedMoment(NINE, "Europe/Berlin"),
        end=TimedMoment(TEN, "Europe/Berlin"),
        description="one\r\ntwo\rthree",
    )
    assert crlf.description == "one\ntwo\nthree"
    assert crlf == MeetingFields(
        subject="Call",
        start=TimedMoment(NINE, "Europe/Berlin"),
        end=TimedMoment(TEN, "Europe/Berlin"),
        description="one\ntwo\nthree",
    )
