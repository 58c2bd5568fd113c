"""A per-user lease lock taken with one conditional UPDATE.

select_for_update does nothing on SQLite, and a Celery worker may die holding a lock, so the
lock is a lease: ``locked_until`` in the database, taken only if free or expired, renewed
while the run makes progress, released by its holder. The UPDATE ... WHERE is atomic on
SQLite and PostgreSQL alike, so two workers can never both see rowcount 1.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from tandem.sync.models import UserSyncState


def default_lease() -> timedelta:
    """SYNC_LOCK_LEASE_SECONDS (5 minutes): longer than a run, short enough that a user whose
    worker died is picked up again soon."""
    return timedelta(seconds=settings.SYNC_LOCK_LEASE_SECONDS)


class UserBusy(Exception):
    """Another worker is syncing this user right now."""


def user_sync_state(*, user_id: int) -> UserSyncState:
    state, _ = UserSyncState.objects.get_or_create(owner_id=user_id)
    return state


def lock_acquire(
    *, user_id: int, lease: timedelta | None = None, starts_below: int | None = None
) -> str | None:
    """Returns the lock token, or None when another worker holds a live lease.

    With ``starts_below``, the same UPDATE also counts this start as unfinished and clears
    ``queued_for`` (a change committed from now on needs a task of its own), and takes
    nothing while the user already has ``starts_below`` unfinished starts (``starts_capped``
    tells that refusal from a busy user). The run's end clears the count (engine/run.py), so
    a count that stays up means runs that killed their worker: the delivery cap of
    tandem/sync/tasks.py, at no statement of its own."""
    lease = lease or default_lease()
    token = secrets.token_hex(16)
    now = timezone.now()
    counted: dict[str, Any] = {}
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    if starts_below is not None:
        counted = {"unfinished_starts": F("unfinished_starts") + 1, "queued_for": None}
        free &= Q(unfinished_starts__lt=starts_below)

    def take() -> int:
        return (
            UserSyncState.objects.filter(owner_id=user_id)
            .filter(free)
            .update(lock_token=token, locked_until=now + lease, **counted)
        )

    # The UPDATE first: a user's state row exists from their first run on, so a run needs
    # no read before it. Nothing taken and no row: a new user, whose row is made first
    # (racing creators still leave one row), then the same UPDATE decides.
    taken = take()
    if taken == 0 and not UserSyncState.objects.filter(owner_id=user_id).exists():
        user_sync_state(user_id=user_id)
        taken = take()
    return token if taken == 1 else None


def starts_capped(*, user_id: int, limit: int) -> bool:
    """Whether the user has ``limit`` unfinished starts and nobody holds the lock (read only
    after a refusal): a live run's own start counts too, so a refusal while a run holds the
    user is a busy user, not a capped one."""
    now = timezone.now()
    return (
        UserSyncState.objects.filter(owner_id=user_id, unfinished_starts__gte=limit)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .exists()
    )


def starts_clear(*, user_id: int) -> None:
    """A counted start ended without a run record (skipped, or an error before the run):
    it did not kill its worker."""
    UserSyncState.objects.filter(owner_id=user_id).update(unfinished_starts=0)


def lock_renew(*, user_id: int, token: str, lease: timedelta | None = None) -> bool:
    return (
        UserSyncState.objects.filter(owner_id=user_id, lock_token=token).update(
            locked_until=timezone.now() + (lease or default_lease())
        )
        == 1
    )


def lock_release(*, user_id: int, token: str) -> None:
    UserSyncState.objects.filter(owner_id=user_id, lock_token=token).update(
        lock_token="", locked_until=None
    )


@contextmanager
def user_lock(*, user_id: int, lease: timedelta | None = None) -> Iterator[str]:
    token = lock_acquire(user_id=user_id, lease=lease)
    if token is None:
        raise UserBusy(f"User {user_id} is being synced by another worker.")
    try:
        yield token
    finally:
        lock_release(user_id=user_id, token=token)
