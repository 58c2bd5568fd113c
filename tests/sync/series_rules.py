"""The database convergence machine's recurring series: made on either side, one occurrence
changed, cancelled or restored alone, the series edited as a whole (title, moved by half
an hour or an hour, fewer occurrences, made all-day or timed) or ended, and after every
clean sync both calendars show each series alike and as people left it (series_support.py).
In the CRM, each of Google Calendar's three scopes goes through the service its page calls:
"this event" (occurrence_edits), "this and following events" changed or deleted
(series_edits' series_split, series_delete_following: the series ends with UNTIL, the
machine reads such a rule too) and "all events" (series_update, meeting_delete).

What people may do here is what they can do in the CRM's pages and in Google Calendar: an
occurrence changed alone keeps its kind (timed or all-day) and has no rule of its own; a
series whose occurrences were changed or cancelled alone is moved or re-ruled only by the
series rules below (a move of the whole series, fewer occurrences, a change of kind), not
by arbitrary edits. A series made all-day or timed in Google keeps its occurrences changed
alone, apart from its days, on both sides (series_support.py, Slots.apart); made so in the
CRM, its form resets them (meetings/series_edits.py series_update).
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.occurrences import series_starts
from tandem.meetings.series_edits import (
    lines_following,
    series_delete_following,
    series_split,
    series_update,
)
from tandem.meetings.services import MeetingInput, input_of, meeting_create
from tandem.sync.adapters.crm import meeting_fields
from tandem.sync.adapters.serialize import fields_from_json
from tandem.sync.core.fields import TimedMoment
from tandem.sync.core.identity import MARKER_KEY
from tandem.sync.models import EventLink
from tests.sync.db_machine import CALENDARS, READ_ONLY_CALENDAR_ID, ConvergenceMachine, Item
from tests.sync.prop_support import (
    CALENDAR_ZONES,
    OCCURRENCE_MOVES,
    SERIES_MOVES,
    SUBJECTS,
    TEXTS,
    google_body,
    meeting_input,
    series_fields,
    series_rule,
)
from tests.sync.series_support import (
    HORIZON,
    SLOT_FIELDS,
    STEP_DAYS,
    CrmSeriesView,
    SeriesChanges,
    Shown,
    Slot,
    Slots,
    apart_from_days,
    crm_rule,
    crm_series_views,
    google_apart_from_days,
    google_first_start,
    google_original_start,
    google_rule,
    google_series_views,
    moment_shown,
    over_by,
    place_in_series,
    slot_start,
)
from tests.sync_core.pending_edits import after_edit

# "kind": the series made all-day (on the days it had, or a day earlier) or timed (09:00 on
# the series' wall clock), as the series' form and Google Calendar's "All day" box do.
SERIES_EDITS = ("subject", "move", "shorten", "kind")
OCCURRENCE_SUBJECTS = ("Moved", "Rescheduled ☀")
# The rules below that change or cancel one occurrence alone (series_with_exception_...).
EXCEPTION_RULES = (
    "crm_change_occurrence",
    "crm_cancel_occurrence",
    "google_change_instance",
    "google_cancel_instance",
)
PRIVATE = ("private", "confidential")


def _series_made(machine: SeriesMachine) -> bool:
    """Rules on series are drawn once a series exists (on either side, maybe deleted since:
    then they do nothing)."""
    return machine.series_made


def _occurrence_cancelled(machine: SeriesMachine) -> bool:
    return machine.occurrence_cancelled


def _moved_bound(bound: dict[str, Any], minutes: int) -> dict[str, Any]:
    """A Google start or end moved by ``minutes`` (an all-day one by a day that way)."""
    if "date" in bound:
        days = (minutes > 0) - (minutes < 0)
        return {"date": (date.fromisoformat(bound["date"]) + timedelta(days=days)).isoformat()}
    at = datetime.fromisoformat(bound["dateTime"].replace("Z", "+00:00"))
    moved = {"dateTime": (at + timedelta(minutes=minutes)).isoformat()}
    return moved | ({"timeZone": bound["timeZone"]} if "timeZone" in bound else {})


def _imported(meeting: Meeting) -> bool:
    """Whether the meeting stands for a Google event it was made from (read afresh)."""
    return Meeting.objects.filter(pk=meeting.pk, import_key__isnull=False).exists()


class SeriesMachine(ConvergenceMachine):
    def __init__(self) -> None:
        super().__init__()
        self.slots = Slots()
        self.occurrence_rows: set[int] = set()  # rows made by occurrence_change/_cancel
        self.recent: dict[Item, SeriesChanges] = {}  # since the last clean sync
        self.occurrence_cancelled = False
        # Occurrence rows the coming sync must leave as meetings of their own (see
        # _must_stand_alone), worked out before each run.
        self.standing_alone: set[int] = set()

    # -- series made on either side ------------------------------------------------------------

    @rule(fields=series_fields())
    def crm_create_series(self, fields: Any) -> None:
        meeting_create(owner=self.world.user, data=meeting_input(fields))
        self.series_made = True

    @rule(calendar_id=st.sampled_from(CALENDARS), fields=series_fields())
    def google_create_series(self, calendar_id: str, fields: Any) -> None:
        self._google_create(calendar_id, google_body(fields))
        self.series_made = True

    # -- one occurrence alone, in the CRM -----------------------------------------------------

    @precondition(_series_made)
    # Titles of occurrences changed alone in the CRM are none of a series' (SUBJECTS): a
    # row never has its occurrence's values, pushed as is (test_found_by_machine.py::
    # test_an_occurrence_saved_unchanged_in_the_crm_follows_a_later_series_edit_alike).
    @rule(
        data=st.data(),
        subject=st.sampled_from(OCCURRENCE_SUBJECTS),
        move=st.sampled_from(OCCURRENCE_MOVES),
        location=st.sampled_from(TEXTS),
    )
    def crm_change_occurrence(
        self, data: st.DataObject, subject: str, move: int, location: str
    ) -> None:
        picked = self._pick_crm_occurrence(data)
        if picked is None:
            return
        series, original, place = picked
        if not self._crm_occurrence_allowed(series, place):
            return
        if series.is_private:
            # Not drawn: an occurrence row that is private. Its rule is pinned by
            # test_found_by_machine.py::
            # test_an_occurrence_made_private_in_the_crm_stays_out_of_google, but the
            # oracle (rules_model.py) does not model a row kept out of Google yet.
            return
        data_in = _occurrence_input(series, original, subject=subject, move=move, location=location)
        if series.read_only:
            with pytest.raises(ValidationError, match="cannot edit"):
                occurrence_change(series=series, original_start=original, data=data_in)
            return
        row = occurrence_change(series=series, original_start=original, data=data_in)
        self.occurrence_rows.add(row.pk)
        self.slots.act(series.pk, place, "crm", "changed", _row_values(row))

    @precondition(_series_made)
    @rule(data=st.data())
    def crm_cancel_occurrence(self, data: st.DataObject) -> None:
        picked = self._pick_crm_occurrence(data)
        if picked is None:
            return
        series, original, place = picked
        if not self._crm_occurrence_allowed(series, place):
            return
        if series.read_only:
            with pytest.raises(ValidationError, match="cannot edit"):
                occurrence_cancel(series=series, original_start=original)
            return
        row = occurrence_cancel(series=series, original_start=original)
        self.occurrence_cancelled = True
        self.occurrence_rows.add(row.pk)
        self.crm_deleted_by_user.add(row.pk)  # the row stands for the user's cancellation
        self.slots.act(series.pk, place, "crm", "cancelled")

    # -- one instance alone, in Google --------------------------------------------------------

    @precondition(_series_made)
    @rule(
        data=st.data(),
        subject=st.sampled_from(SUBJECTS),
        move=st.sampled_from(OCCURRENCE_MOVES),
    )
    def google_change_instance(self, data: st.DataObject, subject: str, move: int) -> None:
        picked = self._pick_instance(data, cancelled=False)
        if picked is None:
            return
        calendar_id, series, instance, place = picked
        if not self._google_occurrence_allowed(calendar_id, series):
            return
        if self._other_side_acted(self._item_of_event(calendar_id, series), place, "google"):
            return
        patch: dict[str, Any] = {"summary": subject}
        names: dict[str, Any] = {"subject": subject}
        if move:
            patch |= {name: _moved_bound(instance[name], move) for name in ("start", "end")}
            names |= {"start": None, "end": None}
        self._google_edit(calendar_id, instance, names, patch=patch, check=False)

    @precondition(_series_made)
    @rule(data=st.data())
    def google_cancel_instance(self, data: st.DataObject) -> None:
        picked = self._pick_instance(data, cancelled=False)
        if picked is not None:
            calendar_id, _series, instance, _place = picked
            self._google_delete(calendar_id, instance)  # _google_delete_allowed decides

    @precondition(_occurrence_cancelled)
    @rule(data=st.data(), subject=st.sampled_from((None, *SUBJECTS)))
    def google_restore_instance(self, data: st.DataObject, subject: str | None) -> None:
        picked = self._pick_instance(data, cancelled=True)
        if picked is None:
            return
        calendar_id, series, instance, place = picked
        if not self._google_occurrence_allowed(calendar_id, series):
            return
        patch: dict[str, Any] = {"status": "confirmed"}
        if subject is not None:
            patch["summary"] = subject
        self.world.person_for(calendar_id).patch(calendar_id, instance["id"], patch)
        self._google_changed(calendar_id)
        self.google_deleted_by_user.discard((calendar_id, instance["id"]))
        self.cancellations_asked.discard((calendar_id, instance["id"]))
        values = {} if subject is None else {"subject": subject}
        self.slots.act(self._item_of_event(calendar_id, series), place, "google", "changed", values)

    # -- the series as a whole ----------------------------------------------------------------

    @precondition(_series_made)
    @rule(
        data=st.data(),
        kind=st.sampled_from(SERIES_EDITS),
        subject=st.sampled_from(SUBJECTS),
        move=st.sampled_from(SERIES_MOVES),
        fewer=st.integers(0, 3),
    )
    def crm_edit_series(
        self, data: st.DataObject, kind: str, subject: str, move: int, fewer: int
    ) -> None:
        series = self._pick_crm_series(data)
        if series is not None:
            self._crm_edit_series(series, kind, subject, move, fewer)

    # A series is made all-day or timed by "kind" above (crm_edit_series, google_edit_series);
    # this rule draws it on a series one of whose occurrences was just changed or cancelled
    # alone and synced, which a handful of steps rarely reaches otherwise.
    @precondition(_series_made)
    @rule(
        data=st.data(),
        exception=st.sampled_from(EXCEPTION_RULES),
        side=st.sampled_from(("crm", "google")),
        subject=st.sampled_from(OCCURRENCE_SUBJECTS),
        move=st.sampled_from(OCCURRENCE_MOVES),
        days=st.sampled_from(SERIES_MOVES),
    )
    def series_with_exception_changes_kind(
        self, data: st.DataObject, exception: str, side: str, subject: str, move: int, days: int
    ) -> None:
        """An occurrence changed or cancelled alone on one side, synced, then its series made
        all-day or timed on one side (``days``: as SERIES_MOVES in crm_edit_series)."""
        if exception == "crm_change_occurrence":
            self.crm_change_occurrence(data, subject, move, TEXTS[1])
        elif exception == "google_change_instance":
            self.google_change_instance(data, SUBJECTS[1], move)
        else:
            getattr(self, exception)(data)
        self.sync()
        wanted = self._series_with_synced_exceptions()
        if side == "crm":
            candidates = [
                pk
                for pk in wanted
                if isinstance(pk, int)
                and Meeting.objects.filter(pk=pk, deleted_at__isnull=True).exists()
            ]
            if candidates:
                picked = data.draw(st.sampled_from(candidates), label="series")
                series = Meeting.objects.get(pk=picked)
                if crm_rule(series) is not None:
                    self._crm_edit_series(series, "kind", SUBJECTS[0], days, 0)
            return
        found = [
            (calendar_id, event)
            for calendar_id in CALENDARS
            for event in self._live_events(calendar_id).values()
            if google_rule(event) is not None
            and not event.get("recurringEventId")
            and self._item_of_event(calendar_id, event) in set(wanted)
        ]
        if found:
            calendar_id, event = data.draw(st.sampled_from(found), label="series event")
            self._google_edit_series(calendar_id, event, "kind", SUBJECTS[0], days, 0)

    def _series_with_synced_exceptions(self) -> list[Item]:
        """The series (items) with an occurrence changed or cancelled alone that both sides
        have seen (nobody acted on it since the last clean sync)."""
        return sorted(
            (
                series
                for series, slots in self.slots.by_series.items()
                if any(
                    slot.state in ("changed", "cancelled") and not slot.sides
                    for slot in slots.values()
                )
            ),
            key=repr,
        )

    def _crm_edit_series(
        self, series: Meeting, kind: str, subject: str, move: int, fewer: int
    ) -> None:
        fields = meeting_fields(series)
        changes = self._recent(series.pk)
        if changes.kind_by and not (kind == "kind" and changes.second_kind_change_in_crm()):
            return  # Not drawn: see _kind_change_allowed.
        if kind == "subject":
            values: dict[str, Any] = {"subject": subject}
        elif kind == "kind":
            if not self._kind_change_allowed(series.pk, "crm"):
                return
            values = _other_kind(fields.start, series.time_zone, move)
            if _kind_changed_under_until(values, series.all_day, series.recurrence or []):
                return  # Not drawn: see _crm_edit_allowed.
            if not series.read_only:
                if changes.all_day_before_kind is None:
                    changes.all_day_before_kind = series.all_day
                changes.moved_by.add("crm")
                changes.kind_by.add("crm")
                self.slots.kind_changed.add(series.pk)
                self.slots.by_series[series.pk] = self._kept_by_crm_change_of_kind(series, values)
        elif kind == "move":
            if self._google_occurrence_pending(series.pk):
                # Not drawn: test_found_by_machine.py::
                # test_a_series_moved_in_the_crm_while_google_changed_one_occurrence_shows_it_once
                return
            if isinstance(fields.start, TimedMoment) and isinstance(fields.end, TimedMoment):
                shift = timedelta(minutes=move)
                values = {
                    "start": TimedMoment(fields.start.at + shift, fields.start.zone),
                    "end": TimedMoment(fields.end.at + shift, fields.end.zone),
                }
            else:
                assert isinstance(fields.start, date) and isinstance(fields.end, date)
                days = timedelta(days=(move > 0) - (move < 0))
                values = {"start": fields.start + days, "end": fields.end + days}
            if not series.read_only and _ends_before(series.recurrence, values["start"]):
                # Not drawn: the CRM refuses a series moved after its last day, which would
                # have no occurrence (tests/meetings/test_rule_ends_before_start.py).
                return
            if not series.read_only:
                changes.moved_by.add("crm")
        else:
            rule_ = crm_rule(series)
            assert rule_ is not None  # _pick_crm_series
            freq, count = rule_
            if count < 2:
                return
            count = 1 + fewer % (count - 1)
            values = {"recurrence": (series_rule(freq, count),)}
            if not series.read_only:
                self.slots.shorten(series.pk, count)
        # "All events", as the series' form saves it: occurrences changed alone that the new
        # rule no longer has are reset (the form listed them before saving).
        rows = self._live_rows(series)
        self._crm_edit(series, values, check=False, update=series_update)
        self._rows_reset(series, rows)
        if kind != "subject" and not series.read_only:
            # The form resets the rows the series' new days or times do not have: all those
            # apart from the days (they name no occurrence).
            self.slots.apart.pop(series.pk, None)

    # -- "this and following events", in the CRM ----------------------------------------------

    @precondition(_series_made)
    @rule(
        data=st.data(),
        subject=st.sampled_from((None, *SUBJECTS)),
        move=st.sampled_from((0, *SERIES_MOVES)),
    )
    def crm_change_following(self, data: st.DataObject, subject: str | None, move: int) -> None:
        """The series ends before one of its occurrences (not the first); a new series takes
        the rest, with a new title or time (series_edits.series_split)."""
        picked = self._pick_cut(data)
        if picked is None:
            return
        series, original, place = picked
        data_in = _following_input(series, original, subject=subject, move=move)
        if series.read_only:
            with pytest.raises(ValidationError, match="cannot edit"):
                series_split(series=series, original_start=original, data=data_in)
            return
        cancelled = {
            at - place: slot
            for at, slot in self.slots.by_series.get(series.pk, {}).items()
            if at >= place and slot.state in ("cancelled", "unknown")
        }
        rows = self._live_rows(series)
        before = meeting_fields(series)
        new_series = series_split(series=series, original_start=original, data=data_in)
        self._cut(series, place, before, rows)
        for at, slot in cancelled.items():
            if slot.state == "unknown":
                self.slots.by_series.setdefault(new_series.pk, {})[at] = Slot("unknown")
            else:
                self.slots.act(new_series.pk, at, "crm", "cancelled")
        for row in Meeting.objects.filter(series=new_series):
            # The occurrences cancelled before the cut stay cancelled on the new series.
            self.occurrence_cancelled = True
            self.occurrence_rows.add(row.pk)
            self.crm_deleted_by_user.add(row.pk)

    @precondition(_series_made)
    @rule(data=st.data())
    def crm_delete_following(self, data: st.DataObject) -> None:
        """The series ends before one of its occurrences (series_edits.series_delete_following)."""
        picked = self._pick_cut(data)
        if picked is None:
            return
        series, original, place = picked
        if series.read_only:
            with pytest.raises(ValidationError, match="cannot edit"):
                series_delete_following(series=series, original_start=original)
            return
        rows = self._live_rows(series)
        before = meeting_fields(series)
        series_delete_following(series=series, original_start=original)
        self._cut(series, place, before, rows)

    def _pick_cut(self, data: st.DataObject) -> tuple[Meeting, datetime, int] | None:
        """A series and one of its occurrences after the first, where it may be cut: only
        while Google has no change of the series or of its occurrences the CRM has not seen
        (the cut is computed from the CRM's copy; what two sides make of a rule changed on
        both is the merge's, checked by the sides' agreement only)."""
        series = self._pick_crm_series(data)
        if series is None:
            return None
        rule_ = crm_rule(series)
        assert rule_ is not None
        if rule_[1] < 2 or self._google_occurrence_pending(series.pk):
            return None
        changes = self._recent(series.pk)
        if (
            "google" in changes.moved_by | changes.deleted_by
            or changes.kind_by
            or any(edit.item == series.pk and edit.side == "google" for edit in self.pending)
        ):
            return None
        near = timedelta(seconds=1)
        starts = series_starts(series=series, start=series.start - near, end=series.start + HORIZON)
        if len(starts) < 2:
            return None
        place = data.draw(st.integers(1, len(starts) - 1), label="cut at")
        return series, starts[place], place

    def _live_rows(self, series: Meeting) -> set[int]:
        return set(
            Meeting.objects.filter(series=series, deleted_at__isnull=True).values_list(
                "pk", flat=True
            )
        )

    def _rows_reset(self, series: Meeting, rows: set[int]) -> set[int]:
        """Which of ``rows`` (the series' live rows before) a change of the whole series, or
        a cut, reset: deleted because the user saved it so."""
        reset = rows - self._live_rows(series)
        self.crm_deleted_by_user |= reset
        self.pending = [edit for edit in self.pending if edit.item not in reset]
        return reset

    def _cut(self, series: Meeting, place: int, before: Any, rows: set[int]) -> None:
        series.refresh_from_db()
        self.pending = after_edit(
            self.pending, series.pk, "crm", {"recurrence": tuple(series.recurrence)}, before
        )
        self.slots.shorten(series.pk, place)
        reset = self._rows_reset(series, rows)
        self.slots.apart[series.pk] = [
            kept
            for kept in self.slots.apart.get(series.pk, [])
            if kept.row is not None and kept.row not in reset
        ]

    @precondition(_series_made)
    @rule(
        data=st.data(),
        kind=st.sampled_from(SERIES_EDITS),
        subject=st.sampled_from(SUBJECTS),
        move=st.sampled_from(SERIES_MOVES),
        fewer=st.integers(0, 3),
    )
    def google_edit_series(
        self, data: st.DataObject, kind: str, subject: str, move: int, fewer: int
    ) -> None:
        picked = self._pick_google_series(data)
        if picked is not None:
            self._google_edit_series(*picked, kind, subject, move, fewer)

    def _google_edit_series(
        self,
        calendar_id: str,
        event: dict[str, Any],
        kind: str,
        subject: str,
        move: int,
        fewer: int,
    ) -> None:
        item = self._item_of_event(calendar_id, event)
        if self._recent(item).kind_by:
            return  # Not drawn: see _kind_change_allowed.
        if kind == "subject":
            patch: dict[str, Any] = {"summary": subject}
            names: dict[str, Any] = {"subject": None}
        elif kind == "kind":
            if not self._kind_change_allowed(item, "google"):
                return
            zone = event["start"].get("timeZone") or CALENDAR_ZONES[calendar_id]
            patch = _google_other_kind(event["start"], zone, move)
            names = {"start": None, "end": None}
            self._recent(item).moved_by.add("google")
            self._recent(item).kind_by.add("google")
            self.slots.kind_changed_in_google(item)
        elif kind == "move":
            patch = {name: _moved_bound(event[name], move) for name in ("start", "end")}
            names = {"start": None, "end": None}
            self._recent(item).moved_by.add("google")
        else:
            rule_ = google_rule(event)
            assert rule_ is not None  # _pick_google_series
            freq, count = rule_
            if count < 2:
                return
            count = 1 + fewer % (count - 1)
            patch = {"recurrence": [series_rule(freq, count)]}
            names = {"recurrence": None}
            # The record keeps the occurrences past the new end: Google's API keeps its
            # exceptions there, and the CRM its rows, so if the CRM's rule wins the merge
            # (changed there later, or the series brought back by a CRM edit), each side's
            # changes inside that rule's range stand on both sides; if Google's rule wins,
            # those places are past the end and nobody checks them (test_rules_series_
            # changed_on_both_sides.py::
            # test_a_rule_shortened_on_both_sides_keeps_the_winning_sides_cancellation).
        self._google_edit(calendar_id, event, names, patch=patch, check=False)

    @precondition(_series_made)
    @rule(data=st.data())
    def crm_end_series(self, data: st.DataObject) -> None:
        series = self._pick_crm_series(data)
        if series is not None:
            self._crm_delete(series)

    @precondition(_series_made)
    @rule(data=st.data())
    def google_end_series(self, data: st.DataObject) -> None:
        picked = self._pick_google_series(data)
        if picked is not None:
            self._google_delete(*picked)

    # -- picking ------------------------------------------------------------------------------

    def _pick_crm_series(self, data: st.DataObject) -> Meeting | None:
        """A live recurring meeting of a rule the machine draws, read-only ones included
        (refused)."""
        candidates = [
            meeting.pk
            for meeting in Meeting.objects.filter(
                owner=self.world.user, deleted_at__isnull=True, series__isnull=True
            ).exclude(recurrence=[])
            if crm_rule(meeting) is not None
        ]
        if not candidates:
            return None
        drawn = data.draw(st.sampled_from(sorted(candidates)), label="series")
        return Meeting.objects.get(pk=drawn)

    def _pick_crm_occurrence(self, data: st.DataObject) -> tuple[Meeting, datetime, int] | None:
        """A series, the start of one of its occurrences nobody changed or cancelled alone
        yet, and its place in the series."""
        series = self._pick_crm_series(data)
        if series is None:
            return None
        rule_ = crm_rule(series)
        assert rule_ is not None
        taken = set(Meeting.objects.filter(series=series).values_list("original_start", flat=True))
        near = timedelta(seconds=1)
        starts = series_starts(series=series, start=series.start - near, end=series.start + HORIZON)
        free = [start for start in starts if start not in taken]
        if not free:
            return None
        original = data.draw(st.sampled_from(free), label="occurrence")
        return series, original, place_in_series(series.start, original, series.time_zone, rule_[0])

    def _pick_google_series(self, data: st.DataObject) -> tuple[str, dict[str, Any]] | None:
        calendar_id = data.draw(st.sampled_from(CALENDARS), label="calendar")
        found = [
            event
            for event in self._live_events(calendar_id).values()
            if google_rule(event) is not None and not event.get("recurringEventId")
        ]
        if not found:
            return None
        return calendar_id, data.draw(st.sampled_from(found), label="series event")

    def _pick_instance(
        self, data: st.DataObject, *, cancelled: bool
    ) -> tuple[str, dict[str, Any], dict[str, Any], int] | None:
        """A series in Google, one of its instances (live, or cancelled ones), its place."""
        picked = self._pick_google_series(data)
        if picked is None:
            return None
        calendar_id, series = picked
        instances = [
            instance
            for instance in self.world.person.instances(
                calendar_id, series["id"], show_deleted=cancelled
            )
            if (instance["status"] == "cancelled") == cancelled
            # Not drawn: an exception apart from its series' days (see _apart_row).
            and not google_apart_from_days(series, instance)
        ]
        if not instances:
            return None
        instance = data.draw(st.sampled_from(instances), label="instance")
        return calendar_id, series, instance, self._google_place(calendar_id, series, instance)

    def _google_place(
        self, calendar_id: str, series: dict[str, Any], instance: dict[str, Any]
    ) -> int:
        rule_ = google_rule(series)
        assert rule_ is not None
        zone = series["start"].get("timeZone") or CALENDAR_ZONES[calendar_id]
        return place_in_series(
            google_first_start(series), google_original_start(instance), zone, rule_[0]
        )

    def _crm_place(self, row: Meeting) -> tuple[Meeting, int] | None:
        series = row.series
        if series is None or row.original_start is None:
            return None
        rule_ = crm_rule(series)
        if rule_ is None:
            return None
        return series, place_in_series(series.start, row.original_start, series.time_zone, rule_[0])

    def _google_series_of(
        self, calendar_id: str, instance: dict[str, Any]
    ) -> tuple[Item, int] | None:
        series = self._events(calendar_id).get(instance.get("recurringEventId", ""))
        if series is None or google_rule(series) is None:
            return None
        return self._item_of_event(calendar_id, series), self._google_place(
            calendar_id, series, instance
        )

    # -- what people may do, and what the machine records of it ----------------------------

    # Paths around the engine's known defects (test_found_by_machine.py names each) are not
    # drawn: the machine goes on finding others.

    def _recent(self, series: Item) -> SeriesChanges:
        return self.recent.setdefault(series, SeriesChanges())

    def _google_occurrence_pending(self, series: Item) -> bool:
        """The person changed or cancelled an occurrence of the series alone in Google since
        the last clean sync."""
        return any("google" in slot.sides for slot in self.slots.by_series.get(series, {}).values())

    def _crm_occurrence_allowed(self, series: Meeting, place: int) -> bool:
        return not (
            self._other_side_acted(series.pk, place, "crm")
            or bool(self._recent(series.pk).kind_by - {"crm"})  # see _kind_change_allowed
        )

    def _google_occurrence_allowed(self, calendar_id: str, series: dict[str, Any]) -> bool:
        # Not drawn: an occurrence changed alone in Google while the CRM moves its series
        # when it is all-day (the engine follows a move of a timed series only:
        # InboundPass._crm_original).
        item = self._item_of_event(calendar_id, series)
        changes = self._recent(item)
        all_day = "date" in series.get("start", {})
        return not (("crm" in changes.moved_by and all_day) or changes.kind_by)

    def _kind_change_allowed(self, series: Item, side: str) -> bool:
        """A series is made all-day or timed on ``side`` only while the other side has no
        change of the series or of its occurrences the change has not seen, and until the
        next clean sync nobody changes or deletes the series or its occurrences again (what
        a merge makes of a change of kind against another edit of the days is the merge's,
        checked by the sides' agreement only, and the record of occurrences by place cannot
        tell it). Not drawn either, a defect the machine found: an occurrence changed or
        cancelled in the CRM after its series' change of kind there, synced in the same
        run, failed the run ("the occurrence changed again in Google while we wrote it").
        Nor is a series changed in kind again while an exception stands apart from its
        days (see _stands_apart), but for a second change in the CRM before a sync
        (tests/sync/test_found_by_machine_kind.py)."""
        other = "google" if side == "crm" else "crm"
        changes = self._recent(series)
        slots = self.slots.by_series.get(series, {}).values()
        return not (
            other in changes.moved_by | changes.deleted_by | changes.kind_by
            or any(edit.item == series and edit.side == other for edit in self.pending)
            or any(other in slot.sides for slot in slots)
            # Google's exceptions of an occurrence nobody knows the state of (a deleted
            # series brought back) would stand apart unrecorded.
            or (side == "google" and any(slot.state == "unknown" for slot in slots))
            or (
                not (side == "crm" and changes.second_kind_change_in_crm())
                and self._stands_apart(series)
            )
        )

    def _kept_by_crm_change_of_kind(
        self, series: Meeting, values: dict[str, Any]
    ) -> dict[int, Slot]:
        """The record of a series' occurrences changed alone once the CRM's form changed its
        kind. A row keeps its place in the series and its time of day (the series' old one;
        an all-day series' is midnight), so it still names an occurrence only if the new
        series starts at that time (midnight for all-day); the form resets the others, their
        occurrences show by the rule again (tests/meetings/test_series_made_timed.py). A
        reset row that hides its occurrence (cancelled, or a changed one the reset deleted)
        stays, apart (Slots.hidden_apart), and hides it again once a later change gives the
        series that time of day back (series_edits.series_update, as Google keeps its
        cancelled exception)."""
        old, new = _times_of_day(series, values)
        slots = self.slots.by_series.get(series.pk, {})
        apart = self.slots.hidden_apart.setdefault(series.pk, {})
        if old != new:
            for place, slot in slots.items():
                if slot.state in ("cancelled", "changed", "unknown"):
                    state = "unknown" if slot.state == "unknown" else "cancelled"
                    apart[(place, old)] = state
            slots = {}
        kept = dict(slots)
        for place, at in [key for key in apart if key[1] == new]:
            kept[place] = Slot(apart.pop((place, at)))
        return kept

    def _stands_apart(self, series: Item) -> bool:
        """An exception of the series (changed or cancelled, maybe deleted since) names no
        occurrence of it on either side: its series changed kind. Not drawn: a second change
        of kind after a sync then. Where such an exception lands is Google's arithmetic,
        which its pages do not describe: the emulator moves an exception named by a time
        on the wall clock (09:00 becomes 00:00 when the series is made all-day) and one
        named by a day by whole days, also when a timed series moves by minutes, while the
        CRM moves its rows by days whenever the series is all-day before or after, and by
        the wall clock otherwise (rules.original_moved). Both name no occurrence while the
        series keeps its new kind; a series made timed again at another time, or all-day
        again after a move by minutes, can give one side's exception a day and not the
        other's. The plain case, all-day, timed, all-day again with a sync between, agrees
        (tests/sync/test_rules_all_day_series_made_timed.py::
        test_made_timed_and_all_day_again_in_the_crm_hides_the_cancelled_day_on_both_sides)."""
        if self.slots.apart.get(series):
            return True
        events: list[tuple[str, str]] = []
        if isinstance(series, int):
            meeting = Meeting.objects.get(pk=series)
            originals = Meeting.objects.filter(series=meeting).values_list(
                "original_start", flat=True
            )
            if any(
                original is not None and apart_from_days(meeting, original)
                for original in originals
            ):
                return True
            events = list(
                EventLink.objects.filter(meeting=meeting).values_list("calendar_id", "event_id")
            )
        else:
            events = [(series[1], series[2])]
        for calendar_id, event_id in events:
            if calendar_id not in self._synced_calendars():
                continue
            found = self._events(calendar_id)
            event = found.get(event_id)
            if event is not None and any(
                other.get("recurringEventId") == event_id and google_apart_from_days(event, other)
                for other in found.values()
            ):
                return True
        return False

    def _apart_row(self, meeting: Meeting) -> bool:
        """An occurrence row whose original start names no occurrence of its series (its
        series changed kind). Not drawn: a change, cancellation or restoring of it, on
        either side; the record keeps occurrences by place, and such an exception has none
        (it is checked as people left it, Slots.apart)."""
        series = meeting.series
        return (
            series is not None
            and meeting.original_start is not None
            and apart_from_days(series, meeting.original_start)
        )

    def _other_side_acted(self, series: Item, place: int, side: str) -> bool:
        """The other side changed or cancelled this occurrence alone since the last clean
        sync. Not drawn then (test_found_by_machine.py::
        test_an_occurrence_cancelled_in_the_crm_while_renamed_in_google_ends_alike and
        test_an_occurrence_changed_on_both_sides_is_settled_by_one_run)."""
        slot = self.slots.by_series.get(series, {}).get(place)
        return slot is not None and bool(slot.sides - {side})

    def _has_occurrences_alone(self, series: Meeting | None, item: Item) -> bool:
        """Occurrences of the series were changed or cancelled alone (on either side)."""
        rows = series is not None and Meeting.objects.filter(series=series).exists()
        return rows or self.slots.has_any(item)

    def _private_series_with_occurrences(self) -> bool:
        return any(
            self._has_occurrences_alone(series, series.pk)
            for series in Meeting.objects.filter(
                owner=self.world.user, series__isnull=True, visibility__in=PRIVATE
            ).exclude(recurrence=[])
        )

    def _private_sync_off_allowed(self) -> bool:
        # Not drawn: test_found_by_machine.py::
        # test_a_series_made_private_keeps_its_occurrence_changed_in_google
        return not self._private_series_with_occurrences()

    def _crm_delete_allowed(self, meeting: Meeting) -> bool:
        if self._apart_row(meeting):
            return False
        if meeting.recurrence and self._recent(meeting.pk).kind_by:
            return False  # Not drawn: see _kind_change_allowed.
        placed = self._crm_place(meeting)
        if placed is not None:
            return self._crm_occurrence_allowed(*placed)
        if not meeting.recurrence:
            return True
        # Not drawn: test_found_by_machine.py::
        # test_a_series_deleted_in_the_crm_takes_its_changed_occurrences_in_one_run, and
        # its twin above from the CRM's side.
        pushed_rows = EventLink.objects.filter(
            meeting__series=meeting, meeting__is_cancelled_occurrence=False
        ).exists()
        return not (pushed_rows or self._google_occurrence_pending(meeting.pk))

    def _google_delete_allowed(self, calendar_id: str, event: dict[str, Any]) -> bool:
        series = self._events(calendar_id).get(event.get("recurringEventId", ""))
        if series is None:
            # Not drawn: a series deleted in Google while the CRM changed its kind (see
            # _kind_change_allowed).
            item = self._item_of_event(calendar_id, event)
            return not (event.get("recurrence") and self._recent(item).kind_by)
        if google_apart_from_days(series, event):
            return False  # Not drawn: see _apart_row.
        placed = self._google_series_of(calendar_id, event)
        return self._google_occurrence_allowed(calendar_id, series) and not (
            placed is not None and self._other_side_acted(*placed, "google")
        )

    def _crm_edit_allowed(self, meeting: Meeting, values: dict[str, Any]) -> bool:
        if self._apart_row(meeting):
            return False
        placed = self._crm_place(meeting)
        if placed is not None:
            series, place = placed
            if values.get("visibility") in PRIVATE:
                return False  # Not drawn: a private occurrence row (see crm_change_occurrence).
            if values.get("subject") == series.subject:
                return False  # Not drawn: see OCCURRENCE_SUBJECTS.
            # An occurrence has no rule of its own, and stays timed or all-day.
            start = values.get("start")
            return (
                self._crm_occurrence_allowed(series, place)
                and "recurrence" not in values
                and (start is None or isinstance(start, TimedMoment) != meeting.all_day)
            )
        if meeting.series_id is not None:
            return "recurrence" not in values
        if meeting.recurrence and self._recent(meeting.pk).kind_by:
            return False  # Not drawn: see _kind_change_allowed.
        if _kind_changed_under_until(values, meeting.all_day, meeting.recurrence or []):
            # Not drawn: the CRM's form refuses a series made timed or all-day whose rule
            # ends with an UNTIL of the other kind (services._check_rule_of_a_person); a cut
            # ("this and following") leaves such an UNTIL.
            return False
        start = values.get("start")
        if (
            start is not None
            and meeting.recurrence
            and isinstance(start, TimedMoment) == meeting.all_day
            and not self._recent(meeting.pk).second_kind_change_in_crm()
            and ("crm" in self._recent(meeting.pk).kind_by or self._stands_apart(meeting.pk))
        ):
            # Not drawn: a series changed in kind again after a sync while an exception
            # stands apart (see _stands_apart).
            return False
        rule_ = list(values.get("recurrence", meeting.recurrence or []))
        if start is not None and not meeting.read_only and _ends_before(rule_, start):
            # Not drawn: the CRM refuses a series moved after its last day, which would have
            # no occurrence (tests/meetings/test_rule_ends_before_start.py).
            return False
        if values.get("visibility") in PRIVATE and self._has_occurrences_alone(meeting, meeting.pk):
            # Not drawn: test_found_by_machine.py::
            # test_a_series_made_private_keeps_its_occurrence_changed_in_google
            return False
        if "recurrence" in values or "start" in values:
            # A series with occurrences changed alone moves by the series rules only.
            return not (
                self.slots.has_any(meeting.pk) or Meeting.objects.filter(series=meeting).exists()
            )
        return True

    def _google_edit_allowed(
        self, calendar_id: str, event: dict[str, Any], values: dict[str, Any]
    ) -> bool:
        if event.get("recurringEventId"):
            start = values.get("start")
            return (
                # Not drawn: test_found_by_machine.py::
                # test_an_occurrence_made_private_in_google_is_never_deleted_from_the_crm
                values.get("visibility") not in PRIVATE
                and self._google_delete_allowed(calendar_id, event)
                and "recurrence" not in values
                and (
                    start is None
                    or isinstance(start, TimedMoment) == ("dateTime" in event["start"])
                )
            )
        item = self._item_of_event(calendar_id, event)
        if event.get("recurrence") and self._recent(item).kind_by:
            return False  # Not drawn: see _kind_change_allowed.
        if values.get("visibility") in PRIVATE and event.get("recurrence"):
            meeting = Meeting.objects.filter(pk=item).first() if isinstance(item, int) else None
            if self._has_occurrences_alone(meeting, item):
                return False  # Not drawn: the test named in _crm_edit_allowed.
        # A series made timed or all-day keeps its rule, whose UNTIL may be of the other
        # kind (Google's own, or the CRM's cut not synced yet): the merge writes it again for
        # the new start (docs/sync-rules.md, "The merge rule"), and a series nobody merges
        # (never imported, or read-only) keeps Google's as it is (series_rule_of reads it).
        if "recurrence" in values or "start" in values:
            has_exceptions = any(
                other.get("recurringEventId") == event["id"]
                for other in self._events(calendar_id).values()
            )
            return not (has_exceptions or self.slots.has_any(item))
        return True

    def _after_crm_edit(self, meeting: Meeting, values: dict[str, Any]) -> None:
        placed = self._crm_place(meeting)
        if placed is not None:
            meeting.refresh_from_db()
            self.slots.act(placed[0].pk, placed[1], "crm", "changed", _row_values(meeting))

    def _after_crm_delete(self, meeting: Meeting) -> None:
        # A deleted series keeps its record: an edit on the other side can bring it back.
        placed = self._crm_place(meeting)
        if placed is not None:
            self.slots.act(placed[0].pk, placed[1], "crm", "cancelled")
        elif meeting.recurrence:
            self._recent(meeting.pk).deleted_by.add("crm")
            self._series_deleted(meeting.pk)

    def _after_crm_restore(self, meeting: Meeting) -> None:
        placed = self._crm_place(meeting)
        if placed is not None:
            self.slots.act(placed[0].pk, placed[1], "crm", "changed", _row_values(meeting))

    def _after_google_edit(
        self, calendar_id: str, event: dict[str, Any], values: dict[str, Any]
    ) -> None:
        placed = self._google_series_of(calendar_id, event)
        if placed is not None:
            shown = {n: moment_shown(v) for n, v in values.items() if n in SLOT_FIELDS}
            self.slots.act(*placed, "google", "changed", shown)

    def _after_google_delete(self, calendar_id: str, event: dict[str, Any]) -> None:
        placed = self._google_series_of(calendar_id, event)
        if placed is not None:
            self.occurrence_cancelled = True
            self.slots.act(*placed, "google", "cancelled")
        elif event.get("recurrence"):
            item = self._item_of_event(calendar_id, event)
            self._recent(item).deleted_by.add("google")
            self._series_deleted(item)
            # Google cancels the occurrences changed alone with their series: the person's
            # edits of them are superseded by their own deletion (after_deletion's rule), even
            # when a CRM edit of the series brings the series back (an edit of the series,
            # not of those occurrences: test_db_machine_oracle.py::
            # test_a_series_deleted_in_google_takes_the_occurrence_changed_there_along).
            occurrences = {
                self._item_of_event(calendar_id, other)
                for other in self._events(calendar_id).values()
                if other.get("recurringEventId") == event["id"]
            }
            self.pending = [
                edit
                for edit in self.pending
                if not (edit.side == "google" and edit.item in occurrences)
            ]

    def _series_deleted(self, series: Item) -> None:
        """A deleted series may come back (an edit on the other side beats the deletion),
        without the occurrences Google cancelled with it: from then on the machine learns
        its occurrences from the CRM after each clean sync instead of predicting them."""
        for slot in self.slots.by_series.get(series, {}).values():
            slot.state = "unknown"
        self.slots.apart.pop(series, None)

    def _remove_calendar(self, calendar_id: str) -> None:
        # The calendar's series leave the CRM; picked again, they come back as new meetings:
        # what people did to their occurrences is kept by event.
        for link in EventLink.objects.filter(owner=self.world.user, calendar_id=calendar_id):
            slots = self.slots.by_series.pop(link.meeting_id, None)
            if slots:
                self.slots.by_series[("event", calendar_id, link.event_id)] = slots
            apart = self.slots.apart.pop(link.meeting_id, None)
            if apart:
                self.slots.apart[("event", calendar_id, link.event_id)] = apart
            if link.meeting_id in self.slots.kind_changed:
                self.slots.kind_changed.add(("event", calendar_id, link.event_id))
        super()._remove_calendar(calendar_id)

    def _after_sync(self) -> None:
        super()._after_sync()
        self.slots.rekey(self._resolve)
        recent: dict[Item, SeriesChanges] = {}
        for series, changes in self.recent.items():
            merged = recent.setdefault(self._resolve(series), SeriesChanges())
            merged.moved_by |= changes.moved_by
            merged.deleted_by |= changes.deleted_by
            merged.kind_by |= changes.kind_by
            merged.run_since_kind |= bool(changes.kind_by)
            if merged.all_day_before_kind is None:
                merged.all_day_before_kind = changes.all_day_before_kind
        self.recent = recent

    def _settled(self) -> None:
        super()._settled()
        self.recent.clear()
        # From here on a change of kind waits until nothing stands apart (_stands_apart).
        self.slots.hidden_apart.clear()
        self.standing_alone.clear()

    def _before_sync(self) -> None:
        super()._before_sync()
        self.standing_alone = self._must_stand_alone()

    def _must_stand_alone(self) -> set[int]:
        """docs/sync-rules.md "Recurring events": a whole series deleted in Google and left
        unchanged in the CRM, in a calendar the user can write, goes; each occurrence the
        CRM changed since the last agreement stays, a meeting of its own (an edit beats a
        deletion): a row linked to its instance whose values differ from the link's, or a
        changed row never pushed (no link, no import record). Read from the database and
        Google as they are before a run."""
        user = self.world.user
        series_links = (
            EventLink.objects.filter(
                owner=user,
                calendar_id__in=self._synced_calendars(),
                meeting__deleted_at__isnull=True,
                meeting__series__isnull=True,
            )
            .exclude(calendar_id=READ_ONLY_CALENDAR_ID)
            .exclude(meeting__recurrence=[])
            .select_related("meeting")
        )
        kept: set[int] = set()
        for link in series_links:
            event = self._events(link.calendar_id).get(link.event_id)
            if event is None or event["status"] != "cancelled":
                continue
            if meeting_fields(link.meeting) != fields_from_json(link.base):
                continue  # A CRM edit of the series beats its deletion: it comes back.
            rows = Meeting.objects.filter(
                series=link.meeting, deleted_at__isnull=True, is_cancelled_occurrence=False
            )
            for row in rows:
                if over_by(meeting_fields(row), self._window_start() + timedelta(days=1)):
                    continue  # Near or before the window: no prediction.
                row_link = EventLink.objects.filter(meeting=row).first()
                if row_link is None:
                    changed = not _imported(row)
                else:
                    changed = meeting_fields(row) != fields_from_json(row_link.base)
                if changed:
                    kept.add(row.pk)
        return kept

    def _was_occurrence_row(self, meeting_id: int) -> bool:
        return meeting_id in self.occurrence_rows

    # -- who deleted what ----------------------------------------------------------------------

    def _deletion_asked(self, meeting: Meeting) -> bool:
        if super()._deletion_asked(meeting):
            return True
        series = meeting.series
        # Deleting a series (or un-picking its calendar) takes its occurrences with it, even
        # if an edit on the other side brings the series back.
        return series is not None and (
            self._deletion_asked(series) or series.pk in self.removed_with_calendar
        )

    def _event_deletion_asked(self, calendar_id: str, event: dict[str, Any]) -> bool:
        if super()._event_deletion_asked(calendar_id, event):
            return True
        series_id = event.get("recurringEventId")
        if not series_id:
            return False
        # Google cancels the occurrences changed alone with their series (which an edit on
        # the other side may have brought back since).
        series = self._events(calendar_id).get(series_id, {"id": series_id})
        return (
            self._event_deletion_asked(calendar_id, series)
            or self._cut_off(calendar_id, series, event)
            or self._left_cancelled(calendar_id, event)
        )

    def _left_cancelled(self, calendar_id: str, instance: dict[str, Any]) -> bool:
        """People left the instance's occurrence cancelled (the slots' record, which follows
        a series whose calendar is un-picked, when the CRM forgets what recorded the
        cancellation: a CRM cancellation is pushed before its calendar leaves,
        test_db_machine_oracle.py::test_a_crm_cancellation_reaches_its_calendar_as_it_leaves)."""
        placed = self._google_series_of(calendar_id, instance)
        if placed is None:
            return False
        slot = self.slots.by_series.get(placed[0], {}).get(placed[1])
        return slot is not None and slot.state == "cancelled"

    def _cut_off(self, calendar_id: str, series: dict[str, Any], instance: dict[str, Any]) -> bool:
        """The instance's occurrence is past the end of its series' rule in Google: a person
        cut or shortened the series (in the CRM or in Google; the checks of the series see
        that no one else does), and a series cut to an UNTIL or fewer occurrences drops the
        occurrences after the cut, exceptions included, as Google Calendar does. A cancelled
        exception there is the cut's, whoever cancelled it first: its record in the CRM
        (the row that hid it) went with the cut, maybe before a check could learn it
        (test_db_machine_oracle.py::test_a_crm_cut_over_a_cancellation_not_yet_synced)."""
        rule_ = google_rule(series) if "start" in series else None
        if rule_ is None or "originalStartTime" not in instance:
            return False
        return self._google_place(calendar_id, series, instance) >= rule_[1]

    def _hidden(self, meeting: Meeting) -> bool:
        """An occurrence row follows its series: one of a series imported from Google is an
        edit of an imported meeting (written back, private or not)."""
        series = meeting.series
        if series is not None and _imported(series):
            return False
        return super()._hidden(meeting)

    def _belongs_in_google(self, meeting: Meeting) -> bool:
        series = meeting.series
        if series is not None and (
            series.deleted_at is not None or not EventLink.objects.filter(meeting=series).exists()
        ):
            return False  # Its series is not in Google.
        return super()._belongs_in_google(meeting)

    # -- checks --------------------------------------------------------------------------------

    def _check_after_clean_sync(self) -> None:
        super()._check_after_clean_sync()
        self._check_series()
        self._check_standing_alone()

    def _check_standing_alone(self) -> None:
        """The occurrences _must_stand_alone named are meetings of their own now (that they
        are in Google with the CRM's values is the agreement's check)."""
        for pk in self.standing_alone - self.crm_deleted_by_user:
            row = Meeting.objects.filter(pk=pk).first()
            what = f"occurrence {pk}, changed in the CRM, its series deleted in Google"
            assert row is not None and row.deleted_at is None, f"{what}: deleted"
            assert (row.series_id, row.original_start) == (None, None), f"{what}: still a row"

    def _check_series(self) -> None:
        """Both calendars show each synced series alike (the CRM's occurrences, Google's
        live instances), and as people left it."""
        user = self.world.user
        since = self._window_start()
        crm_views = crm_series_views(user, since=since)
        checked: set[int] = set()
        for calendar_id in self._synced_calendars():
            google_views = google_series_views(
                self.world.person.single_events(calendar_id), since=since
            )
            links = EventLink.objects.filter(
                owner=user,
                calendar_id=calendar_id,
                meeting__series__isnull=True,
                meeting__deleted_at__isnull=True,
            ).exclude(meeting__recurrence=[])
            for link in links.select_related("meeting"):
                series = link.meeting
                view = crm_views.get(series.pk, CrmSeriesView())
                hidden = {pk for pk, _ in view.shown if pk != series.pk and self._hidden_pk(pk)}
                crm = sorted(
                    (shown for pk, shown in view.shown if pk not in hidden), key=Shown.order
                )
                google = sorted(google_views.get(link.event_id, []), key=Shown.order)
                where = f"series {series.pk} ⇄ {calendar_id}/{link.event_id}"
                assert crm == google, f"{where}: the CRM shows {crm}, Google {google}"
                self._check_slots(series, view, where)
                checked.add(series.pk)
        for series_key, slots in self.slots.by_series.items():
            if series_key not in checked:
                for slot in slots.values():
                    if slot.contested:
                        slot.state = "unknown"  # Never checked: the merge's outcome is unseen.
                    slot.sides.clear()

    def _hidden_pk(self, meeting_id: int) -> bool:
        return self._hidden(Meeting.objects.get(pk=meeting_id))

    def _check_slots(self, series: Meeting, view: CrmSeriesView, where: str) -> None:
        """Each occurrence people changed or cancelled alone shows as they left it, once;
        each other one where the rule puts it."""
        rule_ = crm_rule(series)
        if rule_ is None:
            return
        freq, count = rule_
        slots = self.slots.by_series.get(series.pk, {})
        rows: dict[int, list[Meeting]] = {}
        apart: list[Meeting] = []  # rows that name no occurrence (Slots.apart)
        for row in Meeting.objects.filter(series=series, original_start__isnull=False):
            assert row.original_start is not None
            if apart_from_days(series, row.original_start):
                if not row.is_cancelled_occurrence and row.deleted_at is None:
                    apart.append(row)
                continue
            place = place_in_series(series.start, row.original_start, series.time_zone, freq)
            rows.setdefault(place, []).append(row)
        length = series.end - series.start
        in_window: set[int] = set()
        for place in range(count):
            here = rows.get(place, [])
            assert len(here) <= 1, f"{where}: occurrence {place} has rows {here}"
            start = slot_start(series, freq, place)
            if isinstance(start, datetime):
                end: datetime | date = start + length
            else:
                assert series.start_date is not None and series.end_date is not None
                end = start + (series.end_date - series.start_date)
            if not Shown("", start, end).ends_after(self._window_start() + timedelta(days=1)):
                continue  # Before the window: neither side syncs it.
            in_window.add(place)
            live = [r for r in here if not r.is_cancelled_occurrence and r.deleted_at is None]
            by_rule = start in view.rule_starts
            state = "changed" if live else "plain" if by_rule else "cancelled"
            slot = slots.get(place, Slot("plain"))
            what = f"{where}: occurrence {place}"
            assert not (live and by_rule), f"{what} shows twice"
            if slot.contested or slot.state == "unknown":
                slot.state, slot.values = state, _row_values(live[0]) if live else {}
                slot.sides.clear()
                continue
            assert state == slot.state, f"{what} is {state}, people left it {slot.state}"
            if live:
                shown = _row_values(live[0])
                wrong = {k: (v, shown[k]) for k, v in slot.values.items() if shown[k] != v}
                assert not wrong, f"{what}: lost values (wanted, shown) {wrong}"
            slot.sides.clear()
        self._check_apart(series, view, apart, in_window, where)
        if series.pk not in self.slots.kind_changed:
            # Only a change of kind leaves a row apart from the series' days; any other is
            # a row that lost its occurrence.
            lost = [
                row
                for row in apart
                if row.original_start is not None
                and place_in_series(series.start, row.original_start, series.time_zone, freq)
                in in_window
            ]
            assert not lost, f"{where}: rows name no occurrence {lost}"

    def _check_apart(
        self,
        series: Meeting,
        view: CrmSeriesView,
        rows: list[Meeting],
        in_window: set[int],
        where: str,
    ) -> None:
        """Each occurrence changed alone that a change of kind left apart from the series'
        days shows once, on its own, as people left it: a row of the series still (its
        place shows by the rule, checked above), on the CRM's calendar (and so in Google's,
        the agreement)."""
        shown = {pk for pk, _ in view.shown}
        left = {row.pk: row for row in rows}
        for kept in self.slots.apart.get(series.pk, []):
            if kept.place not in in_window:
                continue  # Near or before the window: no prediction.
            found = [
                pk
                for pk, row in left.items()
                if all(_row_values(row)[name] == value for name, value in kept.values.items())
                and (kept.row is None or kept.row == pk)
            ]
            what = f"{where}: occurrence {kept.place}, apart from the days"
            assert found, f"{what}: lost, people left it {kept.values}; rows apart {rows}"
            kept.row = found[0]
            assert kept.row in shown, f"{what}: row {kept.row} not on the CRM's calendar"
            del left[kept.row]


class GoogleSplitMachine(SeriesMachine):
    """The machine with one more rule: "this and following events" changed in Google.

    A machine of its own beside SeriesMachine (test_convergence_db.py runs both): the rule
    takes a share of the steps, and SeriesMachine keeps the other rules' share."""

    @precondition(_series_made)
    @rule(
        data=st.data(),
        subject=st.sampled_from((None, *SUBJECTS)),
        move=st.sampled_from((0, *SERIES_MOVES)),
        ending=st.sampled_from(("UNTIL", "COUNT")),
        copy_properties=st.booleans(),
    )
    def google_change_following(
        self,
        data: st.DataObject,
        subject: str | None,
        move: int,
        ending: str,
        copy_properties: bool = False,
    ) -> None:
        """The person changes "this and following events" of a series in Google, as the API
        guide says a client does it (https://developers.google.com/workspace/calendar/api/
        guides/recurringevents, "Modifying all following instances"): the series' rule is
        trimmed to end before the occurrence (UNTIL, or COUNT), and a new series with the
        same data, maybe a new title or time, starts at that occurrence. The CRM trims the
        series' meeting and imports the new series as a meeting of its own. "The same data"
        may take the extended properties too, as Google's own UI does
        (tandem/fakegoogle/series_split.py): our marker on a copy."""
        picked = self._pick_google_cut(data)
        if picked is None:
            return
        calendar_id, event, place = picked
        item = self._item_of_event(calendar_id, event)
        rule_ = google_rule(event)
        assert rule_ is not None  # _pick_google_cut
        freq, count = rule_
        zone = event["start"].get("timeZone") or CALENDAR_ZONES[calendar_id]
        start, end = (_nth_bound(event[name], freq, place, zone) for name in ("start", "end"))
        if ending == "COUNT":
            trimmed = series_rule(freq, place)
        else:
            trimmed = f"RRULE:FREQ={freq};UNTIL={_until_before(start)}"
        self.slots.shorten(item, place)
        self._google_edit(
            calendar_id, event, {"recurrence": None}, patch={"recurrence": [trimmed]}, check=False
        )
        body = {
            name: event[name]
            for name in ("summary", "description", "location", "visibility")
            + (("extendedProperties",) if copy_properties else ())
            if name in event
        } | {
            "start": _moved_bound(start, move) if move else start,
            "end": _moved_bound(end, move) if move else end,
            "recurrence": [series_rule(freq, count - place)],
        }
        if subject is not None:
            body["summary"] = subject
        created = self._google_create(calendar_id, body)
        if copy_properties and MARKER_KEY in event.get("extendedProperties", {}).get("private", {}):
            self.copies.add(created["id"])

    def _pick_google_cut(self, data: st.DataObject) -> tuple[str, dict[str, Any], int] | None:
        """A series in Google and the place of one of its occurrences after the first, where
        the person may cut it: only while the CRM has no change of the series or of its
        occurrences Google has not seen (the cut is made from Google's copy; _pick_cut is
        its twin on the CRM's side)."""
        picked = self._pick_google_series(data)
        if picked is None:
            return None
        calendar_id, event = picked
        rule_ = google_rule(event)
        assert rule_ is not None  # _pick_google_series
        item = self._item_of_event(calendar_id, event)
        changes = self._recent(item)
        crm_acted = (
            "crm" in changes.moved_by | changes.deleted_by
            or bool(changes.kind_by)
            or any(edit.item == item and edit.side == "crm" for edit in self.pending)
            or any("crm" in slot.sides for slot in self.slots.by_series.get(item, {}).values())
        )
        if rule_[1] < 2 or crm_acted:
            return None
        return calendar_id, event, data.draw(st.integers(1, rule_[1] - 1), label="cut at")


