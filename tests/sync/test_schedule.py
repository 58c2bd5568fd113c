"""The schedule: who is due, who is skipped, jitter, and beat's dispatch (controllable clock)."""

from __future__ import annotations

import dataclasses
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User

from tandem.accounts.models import GoogleConnection, SyncSettings
from tandem.meetings.models import Meeting
from tandem.meetings.services import MeetingInput, meeting_create, meeting_update
from tandem.sync.engine import sync_user_now
from tandem.sync.models import UserSyncState
from tandem.sync.scheduling import due_user_ids, next_due_after
from tandem.sync.tasks import dispatch_due_syncs
from tests.sync.sched_support import connect_user, syncable_rows

T0 = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_due_users_are_picked_and_the_others_skipped():
    """Never synced or past its time: due. Not yet, waiting for the user, disconnected or
    without saved settings: skipped."""
    never = syncable_rows(username="never")
    past = syncable_rows(username="past", next_due_at=T0 - timedelta(seconds=1))
    exactly = syncable_rows(username="exactly", next_due_at=T0)
    syncable_rows(username="later", next_due_at=T0 + timedelta(seconds=1))
    syncable_rows(username="stuck", next_due_at=T0 - timedelta(hours=1), needs_attention="x")
    gone = syncable_rows(username="gone")
    GoogleConnection.objects.filter(user=gone).update(
        status=GoogleConnection.Status.NEEDS_RECONNECT
    )
    unsaved = syncable_rows(username="unsaved")
    SyncSettings.objects.filter(connection__user=unsaved).update(saved_at=None)
    no_target = syncable_rows(username="notarget")
    SyncSettings.objects.filter(connection__user=no_target).update(target_calendar_id="")
    User.objects.create_user("never-connected")

    assert due_user_ids(now=T0) == sorted([never.pk, past.pk, exactly.pk])


@pytest.mark.django_db
def test_dispatch_queues_each_due_user_once_and_not_twice():
    """Beat's minute: each due user is queued once (in a chunk of users) and marked, so the
    next minute does not queue them again while their task waits; users not due are left
    alone."""
    due = [syncable_rows(username=f"due{i}") for i in range(3)]
    later = syncable_rows(username="later", next_due_at=T0 + timedelta(minutes=3))
    with time_machine.travel(T0, tick=False):
        assert dispatch_due_syncs() == 3
        assert dispatch_due_syncs() == 0
    states = {s.owner_id: s for s in UserSyncState.objects.all()}
    for user in due:
        assert states[user.pk].next_due_at == T0 + timedelta(minutes=5)
    assert states[later.pk].next_due_at == T0 + timedelta(minutes=3)
    # A task lost on the way is not forgotten: the user is due again an interval later.
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=1), tick=False):
        assert due_user_ids() == sorted([*(u.pk for u in due), later.pk])


@pytest.mark.django_db
def test_jitter_spreads_next_syncs_over_the_configured_window(settings):
    """1,000 users who synced at the same instant are due over ±SYNC_JITTER_SECONDS around
    the interval, spread rather than bunched."""
    settings.SYNC_INTERVAL_SECONDS = 300
    settings.SYNC_JITTER_SECONDS = 30
    rng = random.Random(6)
    offsets = [(next_due_after(T0, rng=rng) - T0).total_seconds() for _ in range(1000)]
    assert min(offsets) >= 270 and max(offsets) <= 330
    assert max(offsets) - min(offsets) > 55  # close to the full 60 s window
    assert statistics.pstdev(offsets) > 15  # uniform over 60 s: about 17
    per_10s = [sum(1 for o in offsets if lo <= o < lo + 10) for lo in range(270, 330, 10)]
    assert min(per_10s) > 100  # every 10-second slice gets its share


@pytest.mark.django_db
def test_the_interval_is_configurable(settings):
    settings.SYNC_INTERVAL_SECONDS = 60
    settings.SYNC_JITTER_SECONDS = 0
    assert next_due_after(T0) == T0 + timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
def test_a_user_is_due_again_five_minutes_after_a_sync(google_in_process, settings):
    """After a real sync the user is skipped until the interval (± jitter) has passed."""
    settings.SYNC_JITTER_SECONDS = 30
    user = connect_user(google_in_process, username="ann")
    # Near the real time: Google's tokens (the emulator's clock follows ours) stay valid.
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(t0, tick=False):
        assert user.pk in due_user_ids()
        outcome = sync_user_now(user_id=user.pk, trigger="schedule")
        assert outcome.run is not None and outcome.run.status == "succeeded"
    state = UserSyncState.objects.get(owner=user)
    assert state.last_success_at == t0
    assert state.next_due_at is not None
    assert t0 + timedelta(seconds=270) <= state.next_due_at <= t0 + timedelta(seconds=330)
    assert user.pk not in due_user_ids(now=t0 + timedelta(seconds=269))
    assert user.pk in due_user_ids(now=t0 + timedelta(seconds=331))


@pytest.mark.django_db(transaction=True)
def test_a_crm_edit_queues_the_owners_sync_and_a_sync_write_does_not(google_in_process):
    """Creating or editing a meeting in the CRM queues that user's sync once committed
    (debounced); the sync's own writes and users without Google queue nothing."""
    ann = connect_user(google_in_process, username="ann")
    UserSyncState.objects.filter(owner=ann).update(queued_for=None)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    data = MeetingInput(subject="Pitch", start=start, end=start + timedelta(hours=1))

    meeting = meeting_create(owner=ann, data=data, origin="sync")
    assert UserSyncState.objects.get(owner=ann).queued_for is None

    edited = dataclasses.replace(data, subject="Pitch v2")
    meeting_update(meeting=Meeting.objects.get(pk=meeting.pk), data=edited, origin="crm")
    queued_for = UserSyncState.objects.get(owner=ann).queued_for
    assert queued_for is not None

    # A second edit within the debounce window rides on the same queued task.
    again = dataclasses.replace(data, subject="Pitch v3")
    meeting_update(meeting=Meeting.objects.get(pk=meeting.pk), data=again, origin="crm")
    assert UserSyncState.objects.get(owner=ann).queued_for == queued_for

    bob = User.objects.create_user("bob")
    meeting_create(owner=bob, data=data)
    assert not UserSyncState.objects.filter(owner=bob, queued_for__isnull=False).exists()
