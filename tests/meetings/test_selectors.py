"""Reads are scoped to their owner; colleagues see private meetings only as Busy."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.http import Http404

from tandem.meetings.selectors import (
    BUSY,
    calendar_entries,
    deleted_meetings_of,
    meeting_of,
    meetings_of,
)
from tandem.meetings.services import meeting_create, meeting_delete

from .helpers import UTC, timed

MAY = (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))


def test_meeting_of_another_user_is_a_404(alice: User, bob: User):
    meeting = meeting_create(owner=bob, data=timed())
    with pytest.raises(Http404):
        meeting_of(owner=alice, pk=meeting.pk)
    assert meeting_of(owner=bob, pk=meeting.pk) == meeting


def test_meeting_of_a_deleted_meeting_needs_include_deleted(alice: User):
    meeting = meeting_create(owner=alice, data=timed())
    meeting_delete(meeting=meeting)
    with pytest.raises(Http404):
        meeting_of(owner=alice, pk=meeting.pk)
    assert meeting_of(owner=alice, pk=meeting.pk, include_deleted=True) == meeting


@pytest.mark.parametrize("pk", ["abc", None, -1])
def test_meeting_of_a_nonsense_id_is_a_404(alice: User, pk: object):
    with pytest.raises(Http404):
        meeting_of(owner=alice, pk=pk)  # type: ignore[arg-type]


def test_meetings_of_lists_only_the_owners_live_meetings(alice: User, bob: User):
    mine = meeting_create(owner=alice, data=timed())
    gone = meeting_create(owner=alice, data=timed())
    meeting_delete(meeting=gone)
    meeting_create(owner=bob, data=timed())
    assert list(meetings_of(owner=alice)) == [mine]
    assert list(deleted_meetings_of(owner=alice)) == [gone]


@pytest.mark.parametrize("visibility", ["private", "confidential"])
def test_a_private_meeting_is_busy_to_a_colleague_and_whole_to_its_owner(
    alice: User, bob: User, visibility: str
):
    meeting_create(
        owner=bob,
        data=timed(
            subject="Therapy", description="Dr. K", location="Main St", visibility=visibility
        ),
    )
    [seen_by_alice] = calendar_entries(viewer=alice, owner=bob, start=MAY[0], end=MAY[1])
    assert (seen_by_alice.subject, seen_by_alice.description, seen_by_alice.location) == (
        BUSY,
        "",
        "",
    )
    assert seen_by_alice.is_busy_block and not seen_by_alice.editable
    [seen_by_bob] = calendar_entries(viewer=bob, owner=bob, start=MAY[0], end=MAY[1])
    assert seen_by_bob.subject == "Therapy" and seen_by_bob.editable


def test_an_admin_colleague_sees_busy_too(bob: User):
    admin = User.objects.create_superuser("root")
    meeting_create(owner=bob, data=timed(subject="Therapy", visibility="private"))
    [entry] = calendar_entries(viewer=admin, owner=bob, start=MAY[0], end=MAY[1])
    assert entry.subject == BUSY


def test_a_read_only_meeting_is_not_editable_even_by_its_owner(alice: User):
    meeting_create(owner=alice, data=timed(), read_only=True, origin="sync")
    [entry] = calendar_entries(viewer=alice, owner=alice, start=MAY[0], end=MAY[1])
    assert entry.read_only and not entry.editable
