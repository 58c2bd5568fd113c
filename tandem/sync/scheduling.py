"""When each user's next sync runs.

A user is due 5 minutes (SYNC_INTERVAL_SECONDS) after the last attempt, plus a random
jitter, so a thousand users connected at the same moment spread over the interval instead of
hitting Google together. Beat runs ``due_user_ids`` every minute; a change in the CRM or a
push from Google makes the user due at once (debounced by a couple of seconds).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from tandem.accounts.models import GoogleConnection


def interval() -> timedelta:
    return timedelta(seconds=settings.SYNC_INTERVAL_SECONDS)


def jitter(rng: random.Random | None = None) -> timedelta:
    """Up to SYNC_JITTER_SECONDS either way."""
    spread = settings.SYNC_JITTER_SECONDS
    return timedelta(seconds=(rng or random).uniform(-spread, spread))


def next_due_after(moment: datetime, *, rng: random.Random | None = None) -> datetime:
    return moment + interval() + jitter(rng)


def _syncable_connections() -> QuerySet[GoogleConnection]:
    return GoogleConnection.objects.filter(
        status=GoogleConnection.Status.CONNECTED,
        sync_settings__saved_at__isnull=False,
    ).exclude(sync_settings__target_calendar_id="")


def syncable_user_ids() -> list[int]:
    """Users whose connection is healthy and whose settings are saved."""
    return list(_syncable_connections().values_list("user_id", flat=True))


def due_user_ids(*, now: datetime | None = None) -> list[int]:
    """Syncable users whose next sync time has come (or was never set), except those whose
    sync waits for them (needs attention). One query, whatever the number of users."""
    now = now or timezone.now()
    return list(
        _syncable_connections()
        .exclude(user__sync_state__next_due_at__gt=now)
        .exclude(user__sync_state__needs_attention__gt="")
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
