"""A per-user request budget that keeps each user under Google's per-user rate limit.

Google allows 600 Calendar API requests per minute per user per project
(shared/google-calendar-api.md, "Quotas"); we allow ourselves SYNC_REQUESTS_PER_MINUTE (500
by default) so the user's own clients and our retries keep some room. Only one worker syncs a
user at a time (tandem.sync.locks), so the budget is: the requests recorded by the user's runs
that finished in the last minute, plus what the current client has sent. The first is read
once when the client is built (one query, in the database every worker shares), the second is
counted in memory. When the budget is spent the request is not sent: ``BudgetSpent`` (a rate
limit, so retryable) stops the run and the task retries once the minute has moved on. A
stopped run loses nothing: every page's sync token is committed with its changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min, OuterRef, QuerySet, Subquery, Sum, Value
from django.utils import timezone

from tandem.google.calendar import RequestCounter
from tandem.google.errors import RateLimited
from tandem.sync.models import SyncRun

WINDOW = timedelta(minutes=1)


class BudgetSpent(RateLimited):
    """We stopped ourselves before Google would have: the user's minute budget is used up."""


def window_start(*, now: datetime | None = None) -> datetime:
    """Since when finished runs count against the budget."""
    return (now or timezone.now()) - WINDOW


def _runs_in_window(*, since: datetime) -> QuerySet[SyncRun]:
    """The runs that finished since ``window_start`` and sent requests: what the budget
    counts (of one user, which each caller filters), for ``requests_in_window`` and
    ``window_subqueries`` alike."""
    return SyncRun.objects.filter(finished_at__gte=since, requests__gt=0)


def requests_in_window(*, user_id: int, now: datetime | None = None) -> tuple[int, datetime | None]:
    """Requests of the user's runs that finished within the last minute, and when the oldest
    of those runs leaves the window (None when none did)."""
    recent = (
        _runs_in_window(since=window_start(now=now))
        .filter(owner_id=user_id)
        .aggregate(used=Sum("requests"), oldest=Min("finished_at"))
    )
    return int(recent["used"] or 0), recent["oldest"]


# The names under which a sync run's first query of the user's connection carries the same
# two figures (``window_subqueries``; tandem/sync/engine/run.py reads them with everything
# else a run starts from, in one statement), for the client's budget to take them from there.
USED_IN_WINDOW = "budget_used_in_window"
OLDEST_IN_WINDOW = "budget_oldest_in_window"


def window_subqueries(*, user_ref: OuterRef, since: datetime) -> tuple[Subquery, Subquery]:
    """``requests_in_window`` as two subqueries (used, oldest) of a query whose rows name
    the user by ``user_ref``, to annotate as USED_IN_WINDOW and OLDEST_IN_WINDOW; ``since``:
    ``window_start()``."""
    recent = _runs_in_window(since=since).filter(owner_id=user_ref).order_by()
    # One group for the whole filter: the aggregate of the subquery's rows, not per row.
    grouped = recent.annotate(one=Value(1)).values("one")
    return (
        Subquery(grouped.annotate(used=Sum("requests")).values("used")),
        Subquery(grouped.annotate(oldest=Min("finished_at")).values("oldest")),
    )


def requests_read_with(row: object) -> tuple[int, datetime | None] | None:
    """The figures a row annotated with ``window_subqueries`` carries, or None when it was
    read without them."""
    if not hasattr(row, USED_IN_WINDOW):
        return None
    return int(getattr(row, USED_IN_WINDOW) or 0), getattr(row, OLDEST_IN_WINDOW)


class BudgetedCounter(RequestCounter):
    """Counts requests like RequestCounter and refuses the one that would break the budget."""

    def __init__(self, *, user_id: int, limit: int, already_used: int, frees_at: datetime | None):
        super().__init__()
        self.user_id = user_id
        self.limit = limit
        self.already_used = already_used
        self.frees_at = frees_at

    def add(self, method: str) -> None:
        if self.already_used + self.total >= self.limit:
            raise BudgetSpent(
                f"Tandem paused this user's sync: {self.limit} Google requests in a minute "
                "is the most it allows itself.",
                status=None,
                reason="requestBudgetSpent",
                retry_after=self._seconds_until_room(),
            )
        super().add(method)

    def _seconds_until_room(self) -> float:
        if self.frees_at is None:  # the current run alone spent it: a whole minute
            return WINDOW.total_seconds()
        return max(1.0, (self.frees_at + WINDOW - timezone.now()).total_seconds())


def request_budget_for(
    *, user_id: int, counted: tuple[int, datetime | None] | None = None
) -> BudgetedCounter:
    """A request counter for one user's Google client, bounded by the minute budget.
    ``counted``: ``requests_in_window`` as already read (``requests_read_with``)."""
    used, oldest = counted or requests_in_window(user_id=user_id)
    return BudgetedCounter(
        user_id=user_id,
        limit=int(settings.SYNC_REQUESTS_PER_MINUTE),
        already_used=used,
        frees_at=oldest,
    )
