"""Recurring series in the database convergence machine (test_convergence_db.py).

- What each side shows of a series: the CRM calendar's occurrences
  (``tandem.meetings.occurrences.occurrences_between``) and Google's live instances
  (events.list with ``singleEvents``), as comparable ``Shown`` entries.
- ``Slots``: the machine's own record of the occurrences people changed or cancelled alone,
  by their place in the series (the k-th occurrence), which survives a move of the whole
  series on either side. After a clean sync each recorded occurrence must show as people
  left it: a changed one once, with its values; a cancelled one not at all; an untouched
  one where the rule puts it.
- ``Apart``: an occurrence changed alone whose series then changed kind in Google (timed
  made all-day, or the reverse): Google keeps the exception's original start of the old
  kind, which names no occurrence of the series any more (fakegoogle/events.py
  ``_exceptions_follow``, meetings/rules.py ``original_moved``). It stands on its own, as
  people left it, beside the series' occurrence of that day, which shows again; a
  cancelled one hides nothing any more.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import occurrences_between
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tests.sync.prop_support import TODAY, parse_series_rule

SLOT_FIELDS = ("subject", "start", "end", "location")  # what the slots record of a change
UNTITLED = "(No title)"  # how the CRM reads an event without a title
STEP_DAYS = {"DAILY": 1, "WEEKLY": 7}
HORIZON = timedelta(days=400)  # past any occurrence the machine draws


@dataclass(frozen=True, order=True)
class Shown:
    """One occurrence on a calendar: timed bounds as UTC instants, all-day ones as dates
    (end exclusive)."""

    subject: str
    start: datetime | date
    end: datetime | date

    def ends_after(self, moment: datetime) -> bool:
        end = self.end
        if not isinstance(end, datetime):
            end = datetime.combine(end, time.min, tzinfo=UTC)
        return end > moment

    def order(self) -> tuple[str, bool, str, str]:
        """A sort key for a calendar that shows both kinds (an all-day exception apart
        beside a timed series): a date and a datetime do not compare."""
        timed = isinstance(self.start, datetime)
        return (self.subject, timed, self.start.isoformat(), self.end.isoformat())


@dataclass
class CrmSeriesView:
    """A series as the CRM calendar shows it: every occurrence (with the meeting it comes
    from: the series, or a row that replaces one occurrence), and the starts of the rule's
    own occurrences."""

    shown: list[tuple[int, Shown]] = field(default_factory=list)
    rule_starts: set[datetime | date] = field(default_factory=set)


def moment_shown(value: Any) -> Any:
    """A field's value as ``Shown`` writes it (a timed bound as its UTC instant)."""
    return value.at if hasattr(value, "zone") else value


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def crm_series_views(user: User, *, since: datetime) -> dict[int, CrmSeriesView]:
    """By series (meeting id): what the user's CRM calendar shows of it, ending after
    ``since``."""
    shown = occurrences_between(
        viewer=user,
        owner=user,
        first_day=(since - timedelta(days=2)).date(),
        end_day=TODAY + HORIZON,
        zone=zoneinfo.ZoneInfo("UTC"),
    )
    rows = dict(
        Meeting.objects.filter(owner=user, series__isnull=False).values_list("pk", "series_id")
    )
    views: dict[int, CrmSeriesView] = defaultdict(CrmSeriesView)
    for occurrence in shown:
        entry = occurrence.entry
        if entry.all_day:
            item = Shown(entry.subject, occurrence.first_day, occurrence.end_day)
        else:
            item = Shown(entry.subject, _utc(entry.start), _utc(entry.end))
        if not item.ends_after(since):
            continue
        series_id = rows.get(entry.pk, entry.pk)
        views[series_id].shown.append((entry.pk, item))
        if series_id == entry.pk and occurrence.is_recurring:
            views[series_id].rule_starts.add(item.start)
    return views


