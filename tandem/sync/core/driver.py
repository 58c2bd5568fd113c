"""``sync_once``: one run over one Google calendar, like vdirsyncer's ``sync(a, b, status)``.

List Google, list the CRM, pair items by link then by our marker, plan every item, check
the mass-delete breaker, apply. A failed write stops its item only; the sync token is saved
only when every item went through, so nothing listed is lost (the next incremental listing
shows it again, and our own writes come back as echoes the etag check ignores).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tandem.sync.core.actions import (
    CreateInCrm,
    DeleteInCrm,
    DeleteInGoogle,
    DropLink,
    InsertInGoogle,
    ItemPlan,
    PatchGoogle,
    RecordConflict,
    RecordProblem,
    SaveLink,
    UpdateCrm,
)
from tandem.sync.core.breaker import breaker_check_plan
from tandem.sync.core.identity import event_id_for_meeting, marker_for_meeting
from tandem.sync.core.mapping import (
    MalformedEvent,
    event_body_from_fields,
    patch_from_changes,
    read_event,
    restore_patch,
)
from tandem.sync.core.merge import Conflict
from tandem.sync.core.planner import plan_item
from tandem.sync.core.sides import (
    AlreadyExists,
    CrmSide,
    EventListing,
    GoogleSide,
    LinkStore,
    NotFound,
    PreconditionFailed,
    SideError,
    SyncTokenInvalid,
)
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings

Item = tuple[Link | None, CrmMeeting | None, GoogleEvent | None]


@dataclass
class SyncReport:
    """What one run did, for the sync status page and the logs (no tokens in here)."""

    plans: list[ItemPlan] = field(default_factory=list)
    crm_writes: int = 0
    google_writes: int = 0
    conflicts: list[tuple[int | None, Conflict]] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    needs_attention: str = ""
    full_listing: bool = False
    token_saved: bool = False

    @property
    def writes(self) -> int:
        return self.crm_writes + self.google_writes


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
    fetch = _Fetcher(google, namespace, listing.default_zone)
    items = list(_pair(current_links, meetings, events, links.linked_meeting_ids(), fetch))
    plans = [
        plan_item(
            link=link,
            crm=meeting,
            google=event,
            settings=settings,
            listing_complete=listing.complete,
        )
        for link, meeting, event in items
    ]
    report.plans = list(plans)
    verdict = breaker_check_plan(
        plans,
        synced=len(current_links),
        listing_complete=listing.complete,
        listed=len(listing.events),
        allow=allow_mass_delete,
    )
    report.needs_attention = verdict.reason
    applier = _Applier(crm, google, links, settings, namespace, fetch, report)
    for (link, meeting, event), plan in zip(items, plans, strict=True):
        if verdict.tripped and plan.deletes:
            continue  # The breaker holds every deletion until the user confirms.
        applier.apply(plan, link, meeting, event, listing.complete)
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
    fetch: _Fetcher,
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


class _Fetcher:
    """Reads one event with ``events.get`` into a ``GoogleEvent`` (None on 404)."""

    def __init__(self, google: GoogleSide, namespace: str, default_zone: str) -> None:
        self.google, self.namespace, self.default_zone = google, namespace, default_zone

    def __call__(self, event_id: str) -> GoogleEvent | None:
        raw = self.google.get_event(event_id=event_id)
        if raw is None:
            return None
        try:
            reading = read_event(raw, default_zone=self.default_zone)
        except MalformedEvent as error:
            return GoogleEvent.malformed(
                event_id=event_id, etag=str(raw.get("etag", "")), problem=error.reason
            )
        return GoogleEvent.from_reading(reading, namespace=self.namespace)


class _Applier:
    def __init__(
        self,
        crm: CrmSide,
        google: GoogleSide,
        links: LinkStore,
        settings: SyncSettings,
        namespace: str,
        fetch: _Fetcher,
        report: SyncReport,
    ) -> None:
        self.crm, self.google, self.links = crm, google, links
        self.settings, self.namespace, self.fetch = settings, namespace, fetch
        self.calendar_id = google.calendar_id
        self.report = report

    def apply(
        self,
        plan: ItemPlan,
        link: Link | None,
        meeting: CrmMeeting | None,
        event: GoogleEvent | None,
        listing_complete: bool,
        *,
        retried: bool = False,
    ) -> None:
        """Applies ``plan``; on a stale etag or an existing id, re-reads the event and
        plans the item once more (412 → re-read, merge, retry)."""
        meeting_id = plan.meeting_id
        event_id = plan.event_id
        etag = event.etag if event else link.etag if link else ""
        version = meeting.version if meeting else link.crm_version if link else 0
        try:
            for action in plan.actions:
                match action:
                    case CreateInCrm():
                        meeting = self.crm.create_meeting(
                            fields=action.fields,
                            import_key=f"{self.calendar_id}/{action.event_id}",
                            read_only=action.read_only,
                        )
                        self.report.crm_writes += 1
                        meeting_id, version = meeting.meeting_id, meeting.version
                    case UpdateCrm():
                        meeting = self.crm.update_meeting(
                            meeting_id=action.meeting_id,
                            fields=action.fields,
                            expected_version=action.expected_version,
                            restore=action.restore,
                        )
                        self.report.crm_writes += 1
                        version = meeting.version
                    case DeleteInCrm():
                        self.crm.delete_meeting(
                            meeting_id=action.meeting_id, expected_version=action.expected_version
                        )
                        self.report.crm_writes += 1
                    case InsertInGoogle():
                        event_id = event_id_for_meeting(self.namespace, action.meeting_id)
                        marker = marker_for_meeting(self.namespace, action.meeting_id)
                        body = event_body_from_fields(action.fields, meeting_marker=marker)
                        try:
                            created = self.google.insert_event(body={"id": event_id, **body})
                        except AlreadyExists:
                            # A retried insert: the event is there already; pair with it.
                            self._replan(event_id, None, meeting, listing_complete, retried)
                            return
                        self.report.google_writes += 1
                        etag = str(created.get("etag", ""))
                    case PatchGoogle():
                        patch = (
                            restore_patch(action.fields)
                            if action.restore
                            else patch_from_changes(
                                {name: action.fields.value(name) for name in action.changed}
                            )
                        )
                        try:
                            patched = self.google.patch_event(
                                event_id=action.event_id, patch=patch, etag=action.etag
                            )
                        except PreconditionFailed:
                            self._replan(action.event_id, link, meeting, listing_complete, retried)
                            return
                        self.report.google_writes += 1
                        etag = str(patched.get("etag", ""))
                    case DeleteInGoogle():
                        try:
                            self.google.delete_event(event_id=action.event_id, etag=action.etag)
                            self.report.google_writes += 1
                        except NotFound:
                            pass  # 404/410: already gone, which is what we wanted.
                        except PreconditionFailed:
                            self._replan(action.event_id, link, meeting, listing_complete, retried)
                            return
                    case SaveLink():
                        assert meeting_id is not None and event_id is not None
                        self.links.save_link(
                            Link(
                                calendar_id=self.calendar_id,
                                meeting_id=meeting_id,
                                event_id=event_id,
                                base=action.base,
                                etag=etag,
                                crm_version=version,
                                origin=action.origin,
                                leaving=action.leaving,
                            )
                        )
                    case DropLink():
                        self.links.drop_link(
                            calendar_id=self.calendar_id, meeting_id=action.meeting_id
                        )
                    case RecordConflict():
                        self.report.conflicts.extend((meeting_id, c) for c in action.conflicts)
                    case RecordProblem():
                        self.report.problems.append((action.event_id, action.message))
        except SideError as error:
            self.report.errors.append(f"{plan.why} ({meeting_id}, {event_id}): {error!r}")

    def _replan(
        self,
        event_id: str,
        link: Link | None,
        meeting: CrmMeeting | None,
        listing_complete: bool,
        retried: bool,
    ) -> None:
        if retried:
            raise SideError(f"event {event_id} changed again while we wrote it")
        event = self.fetch(event_id)
        if link is not None and link.event_id != event_id:
            link = None  # The fetched event is a new one (a re-insert), not the linked one.
        plan = plan_item(
            link=link,
            crm=meeting,
            google=event,
            settings=self.settings,
            listing_complete=True,
        )
        self.report.plans.append(plan)
        self.apply(plan, link, meeting, event, listing_complete, retried=True)
