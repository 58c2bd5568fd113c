"""An occurrence key at the calendar's edge (issue 15, finding 6): 99991231T235959Z made
a day's arithmetic overflow into a 500; a key outside the years a meeting may take place
in names no occurrence, in the API (400) and on the pages (back to the meeting, saying why)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from .helpers import make_meeting, meeting_url

TIMED: dict[str, Any] = {"subject": "Planning", "time_zone": "UTC"}


@pytest.mark.parametrize("key", ["99991231T235959Z", "00010101T000000Z", "22010101T000000Z"])
def test_an_occurrence_key_at_the_calendars_edge_is_refused(
    api: APIClient, alice: User, key: str
) -> None:
    series = make_meeting(alice, recurrence=["RRULE:FREQ=DAILY"])
    url = f"{meeting_url(series.pk)}occurrences/{key}/"
    body = {**TIMED, "start": "2026-05-11T13:00:00Z", "end": "2026-05-11T14:00:00Z"}

    assert api.post(url, body, format="json").status_code == 400
    assert api.delete(url).status_code == 400
    assert alice.meetings.count() == 1
    browser = Client()
    browser.force_login(alice)
    # The pages of one occurrence send the person back to the meeting, saying why.
    for page in ("edit/", "cancel/", "following/edit/", "following/delete/"):
        for answer in (
            browser.get(f"/meetings/{series.pk}/occurrences/{key}/{page}"),
            browser.post(f"/meetings/{series.pk}/occurrences/{key}/{page}", {}),
        ):
            assert answer.status_code == 302, (page, answer.status_code)
            assert answer["Location"] == f"/meetings/{series.pk}/"
    assert browser.get(f"/meetings/{series.pk}/", {"occurrence": key}).status_code == 200
    assert alice.meetings.count() == 1
