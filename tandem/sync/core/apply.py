"""The one applier: carries out an ``ItemPlan`` on the sides and the link store, in order.

Used by the one driver's three passes (core/settings_changes.py, core/inbound.py,
core/outbound.py), whatever their stores: the inbound pass applies a plan's CRM writes inside
its page's transaction and hands the Google writes and the link to this applier after it;
the settings pass applies a calendar's leaving inside one transaction and moves events to a
new target outside any. On a stale etag (412) or an id that exists (409) it re-reads the
event and plans the item once more (DESIGN.md §3: "412 → re-read, merge, retry"); for an
occurrence pushed onto its instance (planner.plan_occurrence_out) that means looking the
instance up again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from tandem.sync.core.actions import (
    DeleteInCrm,
    DeleteInGoogle,
    DetachOccurrence,
    DiscardRow,
    DropLink,
    ForgetImport,
    InsertInGoogle,
    ItemPlan,
    MergeIntoRow,
    MoveToTarget,
    PatchGoogle,
    RecordConflict,
    RecordImport,
    RecordProblem,
    SaveLink,
    UpdateCrm,
)
from tandem.sync.core.breaker import BreakerVerdict, breaker_check
from tandem.sync.core.identity import event_id_for_meeting, import_key_of, marker_for_meeting
from tandem.sync.core.mapping import (
    MalformedEvent,
    event_body_from_fields,
    patch_from_changes,
    read_event,
    restore_patch,
)
from tandem.sync.core.merge import Conflict
from tandem.sync.core.planner import plan_item, plan_occurrence_out
from tandem.sync.core.run_report import RunProblem, subject_of
from tandem.sync.core.sides import (
    AlreadyExists,
    CrmSide,
    Event,
    GoogleSide,
    LinkStore,
    NotFound,
    PreconditionFailed,
    Refused,
    SideError,
)
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, OccurrenceRow, SyncSettings


@dataclass
class SyncReport:
    """What one run did, for the sync status page and the logs (no tokens in here)."""

    plans: list[ItemPlan] = field(default_factory=list)
    crm_writes: int = 0
    google_writes: int = 0
    # Writes that went through, by kind ("crm_created", "google_updated", ...), as the run
    # record counts them.
    counts: Counter[str] = field(default_factory=Counter)
    conflicts: list[tuple[int | None, Conflict]] = field(default_factory=list)
    # Items not synced this time (they come again), and what was changed to sync an item.
    errors: list[RunProblem] = field(default_factory=list)
    warnings: list[RunProblem] = field(default_factory=list)
    needs_attention: str = ""
    full_listing: bool = False
    token_saved: bool = False

    @property
    def writes(self) -> int:
        return self.crm_writes + self.google_writes


@dataclass(frozen=True)
class Instance:
    """One instance of a recurring event as looked up: read, and its iCalUID (the series'),
    which the link of the row pushed onto it keeps."""

    event: GoogleEvent
    ical_uid: str


class Fetcher:
    """Reads one event with ``events.get`` into a ``GoogleEvent`` (None on 404), or one
    instance of a recurring event (``instance``)."""

    def __init__(self, google: GoogleSide, namespace: str, default_zone: str) -> None:
        self.google, self.namespace, self.default_zone = google, namespace, default_zone

    def __call__(self, event_id: str) -> GoogleEvent | None:
        raw = self.google.get_event(event_id=event_id)
        return None if raw is None else self._read(raw, event_id)

    def instance(self, occurrence: OccurrenceRow) -> Instance | None:
        """The instance of the occurrence's series at its original start (None: none)."""
        raw = self.google.instance(
            series_event_id=occurrence.series_event_id,
            original_start=occurrence.original_start,
        )
        if raw is None:
            return None
        return Instance(self._read(raw, str(raw["id"])), str(raw.get("iCalUID", "")))

    def _read(self, raw: Event, event_id: str) -> GoogleEvent:
        try:
            reading = read_event(raw, default_zone=self.default_zone)
        except MalformedEvent as error:
            return GoogleEvent.malformed(
                event_id=event_id, etag=str(raw.get("etag", "")), problem=error.reason
            )
        return GoogleEvent.from_reading(reading, namespace=self.namespace)


class Applier:
    def __init__(
        self,
        crm: CrmSide,
        google: GoogleSide,
        links: LinkStore,
        settings: SyncSettings,
        namespace: str,
        fetch: Fetcher,
        report: SyncReport,
    ) -> None:
        self.crm, self.google, self.links = crm, google, links
        self.settings, self.namespace, self.fetch = settings, namespace, fetch
        self.calendar_id = google.calendar_id
        self.report = report
        self.failed_items = 0  # items whose plan did not go through (each an error of the run)

    def apply(
        self,
        plan: ItemPlan,
        link: Link | None,
        meeting: CrmMeeting | None,
        event: GoogleEvent | None,
        listing_complete: bool,
        *,
        retried: bool = False,
        occurrence: OccurrenceRow | None = None,
        ical_uid: str | None = None,
    ) -> None:
        """Applies ``plan``; on a stale etag or an existing id, re-reads the event and
        plans the item once more (412 → re-read, merge, retry). ``occurrence``: the plan
        is ``plan_occurrence_out``'s for that row and ``event`` its instance, whose
        iCalUID (``ical_uid``) the row's link keeps (see ``push_occurrence``)."""
        meeting_id = plan.meeting_id
        event_id = plan.event_id
        etag = event.etag if event else link.etag if link else ""
        version = meeting.version if meeting else link.crm_version if link else 0
        try:
            for action in plan.actions:
                match action:
                    case UpdateCrm():
                        meeting = self.crm.update_meeting(
                            meeting_id=action.meeting_id,
                            fields=action.fields,
                            expected_version=action.expected_version,
                            restore=action.restore,
                            read_only=action.read_only,
                        )
                        self._wrote("crm_restored" if action.restore else "crm_updated")
                        version = meeting.version
                    case DeleteInCrm():
                        self.crm.delete_meeting(
                            meeting_id=action.meeting_id, expected_version=action.expected_version
                        )
                        # Removed with an un-picked calendar, or deleted in Google.
                        self._wrote(
                            "crm_removed_with_calendar" if action.with_calendar else "crm_deleted"
                        )
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
                        self._wrote("google_created")
                        etag = str(created.get("etag", ""))
                    case PatchGoogle():
                        patch = (
                            restore_patch(action.fields, action.changed)
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
                            if occurrence is not None:
                                self._replan_occurrence(occurrence, retried)
                            else:
                                self._replan(
                                    action.event_id, link, meeting, listing_complete, retried
                                )
                            return
                        self._wrote("google_updated")
                        etag = str(patched.get("etag", ""))
                    case DeleteInGoogle():
                        try:
                            self.google.delete_event(event_id=action.event_id, etag=action.etag)
                            self._wrote("google_deleted")
                        except NotFound:
                            pass  # 404/410: already gone, which is what we wanted.
                        except PreconditionFailed:
                            if occurrence is not None:
                                self._replan_occurrence(occurrence, retried)
                            else:
                                self._replan(
                                    action.event_id, link, meeting, listing_complete, retried
                                )
                            return
                    case MoveToTarget():
                        assert meeting_id is not None
                        try:
                            self.google.move_event(
                                event_id=action.event_id, destination=action.destination
                            )
                        except (NotFound, Refused):
                            # Cannot move (gone, or not an event Google moves): the link
                            # goes, and the target's outbound pass inserts the meeting anew.
                            self.links.drop_link(
                                calendar_id=self.calendar_id, meeting_id=meeting_id
                            )
                            return
                        self._wrote("google_moved")
                        # At its old etag: an edit made in Google since the agreement moved
                        # with the event, and the destination's next listing brings it.
                        self.links.move_link(
                            calendar_id=self.calendar_id,
                            meeting_id=meeting_id,
                            destination=action.destination,
                        )
                    case ForgetImport():
                        self.crm.forget_import(meeting_id=action.meeting_id)
                    case RecordImport():
                        self.crm.record_import(
                            meeting_id=action.meeting_id,
                            import_key=import_key_of(self.calendar_id, action.event_id),
                        )
                    case DiscardRow():
                        self.crm.discard_occurrence_row(meeting_id=action.meeting_id)
                    case DetachOccurrence():
                        detached = self.crm.detach_occurrence(
                            meeting_id=action.meeting_id,
                            expected_version=action.expected_version,
                        )
                        self._wrote("crm_updated")
                        if action.meeting_id == meeting_id:
                            meeting, version = detached, detached.version
                    case MergeIntoRow():
                        if self.crm.merge_occurrence_row(
                            meeting_id=action.meeting_id, into=action.into, fields=action.fields
                        ):
                            self._wrote("crm_updated")
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
                                event_type=(
                                    event.event_type
                                    if event
                                    else link.event_type
                                    if link
                                    else "default"
                                ),
                            ),
                            ical_uid=ical_uid,
                        )
                    case DropLink():
                        self.links.drop_link(
                            calendar_id=self.calendar_id, meeting_id=action.meeting_id
                        )
                    case RecordConflict():
                        self.report.conflicts.extend((meeting_id, c) for c in action.conflicts)
                    case RecordProblem() if occurrence is not None:
                        self.report.errors.append(missing_instance(occurrence, rule=plan.why))
                        self.failed_items += 1
                    case RecordProblem() if not action.holds_token:
                        # An event the CRM cannot read: a warning, as the inbound pass says
                        # it (its meeting's edit waits until Google's event is readable).
                        self.report.warnings.append(problem_of(action, meeting, rule=plan.why))
                    case _:
                        # New meetings from Google (CreateInCrm) and the problems that hold
                        # a listing's token are the inbound pass's, written with its page
                        # (core/inbound.py): no plan handed to the applier holds them.
                        raise AssertionError(f"{action!r} is not carried out by the applier")
        except SideError as error:
            self.report.errors.append(item_error(plan, meeting, error))
            self.failed_items += 1

    def _wrote(self, kind: str) -> None:
        if kind.startswith("crm_"):
            self.report.crm_writes += 1
        else:
            self.report.google_writes += 1
        self.report.counts[kind] += 1

    def push_occurrence(self, occurrence: OccurrenceRow, *, retried: bool = False) -> None:
        """An occurrence changed or cancelled alone in the CRM, onto its series' instance:
        looked up, planned (``plan_occurrence_out``) and applied alone."""
        found = self.fetch.instance(occurrence)
        instance = found.event if found else None
        plan = plan_occurrence_out(
            row=occurrence.row,
            hides=occurrence.hides,
            instance=instance,
            recorded=instance is not None
            and self.crm.import_recorded(
                import_key=import_key_of(self.calendar_id, instance.event_id)
            ),
            held_by=(
                self.links.meeting_of(calendar_id=self.calendar_id, event_id=instance.event_id)
                if instance
                else None
            ),
            series_origin=occurrence.series_origin,
            in_series=instance is not None or occurrence.in_series,
            private_sync=self.settings.private_sync,
            as_in_series=occurrence.as_in_series,
        )
        self.report.plans.append(plan)
        if plan.actions:
            self.apply(
                plan,
                None,
                occurrence.row,
                instance,
                listing_complete=False,
                retried=retried,
                occurrence=occurrence,
                ical_uid=found.ical_uid if found else None,
            )

    def _replan_occurrence(self, occurrence: OccurrenceRow, retried: bool) -> None:
        """A 412 on an instance: changed in Google meanwhile; look it up and plan again."""
        if retried:
            raise SideError("the occurrence changed again in Google while we wrote it")
        self.push_occurrence(occurrence, retried=True)

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


