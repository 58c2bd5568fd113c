"""The stores of the one driver (core/stores.py) over the in-memory sides (memory.py): what
the property tests and the in-memory state machine run the driver's two passes through.

The rules are the database's (tandem/sync/engine/inbound.py and outbound.py), written over
dicts: the same pairing inputs, the same candidates. Where the database narrows a look to
what changed since the last clean run, memory looks at everything (it is as cheap, and the
same candidates come out of it). The memory sides hold no recurring series: an occurrence
never reaches ``write_page``.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TypeVar

from msgspec.structs import replace

from tandem.sync.core.apply import SyncReport
from tandem.sync.core.fields import Moment
from tandem.sync.core.identity import (
    event_id_for_meeting,
    import_key_of,
    import_key_prefix,
    looks_like_ours,
)
from tandem.sync.core.memory import MemoryCrm, MemoryLinks
from tandem.sync.core.pairing import Listed, PageLookup
from tandem.sync.core.run_report import RunProblem, subject_of_fields
from tandem.sync.core.sides import SideError
from tandem.sync.core.state import CrmMeeting, Link, OccurrenceRow
from tandem.sync.core.stores import PageWrites

P = TypeVar("P")


class MemoryInboundStore:
    def __init__(
        self,
        crm: MemoryCrm,
        links: MemoryLinks,
        *,
        calendar_id: str,
        namespace: str,
        report: SyncReport,
    ) -> None:
        self.crm, self.links, self.calendar_id = crm, links, calendar_id
        self.namespace, self.report = namespace, report
        self.held: list[int] = []

    def _meetings(self) -> dict[int, CrmMeeting]:
        return {meeting.meeting_id: meeting for meeting in self.crm.list_meetings()}

    def _by_event(self) -> dict[str, Link]:
        return {link.event_id: link for link in self.links.links(calendar_id=self.calendar_id)}

    def sync_token(self) -> str | None:
        return self.links.sync_token(calendar_id=self.calendar_id)

    def pairs_exist(self) -> bool:
        prefix = import_key_prefix(self.calendar_id)
        return bool(self._by_event()) or any(
            (meeting.import_key or "").startswith(prefix) for meeting in self._meetings().values()
        )

    def lookup(
        self,
        listed: Sequence[Listed],
        *,
        lookups: bool,
        series_starts: Mapping[str, Moment] | None = None,  # no series in memory
    ) -> PageLookup:
        meetings = self._meetings()
        by_event = self._by_event() if lookups else {}
        found = PageLookup(meetings=meetings)
        found.links = {
            e.event.event_id: by_event[e.event.event_id]
            for e in listed
            if e.event.event_id in by_event
        }
        unlinked = [e for e in listed if e.event.event_id not in found.links]
        if lookups:
            keys = {import_key_of(self.calendar_id, e.event.event_id) for e in unlinked}
            found.imports = {
                meeting.import_key: meeting.meeting_id
                for meeting in meetings.values()
                if meeting.import_key in keys
            }
        linked = self.links.linked_meeting_ids()
        candidates = [
            e.event.event_id
            for e in unlinked
            if e.event.marker_meeting_id is None
            and import_key_of(self.calendar_id, e.event.event_id) not in found.imports
            and looks_like_ours(e.event.event_id)
        ]
        if candidates:
            ours = {
                event_id_for_meeting(self.namespace, meeting_id): meeting_id
                for meeting_id, meeting in meetings.items()
                if meeting_id not in linked and meeting.import_key is None
            }
            found.ours = {event_id: ours[event_id] for event_id in candidates if event_id in ours}
        markers = {e.event.marker_meeting_id for e in unlinked if e.event.marker_meeting_id}
        paired = set(found.imports.values()) | markers | set(found.ours.values())
        found.already_linked = paired & linked
        return found

    def absent(self, seen: set[str]) -> Iterable[tuple[Link, CrmMeeting]]:
        meetings = self._meetings()
        return [
            (link, meetings[link.meeting_id])
            for event_id, link in self._by_event().items()
            if event_id not in seen
        ]

    def ahead(self, pages: Iterator[P]) -> Iterator[P]:
        return pages

    def transaction(self) -> AbstractContextManager[object]:
        return nullcontext()

    def write_page(self, writes: PageWrites) -> list[RunProblem]:
        failures: list[RunProblem] = []
        for new in writes.creates:
            assert new.series_id is None and new.replaces is None  # no series in memory
            try:
                meeting = self.crm.create_meeting(
                    fields=new.fields,
                    import_key=import_key_of(self.calendar_id, new.event.event_id),
                    read_only=new.read_only,
                )
            except SideError as error:
                failures.append(
                    RunProblem(
                        f"not imported this time ({error})",
                        subject=subject_of_fields(new.event.fields) or "A Google event",
                        event_id=new.event.event_id,
                    )
                )
                continue
            if new.link_base is not None:
                self.links.save_link(
                    Link(
                        calendar_id=self.calendar_id,
                        meeting_id=meeting.meeting_id,
                        event_id=new.event.event_id,
                        base=new.link_base,
                        etag=new.event.etag,
                        crm_version=meeting.version,
                        origin="crm" if new.link_origin == "crm" else "google",
                        event_type=new.event.event_type,
                    )
                )
        for save in writes.links:
            self.links.save_link(
                Link(
                    calendar_id=self.calendar_id,
                    meeting_id=save.meeting_id,
                    event_id=save.event.event_id,
                    base=save.base,
                    etag=save.event.etag,
                    crm_version=save.version,
                    origin=save.origin,
                    leaving=save.leaving,
                    event_type=save.event.event_type,
                )
            )
        self.report.conflicts.extend(
            (meeting_id, conflict)
            for meeting_id, conflicts in writes.conflicts
            for conflict in conflicts
        )
        return failures

    def note_etag(self, event_id: str, etag: str) -> None:
        link = self._by_event().get(event_id)
        if link is not None:
            self.links.save_link(replace(link, etag=etag))

    def drop_link(self, event_id: str) -> None:
        link = self._by_event().get(event_id)
        if link is not None:
            self.links.drop_link(calendar_id=self.calendar_id, meeting_id=link.meeting_id)

    def deleted_already(self, meeting_id: int) -> bool:
        meeting = self._meetings().get(meeting_id)
        return meeting is None or meeting.deleted

    def synced(self) -> int:
        return len(self._by_event())

    def hold(self, reason: str, meeting_ids: list[int]) -> None:
        self.held.extend(meeting_ids)

    def listing_done(self, *, token: str | None, full: bool) -> None:
        if token is not None:
            self.links.save_sync_token(calendar_id=self.calendar_id, token=token)

    def keep_alive(self) -> None:
        pass


class MemoryOutboundStore:
    """``is_target``: whether the calendar is the target (the memory sides make no series,
    so no meeting has another home)."""

    def __init__(
        self, crm: MemoryCrm, links: MemoryLinks, *, calendar_id: str, is_target: bool
    ) -> None:
        self.crm, self.links, self.calendar_id = crm, links, calendar_id
        self.is_target = is_target
        self.held: list[CrmMeeting] = []

    def _meetings(self) -> dict[int, CrmMeeting]:
        return {meeting.meeting_id: meeting for meeting in self.crm.list_meetings()}

    def _links(self) -> list[Link]:
        return self.links.links(calendar_id=self.calendar_id)

    def linked_candidates(self) -> list[tuple[Link, CrmMeeting]]:
        """Every link of the calendar: the database's full look (a settings change, a
        user's first runs), which a link with nothing to do passes through unplanned."""
        meetings = self._meetings()
        return sorted(
            (
                (link, meetings[link.meeting_id])
                for link in self._links()
                if link.meeting_id in meetings
            ),
            key=lambda pair: pair[0].event_id,
        )

    def restored_imports(self) -> list[tuple[CrmMeeting, str]]:
        prefix = import_key_prefix(self.calendar_id)
        linked = self.links.linked_meeting_ids()
        return [
            (meeting, (meeting.import_key or "").removeprefix(prefix))
            for meeting in self._meetings().values()
            if (meeting.import_key or "").startswith(prefix)
            and not meeting.deleted
            and not meeting.hides_occurrence
            and meeting.meeting_id not in linked
        ]

    def unpushed(self) -> list[CrmMeeting]:
        if not self.is_target:
            return []
        linked = self.links.linked_meeting_ids()
        return [
            meeting
            for meeting in self._meetings().values()
            if not meeting.deleted
            and not meeting.read_only
            and meeting.import_key is None
            and meeting.meeting_id not in linked
        ]

    def synced(self) -> int:
        return len(self._links())

    def hold(self, reason: str, meetings: list[CrmMeeting]) -> None:
        self.held.extend(meetings)

    def version_agrees(self, link: Link, version: int) -> None:
        self.links.save_link(replace(link, crm_version=version))

    def unpushed_occurrences(self) -> list[OccurrenceRow]:
        return []  # MemoryCrm holds no recurring series, so no row of one