def google_shown(event: dict[str, Any]) -> Shown:
    subject = str(event.get("summary") or "").strip() or UNTITLED
    bounds: list[datetime | date] = []
    for name in ("start", "end"):
        moment = event[name]
        if "date" in moment:
            bounds.append(date.fromisoformat(moment["date"]))
        else:
            bounds.append(_utc(datetime.fromisoformat(moment["dateTime"].replace("Z", "+00:00"))))
    return Shown(subject, bounds[0], bounds[1])


def google_series_views(
    single_events: list[dict[str, Any]], *, since: datetime
) -> dict[str, list[Shown]]:
    """By series event id: the live instances a calendar shows (events.list with
    singleEvents), ending after ``since``."""
    views: dict[str, list[Shown]] = defaultdict(list)
    for event in single_events:
        series_id = event.get("recurringEventId")
        if series_id and event.get("status") != "cancelled":
            item = google_shown(event)
            if item.ends_after(since):
                views[series_id].append(item)
    return views


def series_rule_of(
    recurrence: tuple[str, ...] | list[str], first: datetime | date, zone: str
) -> tuple[str, int] | None:
    """(FREQ, number of occurrences) of a rule the machine draws (``series_rule``), or of
    one that "this and following" ended with UNTIL (series_edits.lines_until) for a series
    whose first occurrence starts at ``first`` (laid out on the wall clock of ``zone``);
    None for anything else."""
    drawn = parse_series_rule(recurrence)
    if drawn is not None or len(recurrence) != 1 or not recurrence[0].startswith("RRULE:"):
        return drawn
    parts = dict(part.partition("=")[::2] for part in recurrence[0][len("RRULE:") :].split(";"))
    if set(parts) != {"FREQ", "UNTIL"} or parts["FREQ"] not in STEP_DAYS:
        return None
    step = timedelta(days=STEP_DAYS[parts["FREQ"]])
    until = parts["UNTIL"]
    if isinstance(first, datetime):
        local = zoneinfo.ZoneInfo(zone)
        if len(until) == 8:
            # A date beside a timed start, which RFC 5545 does not allow: Google keeps the
            # one a person's change of the start left (the sync writes it again as a UTC
            # time once it merges the series), and both calendars lay it out to the end of
            # that day in the series' zone.
            day = datetime.strptime(until, "%Y%m%d")
            last = day.replace(hour=23, minute=59, second=59, tzinfo=local)
        else:
            last = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        wall = first.astimezone(local).replace(tzinfo=None)
        count = 0
        while (wall + count * step).replace(tzinfo=local) <= last:
            count += 1
    else:
        last_day = datetime.strptime(until[:8], "%Y%m%d").date()
        count = (last_day - first).days // step.days + 1
    return (parts["FREQ"], count) if count > 0 else None


def over_by(fields: MeetingFields, moment: datetime) -> bool:
    """Whether the meeting has ended by ``moment`` (DESIGN.md §3's window): a series when
    its last occurrence has (a series whose rule the machine does not draw goes on for
    ever). All-day ends are read as UTC midnight."""
    step = timedelta()
    if fields.recurrence:
        start = fields.start
        if isinstance(start, TimedMoment):
            rule = series_rule_of(fields.recurrence, start.at, start.zone)
        else:
            rule = series_rule_of(fields.recurrence, start, "UTC")
        if rule is None:
            return False
        freq, count = rule
        step = timedelta(days=STEP_DAYS[freq] * (count - 1))
    end = fields.end
    if isinstance(end, TimedMoment):
        # Added on the wall clock of the meeting's zone, as the rule is expanded.
        return end.at.astimezone(zoneinfo.ZoneInfo(end.zone)) + step <= moment
    return datetime.combine(end + step, time.min, tzinfo=UTC) <= moment


# -- places in a series -----------------------------------------------------------------------


def _wall(moment: datetime | date, zone: str) -> datetime:
    if isinstance(moment, datetime):
        return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    return datetime.combine(moment, time.min)


