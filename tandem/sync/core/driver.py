"""``sync_once``: one run over one Google calendar, like vdirsyncer's ``sync(a, b, status)``.

List Google, list the CRM, pair items by link then by our marker, plan every item, check
the mass-delete breaker, apply. A failed write stops its item only; the sync token is saved
only when every item went through, so nothing listed is lost (the next incremental listing
shows it again, and our own writes come back as echoes the etag check ignores).
"""

from __future__ import annotations

from collections.abc import Iterator

from tandem.sync.core.apply import Applier, Fetcher, Item, SyncReport, plan_hold_apply
from tandem.sync.core.identity import event_id_for_meeting
from tandem.sync.core.mapping import MalformedEvent, read_event
from tandem.sync.core.sides import (
    CrmSide,
    EventListing,
    GoogleSide,
    LinkStore,
    SyncTokenInvalid,
)
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings


def sync_once(
    crm: CrmSide,
    google: GoogleSide,
    links: LinkStore,
    *,
    settings: SyncSettings,
    namespace: str,
    allow_mass_delete: bool = False,
) -> SyncReport:
    """Synchronises one calendar both ways and returns what happened."""
    report = SyncReport()
    calendar_id = google.calendar_id
    listing = _list(google, links.sync_token(calendar_id=calendar_id), report)
    events = _read_events(listing, namespace, report)
    current_links = list(links.links(calendar_id=calendar_id))
    meetings = {meeting.meeting_id: meeting for meeting in crm.list_meetings()}
    fetch = Fetcher(google, namespace, listing.default_zone)
    items = list(_pair(current_links, meetings, events, links.linked_meeting_ids(), fetch))
    applier = Applier(crm, google, links, settings, namespace, fetch, report)
    _, verdict = plan_hold_apply(
        items,
        applier=applier,
        listing_complete=listing.complete,
        synced=lambda: len(current_links),
        allow_mass_delete=allow_mass_delete,
        listed=len(listing.events),
    )
    report.needs_attention = verdict.reason
    if listing.next_sync_token and not report.errors and not verdict.tripped:
        links.save_sync_token(calendar_id=calendar_id, token=listing.next_sync_token)
        report.token_saved = True
    return report


def _list(google: GoogleSide, token: str | None, report: SyncReport) -> EventListing:
    if token is not None:
        try:
            return google.list_events(sync_token=token)
        except SyncTokenInvalid:
            pass  # Google's 410: a full listing reconciles by event id (DESIGN.md §3).
    report.full_listing = True
    return google.list_events(sync_token=None)


def _read_events(
    listing: EventListing, namespace: str, report: SyncReport
) -> dict[str, GoogleEvent]:
    events: dict[str, GoogleEvent] = {}
    for raw in listing.events:
        try:
            reading = read_event(raw, default_zone=listing.default_zone)
        except MalformedEvent as error:
            if error.event_id is None:
                report.problems.append(("", error.reason))
                continue
            events[error.event_id] = GoogleEvent.malformed(
                event_id=error.event_id, etag=str(raw.get("etag", "")), problem=error.reason
            )
            continue
        report.warnings.extend((reading.event_id, warning) for warning in reading.warnings)
        events[reading.event_id] = GoogleEvent.from_reading(reading, namespace=namespace)
    return events


def _pair(
    links: list[Link],
    meetings: dict[int, CrmMeeting],
    events: dict[str, GoogleEvent],
    linked_anywhere: set[int],
    fetch: Fetcher,
) -> Iterator[Item]:
    """Items to plan: linked pairs first, then unlinked events (paired with their meeting by
    import key, our marker or our event id), then the meetings left over."""
    calendar_id = fetch.google.calendar_id
    taken = {link.meeting_id for link in links} | linked_anywhere
    linked_events = {link.event_id for link in links}
    imported = {
        meeting.import_key: meeting
        for meeting in meetings.values()
        if meeting.import_key is not None and meeting.meeting_id not in taken
    }
    ours_by_id = {
        event_id_for_meeting(fetch.namespace, meeting_id): meeting
        for meeting_id, meeting in meetings.items()
        if meeting_id not in taken and meeting.import_key is None
    }
    for link in links:
        yield link, meetings.get(link.meeting_id), events.get(link.event_id)
    for event in events.values():
        if event.event_id in linked_events:
            continue
        meeting = imported.pop(f"{calendar_id}/{event.event_id}", None)
        if meeting is None and event.marker_meeting_id is not None:
            meeting = meetings.get(event.marker_meeting_id)
        if meeting is None:
            # Our deterministic id still names the meeting when a PUT elsewhere lost the marker.
            meeting = ours_by_id.get(event.event_id)
        if meeting is not None and meeting.meeting_id not in taken:
            # The create or insert went through but its link was never saved.
            taken.add(meeting.meeting_id)
            yield None, meeting, event
        else:
            yield None, None, event
    for meeting_id, meeting in meetings.items():
        if meeting_id in taken:
            continue
        key = meeting.import_key
        if key is not None and key.startswith(f"{calendar_id}/"):
            # Imported from this calendar, link lost, event not listed: read it.
            yield None, meeting, fetch(key.removeprefix(f"{calendar_id}/"))
        else:
            yield None, meeting, None