class MemorySettingsStore:
    """The SettingsStore (core/stores.py) over the memory sides. ``synced``: the calendars
    the user syncs now (picked, and the target). A calendar's state is its sync token and
    its links; memory always looks at every link (the database only when a full look is
    due), and holds no rows that hide occurrences (no series). Its transaction is real:
    the CRM's rows and the links as they were come back when it raises."""

    def __init__(
        self, crm: MemoryCrm, links: MemoryLinks, *, synced: Collection[str], target: str
    ) -> None:
        self.crm, self.links = crm, links
        self.synced, self.target = frozenset(synced), target

    def _meetings(self) -> dict[int, CrmMeeting]:
        return {meeting.meeting_id: meeting for meeting in self.crm.list_meetings()}

    def outside_target(self) -> list[tuple[Link, CrmMeeting]]:
        meetings = self._meetings()
        return sorted(
            (
                (link, meetings[link.meeting_id])
                for link in self.links.by_meeting.values()
                if link.origin == "crm"
                and link.calendar_id != self.target
                and link.meeting_id in meetings
            ),
            key=lambda pair: (pair[0].calendar_id, pair[0].event_id),
        )

    def unpicked(self) -> list[str]:
        known = set(self.links.tokens) | {cal for cal, _ in self.links.by_meeting}
        return sorted(known - self.synced)

    def links_of(self, calendar_id: str) -> list[tuple[Link, CrmMeeting | None]]:
        meetings = self._meetings()
        return [
            (link, meetings.get(link.meeting_id))
            for link in sorted(
                self.links.links(calendar_id=calendar_id), key=lambda link: link.event_id
            )
        ]

    @contextmanager
    def transaction(self) -> Iterator[object]:
        rows, links = copy.deepcopy(self.crm.rows), dict(self.links.by_meeting)
        try:
            yield self
        except BaseException:
            self.crm.rows, self.links.by_meeting = rows, links
            raise

    def forget_token(self, calendar_id: str) -> None:
        self.links.tokens.pop(calendar_id, None)

    def forget_hiding_rows(self, series_id: int) -> None:
        pass  # memory holds no rows that hide occurrences

    def forget_calendar(self, calendar_id: str) -> None:
        self.forget_token(calendar_id)
        prefix = import_key_prefix(calendar_id)
        for meeting in self.crm.list_meetings():
            if (meeting.import_key or "").startswith(prefix):
                self.crm.forget_import(meeting_id=meeting.meeting_id)

    def keep_alive(self) -> None:
        pass
