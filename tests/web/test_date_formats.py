"""Issue 14, must have 6: the meeting form's dates and times are shown, typed and checked in
the user's date and time formats (My Preferences), not the browser's locale; the API keeps
ISO 8601."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tandem.accounts.selectors import preferences_for
from tandem.meetings.models import Meeting

from .conftest import BERLIN, timed

FORM = {
    "subject": "Planning",
    "time_zone": "Europe/Berlin",
    "visibility": "default",
}


def _prefer(user: User, date_format: str, time_format: str) -> None:
    preferences = preferences_for(user=user)
    preferences.date_format, preferences.time_format = date_format, time_format
    preferences.save()


def _input(html: str, name: str) -> str:
    found = re.search(rf'<input type="text" name="{name}"[^>]*>', html)
    assert found, f"no text input {name}"
    return found.group(0)


@pytest.mark.parametrize(
    ("date_format", "time_format", "shown_day", "shown_time", "day_hint", "time_hint"),
    [
        ("d.m.Y", "H:i", "24.11.2026", "14:30", "24.11.2026", "14:30"),
        ("m/d/Y", "g:i A", "11/24/2026", "2:30 PM", "11/24/2026", "2:30 PM"),
        ("Y-m-d", "H:i", "2026-11-24", "14:30", "2026-11-24", "14:30"),
    ],
)
def test_the_edit_form_shows_the_users_formats(
    client_alice: Client,
    alice: User,
    date_format: str,
    time_format: str,
    shown_day: str,
    shown_time: str,
    day_hint: str,
    time_hint: str,
) -> None:
    _prefer(alice, date_format, time_format)
    meeting = timed(
        alice,
        "Call",
        datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN),
        datetime(2026, 11, 24, 15, 30, tzinfo=BERLIN),
    )
    html = client_alice.get(reverse("meeting-edit", args=[meeting.pk])).content.decode()
    start_date, start_time = _input(html, "start_date"), _input(html, "start_time")
    assert f'value="{shown_day}"' in start_date and f'placeholder="{day_hint}"' in start_date
    assert f'value="{shown_time}"' in start_time and f'placeholder="{time_hint}"' in start_time
    assert 'type="date"' not in html and 'type="time"' not in html  # the browser's locale


def test_a_meeting_is_typed_in_the_users_formats(client_alice: Client, alice: User) -> None:
    _prefer(alice, "d.m.Y", "g:i A")
    answer = client_alice.post(
        reverse("meeting-create"),
        FORM
        | {
            "start_date": "05.12.2026",
            "start_time": "2:30 PM",
            "end_date": "05.12.2026",
            "end_time": "15:45",  # the other clock is understood too
        },
    )
    assert answer.status_code == 302, answer.content.decode()
    meeting = Meeting.objects.get(owner=alice)
    assert meeting.start == datetime(2026, 12, 5, 14, 30, tzinfo=BERLIN)
    assert meeting.end == datetime(2026, 12, 5, 15, 45, tzinfo=BERLIN)


def test_a_date_in_another_format_is_refused_with_the_users_example(
    client_alice: Client, alice: User
) -> None:
    """12/05/2026 is the 5th of December to some and the 12th of May to others: with
    d.m.Y chosen it is refused, with an example in the user's format."""
    _prefer(alice, "d.m.Y", "H:i")
    answer = client_alice.post(
        reverse("meeting-create"),
        FORM
        | {
            "start_date": "12/05/2026",
            "start_time": "9:00 PM",
            "end_date": "2026-12-05",  # ISO is always understood
            "end_time": "22:00",
        },
    )
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Enter the start date as a date like 24.11.2026." in html
    assert not Meeting.objects.filter(owner=alice).exists()


def test_a_new_meeting_from_a_day_is_prefilled_in_the_users_formats(
    client_alice: Client, alice: User
) -> None:
    _prefer(alice, "m/d/Y", "g:i A")
    html = client_alice.get(
        reverse("meeting-create"), {"date": "2026-12-31", "time": "23:30"}
    ).content.decode()
    assert 'value="12/31/2026"' in _input(html, "start_date")
    assert 'value="11:30 PM"' in _input(html, "start_time")
    assert 'value="01/01/2027"' in _input(html, "end_date")
    assert 'value="12:30 AM"' in _input(html, "end_time")
