"""meeting_changed is announced once the transaction commits, never for a rolled-back write,
so the sync engine never pushes a change that did not happen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from tandem.meetings.models import Meeting
from tandem.meetings.services import (
    meeting_changed,
    meeting_create,
    meeting_delete,
    meeting_restore,
    meeting_update,
)

from .helpers import timed

pytestmark = pytest.mark.django_db(transaction=True)


class Rollback(Exception):
    pass


@pytest.fixture
def announced() -> Iterator[list[tuple[int, str, int]]]:
    """(meeting id, origin, version seen by the receiver) for every announcement."""
    heard: list[tuple[int, str, int]] = []

    def receiver(sender: Any, meeting: Meeting, origin: str, **kwargs: Any) -> None:
        heard.append((meeting.pk, origin, Meeting.objects.get(pk=meeting.pk).version))

    meeting_changed.connect(receiver)
    yield heard
    meeting_changed.disconnect(receiver)


@pytest.fixture
def carol() -> User:
    return User.objects.create_user("carol")


def test_a_create_is_announced_only_after_the_commit(carol: User, announced: list):
    with transaction.atomic():
        meeting = meeting_create(owner=carol, data=timed())
        assert announced == []  # still inside the transaction
    assert announced == [(meeting.pk, "crm", 1)]


def test_a_rolled_back_create_is_never_announced(carol: User, announced: list):
    with pytest.raises(Rollback), transaction.atomic():
        meeting_create(owner=carol, data=timed())
        raise Rollback
    assert announced == []
    assert not Meeting.objects.exists()


def test_update_delete_and_restore_are_announced_with_their_origin(carol: User, announced: list):
    meeting = meeting_create(owner=carol, data=timed(), origin="sync")
    meeting_update(meeting=meeting, data=timed(subject="Renamed"))
    meeting_delete(meeting=meeting)
    meeting_restore(meeting=meeting)
    assert announced == [
        (meeting.pk, "sync", 1),
        (meeting.pk, "crm", 2),
        (meeting.pk, "crm", 3),
        (meeting.pk, "crm", 4),
    ]


def test_an_update_that_changes_nothing_is_not_announced(carol: User, announced: list):
    meeting = meeting_create(owner=carol, data=timed())
    announced.clear()
    meeting_update(meeting=meeting, data=timed())
    assert announced == []


def test_a_refused_update_is_not_announced(carol: User, announced: list):
    from django.core.exceptions import ValidationError

    meeting = meeting_create(owner=carol, data=timed())
    announced.clear()
    with pytest.raises(ValidationError):
        meeting_update(meeting=meeting, data=timed(subject=""))
    assert announced == []
