"""The Meeting model: defaults, privacy, tombstone arithmetic and the range query."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from tandem.meetings.models import TOMBSTONE_DAYS, Meeting, Visibility
from tandem.meetings.services import meeting_create, meeting_delete

from .helpers import UTC, timed


def test_a_new_meeting_has_the_documented_defaults(alice: User):
    meeting = Meeting.objects.create(
        owner=alice,
        subject="Bare",
        start=datetime(2026, 5, 4, 9, tzinfo=UTC),
        end=datetime(2026, 5, 4, 10, tzinfo=UTC),
    )
    assert meeting.visibility == Visibility.DEFAULT
    assert meeting.time_zone == "UTC"
    assert meeting.version == 1
    assert meeting.recurrence == [] and not meeting.is_recurring
    assert not meeting.all_day and not meeting.read_only and not meeting.is_deleted
    assert str(meeting) == "Bare"


def test_visibility_values_are_googles():
    assert set(Visibility.values) == {"default", "public", "private", "confidential"}


@pytest.mark.parametrize(
    ("visibility", "private"),
    [("default", False), ("public", False), ("private", True), ("confidential", True)],
)
def test_private_means_private_or_confidential(alice: User, visibility: str, private: bool):
    assert meeting_create(owner=alice, data=timed(visibility=visibility)).is_private is private


def test_a_live_meeting_has_no_restore_deadline(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    assert meeting.restorable_until is None
    assert not meeting.can_be_restored()


def test_a_tombstone_is_restorable_for_exactly_thirty_days(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    deleted_at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    with time_machine.travel(deleted_at, tick=False):
        meeting_delete(meeting=meeting)
    deadline = deleted_at + timedelta(days=TOMBSTONE_DAYS)
    assert meeting.restorable_until == deadline
    with time_machine.travel(deadline - timedelta(seconds=1), tick=False):
        assert meeting.can_be_restored()
    with time_machine.travel(deadline, tick=False):
        assert not meeting.can_be_restored()


def test_meetings_are_ordered_by_start(alice: User):
    late = meeting_create(
        owner=alice,
        data=timed(
            start=datetime(2026, 5, 4, 15, tzinfo=UTC), end=datetime(2026, 5, 4, 16, tzinfo=UTC)
        ),
    )
    early = meeting_create(owner=alice, data=timed())
    assert list(Meeting.objects.all()) == [early, late]
