"""Google → CRM for one calendar, streamed page by page: the inbound half of the one driver
(core/driver.py). Production runs it over the database's store (tandem/sync/engine), the
property tests and the state machines over the in-memory one (core/memory_stores.py).

Each page is read, paired and planned (core/pairing.py, planner.py), and its CRM writes are
made inside one transaction of the store; the last page's transaction also holds the
deletions (after the mass-delete breaker) and the new sync token, so a token is never saved
before the changes it follows. A plan's Google writes are made after its page's commit, by
the one applier (core/apply.py): until they are made, the link keeps saying what was last
agreed, so a crash or a failed write leaves the item to the next run's outbound look.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from msgspec.structs import replace

from tandem.sync.core.actions import (
    SIDE_WRITES,
    CreateInCrm,
    DeleteInCrm,
    DeleteInGoogle,
    DetachOccurrence,
    DropLink,
    InsertInGoogle,
    ItemPlan,
    PatchGoogle,
    RecordConflict,
    RecordProblem,
    SaveLink,
    UpdateCrm,
)
from tandem.sync.core.apply import Applier, SyncReport, item_error, problem_of
from tandem.sync.core.breaker import breaker_check
from tandem.sync.core.collector import collector_paused, young_collected
from tandem.sync.core.fields import Moment
from tandem.sync.core.mapping import MalformedEvent, read_event, series_start
from tandem.sync.core.pairing import Listed, NewMeeting, PairedItem, new_meeting, plan_page
from tandem.sync.core.planner import plan_item
from tandem.sync.core.run_report import RunProblem, subject_of_fields
from tandem.sync.core.sides import CrmSide, Event, GoogleSide, SideError, SyncTokenInvalid
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, SyncSettings
from tandem.sync.core.stores import InboundStore, LinkSave, PageWrites, PendingDelete

GOOGLE_WRITES = (InsertInGoogle, PatchGoogle, DeleteInGoogle)


@dataclass(frozen=True)
class GoogleWork:
    """What is left of an item's plan once its CRM writes are committed: the Google writes
    and the link, with the meeting as those writes left it."""

    plan: ItemPlan
    link: Link | None
    crm: CrmMeeting
    event: GoogleEvent


class Inbound:
    """One calendar's inbound pass. ``report`` collects what happened (errors, warnings,
    counts, conflicts a 412's re-plan found, the breaker's question; the plans too with
    ``keep_plans``)."""

    def __init__(
        self,
        *,
        store: InboundStore,
        crm: CrmSide,
        google: GoogleSide,
        applier: Applier,
        settings: SyncSettings,
        namespace: str,
        default_zone: str,
        allow_mass_delete: bool,
        report: SyncReport,
        keep_plans: bool = False,
    ) -> None:
        self.store, self.crm, self.google, self.applier = store, crm, google, applier
        # Every item's plan in the report, for tests that read them; off in production,
        # where a full listing of a large calendar would hold them all.
        self.keep_plans = keep_plans
        self.settings, self.namespace, self.default_zone = settings, namespace, default_zone
        self.allow_mass_delete = allow_mass_delete
        self.report = report
        self.tripped = False
        self.clean = True  # no item of this listing failed (see _fail)
        # Occurrence rows whose detach failed (_apply_deletes): their series is still in the
        # CRM and deleted in Google, so the outbound passes of this run leave them alone
        # (pushed, they would restore an instance of a deleted series); the next run
        # detaches them.
        self.held_back: set[int] = set()
        self._pairs: bool | None = None  # see pairs_possible
        # Occurrences listed before their series (a listing's order is unspecified): they
        # are placed once the whole listing has been read.
        self.deferred: list[Event] = []
        # Event ids of this listing whose plans delete their meetings in the CRM: a series
        # among them takes along the occurrences the CRM left unchanged (core/pairing.py).
        self.gone: set[str] = set()
        # Google's start of each series this listing returned (live, or cancelled with its
        # details), by event id: Google names its occurrences on the series as it is now,
        # which is not the agreed series when Google moved it (core/pairing.py).
        self.series_starts: dict[str, Moment] = {}
        self.google_work: list[GoogleWork] = []

    # -- listing ----------------------------------------------------------------------------

    def run(self) -> None:
        token = self.store.sync_token()
        try:
            self._listing(token)
        except SyncTokenInvalid:
            # 410: the token is dead; a full re-list reconciles by event id (never deletes
            # anything by itself: absences go through the breaker like any deletion).
            self.report.counts["full_resyncs"] += 1
            self._listing(None)

    @property
    def pairs_possible(self) -> bool:
        """Whether a listed event may pair with a link or an import record of the calendar
        (InboundStore.pairs_exist). Asked once per listing, when first needed, which is
        before the listing's first write (its first page with events, or the end of a full
        listing): an idle run's empty page asks nothing."""
        if self._pairs is None:
            self._pairs = self.store.pairs_exist()
        return self._pairs

    def _listing(self, token: str | None) -> None:
        full = token is None
        self.report.full_listing = self.report.full_listing or full
        seen: set[str] = set()
        pending: list[PendingDelete] = []
        listed = 0
        self.clean = True
        self._pairs = None
        self.deferred = []
        self.gone = set()
        self.series_starts = {}
        # The next page is fetched while this one is written (the store's read-ahead).
        for page in self.store.ahead(self.google.pages(sync_token=token)):
            self.store.keep_alive()  # a long listing keeps the user's lease
            with collector_paused():
                listed += len(page.items)
                items, fresh = self._plan_page(page.items, seen=seen)
                seen.update(item.event.event_id for item in items)
                seen.update(new.event.event_id for new in fresh)
                seen.update(str(raw.get("id")) for raw in self.deferred)
                if page.next_sync_token is None:
                    with self.store.transaction():
                        self._apply_page(items, pending, fresh)
                    self.apply_google_work()
                    young_collected()  # while the next page is on its way
                    continue
                # The last page: its changes, the deletions and the token in one transaction.
                # Without links when the listing began, every link has been seen: none is absent.
                absent = self._absent_items(seen) if full and self.pairs_possible else []
                self._note_gone(absent)
                with self.store.transaction():
                    self._apply_page(items + absent, pending, fresh)
                    if self.deferred:
                        # Every series of this listing is in the CRM now.
                        late, late_fresh = self._plan_page(self.deferred, seen=seen, final=True)
                        self._apply_page(late, pending, late_fresh)
                    verdict = breaker_check(
                        deletes=sum(not delete.detach for delete in pending),
                        synced=self.store.synced,
                        listing_complete=full,
                        listed=listed,
                        allow=self.allow_mass_delete,
                        deleted_in="google",
                    )
                    if verdict.tripped:
                        self.tripped = True
                        self.report.needs_attention = self.report.needs_attention or verdict.reason
                        self.store.hold(
                            verdict.reason,
                            [delete.meeting_id for delete in pending if not delete.detach],
                        )
                        self.google_work = []  # a held run writes nothing to Google
                        return
                    self._apply_deletes(pending)
                    self.store.listing_done(
                        token=page.next_sync_token if self.clean else None, full=full
                    )
                    self.report.token_saved = self.report.token_saved or self.clean
                self.apply_google_work()

    def _fail(self, problem: RunProblem) -> None:
        """One item failed: the run reports it, and this listing's sync token is not saved
        (the next listing brings the item again)."""
        self.report.errors.append(problem)
        self.clean = False

    def _problem(self, problem: RecordProblem, item: PairedItem) -> None:
        """A problem the planner records: one that holds the token back fails the item (the
        next listing brings it again); any other (an event the CRM cannot hold) is a
        warning of this run, said once: the event comes again when Google changes it."""
        if problem.holds_token:
            self._fail(problem_of(problem, item.crm, rule=item.plan.why))
        else:
            self.report.warnings.append(problem_of(problem, item.crm, rule=item.plan.why))

    # -- planning ---------------------------------------------------------------------------

    def _read(self, raw: Event) -> GoogleEvent | None:
        try:
            reading = read_event(raw, default_zone=self.default_zone)
        except MalformedEvent as error:
            if error.event_id is None:
                self._fail(RunProblem(f"An event without an id was skipped: {error.reason}"))
                return None
            return GoogleEvent.malformed(
                event_id=error.event_id, etag=str(raw.get("etag", "")), problem=error.reason
            )
        if reading.warnings:
            self.report.counts["text_changed"] += 1
            self.report.warnings.extend(
                RunProblem(
                    warning,
                    subject=subject_of_fields(reading.fields) or "A Google event",
                    event_id=reading.event_id,
                )
                for warning in reading.warnings
            )
        return GoogleEvent.from_reading(reading, namespace=self.namespace)

    def _plan_page(
        self, raws: Sequence[Event], *, seen: set[str], final: bool = False
    ) -> tuple[list[PairedItem], list[NewMeeting]]:
        """The page's items paired and planned (core/pairing.py), and its new meetings for
        the bulk create. Unless ``final``, a new occurrence whose series is not in the CRM
        yet waits in ``deferred``. ``seen``: event ids of the listing's earlier pages."""
        read: dict[str, Listed] = {}
        for raw in raws:
            event = self._read(raw)
            if event is not None:
                # Should a page hold an event twice, the later copy is the newer one.
                read[event.event_id] = Listed(event, raw)
                start = series_start(raw, default_zone=self.default_zone)
                if start is not None:
                    self.series_starts[event.event_id] = start
        if self.deferred and not final:
            # An occurrence waiting for its series that comes again (changed while we page):
            # the newer copy replaces the one that waits.
            self.deferred = [raw for raw in self.deferred if raw.get("id") not in read]
        # Google's pages are no snapshot: an event changed while we page comes again on a
        # later page, by then linked to the meeting an earlier page made (the last copy
        # then merges in like any change). Such a page must look its links up.
        lookups = bool(read) and (self.pairs_possible or not seen.isdisjoint(read))
        listed = list(read.values())
        page = plan_page(
            listed,
            self.store.lookup(listed, lookups=lookups, series_starts=self.series_starts),
            settings=self.settings,
            calendar_id=self.google.calendar_id,
            final=final,
            gone=self.gone,
        )
        self.deferred.extend(page.waiting)
        self._note_gone(page.items)
        return page.items, page.fresh

    def _note_gone(self, items: Sequence[PairedItem]) -> None:
        self.gone.update(item.event.event_id for item in items if item.plan.deletes_in_crm)

    def _absent_items(self, seen: set[str]) -> list[PairedItem]:
        """Links of this calendar a full listing did not return (gone, or out of window)."""
        items = []
        for link, crm in self.store.absent(seen):
            plan = plan_item(
                link=link, crm=crm, google=None, settings=self.settings, listing_complete=True
            )
            raw: Event = {}
            event = None
            if plan.actions:
                # Not in a listing bounded by timeMin: deleted, or moved out of the window.
                # Only Google knows which; reading it keeps a moved event from becoming a
                # deletion of its meeting.
                raw = self.google.get_event(event_id=link.event_id) or {}
                event = self._read(raw) if raw else None
                if event is not None:
                    plan = plan_item(
                        link=link,
                        crm=crm,
                        google=event,
                        settings=self.settings,
                        listing_complete=True,
                    )
            event = event or GoogleEvent(link.event_id, link.etag, None, cancelled=True)
            items.append(PairedItem(event, raw, link, crm, plan))
        return items

    # -- applying (CRM side inside the page's transaction) -----------------------------------

    def _apply_page(
        self, items: Sequence[PairedItem], pending: list[PendingDelete], fresh: list[NewMeeting]
    ) -> None:
        writes = PageWrites(creates=list(fresh))
        for item in items:
            plan = item.plan
            if self.keep_plans:
                self.report.plans.append(plan)
            if not any(
                isinstance(action, (*SIDE_WRITES, SaveLink, DropLink)) for action in plan.actions
            ):
                for action in plan.actions:
                    if isinstance(action, RecordProblem):
                        self.report.counts["problems"] += 1
                        self._problem(action, item)
                continue
            needs_google = any(isinstance(action, GOOGLE_WRITES) for action in plan.actions)
            try:
                self._apply_item(item, needs_google, writes, pending)
            except SideError as error:
                self._fail(item_error(plan, item.crm, error))
        failed: set[str] = set()
        for failure in self.store.write_page(writes):
            failed.add(failure.event_id)
            self._fail(failure)
        made = [new for new in writes.creates if new.event.event_id not in failed]
        occurrences = sum(1 for new in made if new.series_id is not None)
        self.report.counts["crm_created"] += len(made) - occurrences
        if occurrences:
            # A changed or cancelled occurrence changes its series: counted as an update.
            self.report.counts["crm_updated"] += occurrences
        self.report.crm_writes += len(made)
        if writes.conflicts:
            self.report.counts["conflicts"] += sum(len(c) for _, c in writes.conflicts)

    def _apply_item(
        self, item: PairedItem, needs_google: bool, writes: PageWrites, pending: list[PendingDelete]
    ) -> None:
        """The item's CRM writes. A plan that also writes to Google leaves its Google writes
        and its link to ``GoogleWork`` (after the commit): until they are made, the link
        keeps saying what was last agreed, so a crash or a failed write leaves the item to
        the next run's outbound look (the meeting's version differs from the link's),
        never a half-claimed agreement."""
        actions = item.plan.actions
        meeting_id = item.crm.meeting_id if item.crm else None
        version = item.crm.version if item.crm else 0
        if needs_google and item.plan.deletes and item.link is not None:
            # A deletion of the user's data in Google: the outbound pass makes it, behind the
            # mass-delete breaker for deletions made in the CRM (it finds the link: the
            # meeting's version moved). The link learns the etag Google has now (its fields
            # are the agreed ones: "deleted in the CRM"). Without a link (the event of a
            # meeting deleted before its link was saved) nothing would find it: made here.
            self.store.note_etag(item.event.event_id, item.event.etag)
            return
        crm_after = item.crm
        for action in actions:
            match action:
                case CreateInCrm():
                    new = new_meeting(item.event, item.raw, item.plan, action)
                    if item.link is not None:
                        new = replace(new, relinks=True)
                    writes.creates.append(new)
                    return  # Meeting, import record and link are created in bulk.
                case UpdateCrm():
                    crm_after = self.crm.update_meeting(
                        meeting_id=action.meeting_id,
                        fields=action.fields,
                        expected_version=action.expected_version,
                        restore=action.restore,
                        read_only=action.read_only,
                    )
                    self.report.counts["crm_restored" if action.restore else "crm_updated"] += 1
                    self.report.crm_writes += 1
                    version = crm_after.version
                case DetachOccurrence():
                    # With its series' deletion, at the end of the listing (the breaker).
                    own = action.meeting_id == meeting_id
                    occurrence = item.event.occurrence
                    pending.append(
                        PendingDelete(
                            action.meeting_id,
                            action.expected_version,
                            item.event.event_id if own and item.link else None,
                            detach=True,
                            # Its instance's series, or the series whose plan names it. Its
                            # own event's id would hold nothing back: None when its instance
                            # names no series (series_gone is only ever set on one that does).
                            series_event_id=(
                                (occurrence.series_event_id if occurrence is not None else None)
                                if own
                                else item.event.event_id
                            ),
                        )
                    )
                    if own:
                        return  # Its link goes with the detach.
                case DeleteInCrm():
                    pending.append(
                        PendingDelete(
                            action.meeting_id,
                            action.expected_version,
                            item.event.event_id if item.link else None,
                        )
                    )
                    return  # Deletions wait for the breaker at the end of the listing.
                case SaveLink() if not needs_google:
                    assert meeting_id is not None
                    writes.links.append(
                        LinkSave(
                            event=item.event,
                            raw=item.raw,
                            meeting_id=meeting_id,
                            base=action.base,
                            version=version,
                            origin=action.origin,
                            leaving=action.leaving,
                        )
                    )
                case DropLink() if not needs_google:
                    if item.link is not None:
                        self.store.drop_link(item.event.event_id)
                case RecordConflict():
                    if meeting_id is not None:
                        writes.conflicts.append((meeting_id, action.conflicts))
                case RecordProblem():
                    self._problem(action, item)
        if needs_google:
            assert crm_after is not None  # no Google write without a meeting (planner.py)
            rest = tuple(a for a in actions if isinstance(a, (*GOOGLE_WRITES, SaveLink, DropLink)))
            self.google_work.append(
                GoogleWork(replace(item.plan, actions=rest), item.link, crm_after, item.event)
            )

    def apply_google_work(self) -> None:
        """The Google writes of the items planned on the pages so far, with their links,
        through the one applier (sendUpdates=none, If-Match; 412 → re-read and re-plan).
        A failed Google write does not hold the listing's token back: the link still says
        what was last agreed, so the outbound look finds the item again."""
        work, self.google_work = self.google_work, []
        for entry in work:
            self.applier.apply(entry.plan, entry.link, entry.crm, entry.event, False)

    def _apply_deletes(self, pending: list[PendingDelete]) -> None:
        # The rows that stay leave their series before the series' deletion takes its rows.
        # A series whose row failed to leave is not deleted in this run: its deletion would
        # take the row, and the CRM's edit, along (meeting_delete). The failure keeps the
        # listing's token, so the next listing brings the series again and plans both.
        held: set[str] = set()
        for delete in sorted(pending, key=lambda delete: not delete.detach):
            if not delete.detach and delete.event_id is not None and delete.event_id in held:
                continue
            try:
                if delete.detach:
                    self.crm.detach_occurrence(
                        meeting_id=delete.meeting_id, expected_version=delete.version
                    )
                else:
                    assert delete.version is not None  # a deletion's plan read the meeting
                    self.crm.delete_meeting(
                        meeting_id=delete.meeting_id, expected_version=delete.version
                    )
            except SideError as error:
                # A tombstone already is what a deletion wanted: an occurrence row that its
                # series' deletion took along (meeting_delete), as a Google delete finding
                # it gone.
                if delete.detach:
                    self.held_back.add(delete.meeting_id)
                    if delete.series_event_id is not None:
                        held.add(delete.series_event_id)
                if delete.detach or not self.store.deleted_already(delete.meeting_id):
                    what = (
                        "its series was deleted in Google, and it stays as a meeting of its "
                        "own, but not yet (its series stays in the CRM until then)"
                        if delete.detach
                        else "its event was deleted in Google, but it stays in the CRM for now"
                    )
                    self._fail(
                        RunProblem(
                            f"{what}: it changed meanwhile ({error}); tried again at the next sync",
                            subject="A meeting",
                            meeting_id=delete.meeting_id,
                            event_id=delete.event_id or "",
                        )
                    )
                    continue
            if delete.event_id is not None:
                self.store.drop_link(delete.event_id)
            self.report.counts["crm_updated" if delete.detach else "crm_deleted"] += 1
            self.report.crm_writes += 1
