"""The calendar's colour palette (tandem.meetings.colours): Google's calendar colours as CSS
classes, each readable, every colour mapped to the nearest of them, and the stylesheet
holding the same table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from tandem.fakegoogle.calendars import CALENDAR_COLORS
from tandem.google.palette import CALENDAR_PALETTE
from tandem.meetings.colours import (
    CLASSES,
    DEFAULT_CLASS,
    Colours,
    LegendEntry,
    colour_class,
    colour_source_set,
    colours_for,
    contrast,
    text_colour,
)

CSS = Path(__file__).resolve().parents[2] / "tandem" / "static" / "css" / "tandem.css"


def test_every_google_calendar_colour_is_a_class_of_its_own() -> None:
    """A calendar in one of Google's 24 colours shows exactly that colour."""
    assert len(CALENDAR_PALETTE) == 24
    for color_id, colour in CALENDAR_PALETTE.items():
        assert colour_class(colour) == f"cal-{color_id}"
        assert colour_class(colour.upper()) == f"cal-{color_id}"


def test_other_colours_take_the_nearest_class_and_nonsense_the_default() -> None:
    assert colour_class("#f83a20") == "cal-3"  # a custom red next to Google's "3"
    assert colour_class("#1a66ca") == DEFAULT_CLASS
    for nonsense in (None, "", "red", "#12345", "#gggggg", "1a66c9", "#1a66c9\n"):
        assert colour_class(nonsense) == DEFAULT_CLASS


@pytest.mark.parametrize("css_class", sorted(CLASSES))
def test_text_on_every_colour_is_readable(css_class: str) -> None:
    """WCAG AA: at least 4.5:1 between a filled meeting's colour and its text."""
    background = CLASSES[css_class]
    assert contrast(background, text_colour(background)) >= 4.5


def test_the_stylesheet_holds_the_same_palette() -> None:
    """tandem.css's classes are the Python table, with the text colour computed here."""
    rules = dict(
        (name, (colour, ink))
        for name, colour, ink in re.findall(
            r"\.(cal-\d+) \{ --cal: (#[0-9a-f]{6}); --cal-ink: (#[0-9a-f]{6}); \}",
            CSS.read_text(encoding="utf-8"),
        )
    )
    assert rules == {name: (colour, text_colour(colour)) for name, colour in CLASSES.items()}


def test_the_emulator_serves_googles_palette() -> None:
    assert CALENDAR_COLORS == CALENDAR_PALETTE


@pytest.mark.django_db
def test_only_the_owner_sees_calendar_colours_and_names() -> None:
    """A colleague's page shows every meeting in the default colour and no legend: which
    calendars someone has, and which meeting is in which, are theirs."""
    ann = User.objects.create_user("ann")
    bob = User.objects.create_user("bob")
    asked: list[tuple[int, frozenset[int]]] = []

    def source(owner: User, ids: frozenset[int]) -> Colours:  # type: ignore[override]
        asked.append((owner.pk, ids))
        return Colours(by_meeting={1: "cal-3"}, legend=[LegendEntry("Doctor", "cal-3")])

    colour_source_set(source)  # type: ignore[arg-type]
    try:
        own = colours_for(viewer=ann, owner=ann, meeting_ids=[1, 2])
        seen_by_bob = colours_for(viewer=bob, owner=ann, meeting_ids=[1, 2])
    finally:
        from tandem.sync.calendar_colours import calendar_colours

        colour_source_set(calendar_colours)
    assert own.of(1) == "cal-3" and own.of(2) == DEFAULT_CLASS and own.legend
    assert own.of(9, series_pk=1) == "cal-3"  # a changed occurrence takes its series'
    assert seen_by_bob == Colours()
    assert asked == [(ann.pk, frozenset({1, 2}))]
