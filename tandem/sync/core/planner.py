"""The decision table: one item (link, CRM meeting, Google event) in, an ``ItemPlan`` out.

Pure: no I/O, no clock. Every branch carries a one-line comment and the same text as the
plan's ``why`` (docs/sync-rules.md lists them as a table). Inputs:

- ``link``: None if the pair never agreed; else the last agreed fields, etag and version.
- ``crm``: None (no such meeting), alive, or a tombstone (``deleted``).
- ``google``: None (not listed), alive, cancelled, or malformed (``problem``).
- ``listing_complete``: a full listing (absence = gone) or an incremental one (absence =
  unchanged since the stored sync token).
"""

from __future__ import annotations

from typing import Protocol

from msgspec.structs import replace

from tandem.sync.core.actions import (
    Action,
    CreateInCrm,
    CreateOccurrence,
    DeleteInCrm,
    DeleteInGoogle,
    DetachOccurrence,
    DiscardRow,
    DropLink,
    ForgetImport,
    HideOccurrence,
    InsertInGoogle,
    ItemPlan,
    MergeIntoRow,
    MoveToTarget,
    PatchGoogle,
    RecordConflict,
    RecordImport,
    RecordProblem,
    SaveLink,
    UpdateCrm,
    WaitForSeries,
)
from tandem.sync.core.event_types import NOT_IMPORTED
from tandem.sync.core.fields import FIELD_NAMES, MeetingFields, changed_field_names
from tandem.sync.core.merge import Side, merge
from tandem.sync.core.state import (
    CrmMeeting,
    GoogleEvent,
    Link,
    SeriesInCrm,
    SlotRow,
    SyncSettings,
)


def plan_item(
    *,
    link: Link | None,
    crm: CrmMeeting | None,
    google: GoogleEvent | None,
    settings: SyncSettings,
    listing_complete: bool,
) -> ItemPlan:
    """Decides what to do with one item (rules: DESIGN.md §3, docs/sync-rules.md)."""
    meeting_id = crm.meeting_id if crm else link.meeting_id if link else None
    event_id = google.event_id if google else link.event_id if link else None

    def plan(why: str, *actions: Action) -> ItemPlan:
        return ItemPlan(meeting_id=meeting_id, event_id=event_id, actions=actions, why=why)

    if google is not None and google.problem is not None:
        # An event we cannot read: say so once, touch nothing, keep the link; the token goes
        # on, as listing it again would read it no better (Google lists it when it changes).
        return plan(
            "malformed event", RecordProblem(google.event_id, google.problem, holds_token=False)
        )
    if google is not None and google.event_type in NOT_IMPORTED:
        if link is None or crm is None or crm.deleted:
            # A working location is no meeting: it stays out of the CRM (event_types.py).
            return plan("working location, not a meeting")
        # One imported before that rule leaves the CRM; Google keeps it.
        return plan(
            "working location leaves the CRM",
            DeleteInCrm(crm.meeting_id, crm.version),
            DropLink(link.meeting_id),
        )
    if google is not None and google.read_only_type and not settings.read_only:
        # Google refuses most changes to its special events: read-only, as if from a
        # calendar the user can only read, so nothing is ever written to them.
        settings = replace(settings, read_only=True)
    if link is None:
        return _plan_unlinked(crm, google, settings, plan)
    return _plan_linked(link, crm, google, settings, listing_complete, plan)


class _Planner(Protocol):
    def __call__(self, why: str, *actions: Action) -> ItemPlan: ...