def _kind_changed_under_until(values: dict[str, Any], all_day: bool, rule: list[str]) -> bool:
    """An edit that makes a series timed or all-day and keeps its rule, which ends with an
    UNTIL (of the kind the series had)."""
    start = values.get("start")
    return (
        start is not None
        and "recurrence" not in values
        and isinstance(start, TimedMoment) == all_day
        and any("UNTIL=" in line.upper() for line in rule)
    )


def _kind_day(start: TimedMoment | date, zone: str, move: int) -> date:
    """The first day of a series changed in kind: its first occurrence's (on the series'
    wall clock), or the day before (a move of -60 drawn)."""
    if isinstance(start, TimedMoment):
        day = start.at.astimezone(zoneinfo.ZoneInfo(zone)).date()
    else:
        day = start
    return day - timedelta(days=move == -60)


KIND_HOUR = time(9)  # an all-day series made timed: 09:00-10:00 on its wall clock


def _other_kind(start: TimedMoment | date, zone: str, move: int) -> dict[str, Any]:
    """A series' start and end made all-day (one day) or timed, as the series' form saves
    them (``zone``: the series' own)."""
    day = _kind_day(start, zone, move)
    if isinstance(start, TimedMoment):
        return {"start": day, "end": day + timedelta(days=1)}
    at = datetime.combine(day, KIND_HOUR, tzinfo=zoneinfo.ZoneInfo(zone))
    return {
        "start": TimedMoment(at.astimezone(UTC), zone),
        "end": TimedMoment((at + timedelta(hours=1)).astimezone(UTC), zone),
    }


