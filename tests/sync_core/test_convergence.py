"""Random edits on both sides, flaky writes and syncs: the sides always converge.

Like vdirsyncer's ``tests/unit/sync/test_sync.py``: a Hypothesis state machine over the
in-memory CRM and Google sides. After every sync without injected faults: both sides agree
on every item, nothing is duplicated, no edit is lost (it is applied, or recorded as a
conflict), nothing is deleted that nobody deleted, and a second sync writes nothing.
"""

from __future__ import annotations

import os
from datetime import UTC
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from tandem.sync.core.apply import SyncReport
from tandem.sync.core.driver import sync_once
from tandem.sync.core.fields import MeetingFields, TimedMoment
from tandem.sync.core.identity import import_key_of, meeting_id_from_marker
from tandem.sync.core.mapping import MARKER_KEY, fields_from_event, patch_from_changes
from tandem.sync.core.memory import Clock, MemoryCrm, MemoryGoogle, MemoryLinks
from tandem.sync.core.state import Link, SyncSettings
from tests.sync_core.pending_edits import PendingEdit, after_deletion, after_edit, shows
from tests.sync_core.strategies import VISIBILITY_VALUES, field_edits, meeting_fields

NAMESPACE = "test"
FAULTS = st.lists(st.sampled_from([None, "before", "after"]), max_size=5)


