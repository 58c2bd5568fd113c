"""What the one driver needs of a store beyond the sides' single-item calls (sides.py): the
page-sized lookups and writes that make an import of 10,000 events a few statements per
page, the transaction of a page, and the candidates of the outbound look.

Two implementations: the database (``DjangoInboundStore`` in tandem/sync/engine/inbound.py
with adapters/page_lookup.py, ``DjangoOutboundStore`` in engine/outbound.py: bulk inserts,
PostgreSQL's COPY, read-ahead of the next page, queries that depend on what changed since
the last run; ``DjangoSettingsStore`` in engine/settings_changes.py) and memory
(core/memory_stores.py, for the property tests and the state machine).

What both promise is one contract suite each, run against both: tests/contract/
inbound_store.py, outbound_store.py and settings_store.py (bound in test_memory_stores.py
and test_django_stores.py; their known differences are strict xfails there).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from tandem.sync.core.fields import MeetingFields, Moment
from tandem.sync.core.merge import Conflict, Side
from tandem.sync.core.pairing import Listed, NewMeeting, PageLookup
from tandem.sync.core.run_report import RunProblem
from tandem.sync.core.sides import Event
from tandem.sync.core.state import CrmMeeting, GoogleEvent, Link, OccurrenceRow

P = TypeVar("P")


@dataclass(frozen=True)
class LinkSave:
    """A link to save for a listed event (the store adds what it keeps beyond ``Link``:
    the iCalUID, what the event shows beyond the six fields, its type)."""

    event: GoogleEvent
    raw: Event
    meeting_id: int
    base: MeetingFields
    version: int
    origin: Side
    leaving: bool = False


@dataclass
class PageWrites:
    """A page's CRM writes that go in bulk: new meetings (with their import records and
    links), links, conflicts."""

    creates: list[NewMeeting] = field(default_factory=list)
    links: list[LinkSave] = field(default_factory=list)
    conflicts: list[tuple[int, Sequence[Conflict]]] = field(default_factory=list)


@dataclass
class PendingDelete:
    """A meeting whose event Google deleted: deleted at the end of the listing, after the
    breaker. ``event_id``: its link's event, dropped with it. ``detach``: not deleted but
    made a meeting of its own (planner: an occurrence the CRM changed whose series Google
    deleted), with the deletion of its series and only if that goes through the breaker;
    ``version`` None: as it is. ``series_event_id``: a detach's series (its event), whose
    deletion waits for the detach (it would take the row along in the CRM)."""

    meeting_id: int
    version: int | None
    event_id: str | None
    detach: bool = False
    series_event_id: str | None = None


class InboundStore(Protocol):
    """One calendar's CRM rows and links, as the inbound pass reads and writes them."""

    def sync_token(self) -> str | None: ...

    def pairs_exist(self) -> bool:
        """Whether the calendar has links or import records a listed event could pair with
        (on a first import it has none, and the pages skip those lookups)."""
        ...

    def lookup(
        self,
        listed: Sequence[Listed],
        *,
        lookups: bool,
        series_starts: Mapping[str, Moment] | None = None,
    ) -> PageLookup:
        """What the store knows of the page's events; ``lookups=False`` skips the links and
        import records (they could only come back empty). ``series_starts``: Google's start
        of each series the listing returned so far, by event id (``SeriesRow.listed``)."""
        ...

    def absent(self, seen: set[str]) -> Iterable[tuple[Link, CrmMeeting]]:
        """The calendar's links whose event a full listing did not return, with their
        meetings."""
        ...

    def ahead(self, pages: Iterator[P]) -> Iterator[P]:
        """The listing's pages, the next one read while the current one is written."""
        ...

    def transaction(self) -> AbstractContextManager[object]:
        """One page's CRM writes: all or none."""
        ...

    def write_page(self, writes: PageWrites) -> list[RunProblem]:
        """Writes the page's bulk writes; returns the failures of single items (each
        naming its event) (the database writes all or raises; the in-memory side has injected
        faults)."""
        ...

    def note_etag(self, event_id: str, etag: str) -> None:
        """The link of ``event_id`` learns Google's etag (its fields stay the agreed ones)."""
        ...

    def drop_link(self, event_id: str) -> None: ...

    def deleted_already(self, meeting_id: int) -> bool:
        """Whether the meeting is a tombstone or gone (a deletion found it done)."""
        ...

    def synced(self) -> int:
        """How many meetings are linked to this calendar (asked by the breaker only when
        its verdict depends on it)."""
        ...

    def hold(self, reason: str, meeting_ids: list[int]) -> None:
        """The breaker tripped on deletions made in Google: the user's question lists these
        meetings."""
        ...

    def listing_done(self, *, token: str | None, full: bool) -> None:
        """The listing went through to its end: ``token`` is its sync token when every item
        went through (None keeps the old one, so the next listing brings them again)."""
        ...

    def keep_alive(self) -> None: ...


