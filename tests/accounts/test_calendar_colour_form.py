"""The settings form's colour inputs: a colour changed on the form is a choice, one left as
shown is not (the calendar keeps following Google's), and a calendar of no known colour left
as the browser shows it (an empty colour input sends #000000) is not painted black."""

from __future__ import annotations

from typing import Any

import pytest

from tandem.accounts.google_forms import SyncSettingsForm

TEAM = {"id": "team@group.calendar.google.com", "summary": "Team", "access_role": "owner"}
ODD = {"id": "odd@group.calendar.google.com", "summary": "Odd", "access_role": "owner"}


def _chosen(colours: dict[str, str], **posted: str) -> dict[str, str]:
    data: dict[str, Any] = {"target_calendar_id": TEAM["id"], **posted}
    form = SyncSettingsForm(data, calendars=[TEAM, ODD], colours=colours)
    assert form.is_valid(), form.errors
    return form.chosen_colours({"old@group.calendar.google.com": "#16a765"})


def test_only_changed_colours_are_choices() -> None:
    colours = {TEAM["id"]: "#f83a22", ODD["id"]: ""}
    assert _chosen(colours, colour_0="#f83a22", colour_1="#000000") == {
        "old@group.calendar.google.com": "#16a765"  # the saved choices stay
    }
    assert _chosen(colours, colour_0="#4986E7", colour_1="#A47AE2") == {
        "old@group.calendar.google.com": "#16a765",
        TEAM["id"]: "#4986e7",
        ODD["id"]: "#a47ae2",
    }


@pytest.mark.parametrize("colour", ["red", "#4986e7\n"])
def test_a_colour_that_is_no_colour_is_refused(colour: str) -> None:
    form = SyncSettingsForm(
        {"target_calendar_id": TEAM["id"], "colour_0": colour}, calendars=[TEAM], colours={}
    )
    assert not form.is_valid()
    assert form.errors["colour_0"] == ["Choose a colour like #4986e7."]
