"""Meeting inputs for the domain tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tandem.meetings.services import MeetingInput

UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")

TIMED = MeetingInput(
    subject="Quarterly review",
    start=datetime(2026, 5, 4, 9, 0, tzinfo=UTC),
    end=datetime(2026, 5, 4, 10, 0, tzinfo=UTC),
)


def timed(**changes: Any) -> MeetingInput:
    return replace(TIMED, **changes)
