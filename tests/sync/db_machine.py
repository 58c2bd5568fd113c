"""The database convergence machine's core: people editing plain meetings on both sides,
settings changes, Google's moods, syncs, and the checks after every clean sync.

test_convergence_db.py composes it with the recurring-series rules (series_rules.py); its
docstring lists what the machine draws and checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from tandem.meetings.models import Meeting
from tandem.meetings.services import meeting_create, meeting_delete, meeting_restore, meeting_update
from tandem.sync.adapters.crm import meeting_fields
from tandem.sync.adapters.serialize import fields_from_json
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.identity import MARKER_KEY, import_key_of, meeting_id_from_marker
from tandem.sync.core.mapping import fields_from_event
from tandem.sync.engine import sync_user_now
from tandem.sync.engine.context import WINDOW
from tandem.sync.models import (
    EventLink,
    Installation,
    SyncConflict,
    SyncRun,
    UserSyncState,
)
from tests.sync import rules_model
from tests.sync.prop_support import (
    ANCHOR,
    CALENDAR_ZONES,
    EDGE_MINUTES,
    GOOGLE_SUBJECTS,
    PRIMARY,
    READ_ONLY_CALENDAR_ID,
    SECOND_CALENDAR_ID,
    SUBJECTS,
    VISIBILITY_VALUES,
    ZONES,
    World,
    edge_fields,
    edits_on_both_sides,
    fault,
    field_edits,
    google_body,
    google_patch,
    meeting_input,
    world_open,
)
from tests.sync.prop_support import (
    meeting_fields as meeting_fields_strategy,
)
from tests.sync.series_support import over_by
from tests.sync_core.pending_edits import PendingEdit, after_deletion, after_edit, shows

CALENDARS = (PRIMARY, SECOND_CALENDAR_ID, READ_ONLY_CALENDAR_ID)
PRIVATE_SYNC = "private sync"  # a settings change: the checkbox toggled
OPTIONAL_CALENDARS = (SECOND_CALENDAR_ID, READ_ONLY_CALENDAR_ID)

# One injected failure per flaky sync: which call, and how it fails.
FAULT_ROUTES = (
    "GET */events",
    "POST */events",
    "PATCH /calendar/v3/calendars/*/events/*",
    "DELETE /calendar/v3/calendars/*/events/*",
    "GET /calendar/v3/calendars/*/events/*",
    "POST /token",
)
FAULT_KINDS: tuple[dict[str, Any], ...] = (
    {"status": 500, "reason": "backendError"},
    {"status": 503, "reason": "backendError"},
    {"status": 429, "reason": "rateLimitExceeded"},
    {"status": 403, "reason": "rateLimitExceeded"},
    {"status": 0, "drop": True},
)
# Items per page of Google's listings (0: as many as asked); with a cap, pages are live (no
# snapshots: an event changed while the engine pages comes again on a later page).
PAGE_CAPS = (0, 0, 1, 2, 3)

# How long before the window's start a synced meeting ends once it leaves the window: past
# the rules' model's margin (rules_model.EDGE_MARGIN), so it predicts the pair.
AGED_MINUTES = (5, 20, 24 * 60)
# A synced pair taken out of the window (ConvergenceMachine._pair_out_of_window): how long
# before the window's start, moved by whom, then changed how ("none": not at all).
OUT_OF_WINDOW: dict[str, Any] = {
    "data": st.data(),
    "minutes": st.sampled_from(AGED_MINUTES),
    "mover": st.sampled_from(("crm", "google")),
    "change": st.sampled_from(("none", "crm", "google", "both", "crm deletes", "google deletes")),
    "kind": st.sampled_from(("subject", "description", "location")),
}
# How long after the window's start it ends once a side brings it back: clear of the model's
# margin (a few hours into the window, or in a fortnight).
RETURN_MINUTES = (3 * 60, 44 * 24 * 60)

FILL_COUNTS = (11, 13)
BULK_PER_EXAMPLE = 2

Item = Any  # a meeting id, or ("event", calendar id, event id) for an event not yet imported


def _planned(number: int, hour: int) -> MeetingFields:
    """One of a dozen meetings planned at once: a day each, from tomorrow."""
    start = ANCHOR.replace(hour=hour) + timedelta(days=1 + number)
    return MeetingFields(
        subject=f"Planning {number}",
        start=TimedMoment(start, "UTC"),
        end=TimedMoment(start + timedelta(hours=1), "UTC"),
    )


class ConvergenceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world: World = world_open()
        self.private_sync = False
        self.picked: set[str] = set()  # optional calendars synced into the CRM
        self.removed: set[str] = set(OPTIONAL_CALENDARS)  # with no meeting in the CRM
        self.world.save_settings(inbound=[PRIMARY], sync_private=False)
        self.pending: list[PendingEdit] = []
        # CRM edits of meetings whose calendar was un-picked: Google must have them.
        self.owed_to_google: list[tuple[str, str, dict[str, Any]]] = []  # calendar, event
        self.crm_deleted_by_user: set[int] = set()
        self.google_deleted_by_user: set[tuple[str, str]] = set()
        # Cancelled events a check found someone asked to cancel, while they stay cancelled:
        # the cancellation stays theirs when what recorded it goes. A change of a series in
        # the CRM that cuts off an occurrence cancelled there resets the row that hid it,
        # while Google keeps the cancelled exception (as it keeps every exception a new rule
        # drops); the next listing reads it again and, the slot gone from the series, makes
        # no row for it.
        self.cancellations_asked: set[tuple[str, str]] = set()
        self.removed_with_calendar: set[int] = set()
        # Meetings whose event the person deleted in Google, kept when their calendar is
        # un-picked (which forgets the calendar's events, see _remove_calendar).
        self.deleted_with_their_event: set[int] = set()
        # Their twins: events of an un-picked calendar whose meeting the person deleted in
        # the CRM (see _remove_calendar).
        self.events_deleted_with_their_meeting: set[tuple[str, str]] = set()
        self.meeting_of_event: dict[tuple[str, str], int] = {}
        # Events the person made with a copy of another event's extended properties, our
        # marker included (series_rules.py, "this and following" in Google): the marker
        # names the meeting of the event copied, not theirs (tandem/sync/core/pairing.py
        # plans such a copy as a new event).
        self.copies: set[str] = set()
        self.series_made = False  # a recurring meeting was made (series_rules.py)
        self.has_links = False  # the last sync left links: edits of synced meetings are drawn
        # A dozen items at once, twice an example at most: Google's request quota per user
        # (600 a minute, which the emulator keeps) is for people, not for a machine's loop.
        self.bulk_left = BULK_PER_EXAMPLE
        # Each calendar as the person last listed it (forgotten by a write to it, or a sync).
        self._listed: dict[str, dict[str, dict[str, Any]]] = {}
        self._installation_namespace: str | None = None

    def teardown(self) -> None:
        self.world.close()

    @initialize(seed=st.integers(0, 2**64 - 1))
    def seed_ids(self, seed: int) -> None:
        """The ids of events made in Google and the installation's namespace (which makes
        the ids of ours) come from Hypothesis' randomness, not the system's: a derandomized
        run (CI's) draws the same examples every time, and a failing example replays with
        the same ids (the checks' orders and the engine's follow them)."""
        self.world.emulator.seed_ids(seed)
        Installation.objects.update_or_create(pk=1, defaults={"namespace": f"{seed:016x}"})

    # -- people in the CRM -------------------------------------------------------------------

    @rule(fields=meeting_fields_strategy())
    def crm_create(self, fields: MeetingFields) -> None:
        meeting_create(owner=self.world.user, data=meeting_input(fields))
        self.series_made |= bool(fields.recurrence)

    @rule(
        minutes=st.sampled_from(EDGE_MINUTES),
        length=st.sampled_from((30, 90)),
        zone=st.sampled_from(ZONES),
        subject=st.sampled_from(SUBJECTS),
    )
    def crm_create_at_window_edge(self, minutes: int, length: int, zone: str, subject: str) -> None:
        fields = edge_fields(
            now=self._now(), minutes=minutes, length=length, zone=zone, subject=subject
        )
        meeting_create(owner=self.world.user, data=meeting_input(fields))

    @rule(data=st.data(), values=field_edits())
    def crm_edit(self, data: st.DataObject, values: dict[str, Any]) -> None:
        meeting = self._pick_meeting(data, deleted=False)
        if meeting is not None:
            self._crm_edit(meeting, values)

    @rule(data=st.data(), visibility=st.sampled_from(VISIBILITY_VALUES))
    def crm_set_visibility(self, data: st.DataObject, visibility: str) -> None:
        meeting = self._pick_meeting(data, deleted=False)
        if meeting is not None:
            self._crm_edit(meeting, {"visibility": visibility})

    @rule(data=st.data())
    def crm_delete(self, data: st.DataObject) -> None:
        meeting = self._pick_meeting(data, deleted=False)
        if meeting is not None:
            self._crm_delete(meeting)

    @rule(data=st.data())
    def crm_restore(self, data: st.DataObject) -> None:
        meeting = self._pick_meeting(data, deleted=True)
        if meeting is not None and self._crm_delete_allowed(meeting):
            meeting_restore(meeting=meeting)
            self._after_crm_restore(meeting)

    # -- the person in Google Calendar -------------------------------------------------------

    @rule(
        calendar_id=st.sampled_from(CALENDARS),
        fields=meeting_fields_strategy(),
        subject=st.sampled_from(GOOGLE_SUBJECTS),
    )
    def google_create(self, calendar_id: str, fields: MeetingFields, subject: str) -> None:
        self._google_create(calendar_id, google_body(fields) | {"summary": subject})
        self.series_made |= bool(fields.recurrence)

    @rule(
        calendar_id=st.sampled_from(CALENDARS),
        minutes=st.sampled_from(EDGE_MINUTES),
        length=st.sampled_from((30, 90)),
        zone=st.sampled_from(ZONES),
        subject=st.sampled_from(SUBJECTS),
    )
    def google_create_at_window_edge(
        self, calendar_id: str, minutes: int, length: int, zone: str, subject: str
    ) -> None:
        fields = edge_fields(
            now=self._now(), minutes=minutes, length=length, zone=zone, subject=subject
        )
        self._google_create(calendar_id, google_body(fields))

    @rule(data=st.data(), values=field_edits(google=True))
    def google_edit(self, data: st.DataObject, values: dict[str, Any]) -> None:
        picked = self._pick_event(data)
        if picked is not None:
            self._google_edit(*picked, values)

    @rule(data=st.data(), visibility=st.sampled_from(VISIBILITY_VALUES))
    def google_set_visibility(self, data: st.DataObject, visibility: str) -> None:
        picked = self._pick_event(data)
        if picked is not None:
            self._google_edit(*picked, {"visibility": visibility})

    @rule(data=st.data())
    def google_delete(self, data: st.DataObject) -> None:
        picked = self._pick_event(data)
        if picked is not None:
            self._google_delete(*picked)

    @rule(place=st.integers(0, 50), values=field_edits(google=True))
    def google_edit_while_listing(self, place: int, values: dict[str, Any]) -> None:
        """During the next clean sync, between two pages of a listing, the person edits an
        event of the calendar being listed (Google's pages are no snapshot: it comes again)."""

        def act(calendar_id: str) -> None:
            live = [
                event
                for event in self._live_events(calendar_id).values()
                if not event.get("recurrence") and not event.get("recurringEventId")
            ]
            if live:
                self._google_edit(calendar_id, live[place % len(live)], values)

        if "recurrence" not in values:
            self.world.recorder.between_pages = act

    # -- one synced meeting, both sides at once (the merge, an edit against a deletion) -------

    @precondition(lambda self: self.has_links)
    @rule(
        data=st.data(),
        edits=edits_on_both_sides(),
        google_first=st.booleans(),
        then_sync=st.booleans(),
    )
    def edit_on_both_sides(
        self,
        data: st.DataObject,
        edits: tuple[dict[str, Any], dict[str, Any]],
        google_first: bool,
        then_sync: bool,
    ) -> None:
        """The user edits a synced meeting in the CRM and someone edits it in Google before
        the next sync: fields changed on one side are kept, a field changed on both sides
        goes to the later edit."""
        picked = self._pick_synced(data)
        if picked is None:
            return
        meeting, calendar_id, event = picked
        crm_values, google_values = edits
        if google_first:
            self._google_edit(calendar_id, event, google_values)
            self._crm_edit(meeting, crm_values)
        else:
            self._crm_edit(meeting, crm_values)
            self._google_edit(calendar_id, event, google_values)
        if then_sync:
            self.sync()

    @precondition(lambda self: self.has_links)
    @rule(
        data=st.data(),
        values=field_edits(),
        editor=st.sampled_from(("crm", "google")),
        then_sync=st.booleans(),
    )
    def edit_against_deletion(
        self, data: st.DataObject, values: dict[str, Any], editor: str, then_sync: bool
    ) -> None:
        """A synced meeting is edited on one side and deleted on the other before the next
        sync: the edit beats the deletion."""
        picked = self._pick_synced(data)
        if picked is None:
            return
        meeting, calendar_id, event = picked
        if editor == "crm":
            self._crm_edit(meeting, values)
            self._google_delete(calendar_id, event)
        else:
            self._google_edit(calendar_id, event, values)
            self._crm_delete(meeting)
        if then_sync:
            self.sync()

    @precondition(lambda self: self.has_links)
    @rule(**OUT_OF_WINDOW)
    def synced_pair_leaves_the_window(
        self, data: st.DataObject, minutes: int, mover: str, change: str, kind: str
    ) -> None:
        """A synced meeting comes to end just before the window's start, as time would age
        it (moved there on one side, and synced), then is edited or deleted on one side or
        both (or not): outside the window on both sides, the next sync writes nothing (DESIGN.md §3,
        "Window everywhere"; planner row "changed outside the window"; the rules' model
        checks it)."""
        if self._pair_out_of_window(data, minutes, mover, change, kind) is not None:
            self.sync()

    @precondition(lambda self: self.has_links)
    @rule(
        **OUT_OF_WINDOW,
        back=st.sampled_from(("crm", "google")),
        back_to=st.sampled_from(RETURN_MINUTES),
    )
    def synced_pair_comes_back_to_the_window(
        self,
        data: st.DataObject,
        minutes: int,
        mover: str,
        change: str,
        kind: str,
        back: str,
        back_to: int,
    ) -> None:
        """As synced_pair_leaves_the_window, then one side the person did not delete is
        moved back into the window (``back``, clear of its edge): the pair falls through to
        the merge, an edit against a deletion, read-only and private sync, against the base
        from before the window (docs/sync-rules.md, row "changed outside the window"; the
        rules' model checks it)."""
        pair = self._pair_out_of_window(data, minutes, mover, change, kind)
        if pair is None or change == f"{back} deletes":
            return
        meeting, calendar_id, event = pair
        end = (self._window_start() + timedelta(minutes=back_to)).replace(microsecond=0)
        returned = {
            "start": TimedMoment(end - timedelta(hours=1), meeting.time_zone),
            "end": TimedMoment(end, meeting.time_zone),
        }
        if back == "crm":
            meeting.refresh_from_db()
            self._crm_edit(meeting, returned)
        else:
            self._google_edit(calendar_id, self._events(calendar_id)[event["id"]], returned)
        self.sync()

    def _pair_out_of_window(
        self, data: st.DataObject, minutes: int, mover: str, change: str, kind: str
    ) -> tuple[Meeting, str, dict[str, Any]] | None:
        """A synced plain meeting moved (by ``mover``) to end ``minutes`` before the window's
        start and synced, then changed (``change``: edited on one side or both, deleted on
        one, or "none"), not synced yet. None: no such pair (none drawn, or the sync took it
        away)."""
        picked = self._pick_synced(data)
        if picked is None:
            return None
        meeting, calendar_id, event = picked
        if meeting.recurrence or event.get("recurrence"):
            return None  # A series' window is its last occurrence's: not this rule's.
        end = (self._window_start() - timedelta(minutes=minutes)).replace(microsecond=0)
        zone = meeting.time_zone
        moved = {
            "start": TimedMoment(end - timedelta(hours=1), zone),
            "end": TimedMoment(end, zone),
        }
        if mover == "crm":
            self._crm_edit(meeting, moved)
        else:
            self._google_edit(calendar_id, event, moved)
        self.sync()
        meeting.refresh_from_db()
        event = self._live_events(calendar_id).get(event["id"])
        if meeting.deleted_at is not None or event is None:
            return None
        if change in ("crm", "both"):
            self._crm_edit(meeting, data.draw(field_edits(kind=kind), label="CRM edit"))
        if change in ("google", "both"):
            values = data.draw(field_edits(google=True, kind=kind), label="Google edit")
            self._google_edit(calendar_id, event, values)
        if change == "crm deletes":
            self._crm_delete(meeting)
        if change == "google deletes":
            self._google_delete(calendar_id, event)
        return meeting, calendar_id, event

    def _pick_synced(self, data: st.DataObject) -> tuple[Meeting, str, dict[str, Any]] | None:
        """A linked meeting both sides may edit, alive on both (not an occurrence changed
        alone)."""
        links = EventLink.objects.filter(
            owner=self.world.user,
            calendar_id__in=self._synced_calendars(),
            meeting__deleted_at__isnull=True,
            meeting__series__isnull=True,
            meeting__read_only=False,
        ).order_by("pk")
        candidates = [
            link
            for link in links
            if self._live_events(link.calendar_id).get(link.event_id) is not None
        ]
        if not candidates:
            return None
        link = data.draw(st.sampled_from(candidates), label="synced meeting")
        event = self._live_events(link.calendar_id)[link.event_id]
        return Meeting.objects.get(pk=link.meeting_id), link.calendar_id, event

    # -- many at once (the mass-delete breaker) -----------------------------------------------

    @precondition(lambda self: self.bulk_left > 0)
    @rule(count=st.sampled_from(FILL_COUNTS), hour=st.integers(8, 16))
    def crm_fill(self, count: int, hour: int) -> None:
        """The user plans a dozen meetings at once (past the breaker's floor of 10)."""
        self.bulk_left -= 1
        self._crm_fill(count, hour)

    @precondition(lambda self: self.bulk_left > 0)
    @rule(calendar_id=st.sampled_from(CALENDARS), count=st.sampled_from(FILL_COUNTS))
    def google_fill(self, calendar_id: str, count: int) -> None:
        self.bulk_left -= 1
        self._google_fill(calendar_id, count)

    def _crm_fill(self, count: int, hour: int) -> None:
        for number in range(count):
            meeting_create(owner=self.world.user, data=meeting_input(_planned(number, hour)))

    def _google_fill(self, calendar_id: str, count: int) -> None:
        for number in range(count):
            self._google_create(calendar_id, google_body(_planned(number, 10)))

    @precondition(lambda self: self.bulk_left > 0)
    @rule(
        side=st.sampled_from(("crm", "google")),
        calendar_id=st.sampled_from(CALENDARS),
        count=st.sampled_from(FILL_COUNTS),
    )
    def mass_deletion(self, side: str, calendar_id: str, count: int) -> None:
        """A dozen meetings are synced, then deleted all at once on one side (the CRM's, or
        a calendar cleared in Google): the next sync asks before deleting them elsewhere
        (DESIGN.md §2, the mass-delete breaker)."""
        self.bulk_left -= 1
        if side == "crm":
            calendar_id = PRIMARY
            self._crm_fill(count, 9)
        else:
            self._google_fill(calendar_id, count)
        self.sync()
        if side == "crm":
            for meeting in Meeting.objects.filter(
                owner=self.world.user, deleted_at__isnull=True, read_only=False, series__isnull=True
            ):
                self._crm_delete(meeting)
        else:
            for event in list(self._live_events(calendar_id).values()):
                if not event.get("recurringEventId"):
                    self._google_delete(calendar_id, event)
        self.sync()

    # -- settings ----------------------------------------------------------------------------

    @rule()
    def toggle_private_sync(self) -> None:
        self._change_settings(PRIVATE_SYNC)

    def _private_sync_off_allowed(self) -> bool:
        return True

    @rule(calendar_id=st.sampled_from(OPTIONAL_CALENDARS))
    def toggle_calendar(self, calendar_id: str) -> None:
        self._change_settings(calendar_id)

    @rule(change=st.sampled_from((PRIVATE_SYNC, *OPTIONAL_CALENDARS)), after=st.integers(0, 2))
    def settings_saved_during_sync(self, change: str, after: int) -> None:
        """The person saves their settings (private sync toggled, a calendar picked or
        un-picked) while a sync runs, just before its Calendar API call after ``after`` more:
        that run applies the settings it read when it began, and the next clean sync must
        apply the new ones, to meetings that did not change too (the checks after it and the
        rules' model say so; commit d29f22c, tandem/sync/engine/run.py
        ``_settings_unapplied``). A run that makes fewer calls sees an ordinary save after
        it."""
        saved = False

        def save() -> None:
            nonlocal saved
            saved = True
            self._change_settings(change)

        self.world.recorder.before_call, self.world.recorder.calls_left = save, after
        self._run_sync()
        if not saved:
            self._change_settings(change)
        self.sync()

    def _change_settings(self, change: str) -> None:
        """Private sync toggled (``PRIVATE_SYNC``), or a calendar picked or un-picked."""
        if change == PRIVATE_SYNC:
            if self.private_sync and not self._private_sync_off_allowed():
                return
            self.private_sync = not self.private_sync
        else:
            self.picked ^= {change}
        self._save_settings()

    # -- Google's moods ----------------------------------------------------------------------

    @rule()
    def expire_sync_tokens(self) -> None:
        self.world.emulator.expire_sync_tokens()

    @rule()
    def expire_access_tokens(self) -> None:
        self.world.emulator.expire_access_tokens()
        self.world.renew_person_token()

    @rule(cap=st.sampled_from(PAGE_CAPS))
    def google_pages(self, cap: int) -> None:
        self.world.emulator.set_paging(live=cap > 0, page_cap=cap)

    # -- syncs -------------------------------------------------------------------------------

    @rule(
        route=st.sampled_from(FAULT_ROUTES),
        kind=st.sampled_from(FAULT_KINDS),
        after=st.integers(0, 3),
    )
    def flaky_sync(self, route: str, kind: dict[str, Any], after: int) -> None:
        self._run_sync(fault_spec={"route": route, "times": 1, "after": after, **kind})

    @rule()
    def sync(self) -> None:
        before = self.world.meeting_versions()
        calendar_of = self._calendar_of_meetings()
        # The rules' model (rules_model.py) says what the sync must do, unless the person
        # edits Google while it runs.
        prediction = None
        if self.world.recorder.between_pages is None:
            prediction = rules_model.predict(self._model_world())
        mark = len(self.world.recorder.writes)
        run = self._run_sync()
        asked = run.status == SyncRun.Status.NEEDS_ATTENTION
        held: list[dict[str, Any]] = []
        if asked:
            # The breaker held its calendar's deletions; the user confirms and the run goes
            # through.
            held = list(UserSyncState.objects.get(owner=self.world.user).held_deletions)
            self._check_breaker_held(before, calendar_of, held)
            run = self._run_sync(allow_mass_delete=True)
        assert run.status == SyncRun.Status.SUCCEEDED, (run.status, run.errors)
        self._check_after_clean_sync()
        if prediction is not None:
            rules_model.check_writes(self.world.recorder.writes[mark:], prediction.events)
            rules_model.check(prediction, self._model_world(), asked=asked, held=held)
        self._check_idle_sync_writes_nothing()
        self._settled()

    @rule()
    def sync_again(self) -> None:
        """A second rule for the same: syncs are drawn twice as often as any one edit."""
        self.sync()

    def _check_after_clean_sync(self) -> None:
        self._check_agreement()
        self._check_no_duplicates()
        self._check_no_lost_edit()
        self._check_no_unasked_deletion()
        self._check_read_only_calendar_untouched()

    def _settled(self) -> None:
        """After a clean sync: every edit made before it is settled."""
        self.pending.clear()
        self.owed_to_google.clear()

    def _model_world(self) -> rules_model.World:
        """What the rules' model is told: the settings, and how to read Google."""
        return rules_model.World(
            user=self.world.user,
            synced=self._synced_calendars(),
            target=PRIMARY,
            read_only=frozenset({READ_ONLY_CALENDAR_ID}),
            zones=CALENDAR_ZONES,
            private_sync=self.private_sync,
            events=self._events,
            marker_meeting=self._marker_meeting,
            now=self._now(),
        )

    def _marker_meeting(self, event: dict[str, Any]) -> int | None:
        """The meeting our marker on ``event`` names (None: no marker of ours, or a copy's)."""
        marker = event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY)
        namespace = self._namespace()
        if marker is None or not namespace or event["id"] in self.copies:
            return None
        return meeting_id_from_marker(namespace, marker)

    # -- helpers: picking ---------------------------------------------------------------------

    def _pick_meeting(self, data: st.DataObject, *, deleted: bool) -> Meeting | None:
        """A meeting the user may change or restore, as the CRM's pages list them (read-only
        ones are tried too, and refused). Not a row that only hides a cancelled occurrence,
        nor an occurrence of a deleted series: no page shows them."""
        meetings = Meeting.objects.filter(
            owner=self.world.user, deleted_at__isnull=not deleted, is_cancelled_occurrence=False
        ).exclude(series__deleted_at__isnull=False)
        if deleted:
            meetings = meetings.filter(read_only=False)
        ids = sorted(meetings.values_list("pk", flat=True))
        if not ids:
            return None
        return Meeting.objects.get(pk=data.draw(st.sampled_from(ids), label="meeting"))

    def _pick_event(self, data: st.DataObject) -> tuple[str, dict[str, Any]] | None:
        calendar_id = data.draw(st.sampled_from(CALENDARS), label="calendar")
        live = self._live_events(calendar_id)
        if not live:
            return None
        # Listing order is creation order: the same steps pick the same event again.
        event_id = data.draw(st.sampled_from(list(live)), label="event")
        return calendar_id, live[event_id]

    def _events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        if calendar_id not in self._listed:
            self._listed[calendar_id] = self.world.person.events(calendar_id)
        return self._listed[calendar_id]

    def _google_changed(self, calendar_id: str) -> None:
        """The person wrote to ``calendar_id``: list it again when next read. Only that one:
        an event lives in one calendar (the machine invites no one)."""
        self._listed.pop(calendar_id, None)

    def _live_events(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        events = self._events(calendar_id)
        return {eid: event for eid, event in events.items() if event["status"] != "cancelled"}

    # -- helpers: edits ----------------------------------------------------------------------

    def _crm_edit(
        self,
        meeting: Meeting,
        values: dict[str, Any],
        *,
        check: bool = True,
        update: Any = meeting_update,
    ) -> None:
        """The user edits ``values`` of the meeting (``check``: only as people may, see
        ``_crm_edit_allowed``; ``update``: the service the page calls)."""
        if check and not self._crm_edit_allowed(meeting, values):
            return
        before = meeting_fields(meeting)
        after = before.with_values(values)
        data_in = meeting_input(after, all_day_zone=meeting.time_zone)
        if meeting.read_only:
            # From a calendar the user cannot write: the CRM refuses, and says why.
            with pytest.raises(ValidationError, match="cannot edit"):
                update(meeting=meeting, data=data_in)
            return
        update(meeting=meeting, data=data_in)
        self.pending = after_edit(self.pending, meeting.pk, "crm", values, before)
        self._after_crm_edit(meeting, values)

    def _crm_delete(self, meeting: Meeting) -> None:
        if not self._crm_delete_allowed(meeting):
            return
        if meeting.read_only:
            with pytest.raises(ValidationError, match="cannot edit"):
                meeting_delete(meeting=meeting)
            return
        self.pending = after_deletion(self.pending, meeting.pk, "crm", meeting_fields(meeting))
        meeting_delete(meeting=meeting)
        self.crm_deleted_by_user.add(meeting.pk)
        self._after_crm_delete(meeting)

    def _google_create(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        event = self.world.person_for(calendar_id).create(calendar_id, body)
        self._google_changed(calendar_id)
        return event

    def _google_edit(
        self,
        calendar_id: str,
        event: dict[str, Any],
        values: dict[str, Any],
        patch: dict[str, Any] | None = None,
        *,
        check: bool = True,
    ) -> None:
        """The person edits ``values`` of the event (``patch``: the body, when not the
        mapping of ``values``, whose values are then read back from Google)."""
        if check and not self._google_edit_allowed(calendar_id, event, values):
            return
        before = self._event_fields(calendar_id, event)
        self.world.person_for(calendar_id).patch(
            calendar_id, event["id"], google_patch(values) if patch is None else patch
        )
        self._google_changed(calendar_id)
        # What the CRM can hold of the edit as the user sees it (an empty title reads "(No
        # title)", a long text is cut to the CRM's limit, a reader sees a private event of
        # someone else as busy time only): that is what must arrive.
        edited = self._events(calendar_id)[event["id"]]
        after = self._event_fields(calendar_id, edited)
        seen = {name: after.value(name) for name in values}
        self.pending = after_edit(
            self.pending, self._item_of_event(calendar_id, event), "google", seen, before
        )
        self._after_google_edit(calendar_id, edited, seen)

    def _google_delete(self, calendar_id: str, event: dict[str, Any]) -> None:
        if not self._google_delete_allowed(calendar_id, event):
            return
        item = self._item_of_event(calendar_id, event)
        self.pending = after_deletion(
            self.pending, item, "google", self._event_fields(calendar_id, event)
        )
        self.world.person_for(calendar_id).delete(calendar_id, event["id"])
        self._google_changed(calendar_id)
        self.google_deleted_by_user.add((calendar_id, event["id"]))
        self._after_google_delete(calendar_id, event)

    # Hooks for the series rules (series_rules.py): which edits a person may make of a series
    # or of one of its occurrences, and what the machine records of them.

    def _crm_edit_allowed(self, meeting: Meeting, values: dict[str, Any]) -> bool:
        return True

    def _google_edit_allowed(
        self, calendar_id: str, event: dict[str, Any], values: dict[str, Any]
    ) -> bool:
        return True

    def _crm_delete_allowed(self, meeting: Meeting) -> bool:
        return True

    def _google_delete_allowed(self, calendar_id: str, event: dict[str, Any]) -> bool:
        return True

    def _after_crm_edit(self, meeting: Meeting, values: dict[str, Any]) -> None:
        pass

    def _after_crm_delete(self, meeting: Meeting) -> None:
        pass

    def _after_crm_restore(self, meeting: Meeting) -> None:
        pass

    def _after_google_edit(
        self, calendar_id: str, event: dict[str, Any], values: dict[str, Any]
    ) -> None:
        pass

    def _after_google_delete(self, calendar_id: str, event: dict[str, Any]) -> None:
        pass

    # -- helpers: settings --------------------------------------------------------------------

    def _save_settings(self) -> None:
        inbound = [PRIMARY, *(cid for cid in OPTIONAL_CALENDARS if cid in self.picked)]
        self.world.save_settings(inbound=inbound, sync_private=self.private_sync)
        self.removed -= self.picked

    def _remove_calendar(self, calendar_id: str) -> None:
        """What un-picking a calendar means, once a run applies it: its meetings leave the
        CRM (Google keeps the events, with every CRM edit made before)."""
        links = EventLink.objects.filter(owner=self.world.user, calendar_id=calendar_id)
        event_of_meeting = {link.meeting_id: link.event_id for link in links}
        self.removed_with_calendar |= set(event_of_meeting)
        kept = []
        for edit in self.pending:
            item = self._resolve(edit.item)
            if isinstance(item, tuple) and item[1] == calendar_id:
                continue  # Google has it; the CRM will read it if the calendar comes back.
            if item in event_of_meeting:
                if edit.side == "crm":
                    owed = (calendar_id, event_of_meeting[item], edit.values)
                    self.owed_to_google.append(owed)
                continue
            kept.append(edit)
        self.pending = kept
        self.removed.add(calendar_id)
        # Picked again, its events come back as new meetings.
        for key in [key for key in self.meeting_of_event if key[0] == calendar_id]:
            if key in self.google_deleted_by_user:
                self.deleted_with_their_event.add(self.meeting_of_event[key])
            if self.meeting_of_event[key] in self.crm_deleted_by_user:
                # The run pushes the CRM's deletion before the calendar leaves: the event's
                # cancellation is the person's, though no meeting is its any more.
                self.events_deleted_with_their_meeting.add(key)
            del self.meeting_of_event[key]

    # -- helpers: syncing --------------------------------------------------------------------

    def _run_sync(
        self, *, allow_mass_delete: bool = False, fault_spec: dict[str, Any] | None = None
    ) -> SyncRun:
        for calendar_id in set(OPTIONAL_CALENDARS) - self.picked - self.removed:
            self._remove_calendar(calendar_id)
        self._learn_links()
        self._forget_reverted_edits()
        self._before_sync()
        if fault_spec is not None:
            # The fault would hit the person's own reads too: no edit between pages then.
            self.world.recorder.between_pages = None
        # The fault is armed for the engine's calls only, never for the test's own reads.
        try:
            with fault(self.world.emulator, fault_spec):
                outcome = sync_user_now(
                    user_id=self.world.user.pk, allow_mass_delete=allow_mass_delete
                )
        finally:
            self.world.recorder.between_pages = None  # for one sync only
            self.world.recorder.before_call = None
        self._listed.clear()
        assert outcome.run is not None, outcome.summary()
        self._learn_links()
        self.has_links = EventLink.objects.filter(owner=self.world.user).exists()
        self.pending = [
            PendingEdit(self._resolve(edit.item), edit.side, edit.values) for edit in self.pending
        ]
        self._after_sync()
        return outcome.run

    def _before_sync(self) -> None:
        pass

    def _after_sync(self) -> None:
        pass

    def _newly_deleted(self, before: dict[int, tuple[int, bool]]) -> set[int]:
        after = self.world.meeting_versions()
        return {pk for pk, (_, deleted) in after.items() if deleted and not before[pk][1]}

    def _calendar_of_meetings(self) -> dict[int, str]:
        """Each linked meeting's calendar; not an occurrence row's (a change of its series
        that a held listing applies may reset it: not a deletion the breaker counts)."""
        links = EventLink.objects.filter(owner=self.world.user, meeting__series__isnull=True)
        return dict(links.values_list("meeting_id", "calendar_id"))

    def _check_breaker_held(
        self,
        before: dict[int, tuple[int, bool]],
        calendar_of: dict[int, str],
        held: list[dict[str, Any]],
    ) -> None:
        """A run whose breaker asked deleted nothing the breaker held, nor anything of a
        calendar whose listing it held (docs/sync-rules.md, "The breaker": a tripped inbound
        pass applies its CRM changes except the deletions). The rest of the run goes on, as
        the breaker counts one calendar's pass: the other calendars' inbound passes apply
        their own deletions, and a calendar un-picked (listed no more) takes its meetings
        out of the CRM in the settings pass, before any listing (not a deletion the breaker
        counts, the rule "calendar no longer synced"). The outbound pass's breaker holds
        deletions in Google: the CRM's deletions of its run were the inbound passes'."""
        held_ids = {entry["meeting_id"] for entry in held}
        tripped = {
            calendar_of[entry["meeting_id"]]
            for entry in held
            if entry["deleted_in"] == "google" and entry["meeting_id"] in calendar_of
        }
        for meeting_id in self._newly_deleted(before):
            calendar_id = calendar_of.get(meeting_id)
            assert meeting_id not in held_ids, f"meeting {meeting_id} deleted, held by the breaker"
            assert calendar_id not in tripped, (
                f"meeting {meeting_id} of {calendar_id} deleted while the breaker held its listing"
            )

    def _learn_links(self) -> None:
        # Not the links of a calendar this sync un-picks (_remove_calendar forgot them): its
        # events are no meeting's any more, whatever the person does to them next.
        synced = self._synced_calendars()
        for link in EventLink.objects.filter(owner=self.world.user, calendar_id__in=synced):
            self.meeting_of_event[(link.calendar_id, link.event_id)] = link.meeting_id

    def _namespace(self) -> str | None:
        # Made by the first run and never changed (engine.context.installation_namespace):
        # read once it exists, not on every look at a marker.
        if self._installation_namespace is None:
            row = Installation.objects.order_by("pk").first()
            self._installation_namespace = row.namespace if row else None
        return self._installation_namespace

    def _item_of_event(self, calendar_id: str, event: dict[str, Any]) -> Item:
        # An occurrence carries its series' extended properties, our marker included: the
        # marker names the series, not the occurrence.
        marker = event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY)
        namespace = self._namespace()
        if (
            marker is not None
            and namespace
            and not event.get("recurringEventId")
            and event["id"] not in self.copies
        ):
            meeting_id = meeting_id_from_marker(namespace, marker)
            if meeting_id is not None:
                return meeting_id
        key = (calendar_id, event["id"])
        if key in self.meeting_of_event:
            return self.meeting_of_event[key]
        imported = Meeting.objects.filter(
            owner=self.world.user, import_key=import_key_of(calendar_id, event["id"])
        ).first()
        if imported is not None:
            return imported.pk
        return ("event", calendar_id, event["id"])

    def _resolve(self, item: Item) -> Item:
        if not isinstance(item, tuple):
            return item
        _, calendar_id, event_id = item
        event = self._events(calendar_id).get(event_id, {"id": event_id})
        return self._item_of_event(calendar_id, event)

    def _forget_reverted_edits(self) -> None:
        """An edit back to the last agreed value is no change anyone can see; an edit to the
        value a deleter on the other side already saw does not undo their deletion."""
        bases = {
            link.meeting_id: fields_from_json(link.base)
            for link in EventLink.objects.filter(owner=self.world.user)
        }
        self.pending = [
            edit
            for edit in self.pending
            if not (
                shows(bases.get(edit.item), edit)
                or shows(self._deleted_copy_on_other_side(edit), edit)
            )
        ]

    def _deleted_copy_on_other_side(self, edit: PendingEdit) -> MeetingFields | None:
        if not isinstance(edit.item, int):
            return None
        if edit.side == "google":
            meeting = Meeting.objects.filter(pk=edit.item).first()
            if meeting is None or meeting.deleted_at is None:
                return None
            return meeting_fields(meeting)
        for calendar_id in CALENDARS:
            for event in self._events(calendar_id).values():
                if (
                    event["status"] == "cancelled"
                    and "start" in event
                    and self._item_of_event(calendar_id, event) == edit.item
                ):
                    return self._event_fields(calendar_id, event)
        return None

    def _event_fields(self, calendar_id: str, event: dict[str, Any]) -> MeetingFields:
        return fields_from_event(event, default_zone=CALENDAR_ZONES[calendar_id])

    def _synced_calendars(self) -> tuple[str, ...]:
        return (PRIMARY, *(cid for cid in OPTIONAL_CALENDARS if cid in self.picked))

    def _hidden(self, meeting: Meeting) -> bool:
        """A CRM meeting that has no place in Google: private while private sync is off."""
        imported = Meeting.objects.filter(pk=meeting.pk, import_key__isnull=False).exists()
        return meeting_fields(meeting).is_private and not self.private_sync and not imported

    def _belongs_in_google(self, meeting: Meeting) -> bool:
        """A live meeting the CRM must have in Google after a clean sync."""
        fields = meeting_fields(meeting)
        return not (self._hidden(meeting) or over_by(fields, self._window_start()))

    def _in_window_anywhere(
        self, meeting: Meeting, calendar_id: str, event: dict[str, Any] | None
    ) -> bool:
        """The window (DESIGN.md §3): meetings that end after now - 30 days, on either side."""
        window_start = self._window_start()
        if not over_by(meeting_fields(meeting), window_start):
            return True
        if event is None or event["status"] == "cancelled":
            return False
        return not over_by(self._event_fields(calendar_id, event), window_start)

    def _item_in_window(self, meeting: Meeting) -> bool:
        links = EventLink.objects.filter(meeting=meeting)
        if not links:
            return not over_by(meeting_fields(meeting), self._window_start())
        return any(
            self._in_window_anywhere(
                meeting,
                link.calendar_id,
                self._events(link.calendar_id).get(link.event_id),
            )
            for link in links
        )

    def _window_start(self) -> datetime:
        return self._now() - WINDOW

    @staticmethod
    def _now() -> datetime:
        return timezone.now()

    # -- invariants ---------------------------------------------------------------------------

    def _check_agreement(self) -> None:
        user = self.world.user
        window_start = self._window_start()
        assert not EventLink.objects.filter(owner=user).exclude(
            calendar_id__in=self._synced_calendars()
        ), "links left to a calendar that is no longer synced"
        linked: set[int] = set()
        for calendar_id in self._synced_calendars():
            events = self._events(calendar_id)
            links = EventLink.objects.filter(owner=user, calendar_id=calendar_id)
            for link in links.select_related("meeting"):
                meeting = link.meeting
                event = events.get(link.event_id)
                linked.add(meeting.pk)
                if not self._in_window_anywhere(meeting, calendar_id, event):
                    continue  # Older than the window on both sides: no longer synced.
                where = f"meeting {meeting.pk} ⇄ {calendar_id}/{link.event_id}"
                assert meeting.deleted_at is None, f"{where}: the meeting is deleted"
                assert event is not None, f"{where}: no such event"
                assert event["status"] != "cancelled", f"{where}: the event is cancelled"
                crm = meeting_fields(meeting)
                google = self._event_fields(calendar_id, event)
                assert crm == google, f"{where}: CRM {crm} != Google {google}"
                assert fields_from_json(link.base) == crm, f"{where}: stale base"
                if link.origin == EventLink.Origin.CRM:
                    assert not self._hidden(meeting), f"{where}: private meeting in Google"
                is_read_only = calendar_id == READ_ONLY_CALENDAR_ID
                assert meeting.read_only == is_read_only, f"{where}: read-only is wrong"
            linked_events = set(links.values_list("event_id", flat=True))
            for event_id, event in events.items():
                if event["status"] == "cancelled" or event_id in linked_events:
                    continue
                fields = self._event_fields(calendar_id, event)
                assert over_by(fields, window_start), (
                    f"event {calendar_id}/{event_id} ({fields}) is not in the CRM"
                )
        for meeting in Meeting.objects.filter(
            owner=user, deleted_at__isnull=True, is_cancelled_occurrence=False
        ):
            if meeting.pk not in linked:
                assert not self._belongs_in_google(meeting), (
                    f"meeting {meeting.pk} ({meeting_fields(meeting)}) is not in Google"
                )

    def _check_no_duplicates(self) -> None:
        user = self.world.user
        meeting_ids = list(EventLink.objects.filter(owner=user).values_list("meeting", flat=True))
        assert len(meeting_ids) == len(set(meeting_ids)), "a meeting linked to two events"
        markers: list[str] = []
        for calendar_id in CALENDARS:
            for event in self._events(calendar_id).values():
                if event.get("recurringEventId") or event["id"] in self.copies:
                    continue  # An occurrence carries its series' marker; a copy the person's.
                marker = event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY)
                if marker is not None and event["status"] != "cancelled":
                    markers.append(marker)
        assert len(markers) == len(set(markers)), "two live events carry one meeting's marker"

    def _conflicts(self) -> set[tuple[int, str]]:
        return set(
            SyncConflict.objects.filter(owner=self.world.user).values_list("meeting_id", "field")
        )

    def _check_no_lost_edit(self) -> None:
        conflicts = self._conflicts()
        window_start = self._window_start()
        for edit in self.pending:
            if isinstance(edit.item, tuple):
                _, calendar_id, event_id = edit.item
                if calendar_id not in self._synced_calendars():
                    continue  # Read when the calendar is picked again.
                event = self._events(calendar_id)[event_id]
                if event.get("status") == "cancelled":
                    # Deleted in Google after the edit (an instance changed, then its whole
                    # series deleted, as Google cancels a series' exceptions with it): the
                    # person's last word, and no edit of the CRM's to lose.
                    continue
                fields = self._event_fields(calendar_id, event)
                assert over_by(fields, window_start), f"edit of an event never imported {edit}"
                continue
            if any((edit.item, name) in conflicts for name in edit.values):
                continue  # Settled by the conflict rule, and recorded for the user to see.
            meeting = Meeting.objects.filter(pk=edit.item).first()
            if meeting is None:
                # Only an occurrence row made in the CRM goes for good: its occurrence was
                # changed in Google too, and the CRM's values went onto the row the listing
                # made (docs/sync-rules.md); the series' checks look at that occurrence.
                assert self._was_occurrence_row(edit.item), f"meeting of {edit} is gone"
                continue
            if not self._item_in_window(meeting):
                continue  # Older than the window on both sides: no longer synced.
            assert meeting.deleted_at is None, f"an edit lost to a deletion: {edit}"
            fields = meeting_fields(meeting)
            applied = _shows(fields, edit.values, meeting.time_zone)
            assert applied, f"lost edit {edit}: the meeting is {fields}"
        for calendar_id, event_id, values in self.owed_to_google:
            fields = self._event_fields(calendar_id, self._events(calendar_id)[event_id])
            applied = _shows(fields, values, fields.time_zone or CALENDAR_ZONES[calendar_id])
            assert applied, f"a CRM edit {values} never reached Google's {event_id}: {fields}"

    def _was_occurrence_row(self, meeting_id: int) -> bool:
        return False

    def _deletion_asked(self, meeting: Meeting) -> bool:
        events_of_meeting = {
            key for key, meeting_id in self.meeting_of_event.items() if meeting_id == meeting.pk
        }
        return (
            meeting.pk in self.crm_deleted_by_user
            or meeting.pk in self.removed_with_calendar
            or meeting.pk in self.deleted_with_their_event
            or bool(events_of_meeting & self.google_deleted_by_user)
        )

    def _event_deletion_asked(self, calendar_id: str, event: dict[str, Any]) -> bool:
        item = self._item_of_event(calendar_id, event)
        meeting = Meeting.objects.filter(pk=item).first() if isinstance(item, int) else None
        return (
            (calendar_id, event["id"]) in self.google_deleted_by_user
            or (calendar_id, event["id"]) in self.events_deleted_with_their_meeting
            or item in self.crm_deleted_by_user
            or (meeting is not None and self._hidden(meeting))
            or self._moved_away(calendar_id, event["id"])
        )

    def _moved_away(self, calendar_id: str, event_id: str) -> bool:
        """The engine moved the event to another calendar (``events.move``: a series cut from
        one whose calendar is un-picked goes to the target, docs/sync-rules.md "Which
        calendar a CRM meeting belongs in"); Google lists it cancelled where it was."""
        return any(
            event_id in self._live_events(other) for other in CALENDARS if other != calendar_id
        )

    def _check_no_unasked_deletion(self) -> None:
        for meeting in Meeting.objects.filter(owner=self.world.user, deleted_at__isnull=False):
            assert self._deletion_asked(meeting), f"meeting {meeting.pk} deleted by nobody"
        for calendar_id in CALENDARS:
            for event_id, event in self._events(calendar_id).items():
                key = (calendar_id, event_id)
                if event["status"] != "cancelled":
                    self.cancellations_asked.discard(key)
                elif key not in self.cancellations_asked:
                    assert self._event_deletion_asked(calendar_id, event), (
                        f"event {calendar_id}/{event_id} deleted by nobody"
                    )
                    self.cancellations_asked.add(key)

    def _check_read_only_calendar_untouched(self) -> None:
        writes = self.world.engine_writes_to(READ_ONLY_CALENDAR_ID)
        assert writes == [], f"writes to a calendar the user can only read: {writes}"

    def _check_idle_sync_writes_nothing(self) -> None:
        mark = len(self.world.emulator.request_log)
        versions = self.world.meeting_versions()
        listed = dict(self._listed)
        run = self._run_sync()
        assert run.status == SyncRun.Status.SUCCEEDED, (run.status, run.errors)
        assert self.world.engine_writes(mark) == [], run.counts
        self._listed = listed  # Google is as the checks just listed it: nothing was written.
        assert self.world.meeting_versions() == versions, run.counts
        # Our own writes come back as echoes: listings (a page or more per calendar), nothing
        # else.
        calls = self.world.engine_calls(mark)
        assert all(call.startswith("GET") and call.endswith("/events") for call in calls), calls
        assert len(calls) >= len(self._synced_calendars()), calls


def _shows(fields: MeetingFields, values: dict[str, Any], zone: str) -> bool:
    """The meeting or event holds the edited ``values``: a rule as given, or with its UNTIL
    written for the start it now has (in ``zone``, the series'), as the merge writes it when
    the other side made the series timed or all-day, or moved it to another zone or time of
    day (docs/sync-rules.md, "The merge rule")."""
    return all(
        fields.value(name) == value
        or (
            name == "recurrence"
            and (
                fields.value(name)
                == rules_model.until_of_kind(value, all_day=fields.all_day, zone=zone)
                or (
                    not fields.all_day
                    and rules_model.kept_its_last_day(
                        fields.recurrence,
                        rules_model.until_of_kind(value, all_day=False, zone=zone),
                        zone=zone,
                    )
                )
            )
        )
        for name, value in values.items()
    )
