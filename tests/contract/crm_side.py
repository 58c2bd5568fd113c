"""The CrmSide contract (``tandem.sync.core.sides.CrmSide``), written once.

A binding subclasses ``CrmSideContract`` and provides the ``crm`` fixture: a ``CrmBench``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar, Protocol

import pytest

from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.sides import CrmSide, NotFound, PreconditionFailed, SideError
from tandem.sync.core.state import CrmMeeting
from tests.contract.values import DAY, SAMPLES, in_window, samples, timed

UNKNOWN_MEETING = 10**8
KEY = "primary/event1"


class CrmBench(Protocol):
    """A CRM side under test and the person using the CRM around it."""

    @property
    def side(self) -> CrmSide: ...

    @property
    def window_start(self) -> datetime:
        """The start of the window the side was built with."""
        ...

    def person_creates(self, fields: MeetingFields) -> int:
        """A meeting made in the CRM (not by the sync); its id."""
        ...

    def person_edits(self, meeting_id: int, fields: MeetingFields) -> None: ...

    def person_deletes(self, meeting_id: int) -> None: ...

    def link(self, meeting_id: int, fields: MeetingFields) -> None:
        """The meeting gets linked to an event, in the link store this side is used with."""
        ...

    def person_changes_occurrence(self, fields: MeetingFields) -> int:
        """A weekly meeting made in the CRM whose second occurrence the person changed alone
        to ``fields`` (timed, in the series' zone): the id of that occurrence's row."""
        ...


def listed(crm: CrmBench, meeting_id: int) -> CrmMeeting | None:
    found = [m for m in crm.side.list_meetings() if m.meeting_id == meeting_id]
    assert len(found) <= 1, f"meeting {meeting_id} listed {len(found)} times"
    return found[0] if found else None


class CrmSideContract:
    """What the driver may rely on from any CRM side."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def crm(self) -> Iterator[CrmBench]:
        raise NotImplementedError("the binding provides the CrmBench")

    def fields(self, crm: CrmBench, **changes: Any) -> MeetingFields:
        return timed(in_window(crm.window_start), **changes)

    # -- create_meeting ---------------------------------------------------------------------

    @pytest.mark.parametrize("shape", SAMPLES)
    def test_a_created_meeting_reads_back_as_written(self, crm: CrmBench, shape: str) -> None:
        """What create_meeting was given comes back, from the call and from the listing."""
        fields = samples(crm.window_start)[shape]
        made = crm.side.create_meeting(fields=fields, import_key=KEY, read_only=False)
        assert (made.fields, made.import_key, made.deleted, made.read_only) == (
            fields,
            KEY,
            False,
            False,
        )
        assert listed(crm, made.meeting_id) == made

    def test_create_is_idempotent_by_import_key(self, crm: CrmBench) -> None:
        """A second create with the same import key returns the first meeting, unchanged."""
        first = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        again = crm.side.create_meeting(
            fields=self.fields(crm, subject="Other"), import_key=KEY, read_only=False
        )
        assert again == first
        assert [m.meeting_id for m in crm.side.list_meetings()] == [first.meeting_id]

    def test_a_replayed_create_after_a_delete_returns_the_tombstone(self, crm: CrmBench) -> None:
        """The import key still names the deleted meeting: a replay makes no second one."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        again = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        assert again.meeting_id == made.meeting_id
        assert again.deleted and again.version == gone.version
        assert len(list(crm.side.list_meetings())) == 1

    def test_two_import_keys_make_two_meetings(self, crm: CrmBench) -> None:
        fields = self.fields(crm)
        one = crm.side.create_meeting(fields=fields, import_key="cal/one", read_only=False)
        two = crm.side.create_meeting(fields=fields, import_key="cal/two", read_only=False)
        assert one.meeting_id != two.meeting_id
        assert {m.import_key for m in crm.side.list_meetings()} == {"cal/one", "cal/two"}

    def test_a_forgotten_import_is_a_crm_meeting_and_its_key_makes_a_new_one(
        self, crm: CrmBench
    ) -> None:
        """Its calendar was un-picked: restored, the meeting is pushed as a CRM one, and
        picked again, the event comes back as a new meeting."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        other = crm.side.create_meeting(
            fields=self.fields(crm), import_key="cal/other", read_only=False
        )
        crm.side.forget_import(meeting_id=made.meeting_id)
        now = listed(crm, made.meeting_id)
        assert now is not None
        assert (now.import_key, now.version, now.fields) == (None, made.version, made.fields)
        assert listed(crm, other.meeting_id) == other
        again = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        assert again.meeting_id not in {made.meeting_id, other.meeting_id}

    def test_create_keeps_read_only(self, crm: CrmBench) -> None:
        """An event of a calendar the user cannot write becomes a read-only meeting."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=True)
        assert made.read_only
        listed_now = listed(crm, made.meeting_id)
        assert listed_now is not None and listed_now.read_only

    # -- update_meeting ---------------------------------------------------------------------

    def test_an_update_sets_the_fields_and_moves_the_version(self, crm: CrmBench) -> None:
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        wanted = self.fields(crm, subject="Moved", location="Room 4")
        updated = crm.side.update_meeting(
            meeting_id=made.meeting_id, fields=wanted, expected_version=made.version, restore=False
        )
        assert updated.fields == wanted and not updated.deleted
        assert updated.version != made.version
        assert listed(crm, made.meeting_id) == updated

    @pytest.mark.parametrize("shape", SAMPLES)
    def test_an_update_can_reach_every_shape(self, crm: CrmBench, shape: str) -> None:
        """Timed to all-day, texts set, recurrence added: any fields can replace any."""
        made = crm.side.create_meeting(
            fields=self.fields(crm, subject="Before"), import_key=KEY, read_only=False
        )
        wanted = samples(crm.window_start)[shape]
        updated = crm.side.update_meeting(
            meeting_id=made.meeting_id, fields=wanted, expected_version=made.version, restore=False
        )
        assert updated.fields == wanted
        assert listed(crm, made.meeting_id) == updated

    def test_each_write_returns_the_version_the_next_write_expects(self, crm: CrmBench) -> None:
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        one = crm.side.update_meeting(
            meeting_id=made.meeting_id,
            fields=self.fields(crm, subject="One"),
            expected_version=made.version,
            restore=False,
        )
        two = crm.side.update_meeting(
            meeting_id=made.meeting_id,
            fields=self.fields(crm, subject="Two"),
            expected_version=one.version,
            restore=False,
        )
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=two.version)
        assert gone.deleted and gone.fields.subject == "Two"

    def test_an_update_at_a_stale_version_fails_and_changes_nothing(self, crm: CrmBench) -> None:
        """A person edited the meeting since the sync read it: PreconditionFailed."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        persons = self.fields(crm, subject="Edited in the CRM")
        crm.person_edits(made.meeting_id, persons)
        with pytest.raises(PreconditionFailed):
            crm.side.update_meeting(
                meeting_id=made.meeting_id,
                fields=self.fields(crm, subject="From Google"),
                expected_version=made.version,
                restore=False,
            )
        now = listed(crm, made.meeting_id)
        assert now is not None and now.fields == persons

    def test_an_update_without_expected_version_takes_any_version(self, crm: CrmBench) -> None:
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        crm.person_edits(made.meeting_id, self.fields(crm, subject="Edited in the CRM"))
        wanted = self.fields(crm, subject="From Google")
        updated = crm.side.update_meeting(
            meeting_id=made.meeting_id, fields=wanted, expected_version=None, restore=False
        )
        assert updated.fields == wanted

    def test_an_update_of_an_unknown_meeting_is_not_found(self, crm: CrmBench) -> None:
        with pytest.raises(NotFound):
            crm.side.update_meeting(
                meeting_id=UNKNOWN_MEETING,
                fields=self.fields(crm),
                expected_version=None,
                restore=False,
            )

    def test_restore_undeletes_a_tombstone_with_the_fields(self, crm: CrmBench) -> None:
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        wanted = self.fields(crm, subject="Edited in Google")
        back = crm.side.update_meeting(
            meeting_id=made.meeting_id, fields=wanted, expected_version=gone.version, restore=True
        )
        assert not back.deleted and back.fields == wanted
        assert listed(crm, made.meeting_id) == back

    def test_restore_of_a_tombstone_checks_the_version(self, crm: CrmBench) -> None:
        """A restore planned before the person deleted the meeting again is refused."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        crm.person_deletes(made.meeting_id)
        with pytest.raises(PreconditionFailed):
            crm.side.update_meeting(
                meeting_id=made.meeting_id,
                fields=self.fields(crm),
                expected_version=made.version,
                restore=True,
            )
        now = listed(crm, made.meeting_id)
        assert now is not None and now.deleted

    def test_an_update_without_restore_never_undeletes(self, crm: CrmBench) -> None:
        """Without ``restore`` a tombstone stays one (the call may refuse with a SideError)."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        with contextlib.suppress(SideError):
            crm.side.update_meeting(
                meeting_id=made.meeting_id,
                fields=self.fields(crm, subject="Edited in Google"),
                expected_version=gone.version,
                restore=False,
            )
        now = listed(crm, made.meeting_id)
        assert now is not None and now.deleted

    # -- delete_meeting ---------------------------------------------------------------------

    def test_a_delete_makes_a_tombstone_that_keeps_its_fields(self, crm: CrmBench) -> None:
        fields = self.fields(crm)
        made = crm.side.create_meeting(fields=fields, import_key=KEY, read_only=False)
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        assert gone.deleted and gone.fields == fields and gone.import_key == KEY
        assert gone.version != made.version
        assert listed(crm, made.meeting_id) == gone

    def test_a_delete_at_a_stale_version_fails_and_keeps_the_meeting(self, crm: CrmBench) -> None:
        """Edited in the CRM since the sync read it: the deletion from Google is refused."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        crm.person_edits(made.meeting_id, self.fields(crm, subject="Edited in the CRM"))
        with pytest.raises(PreconditionFailed):
            crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        now = listed(crm, made.meeting_id)
        assert now is not None and not now.deleted

    def test_a_delete_of_a_tombstone_leaves_it_as_it_is_at_any_version(self, crm: CrmBench) -> None:
        """A series' deletion takes its occurrence rows along; the rows' own deletions,
        planned before it in the same pass, then find tombstones (an un-picked calendar
        failed every such run: test_db_machine_oracle.py)."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        again = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=made.version)
        assert again == gone

    def test_a_delete_of_an_unknown_meeting_is_not_found(self, crm: CrmBench) -> None:
        with pytest.raises(NotFound):
            crm.side.delete_meeting(meeting_id=UNKNOWN_MEETING, expected_version=1)

    def test_the_sync_may_change_a_read_only_meeting(self, crm: CrmBench) -> None:
        """Read-only is for the person; changes from the read-only calendar still land."""
        made = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=True)
        wanted = self.fields(crm, subject="Changed by its organizer")
        updated = crm.side.update_meeting(
            meeting_id=made.meeting_id, fields=wanted, expected_version=made.version, restore=False
        )
        assert updated.fields == wanted and updated.read_only
        gone = crm.side.delete_meeting(meeting_id=made.meeting_id, expected_version=updated.version)
        assert gone.deleted

    # -- list_meetings ----------------------------------------------------------------------

    def test_a_persons_meeting_is_listed_without_import_key(self, crm: CrmBench) -> None:
        fields = self.fields(crm)
        meeting_id = crm.person_creates(fields)
        found = listed(crm, meeting_id)
        assert found is not None
        assert (found.fields, found.import_key, found.deleted) == (fields, None, False)

    def test_tombstones_are_listed(self, crm: CrmBench) -> None:
        """A meeting the person deleted is listed as a tombstone, so the sync deletes its event."""
        meeting_id = crm.person_creates(self.fields(crm))
        crm.person_deletes(meeting_id)
        found = listed(crm, meeting_id)
        assert found is not None and found.deleted

    def test_a_meeting_still_running_at_the_window_start_is_listed(self, crm: CrmBench) -> None:
        fields = timed(crm.window_start - DAY, hours=48)
        meeting_id = crm.person_creates(fields)
        assert listed(crm, meeting_id) is not None

    def test_a_meeting_over_before_the_window_is_not_listed(self, crm: CrmBench) -> None:
        """Unlinked and over before the window starts: left alone, not listed."""
        old = crm.person_creates(timed(crm.window_start - 10 * DAY))
        gone = crm.person_creates(timed(crm.window_start - 9 * DAY))
        crm.person_deletes(gone)
        assert listed(crm, old) is None
        assert listed(crm, gone) is None

    def test_a_linked_meeting_is_listed_whatever_its_dates(self, crm: CrmBench) -> None:
        """Linked, it is listed even when over before the window, tombstone or not."""
        fields = timed(crm.window_start - 10 * DAY)
        kept = crm.person_creates(fields)
        deleted = crm.person_creates(fields)
        crm.link(kept, fields)
        crm.link(deleted, fields)
        crm.person_deletes(deleted)
        found = listed(crm, kept)
        assert found is not None and found.fields == fields
        tombstone = listed(crm, deleted)
        assert tombstone is not None and tombstone.deleted

    # -- occurrences changed alone in the CRM (planner.plan_occurrence_out) -----------------

    def moved(self, crm: CrmBench) -> MeetingFields:
        """What the person made of the occurrence: a week on, two hours later, renamed."""
        return timed(in_window(crm.window_start, days=38, hour=11), subject="Moved")

    def test_an_import_recorded_for_a_row_makes_it_stand_for_that_event(
        self, crm: CrmBench
    ) -> None:
        """A cancelled occurrence pushed: the next listing finds its instance known."""
        row = crm.person_changes_occurrence(self.moved(crm))
        assert not crm.side.import_recorded(import_key=KEY)
        crm.side.record_import(meeting_id=row, import_key=KEY)
        assert crm.side.import_recorded(import_key=KEY)
        assert not crm.side.import_recorded(import_key="primary/another")
        found = listed(crm, row)
        assert found is not None and found.import_key == KEY
        with pytest.raises(NotFound):
            crm.side.record_import(meeting_id=UNKNOWN_MEETING, import_key="primary/event2")

    def test_a_discarded_occurrence_row_is_gone_for_good(self, crm: CrmBench) -> None:
        """Not a deletion of the user's meeting: no tombstone is left to sync."""
        row = crm.person_changes_occurrence(self.moved(crm))
        kept = crm.person_creates(self.fields(crm))
        crm.side.discard_occurrence_row(meeting_id=row)
        assert listed(crm, row) is None
        assert listed(crm, kept) is not None
        with pytest.raises(NotFound):
            crm.side.discard_occurrence_row(meeting_id=row)

    def test_a_detached_occurrence_row_is_a_meeting_of_the_crms_own(self, crm: CrmBench) -> None:
        """Its series deleted in Google, the occurrence the CRM changed stays: listed with
        its values and version (no change of its fields), no import record, as a meeting
        the outbound pass pushes anew."""
        row = crm.person_changes_occurrence(self.moved(crm))
        crm.side.record_import(meeting_id=row, import_key=KEY)
        before = listed(crm, row)
        assert before is not None
        with pytest.raises(PreconditionFailed):
            crm.side.detach_occurrence(meeting_id=row, expected_version=before.version + 1)
        detached = crm.side.detach_occurrence(meeting_id=row, expected_version=before.version)
        assert detached == listed(crm, row)
        assert (detached.fields, detached.version, detached.deleted) == (
            self.moved(crm),
            before.version,
            False,
        )
        assert detached.import_key is None and not crm.side.import_recorded(import_key=KEY)
        with pytest.raises(NotFound):
            crm.side.detach_occurrence(meeting_id=UNKNOWN_MEETING, expected_version=None)

    def test_a_merged_occurrence_row_goes_onto_the_row_that_holds_it(self, crm: CrmBench) -> None:
        """One row per occurrence: the row's values become an edit of the one that holds
        its instance (the version moves, so the outbound look pushes it), the row goes."""
        holder = crm.side.create_meeting(fields=self.fields(crm), import_key=KEY, read_only=False)
        row = crm.person_changes_occurrence(self.moved(crm))
        assert crm.side.merge_occurrence_row(
            meeting_id=row, into=holder.meeting_id, fields=self.moved(crm)
        )
        assert listed(crm, row) is None
        merged = listed(crm, holder.meeting_id)
        assert merged is not None
        assert (merged.fields, merged.deleted) == (self.moved(crm), False)
        assert merged.version > holder.version
        again = crm.person_changes_occurrence(self.moved(crm))
        assert not crm.side.merge_occurrence_row(
            meeting_id=again, into=holder.meeting_id, fields=self.moved(crm)
        )
        assert listed(crm, again) is None
        assert listed(crm, holder.meeting_id) == merged  # the same values: no edit

    def test_a_merge_into_an_unknown_meeting_is_not_found_and_keeps_the_row(
        self, crm: CrmBench
    ) -> None:
        row = crm.person_changes_occurrence(self.moved(crm))
        before = listed(crm, row)
        with pytest.raises(NotFound):
            crm.side.merge_occurrence_row(
                meeting_id=row, into=UNKNOWN_MEETING, fields=self.moved(crm)
            )
        assert listed(crm, row) == before
