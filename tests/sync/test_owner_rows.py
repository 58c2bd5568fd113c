"""A user's links go with the user: their owner column has no database constraint (it
repeats the meeting's owner; issue 11, a first import's commit on PostgreSQL), so Django's
cascade is what removes them. (The import record, once a table with the same unchecked
owner, is a column of the meeting since: it goes with the meeting's row.)"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from tandem.meetings.models import Meeting
from tandem.sync.models import EventLink

pytestmark = pytest.mark.django_db


def _imported(owner: User, event_id: str) -> Meeting:
    now = timezone.now()
    meeting = Meeting.objects.create(
        owner=owner,
        subject=event_id,
        start=now,
        end=now,
        time_zone="UTC",
        import_key=f"cal/{event_id}",
    )
    EventLink.objects.create(
        owner=owner,
        meeting=meeting,
        google_sub="sub",
        calendar_id="cal",
        event_id=event_id,
        origin=EventLink.Origin.GOOGLE,
    )
    return meeting


def test_deleting_a_user_removes_their_links_and_meetings_and_no_one_elses():
    ann, bob = User.objects.create_user("ann"), User.objects.create_user("bob")
    _imported(ann, "e1")
    _imported(ann, "e2")
    kept = _imported(bob, "e3")
    ann.delete()
    assert list(EventLink.objects.values_list("owner_id", "meeting_id")) == [(bob.pk, kept.pk)]
    assert list(Meeting.objects.values_list("pk", flat=True)) == [kept.pk]