def _google_other_kind(start: dict[str, Any], zone: str, move: int) -> dict[str, Any]:
    """The PATCH of Google Calendar's "All day" box for a series: its bounds made dates or
    times (null clears the other kind's members: a PATCH merges into a bound)."""
    first: TimedMoment | date
    if "date" in start:
        first = date.fromisoformat(start["date"])
    else:
        first = TimedMoment(datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00")), zone)
    values = _other_kind(first, zone, move)
    patch: dict[str, Any] = {}
    for name in ("start", "end"):
        value = values[name]
        if isinstance(value, TimedMoment):
            patch[name] = {"date": None, "dateTime": value.at.isoformat(), "timeZone": zone}
        else:
            patch[name] = {"date": value.isoformat(), "dateTime": None, "timeZone": None}
    return patch


def _times_of_day(series: Meeting, values: dict[str, Any]) -> tuple[time, time]:
    """The series' time of day before and after a change of kind, on its wall clock
    (midnight for all-day)."""
    zone = zoneinfo.ZoneInfo(series.time_zone)
    old = time.min if series.all_day else series.start.astimezone(zone).time()
    start = values["start"]
    new = start.at.astimezone(zone).time() if isinstance(start, TimedMoment) else time.min
    return old, new


def _nth_bound(bound: dict[str, Any], freq: str, place: int, zone_name: str) -> dict[str, Any]:
    """A Google start or end of a series' first occurrence, for its occurrence ``place``
    (Google lays the rule out on the wall clock of the series' zone, ``zone_name``)."""
    days = timedelta(days=STEP_DAYS[freq] * place)
    if "date" in bound:
        return {"date": (date.fromisoformat(bound["date"]) + days).isoformat()}
    at = datetime.fromisoformat(bound["dateTime"].replace("Z", "+00:00"))
    zone = zoneinfo.ZoneInfo(zone_name)
    wall = at.astimezone(zone).replace(tzinfo=None) + days
    moved = {"dateTime": wall.replace(tzinfo=zone).isoformat()}
    return moved | ({"timeZone": bound["timeZone"]} if "timeZone" in bound else {})


def _ends_before(rule: list[str], start: TimedMoment | date) -> bool:
    """A rule whose UNTIL (of the start's kind) falls before ``start``: such a series has no
    occurrence, and the CRM refuses it from a person (UNTIL is inclusive, RFC 5545)."""
    for line in rule:
        found = re.search(r"UNTIL=(\d{8})(T\d{6}Z)?", line.upper())
        if found is None or bool(found[2]) != isinstance(start, TimedMoment):
            continue
        if isinstance(start, TimedMoment):
            until = datetime.strptime(found[1] + found[2], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            if until < start.at:
                return True
        elif datetime.strptime(found[1], "%Y%m%d").date() < start:
            return True
    return False


def _until_before(start: dict[str, Any]) -> str:
    """UNTIL for a rule that ends before the occurrence starting at ``start`` (RFC 5545: a
    date for an all-day series, a UTC time otherwise)."""
    if "date" in start:
        return (date.fromisoformat(start["date"]) - timedelta(days=1)).strftime("%Y%m%d")
    at = datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00"))
    return (at - timedelta(seconds=1)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _occurrence_input(
    series: Meeting, original: datetime, *, subject: str, move: int, location: str
) -> MeetingInput:
    """What a person types into "Edit this occurrence": a new title, place, time."""
    common: dict[str, Any] = {
        "subject": subject,
        "description": series.description,
        "location": location,
        "visibility": series.visibility,
        "time_zone": series.time_zone,
    }
    if series.all_day:
        assert series.start_date is not None and series.end_date is not None
        first = original.astimezone(zoneinfo.ZoneInfo(series.time_zone)).date()
        first += timedelta(days=(move > 0) - (move < 0))
        length = series.end_date - series.start_date
        return MeetingInput(all_day=True, start_date=first, end_date=first + length, **common)
    start = original + timedelta(minutes=move)
    return MeetingInput(start=start, end=start + (series.end - series.start), **common)


def _following_input(
    series: Meeting, original: datetime, *, subject: str | None, move: int
) -> MeetingInput:
    """What a person saves with "this and following events" at ``original``: the series'
    values, maybe a new title or time, and the rule of what is left (as the form proposes)."""
    values = replace(
        input_of(series),
        subject=series.subject if subject is None else subject,
        recurrence=lines_following(series, original),
    )
    if series.all_day:
        assert series.start_date is not None and series.end_date is not None
        first = original.astimezone(zoneinfo.ZoneInfo(series.time_zone)).date()
        first += timedelta(days=(move > 0) - (move < 0))
        return replace(
            values, start_date=first, end_date=first + (series.end_date - series.start_date)
        )
    start = original + timedelta(minutes=move)
    return replace(values, start=start, end=start + (series.end - series.start))


def _row_values(row: Meeting) -> dict[str, Any]:
    """An occurrence row's values as the slots record them (SLOT_FIELDS)."""
    fields = meeting_fields(row)
    return {name: moment_shown(fields.value(name)) for name in SLOT_FIELDS}