def place_in_series(first: datetime | date, original: datetime | date, zone: str, freq: str) -> int:
    """Which occurrence (0 for the first) starts at ``original`` in a series whose first one
    starts at ``first`` (rules are expanded in the wall time of the series' zone)."""
    step = timedelta(days=STEP_DAYS[freq])
    return round((_wall(original, zone) - _wall(first, zone)) / step)


def slot_start(series: Meeting, freq: str, place: int) -> datetime | date:
    """The start of the series' occurrence number ``place``, as ``Shown`` writes it."""
    days = timedelta(days=STEP_DAYS[freq] * place)
    if series.all_day:
        assert series.start_date is not None
        return series.start_date + days
    zone = zoneinfo.ZoneInfo(series.time_zone)
    wall = series.start.astimezone(zone).replace(tzinfo=None) + days
    return _utc(wall.replace(tzinfo=zone))


def apart_from_days(series: Meeting, original: datetime) -> bool:
    """Whether an occurrence row's original start names no occurrence of its series: its
    time of day (on the series' wall clock) is not the series' (midnight for an all-day
    one), as a row keeps its time of day when its series changes kind."""
    zone = zoneinfo.ZoneInfo(series.time_zone)
    at = time.min if series.all_day else series.start.astimezone(zone).time()
    return original.astimezone(zone).time() != at


def google_apart_from_days(series: dict[str, Any], instance: dict[str, Any]) -> bool:
    """Whether an exception's original start is of the other kind than its series' start
    (a date beside a timed series, a time beside an all-day one): it names no instance."""
    original = instance.get("originalStartTime", {})
    return bool(original.get("date")) != bool(series.get("start", {}).get("date"))


def crm_rule(series: Meeting) -> tuple[str, int] | None:
    if series.all_day and series.start_date is not None:
        return series_rule_of(series.recurrence or [], series.start_date, series.time_zone)
    return series_rule_of(series.recurrence or [], series.start, series.time_zone)


def google_rule(event: dict[str, Any]) -> tuple[str, int] | None:
    if "start" not in event:
        return parse_series_rule(event.get("recurrence") or [])
    zone = event["start"].get("timeZone") or "UTC"
    return series_rule_of(event.get("recurrence") or [], google_first_start(event), zone)


def google_first_start(event: dict[str, Any]) -> datetime | date:
    start = event["start"]
    if "date" in start:
        return date.fromisoformat(start["date"])
    return datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))


def google_original_start(instance: dict[str, Any]) -> datetime | date:
    original = instance["originalStartTime"]
    if "date" in original:
        return date.fromisoformat(original["date"])
    return datetime.fromisoformat(original["dateTime"].replace("Z", "+00:00"))


# -- the record of occurrences changed or cancelled alone ---------------------------------


@dataclass
class Slot:
    """One occurrence changed or cancelled alone: how people left it (``changed`` with the
    values last given, or ``cancelled``), and who acted on it since the last clean sync."""

    state: str
    values: dict[str, Any] = field(default_factory=dict)
    sides: set[str] = field(default_factory=set)

    @property
    def contested(self) -> bool:
        """Both sides acted on it between two clean syncs: the merge decides (checked by
        the sides' agreement, not here)."""
        return len(self.sides) > 1