def _plan_unlinked(
    crm: CrmMeeting | None, google: GoogleEvent | None, settings: SyncSettings, plan: _Planner
) -> ItemPlan:
    if crm is None:
        if google is None:
            # Nothing on either side.
            return plan("nothing to do")
        if google.linked_elsewhere:
            # The same event (iCalUID) reached us through another calendar: one meeting only.
            return plan("same event in another calendar")
        if google.cancelled:
            # The deletion of an event we never had.
            return plan("unknown event cancelled")
        if google.marker_meeting_id is not None:
            # Our own event whose meeting is gone for good: never resurrect it as a copy.
            return plan("our event without its meeting")
        assert google.fields is not None
        if not settings.is_inbound:
            # A target the user does not sync into the CRM: other people's events stay out.
            return plan("not an inbound calendar")
        if settings.window_start is not None and google.fields.ends_before(settings.window_start):
            # An incremental listing brings events from any date: old ones are left alone.
            return plan("event outside the window")
        # A new Google event becomes a new meeting (read-only if the calendar is).
        return plan(
            "new event",
            CreateInCrm(google.event_id, google.fields, read_only=settings.read_only),
            SaveLink(google.fields, origin="google"),
        )
    if crm.deleted:
        if google is None or google.cancelled:
            # A deleted meeting that Google does not have (any more): nothing to do.
            return plan("deleted meeting, nothing in Google")
        if settings.read_only:
            # Read-only calendars never get writes.
            return plan("read-only calendar, deleted meeting")
        assert google.fields is not None
        born_on: Side = "crm" if crm.import_key is None else "google"
        if google.fields != crm.fields:
            # No base to tell who changed what: the live event beats the deletion (no loss).
            return plan(
                "unlinked event beats deletion",
                *_bring_back_in_crm(crm, google, born_on, settings),
            )
        # The event of a meeting deleted before its link was saved, as it was: delete it.
        return plan("deleted meeting, its event left", DeleteInGoogle(google.event_id, google.etag))
    if google is not None and not google.cancelled:
        # A pair whose link was lost (crash after a write): merge without base.
        origin: Side = "crm" if crm.import_key is None else "google"
        return _reconcile(None, crm, google, origin, settings, plan, "paired without link")
    if crm.import_key is not None:
        if google is None:
            # Imported from an event Google no longer has: never pushed as a new event.
            return plan("imported meeting without its event")
        if settings.read_only:
            # Read-only calendars never get writes.
            return plan("read-only calendar, restored meeting")
        # Imported, deleted in Google, then restored in the CRM: undelete its event.
        return plan(
            "restored meeting, undeleting its event",
            PatchGoogle(google.event_id, google.etag, crm.fields, restore=True),
            SaveLink(crm.fields, origin="google"),
        )
    if crm.read_only:
        # A read-only meeting (from a calendar the user cannot write) is never pushed.
        return plan("read-only meeting")
    if crm.home is None and (not settings.is_target or settings.read_only):
        # Only the writable target calendar receives CRM meetings.
        return plan("not the target calendar")
    if crm.home is not None and (crm.home != settings.calendar_id or settings.read_only):
        # A meeting goes to its home calendar only (core/placement.py): a series cut from
        # another calendar's series goes beside it.
        return plan("not its calendar")
    if crm.fields.is_private and not settings.private_sync:
        # Private meetings stay in the CRM unless the user syncs private meetings.
        return plan("private meeting, private sync off")
    if settings.window_start is not None and crm.fields.ends_before(settings.window_start):
        # Past meetings outside the window are not pushed.
        return plan("outside the window")
    if google is not None:
        # Our event was deleted (e.g. the meeting was private for a while): undelete it.
        return plan(
            "push, undeleting our event",
            PatchGoogle(google.event_id, google.etag, crm.fields, restore=True),
            SaveLink(crm.fields, origin="crm"),
        )
    # A new CRM meeting is inserted with its deterministic id.
    return plan(
        "new meeting",
        InsertInGoogle(crm.meeting_id, crm.fields),
        SaveLink(crm.fields, origin="crm"),
    )


