"""Hypothesis strategies and small builders for the sync core tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from tandem.sync.core.fields import MeetingFields, Moment, TimedMoment

ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata")
SUBJECTS = ("Kick-off", "Lunch", "Review", "<b>Board</b>", "Été ☀")
TEXTS = ("", "Room 4", "<p>Agenda &amp; notes</p>", "Call me")
RECURRENCES: tuple[tuple[str, ...], ...] = (
    (),
    ("RRULE:FREQ=WEEKLY;BYDAY=MO",),
    ("RRULE:FREQ=DAILY;COUNT=3", "EXDATE;TZID=Europe/Paris:20260302T100000"),
)
VISIBILITY_VALUES = ("default", "public", "private", "confidential")
DAY_ONE = datetime(2026, 3, 1, 9, tzinfo=UTC)


def timed(hour: int, hours: int = 1, zone: str = "UTC", *, day: int = 1) -> MeetingFields:
    """A plain timed meeting on March ``day`` 2026 at ``hour`` UTC."""
    start = datetime(2026, 3, day, hour, tzinfo=UTC)
    return MeetingFields(
        subject="Kick-off",
        start=TimedMoment(start, zone),
        end=TimedMoment(start + timedelta(hours=hours), zone),
    )


def all_day(first: date, days: int = 1) -> MeetingFields:
    return MeetingFields(subject="Offsite", start=first, end=first + timedelta(days=days))


@st.composite
def time_bounds(draw: st.DrawFn) -> tuple[Moment, Moment]:
    if draw(st.booleans()):
        first = date(2026, 3, 1) + timedelta(days=draw(st.integers(0, 20)))
        return first, first + timedelta(days=draw(st.integers(1, 3)))
    zone = draw(st.sampled_from(ZONES))
    start = DAY_ONE + timedelta(minutes=30 * draw(st.integers(0, 200)))
    end = start + timedelta(minutes=30 * draw(st.integers(1, 6)))
    return TimedMoment(start, zone), TimedMoment(end, zone)


@st.composite
def meeting_fields(draw: st.DrawFn) -> MeetingFields:
    start, end = draw(time_bounds())
    return MeetingFields(
        subject=draw(st.sampled_from(SUBJECTS)),
        start=start,
        end=end,
        description=draw(st.sampled_from(TEXTS)),
        location=draw(st.sampled_from(TEXTS)),
        visibility=draw(st.sampled_from(VISIBILITY_VALUES)),
        recurrence=draw(st.sampled_from(RECURRENCES)),
    )


@st.composite
def field_edits(draw: st.DrawFn) -> dict[str, Any]:
    """One person's edit: new values for one field (start and end move together)."""
    kind = draw(st.sampled_from(("subject", "time", "description", "location", "recurrence")))
    if kind == "time":
        start, end = draw(time_bounds())
        return {"start": start, "end": end}
    if kind == "subject":
        return {"subject": draw(st.sampled_from(SUBJECTS))}
    if kind == "recurrence":
        return {"recurrence": draw(st.sampled_from(RECURRENCES))}
    return {kind: draw(st.sampled_from(TEXTS))}