class OutboundStore(Protocol):
    """One writable calendar's candidates for the outbound look, and what it records."""

    def linked_candidates(self) -> list[tuple[Link, CrmMeeting]]:
        """Links whose meeting changed since their agreement, whose event the last listing
        found cancelled, or that are leaving; with their meetings."""
        ...

    def restored_imports(self) -> list[tuple[CrmMeeting, str]]:
        """Live meetings imported from this calendar without a link (restored in the CRM
        after their event was deleted in Google), with their event ids."""
        ...

    def unpushed(self) -> list[CrmMeeting]:
        """Meetings made in the CRM that no link and no import record holds and that may
        belong in this calendar, each with its home (core/placement.py): any of them for
        the target, only series cut from another series elsewhere."""
        ...

    def synced(self) -> int: ...

    def hold(self, reason: str, meetings: list[CrmMeeting]) -> None:
        """The breaker tripped on deletions made in the CRM: the user's question lists these
        meetings."""
        ...

    def version_agrees(self, link: Link, version: int) -> None:
        """The meeting changed, but not in a mapped field: its link takes its version."""
        ...

    def unpushed_occurrences(self) -> list[OccurrenceRow]:
        """Occurrences changed or cancelled alone in the CRM that Google has not had yet
        (rows of a live series, no link, no import record, not read-only, the row or the
        occurrence it replaces ending after the window start) whose series is linked in
        this calendar, by start. Read only: the outbound pass plans each
        (planner.plan_occurrence_out) and the applier writes. A store where there are none
        answers at the cost of one small query."""
        ...


class SettingsStore(Protocol):
    """The user's links that a change of settings concerns, across the user's calendars
    (DESIGN.md §3 "Settings changes"), and what a calendar the user stopped syncing leaves
    behind. The settings pass (core/settings_changes.py) reads and writes through it; the
    links and meetings themselves change through the applier's sides."""

    def outside_target(self) -> list[tuple[Link, CrmMeeting]]:
        """Links of meetings we pushed (origin "crm") that sit in another calendar than the
        target, with their meetings, each with its home (core/placement.py). A store may
        answer [] when no full look is due: only a saved settings change puts them there,
        and then every run looks at everything until one succeeds."""
        ...

    def unpicked(self) -> list[str]:
        """The calendars the sync kept state for that the user no longer syncs (neither
        picked nor the target)."""
        ...

    def links_of(self, calendar_id: str) -> list[tuple[Link, CrmMeeting | None]]:
        """The calendar's links, with their meetings."""
        ...

    def transaction(self) -> AbstractContextManager[object]:
        """One item's writes to the CRM and the links: all or none (an exception raised in
        it undoes them)."""
        ...

    def forget_token(self, calendar_id: str) -> None:
        """The calendar's links are about to go: forgets its sync token, so that picked
        again before it has left (a removal failed), it gets a full listing."""
        ...

    def forget_hiding_rows(self, series_id: int) -> None:
        """The meeting ``series_id`` left with its calendar: forgets the rows that hid its
        cancelled occurrences, and their import records (none when it is no series)."""
        ...

    def forget_calendar(self, calendar_id: str) -> None:
        """The calendar is no longer synced and its links are gone: forgets its sync state
        (picked again, it gets a full listing), the rows that hid cancelled occurrences of
        its series, and the import records left (of meetings whose event Google deleted
        before): restored in the CRM, such a meeting is a CRM one, pushed to the target."""
        ...

    def keep_alive(self) -> None: ...
