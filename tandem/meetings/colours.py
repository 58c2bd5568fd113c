"""Meeting colours on the calendar: each meeting shows the colour of the Google calendar it
came from, CRM meetings that are not in Google a default colour.

The colours are a fixed palette of CSS classes (``cal-0`` … ``cal-24`` in tandem.css): the
Content-Security-Policy forbids inline styles, so a page cannot carry a colour of its own.
The palette is Google Calendar's own calendar palette (tandem.google.palette), so a
calendar in one of Google's colours keeps it exactly; any other colour (Google's custom RGB
colours, or one chosen in the CRM) shows as the nearest of them. Text on each is black or
white, whichever reads better (WCAG contrast, checked by tests/meetings/test_colours.py).

Which meeting belongs to which calendar is the sync app's knowledge (its links), and the
meetings app imports neither the sync app nor accounts: the sync app hands in a *colour
source* (``colour_source_set``, from its AppConfig.ready) that answers for one owner and a
set of meeting ids. Without one (no sync installed), every meeting has the default colour.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import User

from tandem.google.palette import CALENDAR_PALETTE, HEX_COLOUR
from tandem.meetings.selectors import CalendarEntry

DEFAULT_COLOUR = "#1a66c9"  # the product's accent: CRM meetings that are not in Google
DEFAULT_CLASS = "cal-0"
NOT_IN_GOOGLE = "Only in the CRM"

# class -> background, the default first.
CLASSES: dict[str, str] = {
    DEFAULT_CLASS: DEFAULT_COLOUR,
    **{f"cal-{key}": colour for key, colour in CALENDAR_PALETTE.items()},
}


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def is_colour(text: object) -> bool:
    return isinstance(text, str) and bool(HEX_COLOUR.match(text))


def colour_class(colour: str | None) -> str:
    """The palette class nearest to ``colour`` (``#rrggbb``); the default for none or
    nonsense. Nearest by the "redmean" weighted RGB distance, a cheap approximation of
    how far apart people see two colours."""
    if not is_colour(colour):
        return DEFAULT_CLASS
    assert colour is not None
    red, green, blue = _rgb(colour.lower())

    def distance(item: tuple[str, str]) -> float:
        r, g, b = _rgb(item[1])
        mean = (red + r) / 2
        return (
            (2 + mean / 256) * (red - r) ** 2
            + 4 * (green - g) ** 2
            + (2 + (255 - mean) / 256) * (blue - b) ** 2
        )

    return min(CLASSES.items(), key=distance)[0]


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    black, white = "#000000", "#ffffff"
    return black if contrast(background, black) >= contrast(background, white) else white


# -- the seam the sync app plugs into ---------------------------------------------------------


@dataclass(frozen=True)
class LegendEntry:
    name: str
    css_class: str


@dataclass(frozen=True)
class Colours:
    """What a colour source answers for one owner: the class of each meeting it knows
    (meetings it does not know have the default colour), and the legend to show."""

    by_meeting: dict[int, str] = field(default_factory=dict)
    legend: list[LegendEntry] = field(default_factory=list)

    def of(self, pk: int, series_pk: int | None = None) -> str:
        """A meeting's class; a changed occurrence that has no calendar of its own takes
        its series'."""
        found = self.by_meeting.get(pk)
        if found is None and series_pk is not None:
            found = self.by_meeting.get(series_pk)
        return found or DEFAULT_CLASS


ColourSource = Callable[[User, Collection[int]], Colours]
_source: list[ColourSource] = []


def colour_source_set(source: ColourSource | None) -> None:
    """Install (or, with None, remove) the one colour source."""
    _source.clear()
    if source is not None:
        _source.append(source)


def colours_of_entries(*, viewer: User, owner: User, entries: Iterable[CalendarEntry]) -> Colours:
    """``colours_for`` the meetings (and the series of changed occurrences) shown."""
    ids: set[int] = set()
    for entry in entries:
        ids.add(entry.pk)
        if entry.series_pk is not None:
            ids.add(entry.series_pk)
    return colours_for(viewer=viewer, owner=owner, meeting_ids=ids)


def colours_for(*, viewer: User, owner: User, meeting_ids: Iterable[int]) -> Colours:
    """The colours of the owner's meetings as ``viewer`` may see them. A colleague sees
    every meeting in the default colour and no legend: the names of someone's Google
    calendars ("Job interviews", "Doctor") and which meeting is in which are theirs."""
    if viewer.pk != owner.pk or not _source:
        return Colours()
    return _source[0](owner, frozenset(meeting_ids))
