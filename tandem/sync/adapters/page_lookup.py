"""The database's ``PageLookup`` (core/pairing.py): what the CRM and the link store know of
one page's events, in a fixed number of queries whatever the page holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from msgspec.structs import replace

from tandem.meetings.models import Meeting
from tandem.meetings.occurrences import series_starts
from tandem.sync.adapters.crm import crm_meeting, unseen_by_google
from tandem.sync.adapters.links import link_from_row
from tandem.sync.adapters.serialize import fields_from_json
from tandem.sync.core.fields import Moment, TimedMoment
from tandem.sync.core.identity import event_id_for_meeting, import_key_of, looks_like_ours
from tandem.sync.core.occurrence_slots import crm_original
from tandem.sync.core.pairing import Listed, PageLookup, SeriesRow
from tandem.sync.core.state import CrmMeeting
from tandem.sync.models import EventLink


@dataclass
class DjangoPageLookup:
    """One calendar's lookups. ``lookup(..., lookups=False)`` skips the links and import
    records, for the pages of a first import, where they could only come back empty (see
    InboundStore.pairs_exist in core/stores.py)."""

    user: User
    google_sub: str
    calendar_id: str
    namespace: str
    # The sync window's start (DESIGN.md §3 "Window everywhere").
    window_start: datetime
    # Our event ids of the candidates for ``_ours``, read once per listing when first asked.
    _ours_map: dict[str, int] | None = None
    # Whether this Google account has links in other calendars, asked once per listing when
    # a page first holds an iCalUID: while a calendar is listed, the user's run (one at a
    # time, tandem.sync.locks) writes links of this calendar only, so the answer holds.
    _links_elsewhere: bool | None = None

    def lookup(
        self,
        listed: Sequence[Listed],
        *,
        lookups: bool,
        series_starts: Mapping[str, Moment] | None = None,
    ) -> tuple[PageLookup, dict[str, EventLink]]:
        """The page's lookup, and its link rows by event id (the store reads a relinked
        event's iCalUID and extras from them). ``series_starts``: Google's start of each
        series the listing returned so far (``SeriesRow.listed``)."""
        user, cal = self.user, self.calendar_id
        found = PageLookup()
        link_rows: dict[str, EventLink] = {}
        if not listed:
            # An empty page (an idle run's incremental listing): nothing to look up, and no
            # querysets built for nothing.
            return found, link_rows
        if lookups:
            link_rows = {
                row.event_id: row
                for row in EventLink.objects.filter(
                    owner=user,
                    google_sub=self.google_sub,
                    calendar_id=cal,
                    event_id__in=[entry.event.event_id for entry in listed],
                )
            }
            found.links = {event_id: link_from_row(row) for event_id, row in link_rows.items()}
        unlinked = [entry for entry in listed if entry.event.event_id not in link_rows]
        if lookups:
            found.imports = {
                key: pk
                for key, pk in Meeting.objects.filter(
                    owner=user,
                    import_key__in=[import_key_of(cal, entry.event.event_id) for entry in unlinked],
                ).values_list("import_key", "pk")
                if key is not None  # the filter's; typed as the column
            }
        ical_uids = {str(e.raw.get("iCalUID")) for e in unlinked if e.raw.get("iCalUID")}
        if ical_uids and self._any_links_elsewhere():
            found.linked_elsewhere = set(
                EventLink.objects.filter(
                    owner=user, google_sub=self.google_sub, ical_uid__in=ical_uids
                )
                .exclude(calendar_id=cal)
                .values_list("ical_uid", flat=True)
            )
        series_links: dict[str, tuple[int, Moment]] = {}
        series_event_ids = {
            e.event.occurrence.series_event_id for e in unlinked if e.event.occurrence
        }
        if series_event_ids:
            for series_event_id, series_id, base in EventLink.objects.filter(
                owner=user,
                google_sub=self.google_sub,
                calendar_id=cal,
                event_id__in=series_event_ids,
            ).values_list("event_id", "meeting_id", "base"):
                series_links[series_event_id] = (series_id, fields_from_json(base).start)
        markers = {e.event.marker_meeting_id for e in unlinked if e.event.marker_meeting_id}
        found.ours = self._ours(
            [
                e.event.event_id
                for e in unlinked
                if e.event.marker_meeting_id is None
                and import_key_of(cal, e.event.event_id) not in found.imports
                and looks_like_ours(e.event.event_id)
            ]
        )
        meeting_ids = {row.meeting_id for row in link_rows.values()} | set(found.imports.values())
        meeting_ids |= {series_id for series_id, _ in series_links.values()} | markers
        meeting_ids |= set(found.ours.values())
        rows = {m.pk: m for m in Meeting.objects.filter(owner=user, pk__in=meeting_ids)}
        if markers - rows.keys():
            # Someone else connected to the same Google account pushed the event.
            found.others = set(
                Meeting.objects.filter(pk__in=markers - rows.keys())
                .exclude(owner=user)
                .values_list("pk", flat=True)
            )
        paired = (set(found.imports.values()) | markers | set(found.ours.values())) & rows.keys()
        if paired:
            # Paired by import record, marker or id, but held by a link already: a copy.
            found.already_linked = set(
                EventLink.objects.filter(
                    owner=user, google_sub=self.google_sub, meeting_id__in=paired
                ).values_list("meeting_id", flat=True)
            )
        found.meetings = {
            pk: crm_meeting(row, import_key=row.import_key) for pk, row in rows.items()
        }
        cancelled_series = {
            link_rows[entry.event.event_id].meeting_id
            for entry in listed
            if entry.event.cancelled and entry.event.event_id in link_rows
        } & {pk for pk, row in rows.items() if row.recurrence and row.deleted_at is None}
        for series_id, changed in self.changed_rows(cancelled_series).items():
            found.meetings[series_id] = replace(found.meetings[series_id], changed_rows=changed)
        for series_event_id, (series_id, agreed_at) in series_links.items():
            row = rows.get(series_id)
            if row is not None:
                found.series[series_event_id] = SeriesRow(
                    found.meetings[series_id],
                    zone=row.time_zone,
                    agreed=agreed_at,
                    listed=(series_starts or {}).get(series_event_id),
                )
        found.slot_rows = self._slot_rows(unlinked, found.series)
        found.slots_gone = _slots_gone(unlinked, found.series, rows)
        return found, link_rows

    def changed_rows(self, series_ids: set[int]) -> dict[int, tuple[int, ...]]:
        """The occurrence rows of these series (Google lists them cancelled) that the CRM
        changed alone and never pushed (also of a series a full listing left out:
        engine/inbound.py ``absent``): no link, no import record, not a row that only
        hides its slot (the planner keeps them as meetings of their own). Only rows that
        end in the window and are not read-only: an older row was never pushed and never
        agreed, however long ago it changed; it goes with its series, as before the rule
        (DESIGN.md §3 "Window everywhere"), rather than stand alone in the CRM where no run
        would push it. (The outbound pass also pushes an older row whose occurrence is in
        the window, engine/occurrence_rows.py ``_in_window``: standing alone, its slot is
        gone, and only its own values count.)"""
        if not series_ids:
            return {}
        changed: dict[int, tuple[int, ...]] = {}
        for series_id, pk, end, read_only in (
            Meeting.objects.filter(
                owner=self.user,
                series_id__in=series_ids,
                deleted_at__isnull=True,
                is_cancelled_occurrence=False,
            )
            .filter(unseen_by_google(owner=self.user, google_sub=None))
            .order_by("pk")
            .values_list("series_id", "pk", "end", "read_only")
        ):
            if end > self.window_start and not read_only:
                changed[series_id] = (*changed.get(series_id, ()), pk)
        return changed

    def _any_links_elsewhere(self) -> bool:
        """Whether an event of this page can be held by another calendar's link (its
        iCalUID linked there): never on the import of a user's first calendar, whose pages
        then skip the per-page lookup of their iCalUIDs."""
        if self._links_elsewhere is None:
            self._links_elsewhere = (
                EventLink.objects.filter(owner=self.user, google_sub=self.google_sub)
                .exclude(calendar_id=self.calendar_id)
                .exists()
            )
        return self._links_elsewhere

    def _ours(self, event_ids: list[str]) -> dict[str, int]:
        """Which of these event ids are the ids we gave the events of the user's meetings
        that have no link of this Google account (links are per account: the outbound pass
        pushes the user's meetings to a new account afresh) and no import record (an
        insert whose link was never saved, whose marker another client dropped since).

        The id is a hash (core/identity.py), so the candidates are hashed: once per
        listing, and only when a page holds an event with no marker and an id of our shape
        (ids of other tools may have it too: a uuid4 in hex). A listing's own imports are
        never candidates (they have import records), so the map stays right while it runs.
        Occurrence rows are left out: their changes go to Google as instances, whose ids
        are Google's."""
        if not event_ids:
            return {}
        if self._ours_map is None:
            candidates = (
                Meeting.objects.filter(owner=self.user, series__isnull=True)
                .filter(unseen_by_google(owner=self.user, google_sub=self.google_sub))
                .order_by()
                .values_list("pk", flat=True)
            )
            self._ours_map = {
                event_id_for_meeting(self.namespace, pk): pk for pk in candidates.iterator()
            }
        return {
            event_id: self._ours_map[event_id]
            for event_id in event_ids
            if event_id in self._ours_map
        }

    def _slot_rows(
        self, unlinked: list[Listed], series: dict[str, SeriesRow]
    ) -> dict[tuple[int, datetime], CrmMeeting]:
        """The CRM's own rows at the slots of this page's occurrences that Google does not
        know yet (no link, no import record): occurrences changed or cancelled alone in the
        CRM since the last sync, which Google changed too. Looked up only when the page
        lists occurrences of series the CRM has (rows by series and original start, then
        their links and import records by meeting id)."""
        slots: set[tuple[int, datetime]] = set()
        for entry in unlinked:
            occurrence = entry.event.occurrence
            if occurrence is None or entry.event.problem is not None:
                continue
            found = series.get(occurrence.series_event_id)
            if found is not None and found.meeting.fields.recurrence:
                original = crm_original(
                    occurrence.original_start,
                    found.meeting.fields,
                    zone=found.zone,
                    named_on=found.named_on,
                )
                slots.add((found.meeting.meeting_id, original))
        if not slots:
            return {}
        rows = [
            row
            for row in Meeting.objects.filter(
                owner=self.user,
                series_id__in={series_id for series_id, _ in slots},
                original_start__in={original for _, original in slots},
                deleted_at__isnull=True,
            )
            if (row.series_id, row.original_start) in slots
        ]
        # adapters/crm.py ``unseen_by_google`` (any account) checked on these few rows, by
        # their ids: its NOT IN would read every link of the user on each page.
        ids = [row.pk for row in rows]
        known = set(
            EventLink.objects.filter(owner=self.user, meeting_id__in=ids).values_list(
                "meeting_id", flat=True
            )
        )
        return {
            (row.series_id, row.original_start): crm_meeting(row, import_key=None)  # type: ignore[misc]
            for row in rows
            if row.pk not in known and row.import_key is None
        }