def _google_patch(values: dict[str, Any]) -> dict[str, Any]:
    """A Google user's edit, written with UTC "Z" offsets: only the representation differs."""
    patch = patch_from_changes(values)
    for bound in ("start", "end"):
        moment = values.get(bound)
        if isinstance(moment, TimedMoment):
            patch[bound]["dateTime"] = moment.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return patch


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = Clock()
        self.crm = MemoryCrm(self.clock)
        self.google = MemoryGoogle(self.clock, zone="Europe/Paris")
        self.links = MemoryLinks()
        self.private_sync = False
        self.pending: list[PendingEdit] = []
        self.conflicts: set[tuple[int | None, str]] = set()
        self.crm_deleted_by_user: set[int] = set()
        self.google_deleted_by_user: set[str] = set()
        self.meeting_of_event: dict[str, int] = {}

    # -- people in the CRM -------------------------------------------------------------
    @rule(fields=meeting_fields())
    def crm_create(self, fields: MeetingFields) -> None:
        self.crm.user_create(fields)

    @precondition(lambda self: self.crm.alive())
    @rule(data=st.data(), values=field_edits())
    def crm_edit(self, data: st.DataObject, values: dict[str, Any]) -> None:
        meeting_id = data.draw(st.sampled_from(sorted(self.crm.alive())))
        before = self.crm.rows[meeting_id].fields
        self.crm.user_edit(meeting_id, before.with_values(values))
        self.pending = after_edit(self.pending, meeting_id, "crm", values, before)

    @precondition(lambda self: self.crm.alive())
    @rule(data=st.data(), visibility=st.sampled_from(VISIBILITY_VALUES))
    def crm_set_visibility(self, data: st.DataObject, visibility: str) -> None:
        meeting_id = data.draw(st.sampled_from(sorted(self.crm.alive())))
        values = {"visibility": visibility}
        before = self.crm.rows[meeting_id].fields
        self.crm.user_edit(meeting_id, before.with_values(values))
        self.pending = after_edit(self.pending, meeting_id, "crm", values, before)

    @precondition(lambda self: self.crm.alive())
    @rule(data=st.data())
    def crm_delete(self, data: st.DataObject) -> None:
        meeting_id = data.draw(st.sampled_from(sorted(self.crm.alive())))
        self.pending = after_deletion(
            self.pending, meeting_id, "crm", self.crm.rows[meeting_id].fields
        )
        self.crm.user_delete(meeting_id)
        self.crm_deleted_by_user.add(meeting_id)

    @precondition(lambda self: any(row.deleted for row in self.crm.rows.values()))
    @rule(data=st.data())
    def crm_restore(self, data: st.DataObject) -> None:
        dead = sorted(mid for mid, row in self.crm.rows.items() if row.deleted)
        self.crm.user_restore(data.draw(st.sampled_from(dead)))

    # -- people in Google Calendar -------------------------------------------------------
    @rule(fields=meeting_fields())
    def google_create(self, fields: MeetingFields) -> None:
        self.google.user_create(fields)

    @precondition(lambda self: self.google.alive())
    @rule(data=st.data(), values=field_edits())
    def google_edit(self, data: st.DataObject, values: dict[str, Any]) -> None:
        self._person_patches(self.google, data, values, _google_patch(values))

    @precondition(lambda self: self.google.alive())
    @rule(data=st.data(), visibility=st.sampled_from(VISIBILITY_VALUES))
    def google_set_visibility(self, data: st.DataObject, visibility: str) -> None:
        values = {"visibility": visibility}
        self._person_patches(self.google, data, values, values)

    @precondition(lambda self: self.google.alive())
    @rule(data=st.data())
    def google_delete(self, data: st.DataObject) -> None:
        self._person_deletes(self.google, data)

    def _person_patches(
        self, calendar: MemoryGoogle, data: st.DataObject, values: dict[str, Any], patch: Any
    ) -> None:
        """A person in Google Calendar sets ``values`` (sent as ``patch``) on an event."""
        event_id = data.draw(st.sampled_from(sorted(calendar.alive())))
        before = fields_from_event(calendar.events[event_id], default_zone=calendar.zone)
        calendar.user_patch(event_id, patch)
        self.pending = after_edit(
            self.pending, self._item_of_event(event_id), "google", values, before
        )

    def _person_deletes(self, calendar: MemoryGoogle, data: st.DataObject) -> None:
        event_id = data.draw(st.sampled_from(sorted(calendar.alive())))
        seen = fields_from_event(calendar.events[event_id], default_zone=calendar.zone)
        self.pending = after_deletion(self.pending, self._item_of_event(event_id), "google", seen)
        calendar.user_delete(event_id)
        self.google_deleted_by_user.add(event_id)

    # -- settings and plumbing -----------------------------------------------------------
    @rule()
    def toggle_private_sync(self) -> None:
        self.private_sync = not self.private_sync

    @rule(size=st.sampled_from([1, 2, 3, 250]))
    def page_size(self, size: int) -> None:
        """Listings come in pages of this many events (the driver's paged path: pairing and
        writing page by page, the token with the last page)."""
        self.google.page_size = size

    @rule()
    def expire_sync_token(self) -> None:
        self.google.dead_tokens = True

    @rule(crm_faults=FAULTS, google_faults=FAULTS)
    def flaky_sync(self, crm_faults: list[Any], google_faults: list[Any]) -> None:
        self.crm.inject(*crm_faults)
        self.google.inject(*google_faults)
        self._sync()
        self.crm.faults.clear()
        self.google.faults.clear()

    @rule()
    def sync(self) -> None:
        dead_meetings = {mid for mid, row in self.crm.rows.items() if row.deleted}
        dead_events = set(self.google.events) - set(self.google.alive())
        report = self._sync()
        if report.needs_attention:
            # The breaker held every deletion; the user confirms and the run goes through.
            assert {mid for mid, row in self.crm.rows.items() if row.deleted} <= dead_meetings
            assert set(self.google.events) - set(self.google.alive()) <= dead_events
            report = self._sync(allow_mass_delete=True)
        assert not report.errors, report.errors
        self._check_agreement()
        self._check_no_duplicates()
        self._check_no_lost_edit()
        self._check_no_unasked_deletion()
        crm_writes, google_writes = self.crm.writes, self.google.writes
        again = self._sync()
        assert again.writes == 0, [plan for plan in again.plans if plan.writes]
        assert (self.crm.writes, self.google.writes) == (crm_writes, google_writes)
        self.pending.clear()

    # -- helpers -------------------------------------------------------------------------
    def _sync(self, *, allow_mass_delete: bool = False) -> SyncReport:
        self._learn_links()
        self._forget_reverted_edits()
        report = sync_once(
            self.crm,
            self.google,
            self.links,
            settings=SyncSettings(private_sync=self.private_sync),
            namespace=NAMESPACE,
            allow_mass_delete=allow_mass_delete,
        )
        self._learn_links()
        self.conflicts |= {(mid, conflict.field) for mid, conflict in report.conflicts}
        # Pending edits on unknown events now belong to the meeting they were imported as.
        self.pending = [
            PendingEdit(self._resolve(edit.item), edit.side, edit.values) for edit in self.pending
        ]
        return report

    def _learn_links(self) -> None:
        for link in self.links.links(calendar_id=self.google.calendar_id):
            self.meeting_of_event[link.event_id] = link.meeting_id

    def _item_of_event(self, event_id: str) -> Any:
        event = self.google.events[event_id]
        marker = event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY)
        meeting_id = meeting_id_from_marker(NAMESPACE, marker)
        if meeting_id is not None:
            return meeting_id
        for meeting_id, row in self.crm.rows.items():
            if row.import_key == import_key_of(self.google.calendar_id, event_id):
                return meeting_id
        return self.meeting_of_event.get(event_id, ("event", event_id))

    def _resolve(self, item: Any) -> Any:
        return self._item_of_event(item[1]) if isinstance(item, tuple) else item

    def _forget_reverted_edits(self) -> None:
        """An edit back to the last agreed value is no change anyone can see; an edit to the
        value a deleter on the other side already saw does not undo their deletion."""
        bases = {link.meeting_id: link.base for link in self._agreements()}
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
            row = self.crm.rows[edit.item]
            return row.fields if row.deleted else None
        for event_id, fields in self._deleted_events():
            if self._item_of_event(event_id) == edit.item:
                return fields
        return None

    def _agreements(self) -> list[Link]:
        """The links whose agreement an edit back to it undoes."""
        return self.links.links(calendar_id=self.google.calendar_id)

    def _deleted_events(self) -> list[tuple[str, MeetingFields]]:
        """Events a person or the sync deleted, with the fields their deleter saw."""
        return [
            (event_id, self._google_fields(event_id))
            for event_id, event in self.google.events.items()
            if event["status"] == "cancelled"
        ]

    def _google_fields(self, event_id: str) -> MeetingFields:
        return fields_from_event(self.google.events[event_id], default_zone=self.google.zone)

    def _hidden(self, fields: MeetingFields) -> bool:
        return fields.is_private and not self.private_sync

    # -- invariants ----------------------------------------------------------------------
    def _check_agreement(self) -> None:
        links = self.links.links(calendar_id=self.google.calendar_id)
        linked_meetings = {link.meeting_id for link in links}
        linked_events = {link.event_id for link in links}
        for link in links:
            row = self.crm.rows[link.meeting_id]
            event = self.google.events[link.event_id]
            assert not row.deleted, link
            assert event["status"] != "cancelled", link
            google_fields = fields_from_event(event, default_zone=self.google.zone)
            assert row.fields == google_fields == link.base, link
            if link.origin == "crm":
                assert not self._hidden(row.fields), f"private meeting left in Google: {link}"
        for event_id in self.google.alive():
            assert event_id in linked_events, f"event {event_id} has no meeting"
        for meeting_id, fields in self.crm.alive().items():
            if meeting_id not in linked_meetings:
                assert self._hidden(fields), f"meeting {meeting_id} is not in Google"

    def _check_no_duplicates(self) -> None:
        links = self.links.links(calendar_id=self.google.calendar_id)
        assert len({link.event_id for link in links}) == len(links)
        markers = [
            event.get("extendedProperties", {}).get("private", {}).get(MARKER_KEY)
            for event in self.google.alive().values()
        ]
        ours = [marker for marker in markers if marker is not None]
        assert len(ours) == len(set(ours)), "two live events carry one meeting's marker"
        assert len(self.google.alive()) == len(links)

    def _check_no_lost_edit(self) -> None:
        for edit in self.pending:
            assert not isinstance(edit.item, tuple), f"edit of unknown item {edit}"
            if any((edit.item, name) in self.conflicts for name in edit.values):
                continue  # Settled by the conflict rule, and recorded for the user to see.
            row = self.crm.rows[edit.item]
            assert not row.deleted, f"an edit lost to a deletion: {edit}"
            applied = all(row.fields.value(name) == v for name, v in edit.values.items())
            assert applied, f"lost edit {edit}: meeting is {row.fields}"

    def _check_no_unasked_deletion(self) -> None:
        events_of_meeting: dict[int, set[str]] = {}
        for event_id, meeting_id in self.meeting_of_event.items():
            events_of_meeting.setdefault(meeting_id, set()).add(event_id)
        for meeting_id, row in self.crm.rows.items():
            if row.deleted:
                asked = meeting_id in self.crm_deleted_by_user or bool(
                    events_of_meeting.get(meeting_id, set()) & self.google_deleted_by_user
                )
                assert asked, f"meeting {meeting_id} deleted by nobody"
        for event_id, event in self.google.events.items():
            if event["status"] != "cancelled":
                continue
            item = self._item_of_event(event_id)
            row = self.crm.rows.get(item) if isinstance(item, int) else None
            asked = (
                event_id in self.google_deleted_by_user
                or item in self.crm_deleted_by_user
                or (row is not None and not row.deleted and self._hidden(row.fields))
            )
            assert asked, f"event {event_id} deleted by nobody"


SyncMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("TANDEM_HYPOTHESIS_EXAMPLES", 200)),
    stateful_step_count=30,
    deadline=None,
)
TestSync = SyncMachine.TestCase
