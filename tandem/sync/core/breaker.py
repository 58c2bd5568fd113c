"""The mass-delete breaker: a run that would delete a large share of a user's meetings stops
and asks (DESIGN.md §2, "never lose data").

Deletions in either direction count: meetings whose events were deleted in Google (the
inbound pass would delete them in the CRM) and meetings deleted in the CRM (the outbound pass
would delete their events). It trips when a pass would delete more than ``share`` (20%)
*and* more than ``floor`` (10) of the calendar's synced meetings, or when a full listing of
an inbound calendar comes back empty and would delete any meeting at all, below the floor
too (a truncated or wrong listing looks exactly like that). Absent from a full listing, a
link whose pair ended before the window plans no deletion (the planner's row "event out of
the window": the listing asks from the window's start), so a calendar whose only links are
old pairs, listed empty, asks nothing: there is nothing to delete, and the question would
list nothing. A tripped pass applies none of its deletions, keeps its sync
token, and flags the user "needs attention" with the meetings concerned; no outbound pass
follows a tripped inbound pass. The run's other calendars' inbound passes go on with their
own deletions, and a calendar the user un-picked has left already (the settings pass runs
first; not a deletion counted here). A run the user confirmed passes ``allow=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

DELETE_SHARE = 0.20
DELETE_FLOOR = 10


@dataclass(frozen=True)
class BreakerVerdict:
    tripped: bool
    reason: str = ""


DeletedIn = Literal["google", "crm"]
_WHERE = {
    "google": ("in Google", "from the CRM"),
    "crm": ("in the CRM", "from Google"),
}


def breaker_check(
    *,
    deletes: int,
    synced: int | Callable[[], int],
    listing_complete: bool = False,
    listed: int | None = None,
    allow: bool = False,
    share: float = DELETE_SHARE,
    floor: int = DELETE_FLOOR,
    deleted_in: DeletedIn = "google",
) -> BreakerVerdict:
    """Pure verdict over counts: ``deletes`` planned, ``synced`` linked meetings, and for a
    full listing (``listing_complete``) how many events it ``listed``. ``deleted_in``: the
    side where the user's deletions happened (deletions in either direction count); the
    question names it, and the side the deletions would be copied to. ``synced`` may be a
    function, asked only when the verdict depends on it: an idle run counts nothing."""
    # Only an empty listing that deletes: one whose absent links all ended before the window
    # (or moved out of it, or were deleted in the CRM too) deletes nothing to ask about.
    empty_listing = listing_complete and listed == 0 and deletes > 0
    if allow or (deletes <= floor and not empty_listing):
        return BreakerVerdict(tripped=False)
    count = synced() if callable(synced) else synced
    if empty_listing:
        return BreakerVerdict(
            tripped=True,
            reason=(
                f"Google listed no events, so this sync would delete {deletes} of {count} "
                "synced meetings from the CRM."
            ),
        )
    if deletes > floor and deletes > share * count:
        where, copied_to = _WHERE[deleted_in]
        return BreakerVerdict(
            tripped=True,
            reason=(
                f"This sync would delete {deletes} of {count} synced meetings "
                f"{copied_to}: they were deleted {where} "
                f"(more than {share:.0%} and more than {floor})."
            ),
        )
    return BreakerVerdict(tripped=False)