@dataclass
class SeriesChanges:
    """What happened to a series as a whole since the last clean sync: moved or deleted on
    which side."""

    moved_by: set[str] = field(default_factory=set)
    deleted_by: set[str] = field(default_factory=set)
    kind_by: set[str] = field(default_factory=set)  # made all-day or timed
    # A run (not a clean one) went by since the change of kind: Google may have moved its
    # exceptions with it already.
    run_since_kind: bool = False
    # Whether the series was all-day before the CRM's first change of kind since the last
    # clean sync (None: no such change).
    all_day_before_kind: bool | None = None

    def second_kind_change_in_crm(self) -> bool:
        """The series may be made all-day or timed again in the CRM: changed in kind there
        alone, no run since, and all-day before that. Google sees only the series as the
        changes leave it, and moves its exceptions by that one change; the CRM's rows follow
        each change. Both come to the same place for an exception that names a day (moved
        by days either way), but not for one that names a time: Google moves it on the wall
        clock (09:00 to 10:00 for a series moved from 09:00 to 10:00), while the CRM's row,
        moved by days through the all-day step, keeps 09:00 (the known limit of
        docs/sync-rules.md; test_db_machine_oracle.py::
        test_a_place_cancelled_again_between_two_changes_of_kind_is_predicted is the other
        path)."""
        return (
            self.kind_by == {"crm"} and not self.run_since_kind and bool(self.all_day_before_kind)
        )


@dataclass
class Apart:
    """An occurrence changed alone that its series' change of kind left apart from the
    series' days: the place it was made for (to know whether it is in the window), the
    values people left it with, and the CRM row found showing it (None before a check)."""

    place: int
    values: dict[str, Any]
    row: int | None = None


@dataclass
class Slots:
    """By series (the machine's item: a meeting id, or an event key before import), by
    place: the occurrences people changed or cancelled alone; and the ones a change of
    kind left apart from the series' days."""

    by_series: dict[Any, dict[int, Slot]] = field(default_factory=dict)
    apart: dict[Any, list[Apart]] = field(default_factory=dict)
    # Series made all-day or timed some time: only theirs may have rows apart from the days.
    kind_changed: set[Any] = field(default_factory=set)
    # By series, by place and the time of day their rows keep: the cancellations a change of
    # kind in the CRM left apart since the last clean sync, and what the slot was
    # ("cancelled", or "unknown"); SeriesMachine._kept_by_crm_change_of_kind. One place may
    # have two (cancelled at 09:00, then again at midnight once the series was all-day).
    hidden_apart: dict[Any, dict[tuple[int, time], str]] = field(default_factory=dict)

    def act(
        self,
        series: Any,
        place: int,
        side: str,
        state: str,
        values: dict[str, Any] | None = None,
    ) -> None:
        slots = self.by_series.setdefault(series, {})
        slot = slots.get(place)
        if slot is None:
            slot = slots[place] = Slot(state)
        if state != slot.state:
            slot.values = {}
        slot.state = state
        slot.values = {**slot.values, **(values or {})}
        slot.sides.add(side)

    def has_any(self, series: Any) -> bool:
        return bool(self.by_series.get(series))

    def shorten(self, series: Any, count: int) -> None:
        """The rule now ends after ``count`` occurrences: later ones are no longer places of
        the series (what becomes of a changed one there is left to the sides' agreement)."""
        slots = self.by_series.get(series, {})
        for place in [place for place in slots if place >= count]:
            del slots[place]
        if series in self.apart:
            self.apart[series] = [kept for kept in self.apart[series] if kept.place < count]

    def kind_changed_in_google(self, series: Any) -> None:
        """The series was made all-day or timed in Google: each occurrence changed alone
        stands apart from the series' days, and each cancelled one hides nothing any more
        (its day shows again)."""
        self.kind_changed.add(series)
        slots = self.by_series.pop(series, {})
        self.apart.setdefault(series, []).extend(
            Apart(place, dict(slot.values))
            for place, slot in sorted(slots.items())
            if slot.state == "changed"
        )

    def rekey(self, resolve: Any) -> None:
        merged: dict[Any, dict[int, Slot]] = {}
        for series, slots in self.by_series.items():
            merged.setdefault(resolve(series), {}).update(slots)
        self.by_series = merged
        apart: dict[Any, list[Apart]] = {}
        for series, kept in self.apart.items():
            apart.setdefault(resolve(series), []).extend(kept)
        self.apart = apart
        self.kind_changed = {resolve(series) for series in self.kind_changed}
