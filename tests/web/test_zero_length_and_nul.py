"""Zero-length meetings and NUL in the pages (issue 12, must-haves 4 and 6): the form takes
an end equal to the start and still refuses one before it; a deadline at midnight shows on
its day; a NUL typed (pasted) in the form is refused with a message, not a 500."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.meetings.models import Meeting

from .conftest import BERLIN, timed
from .test_calendar_pages import cell, page
from .test_meeting_pages import GOOD


def test_the_form_creates_a_zero_length_meeting(client_alice: Client, alice: User) -> None:
    response = client_alice.post(reverse("meeting-create"), {**GOOD, "end_time": "09:00"})
    assert response.status_code == 302
    meeting = Meeting.objects.get(owner=alice)
    assert meeting.start == meeting.end == datetime(2026, 11, 24, 9, tzinfo=BERLIN)


def test_the_form_still_refuses_an_end_before_the_start(client_alice: Client) -> None:
    response = client_alice.post(reverse("meeting-create"), {**GOOD, "end_time": "08:59"})
    assert response.status_code == 200
    assert "The end cannot be before the start." in response.content.decode()
    assert not Meeting.objects.exists()


def test_a_zero_length_meeting_at_midnight_shows_on_its_day(
    client_alice: Client, alice: User
) -> None:
    midnight = datetime(2026, 11, 25, 0, 0, tzinfo=BERLIN)
    timed(alice, "Offer expires", midnight, midnight)
    for view in ("month", "week"):
        html = page(client_alice, view=view, date="2026-11-25")
        assert "Offer expires" in cell(html, "2026-11-25"), view
        assert "Offer expires" not in cell(html, "2026-11-24"), view


def test_a_nul_pasted_in_the_form_is_refused_by_field(client_alice: Client) -> None:
    response = client_alice.post(reverse("meeting-create"), {**GOOD, "location": "Room\x00 1"})
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not Meeting.objects.exists()
