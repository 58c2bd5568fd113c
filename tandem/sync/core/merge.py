"""Three-way, field-level merge of a meeting edited on both sides since the last agreement.

The rule, as built (docs/sync-rules.md):

- A field changed on one side only takes that side's value.
- A field changed on both sides to the same value is no conflict.
- A field changed on both sides to different values is a conflict: **the later edit wins**
  (the CRM's ``changed_at`` against Google's ``updated``); a tie, or a side whose time is
  unknown, goes to the CRM. Every conflict is returned as a ``Conflict`` to be stored and
  shown to the user.
- ``start`` and ``end`` are one unit: if either changed on a side, that side's pair is
  taken whole, so a merge never puts the end before the start or mixes a date with a time.
- Without a base (a pair matched by our marker after a lost link), every differing field
  counts as changed on both sides.
- A rule's UNTIL takes the value type of the merged start (``_until_of_its_start``): the
  rule may come from one side and the start from the other. A UTC UNTIL beside a start
  moved on the other side (another zone, another time of day) keeps the series' last day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias
from zoneinfo import ZoneInfo

from tandem.meetings.recurrence import lines_until_for, lines_until_moved
from tandem.sync.core.fields import FieldName, FieldValue, MeetingFields, TimedMoment

Side: TypeAlias = Literal["crm", "google"]

_GROUPS: tuple[tuple[FieldName, ...], ...] = (
    ("subject",),
    ("start", "end"),
    ("description",),
    ("location",),
    ("visibility",),
    ("recurrence",),
)


@dataclass(frozen=True)
class Conflict:
    """One field both sides changed differently, and which side's value was kept."""

    field: FieldName
    base: FieldValue | None
    crm: FieldValue
    google: FieldValue
    winner: Side


@dataclass(frozen=True)
class MergeResult:
    fields: MeetingFields
    conflicts: tuple[Conflict, ...] = ()


def conflict_winner(*, crm_changed_at: datetime | None, google_changed_at: datetime | None) -> Side:
    """The later edit wins; ties and unknown times go to the CRM (the user's system of record)."""
    if crm_changed_at is None or google_changed_at is None:
        return "crm"
    return "google" if google_changed_at > crm_changed_at else "crm"


def merge(
    base: MeetingFields | None,
    crm: MeetingFields,
    google: MeetingFields,
    *,
    crm_changed_at: datetime | None,
    google_changed_at: datetime | None,
) -> MergeResult:
    """Merges ``crm`` and ``google`` against ``base`` field by field (rules above)."""
    winner = conflict_winner(crm_changed_at=crm_changed_at, google_changed_at=google_changed_at)
    values: dict[FieldName, FieldValue] = {}
    conflicts: list[Conflict] = []
    for group in _GROUPS:
        crm_values = tuple(crm.value(name) for name in group)
        google_values = tuple(google.value(name) for name in group)
        base_values = None if base is None else tuple(base.value(name) for name in group)
        if crm_values == google_values:
            # Same on both sides (or changed on both to the same value): nothing to decide.
            chosen = crm_values
        elif crm_values == base_values:
            # Only Google changed this field.
            chosen = google_values
        elif google_values == base_values:
            # Only the CRM changed this field.
            chosen = crm_values
        else:
            # Both changed it differently: the written rule decides, and we say so.
            chosen = crm_values if winner == "crm" else google_values
            conflicts.extend(
                Conflict(
                    field=name,
                    base=None if base_values is None else base_values[index],
                    crm=crm_values[index],
                    google=google_values[index],
                    winner=winner,
                )
                for index, name in enumerate(group)
                if crm_values[index] != google_values[index]
            )
        values.update(zip(group, chosen, strict=True))
    merged = crm.with_values(values)
    return MergeResult(fields=_until_of_its_start(merged, crm, google), conflicts=tuple(conflicts))


def _until_of_its_start(merged: MeetingFields, *sides: MeetingFields) -> MeetingFields:
    """The merged rule with its UNTIL of the merged start's type. One side's rule beside the
    other's start (an all-day series cut in the CRM, so its rule ends with a date UNTIL,
    made timed in Google before the sync) would give a timed series a date UNTIL, or an
    all-day one a UTC time: RFC 5545 §3.3.10 wants DTSTART's value type, in UTC for a start
    with a zone, and Google's recurring events are RFC 5545 rules
    (https://developers.google.com/calendar/api/concepts/events-calendars#recurring_events).
    The same last day, in the series' zone: the merged start's, or for an all-day start
    the zone of the side that was timed, where a UTC UNTIL was written. An all-day series
    on both sides keeps its rule as they hold it: a UTC UNTIL there (other clients of
    Google's API write one) is read in the calendar's zone, which the merge does not know."""
    zone = merged.time_zone or next((side.time_zone for side in sides if side.time_zone), None)
    if not merged.recurrence or zone is None:
        return merged
    lines = lines_until_for(merged.recurrence, all_day=merged.all_day, zone=ZoneInfo(zone))
    # A timed rule from one side beside the other's timed start (moved to another zone or
    # time of day): its UTC UNTIL was written for its own side's start, so the series keeps
    # the last day it had there (``lines_until_moved``). A side holding both the rule and
    # the start is left as it holds them: Google lays out its own event by that UNTIL.
    holders = [side.start for side in sides if side.recurrence == merged.recurrence]
    if isinstance(merged.start, TimedMoment) and merged.start not in holders:
        written_for = next((own for own in holders if isinstance(own, TimedMoment)), None)
        if written_for is not None:
            lines = lines_until_moved(
                lines, written_for=written_for.local, start=merged.start.local
            )
    return merged if lines == merged.recurrence else merged.with_values({"recurrence": lines})