def _plan_linked(
    link: Link,
    crm: CrmMeeting | None,
    google: GoogleEvent | None,
    settings: SyncSettings,
    listing_complete: bool,
    plan: _Planner,
) -> ItemPlan:
    out_of_window = settings.window_start is not None and link.base.ends_before(
        settings.window_start
    )
    if google is None and not listing_complete:
        # Not in an incremental listing: unchanged in Google since the last agreement.
        google = GoogleEvent(link.event_id, link.etag, link.base)
    if google is None and out_of_window:
        # Past the window start, a full listing leaves it out: that is no deletion.
        return plan("event out of the window")
    if crm is None and out_of_window:
        # The CRM no longer lists an old meeting: no deletion either.
        return plan("meeting out of the window")
    if (
        out_of_window
        and settings.window_start is not None
        and crm is not None
        and google is not None
        and crm.fields.ends_before(settings.window_start)
        and (google.fields is None or google.fields.ends_before(settings.window_start))
    ):
        # DESIGN.md §3 "Window everywhere": an incremental listing brings changed events
        # from any date, and those outside the window are left alone on both sides: an
        # old event changed or cancelled in Google, an old meeting edited or deleted in
        # the CRM, write nothing. A change that brings either side into the window syncs.
        return plan("changed outside the window")
    google_gone = google is None or google.cancelled
    google_changed = (
        google is not None
        and not google.cancelled
        and google.etag != link.etag
        and google.fields != link.base
    )

    if crm is None or crm.deleted:
        if google_gone:
            # Deleted on both sides: forget the pair.
            return plan("deleted on both sides", DropLink(link.meeting_id))
        assert google is not None and google.fields is not None
        if settings.read_only or google_changed:
            # Read-only calendar (Google rules), or an edit in Google beats the CRM deletion.
            why = (
                "read-only calendar, Google copy returns"
                if settings.read_only
                else "Google edit beats deletion"
            )
            return plan(why, *_bring_back_in_crm(crm, google, link.origin, settings))
        # Deleted in the CRM, untouched in Google: delete the event.
        return plan(
            "deleted in the CRM",
            DeleteInGoogle(google.event_id, google.etag),
            DropLink(link.meeting_id),
        )

    if google_gone:
        if _must_leave_google(crm.fields, link.origin, settings):
            # A private meeting that is out of Google, as it should be: keep it in the CRM.
            return plan("private meeting out of Google", DropLink(link.meeting_id))
        if crm.in_series_out_of_google and not settings.private_sync and not settings.read_only:
            # Its series left Google for privacy and Google cancelled the series' instances
            # with it: nobody deleted this occurrence, it stays in the CRM with its series.
            return plan("occurrence of a private series out of Google", DropLink(link.meeting_id))
        if not link.leaving and (crm.fields == link.base or settings.read_only):
            deletion = (DeleteInCrm(crm.meeting_id, crm.version), DropLink(link.meeting_id))
            if crm.changed_rows and not settings.read_only:
                # A series deleted in Google, untouched in the CRM, goes; the occurrences the
                # CRM changed alone and never pushed stay as meetings of their own (an edit
                # beats a deletion; the outbound pass inserts them as single events).
                return plan(
                    "series deleted in Google, its occurrences changed in the CRM stay",
                    *(DetachOccurrence(row, None) for row in crm.changed_rows),
                    *deletion,
                )
            # Deleted in Google and untouched in the CRM (or read-only): delete the meeting.
            return plan("deleted in Google", *deletion)
        if google is not None and google.series_gone and not link.leaving:
            # Its whole series was deleted in Google, and the CRM changed this occurrence
            # since: an edit beats a deletion, but an instance of a deleted series cannot
            # stand alone in Google, so it becomes a meeting of its own in the CRM (its
            # values kept) and the outbound pass inserts it as a single event.
            return plan(
                "occurrence changed in the CRM outlives its series deleted in Google",
                DetachOccurrence(crm.meeting_id, crm.version),
                DropLink(link.meeting_id),
            )
        # An edit beats a deletion; and a removal we made for privacy is undone once the
        # meeting may be in Google again.
        why = "back in Google after privacy removal" if link.leaving else "CRM edit beats deletion"
        if google is None:
            # The event vanished altogether: insert anew.
            return plan(
                f"{why} (event vanished)",
                InsertInGoogle(crm.meeting_id, crm.fields),
                SaveLink(crm.fields, origin="crm"),
            )
        # The event is cancelled: undelete it.
        return plan(
            why,
            PatchGoogle(google.event_id, google.etag, crm.fields, restore=True),
            SaveLink(crm.fields, origin=link.origin),
        )

    assert google is not None
    must_leave_google = _must_leave_google(crm.fields, link.origin, settings)
    if not google_changed and crm.fields == link.base and not must_leave_google:
        if google.etag == link.etag:
            # Unchanged on both sides (this covers the echo of our own writes).
            return plan("unchanged")
        # Only the etag moved (e.g. reminders): remember it, write nothing.
        return plan("etag moved", SaveLink(link.base, origin=link.origin))
    return _reconcile(link.base, crm, google, link.origin, settings, plan, "merged")


