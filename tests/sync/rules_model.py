"""An independent model of the sync rules, for the database convergence machine: what each
item must look like after one clean sync, and what each Google write it sends may carry.

Written from DESIGN.md §3 and docs/sync-rules.md (the merge rule, the decision tables),
not from the engine: it imports nothing from ``tandem.sync`` but the storage models, and
reads Google's event JSON and the CRM's rows itself (``Shape``).

What it covers, for each item before a clean sync (``predict``):

- a linked plain meeting or series (the series as a whole; not its occurrence rows, which
  series_rules.py checks): the field-level three-way merge against the link's base (a
  field changed on one side takes that side's value, a field changed on both sides to
  different values is a conflict the later edit wins, by Meeting ``updated_at`` against
  Google's ``updated``, a tie going to the CRM, and is recorded, and nothing else is; a
  merged rule's UNTIL of the merged start's type, ``until_of_kind``, and its last day
  beside a start moved on the other side, ``until_moved``);
  an edit beats a deletion on either side, an unchanged item follows a deletion; a
  read-only calendar's copy wins;
  a pushed meeting that is private while private sync is off leaves Google and stays in
  the CRM;
- a linked plain meeting whose base and both sides (a cancelled event has none) ended
  more than ``EDGE_MARGIN`` before the window's start: left alone, whatever either side did
  to it (DESIGN.md §3, "Window everywhere"): the meeting, the event and the link are as
  they were, and no conflict is recorded;
- a linked plain meeting whose base ended more than ``EDGE_MARGIN`` before the window's start
  while one side or both were edited back into the window (clear of the edge): the rules
  of the first item, against that old base (docs/sync-rules.md, "changed outside the
  window": a change that brings either side into the window falls through to the rows
  below): the merge, an edit beats a deletion, read-only, private;
- a meeting never pushed: in the target calendar after the sync if it is in the window and
  not private with private sync off, nowhere in Google otherwise; a series "this and
  following" cut from a series linked in a writable synced calendar goes to that calendar
  instead;
- an event never imported from an inbound calendar: a meeting (read-only if the calendar
  is) if it is in the window, nothing otherwise;
- the mass-delete breaker: a sync whose plan deletes more than 10 and more than 20% of a
  calendar's synced meetings, in either direction, asks first; one that deletes 10 or
  fewer in every calendar and direction does not, unless a full listing of a calendar may
  come back empty while a link of it may be in the window (a calendar whose links are all
  old pairs, listed empty, asks nothing); its question lists meetings whose deletion the
  rules plan, each with the side where the user deleted it.

And for every Calendar API write of the sync (``check_writes``): ``sendUpdates=none``; no
PUT; an insert carries the mapped fields, its id and our marker only; a PATCH sets only
mapped fields (or undeletes with ``status``), each of which it changes, with ``If-Match``;
a DELETE has ``If-Match``.

What it leaves to the machine's other checks (it makes no prediction there): occurrences
changed or cancelled alone and instances of a series; a series whose first occurrence
ends before the window (whether its later occurrences put it in the window is
test_found_by_machine.py::test_an_ongoing_series_that_began_before_the_window_is_imported);
a linked item whose base or either side ends within ``EDGE_MARGIN`` of the window's start
(before or after it), or that is a series on a side out of the window; a link Google's copy of
which is missing or that is being removed (``leaving``); meetings with our event but no
link (a crash between a write and its link), tombstones without a link, events that carry
our marker but no link; calendars picked or un-picked in this sync; a sync during which
the person edited Google or saved their settings (the clean sync after it is predicted:
it must apply the settings saved meanwhile).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth.models import User

from tandem.meetings.models import Meeting
from tandem.sync.models import EventLink, SyncConflict

# The model's own copy of the documented constants.
UNTITLED = "(No title)"
SUBJECT_MAX, LOCATION_MAX, DESCRIPTION_MAX = 1024, 1024, 8192
MARKER_KEY = "tandemMeetingId"
PRIVATE = frozenset({"private", "confidential"})
BREAKER_SHARE, BREAKER_FLOOR = 0.20, 10
EDGE_MARGIN = timedelta(minutes=2)
GROUPS: tuple[tuple[str, ...], ...] = (
    ("subject",),
    ("start", "end"),
    ("description",),
    ("location",),
    ("visibility",),
    ("recurrence",),
)
GOOGLE_KEYS = {
    "subject": "summary",
    "start": "start",
    "end": "end",
    "description": "description",
    "location": "location",
    "visibility": "visibility",
    "recurrence": "recurrence",
}

Bound = tuple[str, Any, str]  # ("date", date, "") or ("at", UTC datetime to the second, zone)


@dataclass(frozen=True)
class Shape:
    """The six mapped fields and the rule, as the model compares them."""

    subject: str
    start: Bound
    end: Bound
    description: str
    location: str
    visibility: str
    recurrence: tuple[str, ...]

    def group(self, names: tuple[str, ...]) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in names)

    @property
    def private(self) -> bool:
        return self.visibility in PRIVATE

    def ends_before(self, moment: datetime) -> bool:
        kind, value, _ = self.end
        end = datetime.combine(value, time.min, tzinfo=UTC) if kind == "date" else value
        return bool(end <= moment)


def _bound_of_event(moment: dict[str, Any], calendar_zone: str, start_zone: str | None) -> Bound:
    if "date" in moment:
        return ("date", date.fromisoformat(moment["date"]), "")
    at = datetime.fromisoformat(moment["dateTime"].replace("Z", "+00:00"))
    zone = start_zone or moment.get("timeZone") or calendar_zone
    return ("at", at.astimezone(UTC).replace(microsecond=0), zone)


def google_shape(event: dict[str, Any], calendar_zone: str) -> Shape:
    """An event as the CRM must read it (docs/sync-rules.md, "Values and comparisons")."""
    start = _bound_of_event(event["start"], calendar_zone, None)
    return Shape(
        subject=(str(event.get("summary") or "")[:SUBJECT_MAX].strip() or UNTITLED),
        start=start,
        end=_bound_of_event(event["end"], calendar_zone, start[2] or None),
        description=str(event.get("description") or "")[:DESCRIPTION_MAX],
        location=str(event.get("location") or "")[:LOCATION_MAX],
        visibility=str(event.get("visibility") or "default"),
        recurrence=tuple(event.get("recurrence") or ()),
    )


def crm_shape(meeting: Meeting) -> Shape:
    if meeting.all_day:
        assert meeting.start_date is not None and meeting.end_date is not None
        start: Bound = ("date", meeting.start_date, "")
        end: Bound = ("date", meeting.end_date, "")
    else:
        zone = meeting.time_zone
        start = ("at", meeting.start.astimezone(UTC).replace(microsecond=0), zone)
        end = ("at", meeting.end.astimezone(UTC).replace(microsecond=0), zone)
    return Shape(
        subject=meeting.subject,
        start=start,
        end=end,
        description=meeting.description,
        location=meeting.location,
        visibility=meeting.visibility,
        recurrence=tuple(meeting.recurrence or ()),
    )


def merge(
    base: Shape, crm: Shape, google: Shape, *, crm_at: datetime | None, google_at: datetime | None
) -> tuple[Shape, dict[tuple[str, ...], str]]:
    """The merge rule (docs/sync-rules.md, "The merge rule"), group by group: the merged
    shape, and for each conflicting group the side that won."""
    later_google = crm_at is not None and google_at is not None and google_at > crm_at
    values: dict[str, Any] = {}
    conflicts: dict[tuple[str, ...], str] = {}
    for names in GROUPS:
        crm_v, google_v, base_v = crm.group(names), google.group(names), base.group(names)
        if crm_v == google_v or google_v == base_v:
            chosen = crm_v
        elif crm_v == base_v:
            chosen = google_v
        else:
            winner = "google" if later_google else "crm"
            conflicts[names] = winner
            chosen = google_v if later_google else crm_v
        values.update(zip(names, chosen, strict=True))
    # docs/sync-rules.md, "The merge rule": the rule may come from one side and the start
    # from the other; its UNTIL takes the start's type, in the series' zone (the start's,
    # or the zone of a side that was timed; all-day on both sides, the rule stays).
    kind, _, zone = values["start"]
    zone = zone or next((s.start[2] for s in (crm, google) if s.start[2]), "")
    # A timed rule from one side beside a timed start moved on the other keeps its last day;
    # a side holding both is left as it holds them (the same section).
    holders = [s.start for s in (crm, google) if s.recurrence == values["recurrence"]]
    own = next((bound for bound in holders if bound[0] == "at"), None)
    if zone:
        values["recurrence"] = until_of_kind(
            values["recurrence"], all_day=kind == "date", zone=zone
        )
    if kind == "at" and own is not None and values["start"] not in holders:
        values["recurrence"] = until_moved(values["recurrence"], own=own, start=values["start"])
    return Shape(**values), conflicts


_UNTIL = re.compile(r"(?<![^:;])(UNTIL=)(\d{8})(T\d{6}Z)?(?=;|$)", re.IGNORECASE)


def until_of_kind(lines: tuple[str, ...], *, all_day: bool, zone: str) -> tuple[str, ...]:
    """The rule's UNTIL of the type RFC 5545 §3.3.10 wants beside the series' start (the
    model's own copy): an all-day series ends on a date, a timed one at a UTC time; a date
    becomes the last second of that day in ``zone``, a UTC time its day in ``zone``."""
    local = zoneinfo.ZoneInfo(zone)

    def written(found: re.Match[str]) -> str:
        day = datetime.strptime(found[2], "%Y%m%d").date()
        if all_day and found[3]:
            at = datetime.strptime(found[2] + found[3], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return f"{found[1]}{at.astimezone(local):%Y%m%d}"
        if not all_day and not found[3]:
            last = datetime.combine(day, time(23, 59, 59), tzinfo=local).astimezone(UTC)
            return f"{found[1]}{last:%Y%m%dT%H%M%SZ}"
        return found[0]

    return tuple(
        _UNTIL.sub(written, line) if line.upper().startswith(("RRULE:", "EXRULE:")) else line
        for line in lines
    )


def until_moved(lines: tuple[str, ...], *, own: Bound, start: Bound) -> tuple[str, ...]:
    """A timed rule's UTC UNTIL, written for the start ``own``, beside ``start`` (the
    model's own copy): the day of the last occurrence it kept for ``own`` (UNTIL's day on
    that start's wall clock, the day before when UNTIL comes before its time of day), and
    if ``start`` would keep another day, the last second of that day in ``start``'s zone."""

    def last_day(until: datetime, bound: Bound) -> date:
        zone = zoneinfo.ZoneInfo(bound[2])
        wall, first = until.astimezone(zone), bound[1].astimezone(zone)
        return wall.date() if wall.time() >= first.time() else wall.date() - timedelta(days=1)

    def written(found: re.Match[str]) -> str:
        if not found[3]:
            return found[0]
        until = datetime.strptime(found[2] + found[3], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        day = last_day(until, own)
        if last_day(until, start) == day:
            return found[0]
        end = datetime.combine(day, time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(start[2]))
        return f"{found[1]}{end.astimezone(UTC):%Y%m%dT%H%M%SZ}"

    return tuple(
        _UNTIL.sub(written, line) if line.upper().startswith(("RRULE:", "EXRULE:")) else line
        for line in lines
    )


def kept_its_last_day(found: tuple[str, ...], edited: tuple[str, ...], *, zone: str) -> bool:
    """``found`` is the ``edited`` rule whose UTC UNTILs ``until_moved`` may have rewritten
    (the start moved on the other side, which an edit alone does not say): the same lines
    but for UNTILs, each as edited or the last second of a day in the series' ``zone``."""

    def untils(lines: tuple[str, ...]) -> list[str]:
        return [match[0] for line in lines for match in _UNTIL.finditer(line)]

    def blank(lines: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_UNTIL.sub("UNTIL=", line) for line in lines)

    if blank(found) != blank(edited) or len(untils(found)) != len(untils(edited)):
        return False
    local = zoneinfo.ZoneInfo(zone)
    for now, before in zip(untils(found), untils(edited), strict=True):
        if now == before:
            continue
        at = datetime.strptime(now.split("=", 1)[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if at.astimezone(local).time() != time(23, 59, 59):
            return False
    return True


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- what an item must look like after the sync ------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One item after a clean sync. ``outcome``: "both" (alive and alike on both sides,
    linked), "crm only" (alive in the CRM, not live in Google, no link), "gone" (deleted on
    both sides, no link), "nowhere in google" (a CRM meeting that must not be pushed),
    "not imported" (an event the CRM must not take), "left alone" (a linked pair outside
    the window: nothing written on either side)."""

    why: str
    outcome: str
    calendar_id: str
    meeting_id: int | None = None
    event_id: str | None = None
    shape: Shape | None = None
    read_only: bool = False
    conflicts: dict[tuple[str, ...], str] = field(default_factory=dict)
    # Counted by the breaker: the deletion it makes, and where it is copied to.
    deletes_in: str | None = None
    # "left alone": the meeting's version, the event's etag and the link's base before the
    # sync, which nothing may change.
    kept: tuple[int, str, dict[str, Any]] | None = None


@dataclass
class Prediction:
    taken_at: datetime
    items: list[Expected]
    links_before: dict[str, int]  # calendar -> links
    new_links: dict[str, int]  # calendar -> links the sync may add
    unpredicted: dict[str, int]  # calendar -> links whose deletions the model cannot tell
    # A calendar's full listing may come back empty while a link of it may be in the window
    # (_pair_in_window_possible): the breaker may then ask, below its floor.
    empty_listing_possible: bool
    events: dict[str, dict[str, dict[str, Any]]]  # calendar -> id -> event, before the sync

    def breaker_counts(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for item in self.items:
            if item.deletes_in is not None:
                key = (item.calendar_id, item.deletes_in)
                counts[key] = counts.get(key, 0) + 1
        return counts

    def must_trip(self) -> bool:
        return any(
            deletes > BREAKER_FLOOR
            and deletes
            > BREAKER_SHARE * (self.links_before.get(cal, 0) + self.new_links.get(cal, 0))
            for (cal, _), deletes in self.breaker_counts().items()
        )

    def must_not_trip(self) -> bool:
        counts = self.breaker_counts()
        quiet = all(
            counts.get((cal, side), 0) + self.unpredicted.get(cal, 0) <= BREAKER_FLOOR
            for cal in {*self.links_before, *self.unpredicted}
            for side in ("crm", "google")
        )
        return quiet and not self.empty_listing_possible


@dataclass
class World:
    """What the model is told about the user's settings (the machine knows them)."""

    user: User
    synced: tuple[str, ...]  # inbound calendars, after this sync's settings changes
    target: str
    read_only: frozenset[str]
    zones: dict[str, str]
    private_sync: bool
    events: Callable[[str], dict[str, dict[str, Any]]]  # the person's listing, by id
    marker_meeting: Callable[[dict[str, Any]], int | None]  # whose marker an event carries
    now: datetime


def _home(
    world: World, meeting: Meeting, meetings: dict[int, Meeting], links: list[EventLink]
) -> str | None:
    """The calendar a meeting never pushed goes to (docs/sync-rules.md, "Which calendar a
    CRM meeting belongs in"): a series "this and following" cut from a series linked in a
    calendar synced and writable goes there; anything else to the target. None: no
    prediction (the parent's link may go in this very sync: the parent is deleted, or its
    event cancelled)."""
    parent = meetings.get(meeting.split_from_id or 0)
    found = [
        link
        for link in links
        if parent is not None
        and link.meeting_id == parent.pk
        and link.calendar_id in world.synced
        and link.calendar_id not in world.read_only
    ]
    if not found:
        return world.target
    link = found[0]
    event = world.events(link.calendar_id).get(link.event_id)
    gone = event is None or event.get("status") == "cancelled"
    if parent is None or parent.deleted_at is not None or gone or link.leaving:
        return None
    return link.calendar_id


def _window_start(world: World) -> datetime:
    """DESIGN.md §3: the sync window is the past 30 days and the whole future."""
    return world.now - timedelta(days=30)


def predict(world: World) -> Prediction:
    window = _window_start(world)
    meetings = {m.pk: m for m in Meeting.objects.filter(owner=world.user)}
    imported = {m.pk: m.import_key for m in meetings.values() if m.import_key is not None}
    links = list(EventLink.objects.filter(owner=world.user))
    linked_meetings = {link.meeting_id for link in links}
    events = {cal: world.events(cal) for cal in world.synced}
    items: list[Expected] = []
    new_links: dict[str, int] = {}
    unpredicted: dict[str, int] = {}  # links the model makes no prediction for
    marked = {
        world.marker_meeting(event)
        for cal_events in events.values()
        for event in cal_events.values()
    }

    def clear_of_edge(*shapes: Shape | None) -> bool:
        return all(shape is None or not shape.ends_before(window + EDGE_MARGIN) for shape in shapes)

    for link in links:
        cal = link.calendar_id
        if cal not in world.synced:
            continue
        expected = _linked(world, link, meetings.get(link.meeting_id), events[cal], clear_of_edge)
        if expected is not None:
            items.append(expected)
        else:
            unpredicted[cal] = unpredicted.get(cal, 0) + 1

    # Meetings never pushed.
    for meeting in meetings.values():
        if (
            meeting.pk in linked_meetings
            or meeting.pk in imported
            or meeting.pk in marked
            or meeting.series_id is not None
            or meeting.deleted_at is not None
            or meeting.read_only
        ):
            continue
        calendar = _home(world, meeting, meetings, links)
        if calendar is None or calendar in world.read_only:
            continue
        crm = crm_shape(meeting)
        if crm.recurrence and crm.ends_before(window + EDGE_MARGIN):
            continue  # A series that began before the window: see the module's docstring.
        if crm.ends_before(window - EDGE_MARGIN) or (crm.private and not world.private_sync):
            items.append(Expected("not pushed", "nowhere in google", calendar, meeting.pk))
        elif clear_of_edge(crm):
            items.append(Expected("new meeting", "both", calendar, meeting.pk, shape=crm))
            new_links[world.target] = new_links.get(world.target, 0) + 1

    # Events never imported.
    known_keys = set(imported.values())  # "<calendar>/<event>": core/identity.py import_key_of
    linked_events = {(link.calendar_id, link.event_id) for link in links}
    for cal in world.synced:
        for event_id, event in events[cal].items():
            if (
                (cal, event_id) in linked_events
                or f"{cal}/{event_id}" in known_keys
                or event.get("status") == "cancelled"
                or event.get("recurringEventId")
                or MARKER_KEY in (event.get("extendedProperties") or {}).get("private", {})
            ):
                continue
            google = google_shape(event, world.zones[cal])
            read_only = cal in world.read_only
            if google.recurrence and google.ends_before(window + EDGE_MARGIN):
                continue  # A series that began before the window: see the module's docstring.
            if google.ends_before(window - EDGE_MARGIN):
                items.append(Expected("old event", "not imported", cal, event_id=event_id))
            elif clear_of_edge(google):
                items.append(Expected("new event", "both", cal, None, event_id, google, read_only))
                new_links[cal] = new_links.get(cal, 0) + 1

    links_before: dict[str, int] = {}
    for link in links:
        links_before[link.calendar_id] = links_before.get(link.calendar_id, 0) + 1
    empty_possible = any(
        _pair_in_window_possible(links, cal, window)
        and not any(
            not google_shape(e, world.zones[cal]).ends_before(window + EDGE_MARGIN)
            for e in events[cal].values()
            if "start" in e
        )
        for cal in world.synced
    )
    return Prediction(
        world.now, items, links_before, new_links, unpredicted, empty_possible, events
    )


def _pair_in_window_possible(links: list[EventLink], cal: str, window: datetime) -> bool:
    """Whether a full listing of ``cal`` that comes back empty may make the breaker ask: only
    a link whose base may end in the window (docs/sync-rules.md, "The breaker"). A link
    whose base ended before it is left out of the listing (``timeMin``) and its absence is
    no deletion (the row "event out of the window"), so a calendar of old pairs only, listed
    empty, asks nothing. Erring towards "possible": within ``EDGE_MARGIN`` of the window's
    start, a series (the model reads its first occurrence only) or an unreadable base."""
    past = window - EDGE_MARGIN
    for link in links:
        if link.calendar_id != cal:
            continue
        base = _shape_from_base(link.base)
        if base is None or not _out_of_window(base, past):
            return True
    return False


def _linked(
    world: World,
    link: EventLink,
    meeting: Meeting | None,
    events: dict[str, dict[str, Any]],
    clear_of_edge: Callable[..., bool],
) -> Expected | None:
    """The linked table of docs/sync-rules.md, for the items the model covers."""
    cal = link.calendar_id
    event = events.get(link.event_id)
    if (
        meeting is None
        or event is None
        or "start" not in event
        or link.leaving
        or meeting.series_id is not None
        or event.get("recurringEventId")
    ):
        return None
    base = _shape_from_base(link.base)
    crm = crm_shape(meeting)
    google = google_shape(event, world.zones[cal])
    crm_alive = meeting.deleted_at is None
    google_alive = event.get("status") != "cancelled"
    if base is None:
        return None
    # A cancelled event has no times of its own to bring it back into the window.
    sides = (base, crm, google) if google_alive else (base, crm)
    past = _window_start(world) - EDGE_MARGIN
    if all(_out_of_window(shape, past) for shape in sides):
        # DESIGN.md §3 "Window everywhere": outside the window on both sides, an edit or a
        # deletion on either side writes nothing. (A series is left out: the model reads
        # only its first occurrence, see the module's docstring.)
        kept = (meeting.version, str(event.get("etag")), dict(link.base))
        return Expected(
            "changed outside the window",
            "left alone",
            cal,
            meeting.pk,
            link.event_id,
            crm,
            cal in world.read_only,
            kept=kept,
        )
    if not clear_of_edge(base, crm, google) and not (
        # docs/sync-rules.md, "changed outside the window": a change that brings either side
        # back into the window falls through to the rules below, against the old base.
        _out_of_window(base, past)
        and all(clear_of_edge(shape) or _out_of_window(shape, past) for shape in (crm, google))
    ):
        return None
    read_only = cal in world.read_only
    writable = not read_only

    def must_leave(shape: Shape) -> bool:
        return (
            link.origin == EventLink.Origin.CRM
            and shape.private
            and not world.private_sync
            and writable
        )

    def ending(why: str, shape: Shape, conflicts: dict[tuple[str, ...], str] | None = None):  # type: ignore[no-untyped-def]
        outcome = "crm only" if must_leave(shape) else "both"
        return Expected(
            why, outcome, cal, meeting.pk, link.event_id, shape, read_only, conflicts or {}
        )

    google_changed = google_alive and event.get("etag") != link.etag and google != base
    crm_changed = crm != base
    if not crm_alive:
        if not google_alive:
            return Expected("deleted on both sides", "gone", cal, meeting.pk, link.event_id)
        if read_only:
            return ending("read-only calendar, Google's copy returns", google)
        if google_changed:
            return ending("a Google edit beats the CRM's deletion", google)
        return Expected(
            "deleted in the CRM", "gone", cal, meeting.pk, link.event_id, deletes_in="google"
        )
    if not google_alive:
        if must_leave(crm):
            return Expected(
                "private, out of Google", "crm only", cal, meeting.pk, link.event_id, crm
            )
        if read_only or not crm_changed:
            return Expected(
                "deleted in Google", "gone", cal, meeting.pk, link.event_id, deletes_in="crm"
            )
        return ending("a CRM edit beats Google's deletion", crm)
    if read_only:
        return ending("read-only calendar: Google's copy wins", google)
    merged, conflicts = merge(
        base,
        crm,
        google,
        crm_at=meeting.updated_at,
        google_at=_timestamp(event.get("updated")),
    )
    return ending("merged", merged, conflicts)


def _out_of_window(shape: Shape, past: datetime) -> bool:
    """Ended before ``past`` (the window's start less the margin); never a series, whose
    window is its last occurrence's while the model reads only its first."""
    return not shape.recurrence and shape.ends_before(past)


def _shape_from_base(base: dict[str, Any] | None) -> Shape | None:
    """The link's base (stored JSON of the last agreed fields), read by the model."""
    if not base:
        return None
    try:
        bounds = []
        for name in ("start", "end"):
            value = base[name]
            if isinstance(value, dict) and "at" in value:
                at = datetime.fromisoformat(value["at"]).astimezone(UTC).replace(microsecond=0)
                bounds.append(("at", at, value["zone"]))
            else:
                text = value["date"] if isinstance(value, dict) else value
                bounds.append(("date", date.fromisoformat(text), ""))
        return Shape(
            subject=base["subject"],
            start=bounds[0],
            end=bounds[1],
            description=base.get("description", ""),
            location=base.get("location", ""),
            visibility=base.get("visibility", "default"),
            recurrence=tuple(base.get("recurrence") or ()),
        )
    except (KeyError, TypeError, ValueError):
        return None


# -- checks after the sync ---------------------------------------------------------------


def check(
    prediction: Prediction,
    world: World,
    *,
    asked: bool,
    held: Iterable[dict[str, Any]] = (),
) -> None:
    """Each predicted item is as predicted; the breaker asked (``asked``) when it had to,
    and its question (``held``: the meetings it listed, ``UserSyncState.held_deletions``)
    names meetings the rules delete, each with the side where the user deleted it."""
    if prediction.must_trip():
        assert asked, f"the breaker did not ask: {prediction.breaker_counts()}"
    elif prediction.must_not_trip():
        assert not asked, f"the breaker asked for {prediction.breaker_counts()}"
    _check_held(prediction, list(held), asked=asked)
    links = {
        (link.calendar_id, link.event_id): link
        for link in EventLink.objects.filter(owner=world.user)
    }
    by_meeting = {link.meeting_id: link for link in links.values()}
    events = {cal: world.events(cal) for cal in world.synced}
    conflicts = list(
        SyncConflict.objects.filter(owner=world.user, created_at__gte=prediction.taken_at)
    )
    for item in prediction.items:
        _check_item(item, world, links, by_meeting, events, conflicts)


def _check_held(prediction: Prediction, held: list[dict[str, Any]], *, asked: bool) -> None:
    # Where the user deleted it: a deletion copied to Google was made in the CRM.
    deleted_in = {
        item.meeting_id: "crm" if item.deletes_in == "google" else "google"
        for item in prediction.items
        if item.meeting_id is not None and item.deletes_in is not None
    }
    predicted = {item.meeting_id for item in prediction.items if item.meeting_id is not None}
    for entry in held:
        meeting_id = entry.get("meeting_id")
        if meeting_id not in predicted:
            continue  # An item the model makes no prediction for (see the docstring).
        assert meeting_id in deleted_in, f"the breaker lists meeting {meeting_id}: no deletion"
        assert entry.get("deleted_in") == deleted_in[meeting_id], (
            f"the breaker says meeting {meeting_id} was deleted in {entry.get('deleted_in')}, "
            f"it was deleted in {deleted_in[meeting_id]}"
        )
    if asked and prediction.must_trip():
        assert held, "the breaker asked without listing the meetings concerned"


def _check_item(
    item: Expected,
    world: World,
    links: dict[tuple[str, str], EventLink],
    by_meeting: dict[int, EventLink],
    events: dict[str, dict[str, dict[str, Any]]],
    conflicts: list[SyncConflict],
) -> None:
    what = f"{item.why}: meeting {item.meeting_id} / {item.calendar_id} {item.event_id}"
    link = (
        by_meeting.get(item.meeting_id)
        if item.meeting_id is not None
        else links.get((item.calendar_id, item.event_id or ""))
    )
    meeting = None
    if item.meeting_id is not None:
        meeting = Meeting.objects.filter(pk=item.meeting_id).first()
    elif link is not None:
        meeting = Meeting.objects.filter(pk=link.meeting_id).first()
    event_id = item.event_id or (link.event_id if link is not None else None)
    event = events.get(item.calendar_id, {}).get(event_id or "")
    google_live = event is not None and event.get("status") != "cancelled"
    if item.outcome == "both":
        assert link is not None and link.calendar_id == item.calendar_id, f"{what}: not linked"
        assert meeting is not None and meeting.deleted_at is None, f"{what}: not in the CRM"
        assert event is not None and google_live, f"{what}: not in Google"
        crm, google = crm_shape(meeting), google_shape(event, world.zones[item.calendar_id])
        assert crm == item.shape, f"{what}: the CRM has {crm}, the rules say {item.shape}"
        assert google == item.shape, f"{what}: Google has {google}, the rules say {item.shape}"
        assert meeting.read_only == item.read_only, f"{what}: read-only is {meeting.read_only}"
        unforeseen = {
            c.field
            for c in conflicts
            if c.meeting_id == meeting.pk and not any(c.field in names for names in item.conflicts)
        }
        assert not unforeseen, f"{what}: conflicts recorded on {unforeseen}, the rules see none"
        for names, winner in item.conflicts.items():
            recorded = [c for c in conflicts if c.meeting_id == meeting.pk and c.field in names]
            assert recorded, f"{what}: no conflict recorded for {names}"
            assert all(c.winner == winner for c in recorded), (
                f"{what}: conflict on {names} won by {[c.winner for c in recorded]}, "
                f"the rules say {winner}"
            )
    elif item.outcome == "crm only":
        assert meeting is not None and meeting.deleted_at is None, f"{what}: not in the CRM"
        assert crm_shape(meeting) == item.shape, f"{what}: the CRM has {crm_shape(meeting)}"
        assert link is None, f"{what}: still linked"
        assert not google_live, f"{what}: still in Google"
    elif item.outcome == "gone":
        assert meeting is None or meeting.deleted_at is not None, f"{what}: still in the CRM"
        assert link is None, f"{what}: still linked"
        assert not google_live, f"{what}: still in Google"
    elif item.outcome == "nowhere in google":
        assert link is None, f"{what}: pushed"
        for cal in world.synced:
            for other in events.get(cal, {}).values():
                if other.get("status") != "cancelled" and not other.get("recurringEventId"):
                    assert world.marker_meeting(other) != item.meeting_id, f"{what}: in {cal}"
    elif item.outcome == "not imported":
        assert link is None, f"{what}: imported"
    elif item.outcome == "left alone":
        assert item.kept is not None and meeting is not None and event is not None, what
        version, etag, base = item.kept
        assert meeting.version == version, f"{what}: the CRM's copy was written"
        assert event.get("etag") == etag, f"{what}: Google's copy was written"
        assert link is not None and link.calendar_id == item.calendar_id, f"{what}: unlinked"
        assert link.base == base, f"{what}: its base went from {base} to {link.base}"
        recorded = [c.field for c in conflicts if c.meeting_id == meeting.pk]
        assert not recorded, f"{what}: conflicts recorded on {recorded}"


# -- the sync's writes -------------------------------------------------------------------


def check_writes(writes: Iterable[Any], before: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Every Calendar API write of a sync: ``sendUpdates=none``; no PUT; an insert carries
    only mapped fields, its id and our marker; a PATCH sets only mapped fields (or undeletes
    with ``status``) and only ones it changes, with If-Match; a DELETE has If-Match.
    ``before``: each calendar's events before the sync, by id."""
    current = {cal: dict(events) for cal, events in before.items()}
    for write in writes:
        where = f"{write.method} {write.path} {write.body}"
        assert write.params.get("sendUpdates") == "none", f"{where}: sendUpdates is not none"
        assert write.method != "PUT", f"{where}: a PUT replaces fields the CRM does not map"
        parts = write.path.split("/")  # /calendar/v3/calendars/<cal>/events[/<id>[/move]]
        cal, event_id = parts[4], parts[6] if len(parts) > 6 else None
        if write.method in ("PATCH", "DELETE"):
            assert write.if_match, f"{where}: no If-Match"
        body = write.body or {}
        mapped = set(GOOGLE_KEYS.values())
        if write.method == "POST" and event_id is None:
            # An insert: the mapped fields, our id, and our marker alone (no attendee, no
            # reminder: nothing the CRM does not map, nobody invited).
            assert set(body) <= mapped | {"id", "extendedProperties"}, f"{where}: unmapped"
            marker = (body.get("extendedProperties") or {}).get("private") or {}
            assert set(marker) == {MARKER_KEY}, f"{where}: not marked as the CRM's"
            continue
        if write.method != "PATCH" or event_id is None:
            continue
        allowed = mapped | {"status"} if body.get("status") == "confirmed" else mapped
        assert set(body) <= allowed, f"{where}: writes fields the CRM does not map"
        if not 200 <= write.status < 300:
            continue  # Refused (a 412 is re-read and retried) or unanswered: Google unchanged.
        event = current.get(cal, {}).get(event_id)
        if event is not None and "start" in event and "status" not in body:
            zone = (event.get("start") or {}).get("timeZone") or "UTC"
            was = google_shape(event, zone)
            now = google_shape(_patched(event, body), zone)
            for names in GROUPS:
                keys = {GOOGLE_KEYS[name] for name in names}
                if keys & set(body):
                    assert was.group(names) != now.group(names), (
                        f"{where}: patches {names}, which Google already has"
                    )
        if event is not None:
            current.setdefault(cal, {})[event_id] = _patched(event, body)


def _patched(event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    merged = dict(event)
    for key, value in body.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            inner = {**merged[key], **value}
            merged[key] = {k: v for k, v in inner.items() if v is not None}
        else:
            merged[key] = value
    return merged
