"""Meetings the contract suites write, placed relative to a bench's window start."""

from __future__ import annotations

from datetime import datetime, timedelta

from tandem.sync.core.fields import MeetingFields, TimedMoment, Visibility

ZONE = "Europe/Berlin"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def timed(
    start: datetime,
    *,
    subject: str = "Kick-off",
    hours: int = 1,
    description: str = "",
    location: str = "",
    visibility: Visibility = "default",
    recurrence: tuple[str, ...] = (),
) -> MeetingFields:
    """A timed meeting planned in Berlin."""
    return MeetingFields(
        subject=subject,
        start=TimedMoment(start, ZONE),
        end=TimedMoment(start + hours * HOUR, ZONE),
        description=description,
        location=location,
        visibility=visibility,
        recurrence=recurrence,
    )


def all_day(start: datetime, *, subject: str = "Offsite", days: int = 1) -> MeetingFields:
    first = start.date()
    return MeetingFields(subject=subject, start=first, end=first + days * DAY)


def in_window(window_start: datetime, *, days: int = 31, hour: int = 9) -> datetime:
    """A whole hour ``days`` after the window start (31: about a day from now)."""
    return (window_start + days * DAY).replace(hour=hour, minute=0, second=0, microsecond=0)


def samples(window_start: datetime) -> dict[str, MeetingFields]:
    """One of each shape the sync moves: timed, all-day, every text field set, recurring."""
    start = in_window(window_start)
    return {
        "timed": timed(start),
        "all-day": all_day(start),
        "texts": timed(
            start,
            subject="Board <b>review</b> Été",
            description="<p>Agenda &amp; notes</p>",
            location="Room 4",
            visibility="private",
        ),
        "recurring": timed(start, subject="Stand-up", recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",)),
    }


SAMPLES = ("timed", "all-day", "texts", "recurring")