def _bring_back_in_crm(
    crm: CrmMeeting | None, google: GoogleEvent, origin: Side, settings: SyncSettings
) -> tuple[Action, ...]:
    """Restores (or re-creates) the meeting with the event's fields."""
    assert google.fields is not None
    if crm is None:
        restore: Action = CreateInCrm(google.event_id, google.fields, read_only=settings.read_only)
    else:
        restore = UpdateCrm(crm.meeting_id, google.fields, crm.version, restore=True)
    if _must_leave_google(google.fields, origin, settings) and crm is not None:
        # Back in the CRM as a private meeting: it leaves Google at once.
        return restore, *_leave_google(crm.meeting_id, google.fields, google, origin)
    return restore, SaveLink(google.fields, origin=origin)


def _leave_google(
    meeting_id: int, base: MeetingFields, google: GoogleEvent, origin: Side
) -> list[Action]:
    """Removes a pushed meeting's event, the intent saved first: should the delete fail
    after taking effect, the cancelled event then reads as ours, not as a user's deletion."""
    return [
        SaveLink(base, origin=origin, leaving=True),
        DeleteInGoogle(google.event_id, google.etag, keep_in_crm=True),
        DropLink(meeting_id),
    ]


def _must_leave_google(fields: MeetingFields, origin: Side, settings: SyncSettings) -> bool:
    """A meeting we pushed that is private while private sync is off has no place in Google."""
    return (
        origin == "crm"
        and fields.is_private
        and not settings.private_sync
        and not settings.read_only
    )


def _reconcile(
    base: MeetingFields | None,
    crm: CrmMeeting,
    google: GoogleEvent,
    origin: Side,
    settings: SyncSettings,
    plan: _Planner,
    why: str,
) -> ItemPlan:
    """Both sides alive: merge, then write to each side only what differs from the result."""
    assert google.fields is not None
    if settings.read_only:
        # Read-only calendar: Google's version is the truth, nothing is written to Google.
        actions: list[Action] = []
        if crm.fields != google.fields or not crm.read_only:
            # A meeting made editable before its calendar or its event type was known to be
            # read-only becomes read-only, so nobody edits what Google would refuse.
            actions.append(
                UpdateCrm(crm.meeting_id, google.fields, crm.version, read_only=not crm.read_only)
            )
        return plan("read-only calendar", *actions, SaveLink(google.fields, origin=origin))
    result = merge(
        base,
        crm.fields,
        google.fields,
        crm_changed_at=crm.changed_at,
        google_changed_at=google.updated,
    )
    actions = [RecordConflict(result.conflicts)] if result.conflicts else []
    if result.fields != crm.fields:
        actions.append(UpdateCrm(crm.meeting_id, result.fields, crm.version))
    if _must_leave_google(result.fields, origin, settings):
        # A pushed meeting that became private leaves Google and stays in the CRM.
        actions += _leave_google(crm.meeting_id, base or google.fields, google, origin)
        return plan(f"{why}; private meeting leaves Google", *actions)
    if result.fields != google.fields:
        changed = changed_field_names(google.fields, result.fields)
        actions.append(PatchGoogle(google.event_id, google.etag, result.fields, changed))
    return plan(why, *actions, SaveLink(result.fields, origin=origin))


