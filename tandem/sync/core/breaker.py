"""The mass-delete breaker: a run that would delete a large share of a user's meetings stops
and asks (DESIGN.md §2, "never lose data").

It trips when a plan would delete more than ``share`` (20%) *and* more than ``floor`` (10)
of the user's synced meetings, or when a full listing of an inbound calendar comes back
empty while links to it exist (a truncated or wrong listing looks exactly like that). A
tripped run applies no deletion, keeps its sync token, and flags the user "needs attention";
a run the user confirmed passes ``allow=True``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tandem.sync.core.actions import ItemPlan

DELETE_SHARE = 0.20
DELETE_FLOOR = 10


@dataclass(frozen=True)
class BreakerVerdict:
    tripped: bool
    reason: str = ""


def breaker_check(
    *,
    deletes: int,
    synced: int,
    listing_complete: bool = False,
    listed: int | None = None,
    allow: bool = False,
    share: float = DELETE_SHARE,
    floor: int = DELETE_FLOOR,
) -> BreakerVerdict:
    """Pure verdict over counts: ``deletes`` planned, ``synced`` linked meetings, and for a
    full listing (``listing_complete``) how many events it ``listed``."""
    if allow:
        return BreakerVerdict(tripped=False)
    if listing_complete and listed == 0 and synced > 0:
        return BreakerVerdict(
            tripped=True,
            reason=f"Google listed no events while {synced} meetings are synced with it.",
        )
    if deletes > floor and deletes > share * synced:
        return BreakerVerdict(
            tripped=True,
            reason=(
                f"This sync would delete {deletes} of {synced} synced meetings "
                f"(more than {share:.0%} and more than {floor})."
            ),
        )
    return BreakerVerdict(tripped=False)


def breaker_check_plan(
    plans: Iterable[ItemPlan],
    *,
    synced: int,
    listing_complete: bool,
    listed: int,
    allow: bool = False,
) -> BreakerVerdict:
    """``breaker_check`` over a whole plan (deletions counted by ``ItemPlan.deletes``)."""
    return breaker_check(
        deletes=sum(plan.deletes for plan in plans),
        synced=synced,
        listing_complete=listing_complete,
        listed=listed,
        allow=allow,
    )
