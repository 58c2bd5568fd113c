"""meeting_create / update / delete / restore / purge: the only way meetings are written."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.selectors import deleted_meetings_of
from tandem.meetings.services import (
    meeting_create,
    meeting_delete,
    meeting_purge_expired_tombstones,
    meeting_restore,
    meeting_update,
)

from .helpers import UTC, timed


def test_create_stores_every_field_for_its_owner(alice: User):
    meeting = meeting_create(
        owner=alice,
        data=timed(
            subject="  Kick-off  ",
            description="Agenda",
            location="Room 4",
            visibility="confidential",
            time_zone="Europe/Berlin",
        ),
    )
    meeting.refresh_from_db()
    assert meeting.owner == alice
    assert meeting.subject == "Kick-off"  # surrounding blanks are not part of a subject
    assert (meeting.description, meeting.location) == ("Agenda", "Room 4")
    assert meeting.visibility == "confidential" and meeting.is_private
    assert meeting.time_zone == "Europe/Berlin"
    assert meeting.version == 1
    assert meeting.created_at is not None and meeting.updated_at is not None
    assert meeting.deleted_at is None and not meeting.read_only


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"end": datetime(2026, 5, 4, 8, 0, tzinfo=UTC)}, "end"),
        ({"description": "a\x00b"}, "description"),
        ({"start": datetime(2026, 5, 4, 9, 0)}, "start"),
        ({"end": datetime(2026, 5, 4, 10, 0)}, "end"),
        ({"start": None}, "start"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"visibility": "secret"}, "visibility"),
        ({"subject": "x" * 1025}, "subject"),
        ({"location": "x" * 1025}, "location"),
        ({"description": "x" * 8193}, "description"),
    ],
)
def test_create_refuses_bad_input_with_errors_keyed_by_field(
    alice: User, changes: dict, field: str
):
    with pytest.raises(ValidationError) as refused:
        meeting_create(owner=alice, data=timed(**changes))
    assert field in refused.value.message_dict
    assert not Meeting.objects.exists()


def test_the_database_itself_refuses_an_end_before_the_start(alice: User):
    """The check constraint backs the service's rule for any code that skips the service."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            owner=alice,
            subject="Broken",
            start=datetime(2026, 5, 4, 10, tzinfo=UTC),
            end=datetime(2026, 5, 4, 9, tzinfo=UTC),
        )