def plan_occurrence(
    *,
    google: GoogleEvent,
    series: SeriesInCrm | None,
    held_by: int | None,
    hidden: bool,
    settings: SyncSettings,
    final: bool,
    crm_row: SlotRow | None = None,
    in_series: bool = True,
    series_moved: bool = False,
) -> ItemPlan:
    """Decides what to do with one occurrence of a recurring event that Google lists on its
    own (changed or cancelled alone: ``recurringEventId``, ``originalStartTime``) and that
    no link holds. ``series``: its series' meeting in the CRM (None if the CRM has none);
    ``held_by``: a row of the CRM that already stands for it (import record or marker),
    ``hidden`` when that row only hides the slot; ``final``: the whole listing was read;
    ``crm_row``: the CRM's own row at that slot, not yet in Google (changed or cancelled
    alone in the CRM since the last sync: both sides changed the occurrence); ``in_series``:
    the CRM's series still has an occurrence at that slot; ``series_moved``: this listing
    returned the series moved in Google since the last agreement.

    Rules (docs/sync-rules.md, "Recurring events"): the occurrence takes its slot in the
    CRM's series, never a meeting of its own while the series is there."""
    assert google.occurrence is not None
    event_id = google.event_id

    def plan(why: str, *actions: Action) -> ItemPlan:
        return ItemPlan(meeting_id=held_by, event_id=event_id, actions=actions, why=why)

    alive = not google.cancelled and google.fields is not None
    if google.event_type in NOT_IMPORTED:
        # An occurrence of a working location is no meeting either.
        return plan("working location, not a meeting")
    if google.read_only_type:
        # An occurrence of a special event is read-only like its series.
        settings = replace(settings, read_only=True)
    if held_by is not None and not (hidden and alive):
        # A row of the CRM stands for it already (cancelled: hidden by its row or tombstone).
        return plan("occurrence already in the CRM")
    if series is None:
        if not final:
            # Listed before its series: wait until the listing has been read.
            return plan("occurrence before its series", WaitForSeries(event_id))
        if not alive:
            # A cancelled occurrence of a series the CRM does not have: nothing to hide.
            return plan("cancelled occurrence without its series")
        assert google.fields is not None
        if not settings.is_inbound:
            # A target the user does not sync into the CRM: other people's events stay out.
            return plan("not an inbound calendar")
        if settings.window_start is not None and google.fields.ends_before(settings.window_start):
            # An occurrence that is over before the window is left alone, like any event.
            return plan("occurrence outside the window")
        # Its series is not in the CRM (out of the window): a meeting of its own.
        return plan(
            "occurrence without its series",
            CreateInCrm(event_id, google.fields, read_only=settings.read_only, replaces=held_by),
            SaveLink(google.fields, origin="google"),
        )
    if series.deleted:
        if not final:
            # A Google edit of the series itself, later in this listing, may bring it back.
            return plan("occurrence of a series deleted in the CRM", WaitForSeries(event_id))
        # Deleted in the CRM with its changed occurrences (meetings.services), as Google
        # cancels a recurring event's exceptions with it: the series' deletion reaches
        # Google in this run and takes this occurrence along.
        return plan("occurrence of a series deleted in the CRM")
    if series_moved and not final:
        # Google names the occurrence on its series as moved, and where the CRM's series
        # starts after this run (Google's move, or the CRM's values that beat it or the
        # series' deletion) is known once the series' plan is written: planned again in
        # the last page's transaction, from the two starts (core/occurrence_slots.py).
        return plan("occurrence of a series moved in Google", WaitForSeries(event_id))
    read_only = series.read_only or settings.read_only
    if crm_row is not None and not read_only:
        return _both_changed_occurrence(google, crm_row, series, settings)
    if not alive and not in_series and not final:
        # Google names an occurrence on its series as Google has it now: a move of the
        # series in this same listing, not in the CRM yet, may give the CRM's series that
        # slot. Planned again once the whole listing is in the CRM.
        return plan("cancelled occurrence before its series' change", WaitForSeries(event_id))
    if not alive and not in_series:
        # Cancelled at a slot the CRM's series no longer has (its rule was cut or shortened:
        # the run deleted the exception Google kept there, and reads that back): nothing
        # to hide.
        return plan("cancelled occurrence the series no longer has")
    if not alive:
        # Cancelled alone: a row that only hides its slot in the series.
        return plan(
            "occurrence cancelled alone", HideOccurrence(event_id, series.meeting_id, read_only)
        )
    assert google.fields is not None
    why = "cancelled occurrence restored" if held_by is not None else "occurrence changed alone"
    # Changed alone (or restored after a cancellation): a row of the series in its slot,
    # linked to its own event so edits flow both ways.
    return plan(
        why,
        CreateOccurrence(event_id, google.fields, series.meeting_id, read_only, replaces=held_by),
        SaveLink(google.fields, origin="google"),
    )


