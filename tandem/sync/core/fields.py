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
from datetime import UTC, date, datetime, time
from typing import Any, Literal, TypeAlias, cast, get_args

import msgspec

# The rules of a meeting's fields live in one pure module shared with the CRM's services
# (tandem.meetings.services), so the sync refuses exactly what the CRM refuses. The limits
# (the mapping cuts Google's text to them), the visibilities and the zone test come from it.
from tandem.meetings.rules import (
    DESCRIPTION_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    SUBJECT_MAX_LENGTH,
    VISIBILITIES,
    Visibility,
    bounds_problems,
    clean_description,
    clean_recurrence,
    clean_subject,
    instant,
    is_time_zone,
    meeting_problems,
    time_problem,
    time_zone_problem,
)
from tandem.sync.core.series_end import series_last_end

VISIBILITY_BY_NAME: dict[str, Visibility] = {name: name for name in VISIBILITIES}
PRIVATE_VISIBILITIES: frozenset[str] = frozenset({"private", "confidential"})

FieldName: TypeAlias = Literal[
    "subject", "start", "end", "description", "location", "visibility", "recurrence"
]
FIELD_NAMES: tuple[FieldName, ...] = get_args(FieldName)


class InvalidFields(ValueError):
    """The values do not make a meeting (naive time, end before start, unknown zone...)."""


class TimedMoment(msgspec.Struct, frozen=True):
    """A moment of a timed meeting: ``at`` is stored in UTC, ``zone`` is the IANA zone it
    was planned in (Google's ``start.timeZone``). Equal instants in equal zones are equal,
    whatever offset they were written with."""

    at: datetime
    zone: str

    def __post_init__(self) -> None:
        problem = time_problem(self.at) or time_zone_problem(self.zone)
        if problem is not None:
            raise InvalidFields(problem)
        # Seconds precision: Google drops sub-seconds, so keeping them would look like an edit.
        msgspec.structs.force_setattr(self, "at", instant(self.at))

    @property
    def local(self) -> datetime:
        """The moment on the wall clock of its zone."""
        return self.at.astimezone(zoneinfo.ZoneInfo(self.zone))


Moment: TypeAlias = TimedMoment | date
FieldValue: TypeAlias = str | Moment | tuple[str, ...]


class MeetingFields(msgspec.Struct, frozen=True):
    """The six mapped fields plus recurrence. ``start``/``end`` are both ``TimedMoment`` (in
    one zone, since the CRM keeps one zone per meeting) or both ``date`` (all-day, end
    exclusive). ``recurrence`` holds Google's RRULE/EXRULE/RDATE/EXDATE lines, no DTSTART."""

    subject: str
    start: Moment
    end: Moment
    description: str = ""
    location: str = ""
    visibility: Visibility = "default"
    recurrence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # The rules are tandem.meetings.rules, the CRM services' too. A subject with
        # surrounding spaces is cleaned, not refused (it used to be refused here while the
        # services stripped it): " Kick-off " from either side is the meeting "Kick-off",
        # as a person expects, and Google's summary is stripped by the mapping anyway.
        subject = clean_subject(self.subject)
        description = clean_description(self.description)  # "\r\n" from a browser is "\n"
        start, end = self.start, self.end
        problems = meeting_problems(
            subject=subject,
            description=description,
            location=self.location,
            visibility=self.visibility,
            # The bounds as the rules take them: a TimedMoment's UTC instant and zone, or a
            # plain date; a day and a time together is one of the problems.
            all_day=not isinstance(start, TimedMoment),
            start=start.at if isinstance(start, TimedMoment) else start,
            end=end.at if isinstance(end, TimedMoment) else end,
            time_zone=start.zone if isinstance(start, TimedMoment) else None,
            end_zone=end.zone if isinstance(end, TimedMoment) else None,
            recurrence=self.recurrence,
        )
        if problems:
            raise InvalidFields(problems[0][1])
        if subject != self.subject:
            msgspec.structs.force_setattr(self, "subject", subject)
        if description != self.description:
            msgspec.structs.force_setattr(self, "description", description)
        msgspec.structs.force_setattr(self, "recurrence", clean_recurrence(self.recurrence))

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
        A recurring meeting is over when its last occurrence is (``series_end``): its first
        says nothing of its last, and a series that began long ago may well go on."""
        if self.recurrence:
            last = series_last_end(
                start=self.start.at if isinstance(self.start, TimedMoment) else self.start,
                end=self.end.at if isinstance(self.end, TimedMoment) else self.end,
                zone=self.time_zone,
                lines=self.recurrence,
            )
            return last is not None and last <= moment
        if isinstance(self.end, TimedMoment):
            return self.end.at <= moment
        return datetime.combine(self.end, time.min, tzinfo=UTC) <= moment

    def value(self, name: FieldName) -> FieldValue:
        value: FieldValue = getattr(self, name)
        return value

    def with_values(self, values: Mapping[FieldName, FieldValue]) -> MeetingFields:
        """A copy with ``values`` replaced (validated again)."""
        changes: dict[str, Any] = {str(name): value for name, value in values.items()}
        return msgspec.structs.replace(self, **changes)


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
            problems = bounds_problems(all_day=True, start=start_date, end=end_date)
            raise InvalidFields(problems[0][1])
        bounds: tuple[Moment, Moment] = (start_date, end_date)
    else:
        if start is None or end is None:
            problems = bounds_problems(all_day=False, start=start, end=end)
            raise InvalidFields(problems[0][1])
        bounds = (TimedMoment(start, time_zone), TimedMoment(end, time_zone))
    return MeetingFields(
        subject=subject,
        start=bounds[0],
        end=bounds[1],
        description=description,
        location=location,
        visibility=cast(Visibility, visibility),  # MeetingFields refuses an unknown one
        recurrence=tuple(recurrence),
    )


def meeting_values_from_fields(
    fields_: MeetingFields, *, all_day_zone: str = "UTC", wall_clock: bool = True
) -> dict[str, object]:
    """The Meeting model's columns (and ``MeetingInput``'s arguments) for ``fields_``.

    All-day meetings have no zone in Google; ``all_day_zone`` (the user's preference or the
    meeting's current zone) fills the model's ``time_zone`` and is not compared by the sync.
    A timed meeting's bounds are on its zone's wall clock, as the services and the forms
    read them; ``wall_clock=False`` leaves them UTC instants, as the database keeps them
    (the same moments): the bulk import, which writes them straight to the table, so saves
    two time zone conversions for every event it reads.
    """
    start, end = fields_.start, fields_.end
    values: dict[str, object] = {
        "subject": fields_.subject,
        "description": fields_.description,
        "location": fields_.location,
        "visibility": fields_.visibility,
        "recurrence": list(fields_.recurrence),
    }
    if isinstance(start, TimedMoment) and isinstance(end, TimedMoment):
        values["all_day"] = False
        values["start"] = start.local if wall_clock else start.at
        values["end"] = end.local if wall_clock else end.at
        values["start_date"] = values["end_date"] = None
        values["time_zone"] = start.zone
        return values
    zone = zoneinfo.ZoneInfo(all_day_zone)
    assert isinstance(start, date) and isinstance(end, date)
    values["all_day"] = True
    values["start"] = datetime.combine(start, time.min, tzinfo=zone)
    values["end"] = datetime.combine(end, time.min, tzinfo=zone)
    values["start_date"], values["end_date"] = start, end
    values["time_zone"] = all_day_zone
    return values


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
