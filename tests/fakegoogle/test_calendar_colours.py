"""calendarList entries carry Google's colour fields
(https://developers.google.com/calendar/api/v3/reference/calendarList): ``colorId``, one of
colors.get's calendar palette, and the colour itself as ``backgroundColor`` and
``foregroundColor`` ("#rrggbb"); each calendar added to a list gets a colour of its own."""

from __future__ import annotations

import re

import httpx
import pytest

from tandem.fakegoogle import FakeGoogle
from tandem.fakegoogle.calendars import CALENDAR_COLORS

from .conftest import ANN, API


def test_each_entry_has_googles_colour_fields(google: FakeGoogle, api: httpx.Client) -> None:
    for n in range(3):
        google.create_calendar(email=ANN, summary=f"Team {n}")
    items = api.get(f"{API}/users/me/calendarList").json()["items"]
    for item in items:
        assert CALENDAR_COLORS[item["colorId"]] == item["backgroundColor"]
        assert re.fullmatch(r"#[0-9a-f]{6}", item["foregroundColor"])
    assert len({item["colorId"] for item in items}) == 4  # the primary and three others
    primary = next(item for item in items if item.get("primary"))
    assert primary["colorId"] == "14"
    one = api.get(f"{API}/users/me/calendarList/{items[1]['id']}").json()
    assert one["backgroundColor"] == items[1]["backgroundColor"]


def test_the_control_api_chooses_a_colour(google: FakeGoogle, api: httpx.Client) -> None:
    entry = google.create_calendar(email=ANN, summary="Red", color_id="3")
    assert (entry["colorId"], entry["backgroundColor"]) == ("3", "#f83a22")
    with pytest.raises(ValueError, match="colorId"):
        google.create_calendar(email=ANN, summary="Nope", color_id="99")