Item = tuple[Link | None, CrmMeeting | None, GoogleEvent | None]


@dataclass(frozen=True)
class Planned:
    link: Link | None
    crm: CrmMeeting | None
    event: GoogleEvent | None
    plan: ItemPlan


def plan_hold_apply(
    items: Iterable[Item],
    *,
    applier: Applier,
    listing_complete: bool,
    synced: Callable[[], int],
    allow_mass_delete: bool,
) -> tuple[list[Planned], BreakerVerdict]:
    """The outbound pass's loop over paired items (core/outbound.py): plan each with the
    decision table, check the mass-delete breaker, apply every plan (a tripped breaker
    holds the plans that delete). Its items are links as last agreed, alive in Google, so
    the deletions it can plan are the CRM's, copied to Google; those made in Google come
    with a listing, and the inbound pass counts them (core/inbound.py). ``synced``: how
    many items are linked, asked only when the breaker could trip.
    """
    planned = [
        Planned(
            link,
            crm,
            event,
            plan_item(
                link=link,
                crm=crm,
                google=event,
                settings=applier.settings,
                listing_complete=listing_complete,
            ),
        )
        for link, crm, event in items
    ]
    applier.report.plans.extend(p.plan for p in planned)
    verdict = breaker_check(
        deletes=sum(p.plan.deletes_in_google for p in planned),
        synced=synced,
        allow=allow_mass_delete,
        deleted_in="crm",
    )
    for entry in planned:
        if verdict.tripped and entry.plan.deletes_in_google:
            continue  # The breaker holds these deletions until the user answers.
        if not entry.plan.actions:
            continue
        applier.apply(entry.plan, entry.link, entry.crm, entry.event, listing_complete)
    return planned, verdict


