"""Meeting.import_key, the Google event the sync made a meeting from, written only through
services.import_key_record / import_key_forget: not a change of the meeting (no version,
no updated_at), scoped to its owner, one event per meeting and one meeting per event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from tandem.meetings.models import Meeting
from tandem.meetings.services import (
    MeetingInput,
    import_key_forget,
    import_key_record,
    meeting_create,
)
from tandem.sync.core.identity import import_key_of

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 7, 9, tzinfo=UTC)
KEY = import_key_of("cal", "ev1")  # forgotten below by its calendar, "cal"


def _meeting(owner: User, subject: str = "Pitch") -> Meeting:
    return meeting_create(
        owner=owner, data=MeetingInput(subject=subject, start=START, end=START + timedelta(hours=1))
    )


def test_a_key_is_recorded_once_and_forgotten_without_changing_the_meeting():
    ann = User.objects.create_user("ann")
    meeting = _meeting(ann)
    before = Meeting.objects.values_list("version", "updated_at").get(pk=meeting.pk)
    assert import_key_record(owner=ann, meeting_id=meeting.pk, import_key=KEY)
    assert import_key_record(owner=ann, meeting_id=meeting.pk, import_key=KEY)  # again
    assert Meeting.objects.get(pk=meeting.pk).import_key == KEY
    import_key_forget(owner=ann, imported_from="cal")
    assert Meeting.objects.get(pk=meeting.pk).import_key is None
    assert Meeting.objects.values_list("version", "updated_at").get(pk=meeting.pk) == before


def test_a_meeting_made_from_one_event_is_not_given_another():
    """As the import record keyed by its meeting refused a second record."""
    ann = User.objects.create_user("ann")
    meeting = _meeting(ann)
    import_key_record(owner=ann, meeting_id=meeting.pk, import_key="cal/ev1")
    with pytest.raises(IntegrityError), transaction.atomic():
        import_key_record(owner=ann, meeting_id=meeting.pk, import_key="cal/ev2")
    assert Meeting.objects.get(pk=meeting.pk).import_key == "cal/ev1"


def test_one_meeting_per_event_and_user_and_none_for_another_users_meeting():
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    first, second, bobs = _meeting(ann), _meeting(ann, "Other"), _meeting(bob)
    import_key_record(owner=ann, meeting_id=first.pk, import_key="team/ev1")
    with pytest.raises(IntegrityError), transaction.atomic():
        import_key_record(owner=ann, meeting_id=second.pk, import_key="team/ev1")
    # Another user's meeting is not found through ann; bob may import the same event.
    assert not import_key_record(owner=ann, meeting_id=bobs.pk, import_key="team/ev2")
    assert import_key_record(owner=bob, meeting_id=bobs.pk, import_key="team/ev1")
    import_key_forget(owner=ann, meeting_ids=[bobs.pk])
    assert Meeting.objects.get(pk=bobs.pk).import_key == "team/ev1"
