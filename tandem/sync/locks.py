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

from django.conf import settings
from django.db.models import Q
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


def lock_acquire(*, user_id: int, lease: timedelta | None = None) -> str | None:
    """Returns the lock token, or None when another worker holds a live lease."""
    lease = lease or default_lease()
    token = secrets.token_hex(16)
    now = timezone.now()

    def take() -> int:
        return (
            UserSyncState.objects.filter(owner_id=user_id)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .update(lock_token=token, locked_until=now + lease)
        )

    # The UPDATE first: a user's state row exists from their first run on, so a run needs
    # no read before it. Nothing taken and no row: a new user, whose row is made first
    # (racing creators still leave one row), then the same UPDATE decides.
    taken = take()
    if taken == 0 and not UserSyncState.objects.filter(owner_id=user_id).exists():
        user_sync_state(user_id=user_id)
        taken = take()
    return token if taken == 1 else None


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
