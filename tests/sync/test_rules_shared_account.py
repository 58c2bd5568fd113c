"""Two CRM users connected to the same Google account (an assistant and the person they
work for, say): each keeps their own copy of the calendar, and neither one's sync touches
the other's links, meetings or pushed events."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tandem.sync.models import EventLink
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_by_subject,
    crm_create,
    crm_edit,
    google_by_subject,
    google_requests,
    run_clean,
    soon,
    writes,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pair(google_in_process) -> tuple[SyncWorld, SyncWorld]:  # type: ignore[no-untyped-def]
    ann = connect_user(google_in_process, Client(), username="ann")
    bob = connect_user(google_in_process, Client(), username="bob")
    return ann, bob


def test_both_users_import_the_shared_calendar_into_their_own_meetings(
    pair: tuple[SyncWorld, SyncWorld],
) -> None:
    ann, bob = pair
    ann.google.create_event(ann.primary, "Shared call", soon())

    run_clean(ann)
    run_clean(bob)

    assert list(crm_by_subject(ann)) == ["Shared call"]
    assert list(crm_by_subject(bob)) == ["Shared call"]
    for world in (ann, bob):
        links = EventLink.objects.filter(owner=world.user)
        assert links.count() == 1
        assert links.get().meeting.owner_id == world.user.pk


def test_a_meeting_one_user_pushed_reaches_the_other_and_stays_in_google(
    pair: tuple[SyncWorld, SyncWorld],
) -> None:
    ann, bob = pair
    run_clean(bob)
    pitch = crm_create(ann, "Ann's pitch", soon(days=2))
    run_clean(ann)

    with google_requests(bob) as requests:
        run_clean(bob)

    assert writes(requests) == [], "bob's sync must not write ann's event"
    assert "Ann's pitch" in google_by_subject(ann)
    assert "Ann's pitch" in crm_by_subject(bob)
    assert crm_by_subject(ann) == google_by_subject(ann)

    crm_edit(pitch, location="Room 7")
    run_clean(ann)
    run_clean(bob)
    assert crm_by_subject(bob)["Ann's pitch"].location == "Room 7"
    assert crm_by_subject(ann) == google_by_subject(ann) == crm_by_subject(bob)
    for world in (ann, bob):
        with google_requests(world) as requests:
            run_clean(world)
        assert writes(requests) == []


def test_an_edit_made_before_the_other_users_run_is_still_pushed(
    pair: tuple[SyncWorld, SyncWorld],
) -> None:
    """A run looks at the meetings changed since its own user's last clean run began: bob's
    runs since ann's edit do not make it count as seen, and her next run pushes it."""
    ann, bob = pair
    pitch = crm_create(ann, "Ann's pitch", soon(days=2))
    run_clean(ann)
    run_clean(ann)  # lists the echo of its push: only the outbound look finds what follows
    crm_edit(pitch, location="Room 7")
    # Minutes later (more than the look's margin for clocks), bob syncs first.
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        run_clean(bob)
        run_clean(ann)
    assert google_by_subject(ann)["Ann's pitch"].location == "Room 7"
    assert crm_by_subject(ann) == google_by_subject(ann)
