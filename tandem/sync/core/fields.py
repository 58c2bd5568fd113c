"""The mapped fields of a meeting, as the sync engine compares and merges them.

One value type for both sides: the CRM adapter reads a ``Meeting`` into ``MeetingFields``
(``fields_from_meeting_values``) and writes it back (``meeting_values_from_fields``); the
Google side goes through ``mapping``. Values are normalised on construction, so two
representations of the same meeting compare equal: a timed moment is stored as a UTC
instant plus its IANA zone (``+01:00`` vs ``Z`` does not matter, the zone does), seconds
precision (Google's), all-day bounds are plain dates with an *exclusive* end (Google's and
the Meeting model's convention).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any, Literal, TypeAlias, get_args

Visibility: TypeAlias = Literal["default", "public", "private", "confidential"]
VISIBILITIES: tuple[Visibility, ...] = get_args(Visibility)
VISIBILITY_BY_NAME: dict[str, Visibility] = {name: name for name in VISIBILITIES}
PRIVATE_VISIBILITIES: frozenset[str] = frozenset({"private", "confidential"})

# The Meeting model's limits (tandem/meetings/models.py); the mapping truncates to them.
SUBJECT_MAX_LENGTH = 1024
LOCATION_MAX_LENGTH = 1024
DESCRIPTION_MAX_LENGTH = 8192

FieldName: TypeAlias = Literal[
    "subject", "start", "end", "description", "location", "visibility", "recurrence"
]
FIELD_NAMES: tuple[FieldName, ...] = get_args(FieldName)


class InvalidFields(ValueError):
    """The values do not make a meeting (naive time, end before start, unknown zone...)."""


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """The same test the Meeting model applies to ``time_zone``."""
    return name in _zone_names()


@dataclass(frozen=True)
class TimedMoment:
    """A moment of a timed meeting: ``at`` is stored in UTC, ``zone`` is the IANA zone it
    was planned in (Google's ``start.timeZone``). Equal instants in equal zones are equal,
    whatever offset they were written with."""

    at: datetime
    zone: str

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime):
            raise InvalidFields(f"A timed moment needs a datetime, not {self.at!r}.")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise InvalidFields(f"The time {self.at.isoformat()} has no time zone.")
        if not is_time_zone(self.zone):
            raise InvalidFields(f"“{self.zone}” is not an IANA time zone.")
        # Seconds precision: Google drops sub-seconds, so keeping them would look like an edit.
        object.__setattr__(self, "at", self.at.astimezone(UTC).replace(microsecond=0))

    @property
    def local(self) -> datetime:
        """The moment on the wall clock of its zone."""
        return self.at.astimezone(zoneinfo.ZoneInfo(self.zone))


Moment: TypeAlias = TimedMoment | date
FieldValue: TypeAlias = str | Moment | tuple[str, ...]


def _is_plain_date(value: object) -> bool:
    # datetime is a subclass of date; an all-day bound must be a date and nothing more.
    return type(value) is date


@dataclass(frozen=True)
class MeetingFields:
    """The six mapped fields plus recurrence. ``start``/``end`` are both ``TimedMoment`` (in
    one zone, since the CRM keeps one zone per meeting) or both ``date`` (all-day, end
    exclusive). ``recurrence`` holds Google's RRULE/EXRULE/RDATE/EXDATE lines, no DTSTART."""

    subject: str
    start: Moment
    end: Moment
    description: str = ""
    location: str = ""
    visibility: Visibility = "default"
    recurrence: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.subject or self.subject != self.subject.strip():
            raise InvalidFields("A subject must be non-empty and have no surrounding spaces.")
        for name, limit in (
            ("subject", SUBJECT_MAX_LENGTH),
            ("location", LOCATION_MAX_LENGTH),
            ("description", DESCRIPTION_MAX_LENGTH),
        ):
            if len(getattr(self, name)) > limit:
                raise InvalidFields(f"The {name} is longer than {limit} characters.")
        if self.visibility not in VISIBILITIES:
            raise InvalidFields(f"Visibility must be one of: {', '.join(VISIBILITIES)}.")
        if isinstance(self.start, TimedMoment) and isinstance(self.end, TimedMoment):
            if self.start.zone != self.end.zone:
                raise InvalidFields("The start and the end must be in the same time zone.")
            if self.end.at <= self.start.at:
                raise InvalidFields("The end must be after the start.")
        elif _is_plain_date(self.start) and _is_plain_date(self.end):
            assert isinstance(self.start, date) and isinstance(self.end, date)
            if self.end <= self.start:
                raise InvalidFields("An all-day meeting ends (exclusive) after its first day.")
        else:
            raise InvalidFields("The start and the end must both be dates or both be times.")
        lines = tuple(self.recurrence)
        if any(not isinstance(line, str) or not line.strip() for line in lines):
            raise InvalidFields("Recurrence lines must be non-empty strings.")
        object.__setattr__(self, "recurrence", tuple(line.strip() for line in lines))

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, TimedMoment)

    @property
    def is_private(self) -> bool:
        """Private or confidential: not pushed unless the user syncs private meetings."""
        return self.visibility in PRIVATE_VISIBILITIES

    @property
    def time_zone(self) -> str | None:
        """The IANA zone of a timed meeting; None for all-day ones (Google has none)."""
        return self.start.zone if isinstance(self.start, TimedMoment) else None

    def ends_before(self, moment: datetime) -> bool:
        """True when the meeting is over by ``moment`` (all-day ends read as UTC midnight).
        Never for a recurring meeting: its first occurrence says nothing of its last, and a
        series that began long ago may well go on (the window holds it whole)."""
        if self.recurrence:
            return False
        if isinstance(self.end, TimedMoment):
            return self.end.at <= moment
        return datetime.combine(self.end, time.min, tzinfo=UTC) <= moment

    def value(self, name: FieldName) -> FieldValue:
        value: FieldValue = getattr(self, name)
        return value

    def with_values(self, values: Mapping[FieldName, FieldValue]) -> MeetingFields:
        """A copy with ``values`` replaced (validated again)."""
        changes: dict[str, Any] = {str(name): value for name, value in values.items()}
        return replace(self, **changes)


