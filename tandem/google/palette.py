"""Google Calendar's calendar colours, as colors.get returns them (its ``calendar``
section: colorId -> background; https://developers.google.com/calendar/api/v3/reference/colors).
A calendarList entry's ``colorId`` names one of these; its ``backgroundColor`` is the
colour itself and supersedes the id
(https://developers.google.com/calendar/api/v3/reference/calendarList). The palette is
fixed (its ``updated`` has been 2012-02-14 for years), so it is written down here rather
than read on every page. The emulator serves the same table (tandem/fakegoogle/calendars.py
imports nothing from the CRM, so it keeps its own copy, checked equal by a test)."""

from __future__ import annotations

import re

# How Google writes a colour ("#0088aa"): backgroundColor, foregroundColor, the palette.
# \Z, not $: "$" also matches before a final newline, so "#0088aa\n" passed.
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}\Z")

CALENDAR_PALETTE: dict[str, str] = {
    "1": "#ac725e",
    "2": "#d06b64",
    "3": "#f83a22",
    "4": "#fa573c",
    "5": "#ff7537",
    "6": "#ffad46",
    "7": "#42d692",
    "8": "#16a765",
    "9": "#7bd148",
    "10": "#b3dc6c",
    "11": "#fbe983",
    "12": "#fad165",
    "13": "#92e1c0",
    "14": "#9fe1e7",
    "15": "#9fc6e7",
    "16": "#4986e7",
    "17": "#9a9cff",
    "18": "#b99aff",
    "19": "#c2c2c2",
    "20": "#cabdbf",
    "21": "#cca6ac",
    "22": "#f691b2",
    "23": "#cd74e6",
    "24": "#a47ae2",
}
