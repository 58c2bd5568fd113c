"""The user's answer "Keep my meetings" when the mass-delete breaker held deletions back.

Deletions made in the CRM that the breaker held (their events would have left Google) are
undone: the meetings are restored. For deletions made in Google:

The breaker tripped because Google no longer has events that linked meetings came from (or
were pushed to). Keeping the meetings means forgetting those links: the engine then treats
each meeting as one whose event is gone rather than as a deletion to copy, and with no link
left there is nothing for the breaker to count. An imported meeting whose event is cancelled
is undeleted in Google by the next run ("restored meeting"), one of ours is pushed again;
the CRM keeps every meeting either way (sync rules: an edit beats a deletion, never lose
data).

Which events are gone is read from Google with a full listing of each linked calendar (all
of time, showDeleted), so a link is only dropped for an event Google does not list as alive.
"""

from __future__ import annotations

from django.db import transaction

from tandem.accounts.google_services import calendar_client_for
from tandem.accounts.models import GoogleConnection
from tandem.meetings.models import Meeting
from tandem.meetings.services import meeting_restore
from tandem.sync.models import CalendarSyncState, EventLink, UserSyncState

_DELETE_CHUNK = 500


def links_of_gone_events_drop(*, user_id: int) -> int:
    """Forgets the links whose Google event is cancelled or missing; returns how many."""
    connection = GoogleConnection.objects.get(user_id=user_id)
    client = calendar_client_for(connection=connection)
    links = EventLink.objects.filter(owner_id=user_id, google_sub=connection.google_sub)
    gone: list[int] = []
    for calendar_id in links.values_list("calendar_id", flat=True).distinct():
        alive: set[str] = set()
        for page in client.events_pages(calendar_id):
            alive.update(
                str(item.get("id")) for item in page.items if item.get("status") != "cancelled"
            )
        gone += [
            link_id
            for link_id, event_id in links.filter(calendar_id=calendar_id).values_list(
                "pk", "event_id"
            )
            if event_id not in alive
        ]
    with transaction.atomic():
        for start in range(0, len(gone), _DELETE_CHUNK):
            EventLink.objects.filter(pk__in=gone[start : start + _DELETE_CHUNK]).delete()
        # A full re-list next time, so a listing that was merely truncated is read again.
        CalendarSyncState.objects.filter(owner_id=user_id).update(
            sync_token="", full_sync_completed_at=None
        )
        _crm_deletions_undo(user_id=user_id)
        UserSyncState.objects.filter(owner_id=user_id).update(
            needs_attention="", held_deletions=[], attention_answer=""
        )
    return len(gone)


def _crm_deletions_undo(*, user_id: int) -> None:
    """Keeping the meetings when the breaker held deletions made in the CRM: every meeting
    deleted in the CRM whose deletion has not reached Google (its link is still there) is
    restored, not only the ones the question listed (it shows at most 200)."""
    state = UserSyncState.objects.filter(owner_id=user_id).first()
    held = state.held_deletions if state else []
    if not any(entry.get("deleted_in") == "crm" for entry in held):
        return  # The question was about deletions made in Google only.
    linked = EventLink.objects.filter(owner_id=user_id).values("meeting_id")
    tombstones = Meeting.objects.filter(
        owner_id=user_id, deleted_at__isnull=False, pk__in=linked
    ).order_by("pk")
    for meeting in tombstones:
        if meeting.can_be_restored():
            meeting_restore(meeting=meeting, origin="sync")