def _slots_gone(
    unlinked: list[Listed], series: dict[str, SeriesRow], rows: dict[int, Meeting]
) -> set[tuple[int, datetime]]:
    """The slots of the page's cancelled occurrences that their CRM series no longer has:
    its rule was cut or shortened in the CRM, and the run deleted the exception Google kept
    there, which the next listing reads back cancelled (the planner: nothing to hide). Nor
    has an all-day series the slot a time names: an exception made while the series was
    timed keeps its ``originalStartTime`` a time when the series becomes all-day (the
    emulator moves it on the wall clock, to midnight; ``rules.original_moved``), which
    names no day, so it hides none; at midnight in the CRM it hid the day."""
    near = timedelta(seconds=1)
    gone: set[tuple[int, datetime]] = set()
    for entry in unlinked:
        occurrence = entry.event.occurrence
        if occurrence is None or not entry.event.cancelled:
            continue
        found = series.get(occurrence.series_event_id)
        row = rows.get(found.meeting.meeting_id) if found is not None else None
        if found is None or row is None or not row.recurrence:
            continue
        at = crm_original(
            occurrence.original_start,
            found.meeting.fields,
            zone=found.zone,
            named_on=found.named_on,
        )
        names_no_day = row.all_day and isinstance(occurrence.original_start, TimedMoment)
        if names_no_day or at not in series_starts(series=row, start=at - near, end=at + near):
            gone.add((row.pk, at))
    return gone