def _both_changed_occurrence(
    google: GoogleEvent, crm_row: SlotRow, series: SeriesInCrm, settings: SyncSettings
) -> ItemPlan:
    """One occurrence changed or cancelled in Google and in the CRM between two syncs."""
    row = crm_row.meeting

    def plan(why: str, *actions: Action) -> ItemPlan:
        return ItemPlan(
            meeting_id=row.meeting_id, event_id=google.event_id, actions=actions, why=why
        )

    if google.cancelled or google.fields is None:
        # Cancelled in Google: the CRM's row goes out as any occurrence changed or cancelled
        # in the CRM (plan_occurrence_out: a change restores the instance, an edit beating
        # a deletion; a cancellation is recorded).
        return plan("occurrence cancelled in Google, changed or cancelled in the CRM too")
    if crm_row.hides:
        # Cancelled in the CRM, changed in Google: an edit beats a deletion (DESIGN.md §3),
        # so Google's occurrence takes the slot in place of the row that hid it.
        return plan(
            "occurrence changed in Google beats its cancellation in the CRM",
            CreateOccurrence(
                google.event_id, google.fields, series.meeting_id, False, replaces=row.meeting_id
            ),
            SaveLink(google.fields, origin="google"),
        )
    # Changed on both sides: merged field by field like any pair (the later edit wins a
    # field both changed), the row linked to its instance, each side written what differs.
    return _reconcile(
        crm_row.base, row, google, "google", settings, plan, "occurrence changed on both sides"
    )


def plan_settings_change(
    *, link: Link, crm: CrmMeeting | None, calendar_synced: bool, target_calendar_id: str
) -> ItemPlan:
    """Decides what a change of the user's settings means for one linked item (DESIGN.md
    §3 "Settings changes"; turning private sync off is a row of ``plan_item``: must leave
    Google). ``calendar_synced``: the link's calendar is still inbound or the target."""

    def plan(why: str, *actions: Action) -> ItemPlan:
        return ItemPlan(
            meeting_id=link.meeting_id, event_id=link.event_id, actions=actions, why=why
        )

    if link.origin == "crm" and link.calendar_id != target_calendar_id:
        if crm is not None and crm.home == link.calendar_id:
            # Its home (core/placement.py): a series cut from one of this calendar's series
            # stays beside it while the calendar is synced and writable.
            return plan("cut series stays beside its first part")
        # A new target calendar receives the meetings we pushed (events.move; where Google
        # refuses the move, the link goes and the meeting is inserted anew).
        return plan(
            "pushed meeting follows the new target", MoveToTarget(link.event_id, target_calendar_id)
        )
    if not calendar_synced:
        # An un-picked calendar takes its Google-created meetings out of the CRM; Google
        # keeps the events (CRM edits were pushed first).
        actions: list[Action] = []
        if crm is not None and not crm.deleted:
            actions.append(DeleteInCrm(crm.meeting_id, crm.version, with_calendar=True))
        return plan(
            "calendar no longer synced",
            *actions,
            DropLink(link.meeting_id),
            ForgetImport(link.meeting_id),
        )
    # Still synced, where it belongs: the passes take it from here.
    return plan("settings change does not concern it")