def test_update_changes_fields_and_bumps_the_version(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    meeting_update(meeting=meeting, data=timed(subject="Renamed", location="Room 9"))
    meeting.refresh_from_db()
    assert (meeting.subject, meeting.location) == ("Renamed", "Room 9")
    assert meeting.version == 2
    meeting_update(meeting=meeting, data=timed(subject="Again", location="Room 9"))
    meeting.refresh_from_db()
    assert meeting.version == 3


def test_an_update_that_changes_nothing_keeps_the_version(alice: User):
    """No change, no new version: the sync engine then has nothing to push."""
    meeting = meeting_create(owner=alice, data=timed())
    meeting_update(meeting=meeting, data=timed())
    meeting.refresh_from_db()
    assert meeting.version == 1


def test_the_same_instant_in_another_offset_is_no_change(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    from .helpers import BERLIN

    meeting_update(
        meeting=meeting,
        data=timed(
            start=datetime(2026, 5, 4, 11, 0, tzinfo=BERLIN),
            end=datetime(2026, 5, 4, 12, 0, tzinfo=BERLIN),
        ),
    )
    meeting.refresh_from_db()
    assert meeting.version == 1


def test_update_refuses_bad_input_and_keeps_the_meeting(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    with pytest.raises(ValidationError) as refused:
        meeting_update(meeting=meeting, data=timed(subject="", visibility="loud"))
    assert set(refused.value.message_dict) == {"subject", "visibility"}
    meeting.refresh_from_db()
    assert meeting.subject == "Quarterly review" and meeting.version == 1


def test_a_deleted_meeting_must_be_restored_before_it_is_edited(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    meeting_delete(meeting=meeting)
    with pytest.raises(ValidationError, match="restored"):
        meeting_update(meeting=meeting, data=timed(subject="Zombie"))


def test_delete_leaves_a_tombstone_and_bumps_the_version(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        meeting_delete(meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.deleted_at == datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert meeting.version == 2
    assert meeting.restorable_until == datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert list(Meeting.objects.alive()) == []
    assert list(Meeting.objects.tombstones()) == [meeting]


def test_deleting_twice_is_harmless(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    meeting_delete(meeting=meeting)
    first_deleted_at = meeting.deleted_at
    meeting_delete(meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.deleted_at == first_deleted_at and meeting.version == 2


def test_restore_within_thirty_days_brings_the_meeting_back(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC), tick=False):
        meeting_delete(meeting=meeting)
    with time_machine.travel(datetime(2026, 6, 30, 23, 59, tzinfo=UTC), tick=False):
        assert meeting.can_be_restored()
        meeting_restore(meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.deleted_at is None and meeting.version == 3


def test_restore_after_thirty_days_is_refused(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC), tick=False):
        meeting_delete(meeting=meeting)
    with (
        time_machine.travel(datetime(2026, 7, 1, tzinfo=UTC), tick=False),
        pytest.raises(ValidationError, match="30 days"),
    ):
        meeting_restore(meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.deleted_at is not None and meeting.version == 2


def test_restoring_a_live_meeting_changes_nothing(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    meeting_restore(meeting=meeting)
    meeting.refresh_from_db()
    assert meeting.version == 1


def test_purge_removes_only_tombstones_older_than_thirty_days(alice: User):
    now = datetime(2026, 8, 1, tzinfo=UTC)
    old, recent, alive = (meeting_create(owner=alice, data=timed()) for _ in range(3))
    with time_machine.travel(now - timedelta(days=30, seconds=1), tick=False):
        meeting_delete(meeting=old)
    with time_machine.travel(now - timedelta(days=29), tick=False):
        meeting_delete(meeting=recent)

    assert meeting_purge_expired_tombstones(now=now) == 1
    assert set(Meeting.objects.values_list("pk", flat=True)) == {recent.pk, alive.pk}


def test_purge_uses_the_current_time_by_default(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        meeting_delete(meeting=meeting)
    with time_machine.travel(datetime(2026, 1, 30, tzinfo=UTC), tick=False):
        assert meeting_purge_expired_tombstones() == 0
    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC), tick=False):
        assert meeting_purge_expired_tombstones() == 1
    assert not Meeting.objects.exists()


class TestReadOnlyMeetings:
    """Meetings from Google calendars the user can only read refuse CRM edits; the sync
    engine (origin "sync") still keeps them up to date."""

    def test_a_crm_update_is_refused(self, alice: User):
        meeting = meeting_create(owner=alice, data=timed(), read_only=True, origin="sync")
        with pytest.raises(ValidationError, match="cannot edit"):
            meeting_update(meeting=meeting, data=timed(subject="Mine now"))
        meeting.refresh_from_db()
        assert meeting.subject == "Quarterly review" and meeting.version == 1

    def test_a_crm_delete_is_refused(self, alice: User):
        meeting = meeting_create(owner=alice, data=timed(), read_only=True, origin="sync")
        with pytest.raises(ValidationError, match="cannot edit"):
            meeting_delete(meeting=meeting)
        meeting.refresh_from_db()
        assert meeting.deleted_at is None

    def test_the_sync_engine_may_update_and_delete_it(self, alice: User):
        meeting = meeting_create(owner=alice, data=timed(), read_only=True, origin="sync")
        meeting_update(meeting=meeting, data=timed(subject="Moved in Google"), origin="sync")
        meeting_delete(meeting=meeting, origin="sync")
        meeting.refresh_from_db()
        assert meeting.subject == "Moved in Google" and meeting.is_deleted


def test_deleting_a_series_deletes_its_changed_occurrences_and_restoring_brings_them_back(
    alice: User,
):
    """Google cancels a recurring event's exceptions with it; the CRM does the same, so the
    sync never keeps an occurrence row linked to an instance Google cancelled. The deleted
    meetings list shows the series alone, and restoring it restores its occurrences."""
    series = meeting_create(owner=alice, data=timed(recurrence=["RRULE:FREQ=WEEKLY;COUNT=4"]))
    week = timedelta(days=7)
    moved = occurrence_change(
        series=series,
        original_start=series.start + week,
        data=timed(subject="Moved", start=series.start + week, end=series.end + week),
    )
    hidden = occurrence_cancel(series=series, original_start=series.start + 2 * week)
    alone = meeting_create(owner=alice, data=timed(subject="Deleted before"))
    meeting_delete(meeting=alone)
    versions = {row.pk: row.version for row in (moved, hidden)}

    meeting_delete(meeting=series)

    for row in (moved, hidden):
        row.refresh_from_db()
        assert row.deleted_at == Meeting.objects.get(pk=series.pk).deleted_at
        assert row.version == versions[row.pk] + 1  # the sync sees the change
    assert list(deleted_meetings_of(owner=alice)) == [series, alone]

    meeting_restore(meeting=Meeting.objects.get(pk=series.pk))

    assert Meeting.objects.filter(pk__in=[moved.pk, hidden.pk], deleted_at=None).count() == 2
    assert Meeting.objects.get(pk=alone.pk).deleted_at is not None