def changed_field_names(old: MeetingFields | None, new: MeetingFields) -> tuple[FieldName, ...]:
    """Names of the fields that differ, in FIELD_NAMES order; all of them when ``old`` is None.

    ``start`` and ``end`` travel together: a meeting moved from timed to all-day must send
    both bounds, and merging one bound from each side could put the end before the start.
    """
    if old is None:
        return FIELD_NAMES
    names = {name for name in FIELD_NAMES if old.value(name) != new.value(name)}
    if names & {"start", "end"}:
        names |= {"start", "end"}
    return tuple(name for name in FIELD_NAMES if name in names)


def changes_between(old: MeetingFields | None, new: MeetingFields) -> dict[FieldName, FieldValue]:
    """The new values of the fields that differ (see ``changed_field_names``)."""
    return {name: new.value(name) for name in changed_field_names(old, new)}


def fields_from_meeting_values(
    *,
    subject: str,
    all_day: bool,
    start: datetime | None,
    end: datetime | None,
    start_date: date | None,
    end_date: date | None,
    time_zone: str,
    description: str,
    location: str,
    visibility: str,
    recurrence: Iterable[str],
) -> MeetingFields:
    """Fields from the Meeting model's columns (same names), for the CRM adapter."""
    if all_day:
        if start_date is None or end_date is None:
            raise InvalidFields("An all-day meeting needs its first and (exclusive) last day.")
        bounds: tuple[Moment, Moment] = (start_date, end_date)
    else:
        if start is None or end is None:
            raise InvalidFields("A timed meeting needs a start and an end.")
        bounds = (TimedMoment(start, time_zone), TimedMoment(end, time_zone))
    checked_visibility = VISIBILITY_BY_NAME.get(visibility)
    if checked_visibility is None:
        raise InvalidFields(f"Visibility must be one of: {', '.join(VISIBILITIES)}.")
    return MeetingFields(
        subject=subject,
        start=bounds[0],
        end=bounds[1],
        description=description,
        location=location,
        visibility=checked_visibility,
        recurrence=tuple(recurrence),
    )


def meeting_values_from_fields(
    fields_: MeetingFields, *, all_day_zone: str = "UTC"
) -> dict[str, object]:
    """The Meeting model's columns (and ``MeetingInput``'s arguments) for ``fields_``.

    All-day meetings have no zone in Google; ``all_day_zone`` (the user's preference or the
    meeting's current zone) fills the model's ``time_zone`` and is not compared by the sync.
    """
    values: dict[str, object] = {
        "subject": fields_.subject,
        "all_day": fields_.all_day,
        "description": fields_.description,
        "location": fields_.location,
        "visibility": fields_.visibility,
        "recurrence": list(fields_.recurrence),
    }
    if isinstance(fields_.start, TimedMoment) and isinstance(fields_.end, TimedMoment):
        return values | {
            "start": fields_.start.local,
            "end": fields_.end.local,
            "start_date": None,
            "end_date": None,
            "time_zone": fields_.start.zone,
        }
    zone = zoneinfo.ZoneInfo(all_day_zone)
    assert isinstance(fields_.start, date) and isinstance(fields_.end, date)
    return values | {
        "start": datetime.combine(fields_.start, time.min, tzinfo=zone),
        "end": datetime.combine(fields_.end, time.min, tzinfo=zone),
        "start_date": fields_.start,
        "end_date": fields_.end,
        "time_zone": all_day_zone,
    }


__all__ = [
    "DESCRIPTION_MAX_LENGTH",
    "FIELD_NAMES",
    "LOCATION_MAX_LENGTH",
    "SUBJECT_MAX_LENGTH",
    "FieldName",
    "FieldValue",
    "InvalidFields",
    "MeetingFields",
    "Moment",
    "TimedMoment",
    "Visibility",
    "changed_field_names",
    "changes_between",
    "fields_from_meeting_values",
    "is_time_zone",
    "meeting_values_from_fields",
]