def plan_occurrence_out(
    *,
    row: CrmMeeting,
    hides: bool,
    instance: GoogleEvent | None,
    recorded: bool,
    held_by: int | None,
    series_origin: Side = "crm",
    in_series: bool = True,
    private_sync: bool = False,
    as_in_series: bool = False,
) -> ItemPlan:
    """Decides how one occurrence changed or cancelled alone in the CRM (a row of its
    series with no link and no import record; ``hides``: a row that only hides a cancelled
    occurrence) reaches Google's instance at its original start (``instance``; instance
    ids are opaque, so it is looked up, never built). ``recorded``: an import record of the
    instance exists already; ``held_by``: another row is linked to the instance already
    (a listing saw the change in Google first, or the process died after the write);
    ``series_origin``: the origin of the series' link; ``in_series``: the CRM's series
    still has an occurrence at the row's original start; ``private_sync``: the user's
    "also synchronize private meetings"; ``as_in_series``: the row holds exactly what the
    series has at that slot (saved unchanged). Google's rule: changing or
    cancelling one instance makes an exception of that instance alone
    (https://developers.google.com/workspace/calendar/api/guides/recurringevents)."""
    instance_id = instance.event_id if instance else None

    def plan(why: str, *actions: Action) -> ItemPlan:
        return ItemPlan(meeting_id=row.meeting_id, event_id=instance_id, actions=actions, why=why)

    if instance is None and not in_series:
        # The CRM's series no longer has that occurrence either (its rule was shortened or
        # changed): the row goes with it, as Google Calendar removes the changed and
        # cancelled occurrences a series no longer has when it ends earlier.
        return plan("occurrence the series no longer has", DiscardRow(row.meeting_id))
    if instance is None and (hides or row.deleted):
        # Cancelled in the CRM, and the series in Google has no occurrence there (its rule
        # changed in Google, not read yet: a calendar leaving the sync is not listed): the
        # cancellation holds there already. Nothing to write, nothing to report.
        return plan("occurrence cancelled, none in Google")
    if instance is None:
        # The series in Google has no occurrence there (its rule changed meanwhile).
        return plan(
            "no such occurrence in Google",
            RecordProblem("", "the series in Google has no occurrence at that time"),
        )
    if hides or row.deleted:
        # Cancelled in the CRM (or a changed occurrence deleted before it was pushed):
        # cancel the instance, then let the row stand for it.
        cancel: tuple[Action, ...] = (
            () if instance.cancelled else (DeleteInGoogle(instance.event_id, instance.etag),)
        )
        if recorded:
            # A listing hid the slot with a row of its own first: one row is enough.
            return plan("occurrence cancelled, already hidden", *cancel, DiscardRow(row.meeting_id))
        return plan(
            "occurrence cancelled in the CRM",
            *cancel,
            RecordImport(row.meeting_id, instance.event_id),
        )
    if as_in_series:
        # "Edit this occurrence" saved as it was: no field differs, so nothing is sent and
        # Google keeps no exception for that instance. The row goes, so the occurrence keeps
        # following its series (a later series edit renames it on both sides alike).
        return plan("occurrence saved as it was", DiscardRow(row.meeting_id))
    if series_origin == "crm" and row.fields.is_private and not private_sync:
        # A private occurrence of a series the CRM pushed stays in the CRM unless the user
        # syncs private meetings (DESIGN.md §3; the rule of _must_leave_google for one
        # occurrence): its values never reach Google, where the series' occurrence stays as
        # it was (or cancelled, when it left Google on becoming private there). Unlinked,
        # the row is looked at again on every run and pushed once private sync is on.
        return plan("private occurrence, private sync off")
    if held_by is not None:
        # One row per occurrence: the CRM's values go onto the row that holds it.
        return plan(
            "occurrence changed, already held",
            MergeIntoRow(row.meeting_id, held_by, row.fields),
        )
    patch: tuple[Action, ...]
    if instance.cancelled or instance.fields is None:
        # The instance left Google (the occurrence was private for a while): the row's
        # values bring it back, as a CRM edit beats a deletion.
        every = tuple(name for name in FIELD_NAMES if name != "recurrence")
        patch = (PatchGoogle(instance.event_id, instance.etag, row.fields, every, restore=True),)
    else:
        # An instance has the series' rule, never one of its own.
        changed = tuple(
            name
            for name in changed_field_names(instance.fields, row.fields)
            if name != "recurrence"
        )
        patch = (
            (PatchGoogle(instance.event_id, instance.etag, row.fields, changed),) if changed else ()
        )
    # Changed alone in the CRM: PATCH that instance only, then link the row to it. The row
    # is part of its series: it has the series' origin (an occurrence of a series imported
    # from Google is an imported meeting edited in the CRM, never one we pushed).
    return plan("occurrence changed in the CRM", *patch, SaveLink(row.fields, origin=series_origin))
