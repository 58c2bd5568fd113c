"""What bounds a range query of one owner's meetings from below, so that no calendar page
or API list costs more as the owner's total grows (issue 14, performance).

A meeting intersects [start, end) when ``meeting.start < end`` and ``meeting.end > start``.
The (owner, start, end) index answers the first part as a range, but alone it walks every
earlier meeting of the owner. No meeting is longer than the owner's longest, so
``meeting.start >= start - longest`` is implied by ``meeting.end > start`` and bounds the
walk to the page's days plus that margin. Recurring series are matched by their first
occurrence's span there; the calendar expands them from the owner's series, whose ids are
kept here too (a few rows, where a ``recurrence`` test would read every row).

Both are read from the whole table (two aggregate scans of the owner's rows) and kept in the
cache under the owner's newest change (``newest_change``: one row of the (owner,
updated_at) index): every write of a meeting stamps ``updated_at`` (the sync's outbound
pass relies on the same), so a change makes a new key and the next request reads them
again. A write stamped earlier than the newest one already seen (an import page stamps its
start and commits later) keeps the old key: ``STALE_AFTER`` bounds how long that can last.
A bound that is too wide is only slower, never wrong; deletions never narrow it until the
next change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import DurationField, ExpressionWrapper, F, Max

from tandem.meetings.models import Meeting

STALE_AFTER = 60  # seconds: see the module's docstring


@dataclass(frozen=True)
class OwnerBounds:
    longest: timedelta  # the longest meeting (or series' first occurrence) the owner has
    series_ids: tuple[int, ...]  # the owner's recurring series, deleted ones included


def newest_change(*, owner: User) -> datetime | None:
    """The newest write among the owner's meetings (saved, deleted or restored: each bumps
    updated_at), read through the (owner, updated_at) index: one row, whatever the total."""
    found: datetime | None = Meeting.objects.filter(owner=owner).aggregate(
        newest=Max("updated_at")
    )["newest"]
    return found


def owner_bounds(*, owner: User) -> OwnerBounds:
    newest = newest_change(owner=owner)
    key = f"tandem:meetings:bounds:{owner.pk}:{newest.isoformat() if newest else '-'}"
    bounds = cache.get(key)
    if not isinstance(bounds, OwnerBounds):
        bounds = _read(owner)
        cache.set(key, bounds, timeout=STALE_AFTER)
    return bounds


def _read(owner: User) -> OwnerBounds:
    rows = Meeting.objects.filter(owner=owner)
    duration = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
    longest = rows.aggregate(longest=Max(duration))["longest"]
    series = rows.exclude(recurrence=[]).order_by().values_list("pk", flat=True)
    return OwnerBounds(longest=longest or timedelta(0), series_ids=tuple(series))