def item_error(plan: ItemPlan, meeting: CrmMeeting | None, error: SideError) -> RunProblem:
    """One item's failure in plain words for the run record and the status page (the
    branch of the table and the ids stay for operators, beside the words)."""
    if isinstance(error, Refused):
        what = f"Google refused the change, so it stays in the CRM only ({error})"
    elif isinstance(error, PreconditionFailed):
        what = "changed again while it was being synced; tried again at the next sync"
    elif isinstance(error, NotFound):
        what = "no longer exists on the other side; tried again at the next sync"
    else:
        what = f"not synced this time ({error}); tried again at the next sync"
    return RunProblem(
        what,
        subject=subject_of(meeting) or "A Google event",
        meeting_id=plan.meeting_id,
        event_id=plan.event_id or "",
        rule=plan.why,
    )


def problem_of(action: RecordProblem, meeting: CrmMeeting | None, *, rule: str) -> RunProblem:
    """The problem ``plan_item`` records: an event the CRM cannot read ("malformed event",
    its only such row; ``plan_occurrence_out``'s is ``missing_instance``). The message names
    the event by its title (core/mapping.py ``_titled``, never a private one's), so the
    problem has no subject of its own."""
    return RunProblem(
        action.message,
        meeting_id=meeting.meeting_id if meeting is not None else None,
        event_id=action.event_id,
        rule=rule,
    )


def missing_instance(occurrence: OccurrenceRow, *, rule: str) -> RunProblem:
    """The one problem of ``plan_occurrence_out``: the series in Google has no instance at
    the row's original start, said with that start (which the planner does not know)."""
    return RunProblem(
        f"the series in Google has no occurrence at {occurrence.original_start}, so this "
        "change stays in the CRM",
        subject=subject_of(occurrence.row),
        meeting_id=occurrence.row.meeting_id,
        rule=rule,
    )
