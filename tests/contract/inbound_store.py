"""The InboundStore contract (``tandem.sync.core.stores.InboundStore``), written once: what
the inbound pass of the one driver (core/inbound.py) relies on when it pairs a page
(core/pairing.py ``plan_page`` over the store's ``PageLookup``), writes it, and ends the
listing.

A binding subclasses ``InboundStoreContract`` and provides the ``stores`` fixture: a
``StoreBench`` (store_bench.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import ClassVar

import pytest
from msgspec.structs import replace

from tandem.sync.core.identity import event_id_for_meeting, import_key_of
from tandem.sync.core.mapping import OccurrenceOf
from tandem.sync.core.merge import Conflict
from tandem.sync.core.pairing import Listed, NewMeeting
from tandem.sync.core.state import GoogleEvent
from tandem.sync.core.stores import LinkSave, PageWrites
from tests.contract.store_bench import (
    CAL,
    OTHER_CAL,
    StoreBench,
    fields_of,
    imported,
    link_to,
    listed,
    meeting,
)
from tests.contract.values import in_window, timed

UNKNOWN_MEETING = 10**8


def a_new_meeting(
    bench: StoreBench, event_id: str, *, link: bool = True, event_type: str = "default"
) -> NewMeeting:
    """The bulk create's row for a new plain event, with its link unless ``link`` is off."""
    entry = listed(event_id, fields_of(bench, f"Event {event_id}"), event_type=event_type)
    fields = fields_of(bench, f"Event {event_id}")
    return NewMeeting(
        entry.event,
        f"{event_id}@google.com",
        fields,
        False,
        fields if link else None,
        "google" if link else "",
    )


def a_link_save(
    bench: StoreBench, entry: Listed, meeting_id: int, *, leaving: bool = False
) -> LinkSave:
    """The link a plan saves for a listed event and a meeting, agreeing on its fields."""
    now = meeting(bench, meeting_id)
    return LinkSave(entry.event, entry.raw, meeting_id, now.fields, now.version, "google", leaving)


def by_import_key(bench: StoreBench, key: str) -> list[int]:
    return [m.meeting_id for m in bench.crm.list_meetings() if m.import_key == key]


class InboundStoreContract:
    """What the inbound pass may rely on from any inbound store."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def stores(self) -> Iterator[StoreBench]:
        raise NotImplementedError("the binding provides the StoreBench")

    # -- sync_token, listing_done ------------------------------------------------------------

    def test_a_listing_done_with_a_token_saves_it_for_the_next_run(
        self, stores: StoreBench
    ) -> None:
        assert stores.inbound().sync_token() is None
        stores.inbound().listing_done(token="token-1", full=True)
        assert stores.inbound().sync_token() == "token-1"
        stores.inbound().listing_done(token="token-2", full=False)
        assert stores.inbound().sync_token() == "token-2"
        assert stores.inbound(OTHER_CAL).sync_token() is None

    def test_a_listing_done_without_a_token_keeps_the_old_one(self, stores: StoreBench) -> None:
        """An item failed: the next listing starts from the old token and brings it again."""
        stores.inbound().listing_done(token="token-1", full=True)
        store = stores.inbound()
        store.listing_done(token=None, full=False)
        assert store.sync_token() == "token-1"
        assert stores.inbound().sync_token() == "token-1"

    # -- pairs_exist -------------------------------------------------------------------------

    def test_an_empty_calendar_has_no_pairs(self, stores: StoreBench) -> None:
        """A first import: its pages skip the link and import-record lookups."""
        stores.person_creates(fields_of(stores))
        assert stores.inbound().pairs_exist() is False

    def test_a_link_of_the_calendar_makes_pairs(self, stores: StoreBench) -> None:
        link_to(stores, stores.person_creates(fields_of(stores)), "ev1")
        assert stores.inbound().pairs_exist() is True

    def test_an_import_record_of_the_calendar_makes_pairs(self, stores: StoreBench) -> None:
        """Imported, its link never saved (a crash between the two): the next listing must
        look its import record up, or the event would be imported twice."""
        imported(stores, "ev1")
        assert stores.inbound().pairs_exist() is True

    def test_another_calendars_links_and_imports_make_no_pairs(self, stores: StoreBench) -> None:
        link_to(stores, stores.person_creates(fields_of(stores)), "ev1", calendar_id=OTHER_CAL)
        imported(stores, "ev2", calendar_id=OTHER_CAL)
        assert stores.inbound().pairs_exist() is False

    # -- lookup ------------------------------------------------------------------------------

    def test_a_linked_event_is_looked_up_with_its_link_and_meeting(
        self, stores: StoreBench
    ) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        link = link_to(stores, meeting_id, "ev1")
        found = stores.inbound().lookup([listed("ev1", fields_of(stores))], lookups=True)
        assert found.links == {"ev1": link}
        mine = found.meetings[meeting_id]
        now = meeting(stores, meeting_id)
        assert (mine.version, mine.fields, mine.deleted) == (now.version, now.fields, False)

    def test_a_linked_meeting_deleted_in_the_crm_is_looked_up_as_a_tombstone(
        self, stores: StoreBench
    ) -> None:
        """The planner must see the deletion (an edit in Google beats it, else it goes to
        Google): a tombstone is no missing meeting."""
        meeting_id = stores.person_creates(fields_of(stores))
        link_to(stores, meeting_id, "ev1")
        stores.person_deletes(meeting_id)
        found = stores.inbound().lookup([listed("ev1", fields_of(stores))], lookups=True)
        assert found.meetings[meeting_id].deleted is True

    def test_without_lookups_no_link_and_no_import_record_is_looked_up(
        self, stores: StoreBench
    ) -> None:
        link_to(stores, stores.person_creates(fields_of(stores)), "ev1")
        imported(stores, "ev2")
        page = [listed("ev1", fields_of(stores)), listed("ev2", fields_of(stores))]
        found = stores.inbound().lookup(page, lookups=False)
        assert (found.links, found.imports) == ({}, {})

    def test_an_imported_event_is_looked_up_by_calendar_and_event_id(
        self, stores: StoreBench
    ) -> None:
        mine = imported(stores, "ev1")
        imported(stores, "ev2", calendar_id=OTHER_CAL)
        page = [listed("ev1", fields_of(stores)), listed("ev2", fields_of(stores))]
        found = stores.inbound().lookup(page, lookups=True)
        assert found.imports == {f"{CAL}/ev1": mine.meeting_id}
        assert found.links == {}
        assert found.meetings[mine.meeting_id].import_key == f"{CAL}/ev1"

    def test_a_link_of_another_calendar_is_not_this_calendars(self, stores: StoreBench) -> None:
        link_to(stores, stores.person_creates(fields_of(stores)), "ev1", calendar_id=OTHER_CAL)
        found = stores.inbound().lookup([listed("ev1", fields_of(stores))], lookups=True)
        assert found.links == {}

    def test_a_marker_names_the_users_meeting(self, stores: StoreBench) -> None:
        """Our event whose link was never saved: its marker pairs it with its meeting."""
        meeting_id = stores.person_creates(fields_of(stores))
        page = [listed("ev1", fields_of(stores), marker=meeting_id)]
        found = stores.inbound().lookup(page, lookups=True)
        assert found.meetings[meeting_id].fields == fields_of(stores)
        assert meeting_id not in found.already_linked
        assert found.others == set()

    @pytest.mark.parametrize("where", [CAL, OTHER_CAL])
    def test_a_marker_naming_a_linked_meeting_is_already_linked(
        self, stores: StoreBench, where: str
    ) -> None:
        """A copy of our event (it keeps our marker) in this calendar or another: the meeting
        is not the copy's pair (plan_page makes the copy a new event)."""
        meeting_id = stores.person_creates(fields_of(stores))
        link_to(stores, meeting_id, "ours1", calendar_id=where, origin="crm")
        page = [listed("copy1", fields_of(stores), marker=meeting_id)]
        found = stores.inbound().lookup(page, lookups=True)
        assert meeting_id in found.meetings
        assert found.already_linked == {meeting_id}

    def test_an_import_record_held_by_a_link_is_already_linked(self, stores: StoreBench) -> None:
        """Imported from ev1, since linked to another event: ev1 listed again is not its
        pair."""
        mine = imported(stores, "ev1")
        link_to(stores, mine.meeting_id, "ev2", calendar_id=OTHER_CAL)
        found = stores.inbound().lookup([listed("ev1", fields_of(stores))], lookups=True)
        assert found.imports == {f"{CAL}/ev1": mine.meeting_id}
        assert found.already_linked == {mine.meeting_id}

    def test_our_event_id_without_a_marker_names_its_unlinked_meeting(
        self, stores: StoreBench
    ) -> None:
        """Our insert went through, its link was never saved, another client dropped the
        marker: the event id we give the meeting pairs them (core/identity.py)."""
        meeting_id = stores.person_creates(fields_of(stores))
        ours = event_id_for_meeting(stores.namespace, meeting_id)
        found = stores.inbound().lookup([listed(ours, fields_of(stores))], lookups=True)
        assert found.ours == {ours: meeting_id}
        assert meeting_id in found.meetings
        assert found.already_linked == set()

    def test_our_event_id_of_a_linked_meeting_names_nothing(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        ours = event_id_for_meeting(stores.namespace, meeting_id)
        link_to(stores, meeting_id, ours, calendar_id=OTHER_CAL, origin="crm")
        found = stores.inbound().lookup([listed(ours, fields_of(stores))], lookups=True)
        assert found.ours == {}

    def test_our_event_id_of_an_imported_meeting_names_nothing(self, stores: StoreBench) -> None:
        """Only meetings made in the CRM get our event ids; an imported one has its event."""
        mine = imported(stores, "ev1", calendar_id=OTHER_CAL)
        ours = event_id_for_meeting(stores.namespace, mine.meeting_id)
        found = stores.inbound().lookup([listed(ours, fields_of(stores))], lookups=True)
        assert found.ours == {}

    def test_an_event_linked_in_another_calendar_is_linked_elsewhere(
        self, stores: StoreBench
    ) -> None:
        """The same event (same iCalUID) in two of the user's calendars: one meeting."""
        meeting_id = stores.person_creates(fields_of(stores))
        seen_there = listed("ev1", fields_of(stores), ical_uid="shared@example.com")
        there = stores.inbound(OTHER_CAL)
        save = a_link_save(stores, seen_there, meeting_id)
        with there.transaction():
            assert there.write_page(PageWrites(links=[save])) == []
        here = listed("ev7", fields_of(stores), ical_uid="shared@example.com")
        found = stores.inbound().lookup([here], lookups=True)
        assert found.linked_elsewhere == {"shared@example.com"}

    def test_an_occurrence_finds_its_series_linked_in_the_calendar(
        self, stores: StoreBench
    ) -> None:
        """A changed occurrence takes its slot in its CRM series (plan_occurrence)."""
        start = in_window(stores.window_start)
        series = timed(start, subject="Stand-up", recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",))
        series_id = stores.person_creates(series)
        link_to(stores, series_id, "series1", origin="crm")
        moved = GoogleEvent(
            "series1_20260105T090000Z",
            '"9"',
            timed(start, subject="Moved"),
            occurrence=OccurrenceOf("series1", series.start),
        )
        page = [Listed(moved, {"id": moved.event_id, "etag": moved.etag, "iCalUID": "s@x"})]
        found = stores.inbound().lookup(page, lookups=True)
        assert found.series["series1"].meeting.meeting_id == series_id

    def test_the_lookup_reads_only_the_meetings_its_page_names(self, stores: StoreBench) -> None:
        """A page costs the same at 10 meetings and at 50,000."""
        named = stores.person_creates(fields_of(stores))
        other = stores.person_creates(fields_of(stores, "Not on the page"))
        link_to(stores, named, "ev1")
        found = stores.inbound().lookup([listed("ev1", fields_of(stores))], lookups=True)
        assert named in found.meetings
        assert other not in found.meetings

    # -- absent ------------------------------------------------------------------------------

    def test_absent_are_the_calendars_links_a_full_listing_did_not_return(
        self, stores: StoreBench
    ) -> None:
        seen_id = stores.person_creates(fields_of(stores))
        gone_id = stores.person_creates(fields_of(stores, "Gone"))
        elsewhere = stores.person_creates(fields_of(stores, "Elsewhere"))
        link_to(stores, seen_id, "ev1")
        gone = link_to(stores, gone_id, "ev2")
        link_to(stores, elsewhere, "ev3", calendar_id=OTHER_CAL)
        found = list(stores.inbound().absent({"ev1", "ev9"}))
        assert [(link, crm.meeting_id) for link, crm in found] == [(gone, gone_id)]
        assert found[0][1].fields == fields_of(stores, "Gone")

    # -- write_page --------------------------------------------------------------------------

    @pytest.mark.parametrize("event_type", ["default", "outOfOffice"])
    def test_a_new_event_becomes_a_meeting_with_its_import_record_and_link(
        self, stores: StoreBench, event_type: str
    ) -> None:
        new = a_new_meeting(stores, "ev1", event_type=event_type)
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(creates=[new])) == []
        [meeting_id] = by_import_key(stores, f"{CAL}/ev1")
        made = meeting(stores, meeting_id)
        assert (made.fields, made.read_only, made.deleted) == (new.fields, False, False)
        [link] = stores.links.links(calendar_id=CAL)
        assert (link.meeting_id, link.event_id, link.base, link.etag, link.origin) == (
            meeting_id,
            "ev1",
            new.link_base,
            new.event.etag,
            "google",
        )
        assert link.crm_version == made.version
        assert (link.leaving, link.event_type) == (False, event_type)
        assert stores.inbound().pairs_exist() is True
        # A later page of the same listing that repeats the event finds its link.
        found = store.lookup([listed("ev1", new.fields, etag='"6"')], lookups=True)
        assert found.links == {"ev1": link}

    def test_a_new_event_of_a_read_only_calendar_becomes_a_read_only_meeting(
        self, stores: StoreBench
    ) -> None:
        new = replace(a_new_meeting(stores, "ev1"), read_only=True)
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(creates=[new])) == []
        [meeting_id] = by_import_key(stores, f"{CAL}/ev1")
        assert meeting(stores, meeting_id).read_only is True

    def test_a_relinked_event_moves_its_link_to_the_new_meeting(self, stores: StoreBench) -> None:
        """An event whose link names a meeting that is gone gets a new meeting and the link."""
        old = stores.person_creates(fields_of(stores, "Old"))
        link_to(stores, old, "ev1")
        new = replace(a_new_meeting(stores, "ev1"), relinks=True)
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(creates=[new])) == []
        [meeting_id] = by_import_key(stores, f"{CAL}/ev1")
        assert meeting_id != old
        [link] = stores.links.links(calendar_id=CAL)
        assert (link.event_id, link.meeting_id, link.base) == ("ev1", meeting_id, new.link_base)

    def test_a_new_event_without_a_link_base_gets_a_meeting_and_no_link(
        self, stores: StoreBench
    ) -> None:
        store = stores.inbound()
        with store.transaction():
            new = a_new_meeting(stores, "ev1", link=False)
            assert store.write_page(PageWrites(creates=[new])) == []
        assert len(by_import_key(stores, f"{CAL}/ev1")) == 1
        assert stores.links.links(calendar_id=CAL) == []

    def test_a_new_event_without_a_link_base_leaves_the_links_of_the_others_on_its_page(
        self, stores: StoreBench
    ) -> None:
        store = stores.inbound()
        creates = [a_new_meeting(stores, "ev1", link=False), a_new_meeting(stores, "ev2")]
        with store.transaction():
            assert store.write_page(PageWrites(creates=creates)) == []
        [linked] = by_import_key(stores, f"{CAL}/ev2")
        assert [
            (link.event_id, link.meeting_id) for link in stores.links.links(calendar_id=CAL)
        ] == [("ev2", linked)]

    def test_a_page_of_new_events_makes_one_meeting_each(self, stores: StoreBench) -> None:
        store = stores.inbound()
        creates = [a_new_meeting(stores, f"ev{n}") for n in range(5)]
        with store.transaction():
            assert store.write_page(PageWrites(creates=creates)) == []
        made = {link.event_id: link.meeting_id for link in stores.links.links(calendar_id=CAL)}
        assert sorted(made) == [f"ev{n}" for n in range(5)]
        for event_id, meeting_id in made.items():
            assert by_import_key(stores, import_key_of(CAL, event_id)) == [meeting_id]
            assert meeting(stores, meeting_id).fields.subject == f"Event {event_id}"

    def test_an_import_key_never_makes_two_meetings(self, stores: StoreBench) -> None:
        """The same event created again (a replay, a page repeating an event): either the
        meeting made first stands, or the store refuses the page whole."""
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(creates=[a_new_meeting(stores, "ev1")])) == []
        with contextlib.suppress(*stores.refusals), store.transaction():
            store.write_page(PageWrites(creates=[a_new_meeting(stores, "ev1")]))
        assert len(by_import_key(stores, f"{CAL}/ev1")) == 1
        assert len(stores.links.links(calendar_id=CAL)) == 1

    def test_a_link_save_writes_the_link_as_the_plan_gave_it(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        entry = listed("ev1", fields_of(stores), etag='"42"', event_type="outOfOffice")
        save = a_link_save(stores, entry, meeting_id, leaving=True)
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(links=[save])) == []
        [link] = stores.links.links(calendar_id=CAL)
        assert link.meeting_id == meeting_id and link.event_id == "ev1"
        assert (link.base, link.etag, link.crm_version, link.origin, link.leaving) == (
            save.base,
            '"42"',
            save.version,
            "google",
            True,
        )
        assert link.event_type == "outOfOffice"

    def test_a_link_save_replaces_the_events_link(self, stores: StoreBench) -> None:
        first = stores.person_creates(fields_of(stores))
        second = stores.person_creates(fields_of(stores, "Second"))
        link_to(stores, first, "ev1")
        kept = link_to(stores, first, "ev2", calendar_id=OTHER_CAL)
        save = a_link_save(stores, listed("ev1", fields_of(stores, "Second")), second)
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(links=[save])) == []
        assert [(x.event_id, x.meeting_id) for x in stores.links.links(calendar_id=CAL)] == [
            ("ev1", second)
        ]
        assert stores.links.links(calendar_id=OTHER_CAL) == [kept]

    def test_a_pages_conflicts_are_recorded(self, stores: StoreBench) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        conflict = Conflict("subject", "Kick-off", "CRM title", "Google title", "google")
        store = stores.inbound()
        with store.transaction():
            assert store.write_page(PageWrites(conflicts=[(meeting_id, [conflict])])) == []
        assert stores.conflicts() == [meeting_id]

    def test_a_pages_writes_are_all_or_none(self, stores: StoreBench) -> None:
        """A page that fails half-way leaves nothing of itself (its token is not saved)."""
        store = stores.inbound()
        with contextlib.suppress(RuntimeError), store.transaction():
            store.write_page(PageWrites(creates=[a_new_meeting(stores, "ev1")]))
            raise RuntimeError("the page failed after its bulk create")
        assert by_import_key(stores, f"{CAL}/ev1") == []
        assert stores.links.links(calendar_id=CAL) == []

    # -- note_etag, drop_link ----------------------------------------------------------------

    def test_note_etag_changes_the_etag_only(self, stores: StoreBench) -> None:
        """A deletion made in Google waits for the outbound pass: the link keeps the agreed
        fields and learns Google's etag."""
        meeting_id = stores.person_creates(fields_of(stores))
        link = link_to(stores, meeting_id, "ev1")
        there = link_to(stores, meeting_id, "ev1", calendar_id=OTHER_CAL)
        stores.inbound().note_etag("ev1", '"77"')
        assert stores.links.links(calendar_id=CAL) == [replace(link, etag='"77"')]
        assert stores.links.links(calendar_id=OTHER_CAL) == [there]
        stores.inbound().note_etag("unknown", '"78"')
        assert stores.links.links(calendar_id=CAL) == [replace(link, etag='"77"')]

    def test_drop_link_drops_this_calendars_link_of_the_event(self, stores: StoreBench) -> None:
        one = stores.person_creates(fields_of(stores))
        two = stores.person_creates(fields_of(stores, "Two"))
        link_to(stores, one, "ev1")
        kept = link_to(stores, two, "ev2")
        there = link_to(stores, one, "ev1", calendar_id=OTHER_CAL)
        stores.inbound().drop_link("ev1")
        stores.inbound().drop_link("unknown")
        assert stores.links.links(calendar_id=CAL) == [kept]
        assert stores.links.links(calendar_id=OTHER_CAL) == [there]

    # -- deleted_already, synced, hold -------------------------------------------------------

    def test_deleted_already_is_true_for_a_tombstone_or_no_meeting(
        self, stores: StoreBench
    ) -> None:
        live = stores.person_creates(fields_of(stores))
        gone = stores.person_creates(fields_of(stores, "Gone"))
        stores.person_deletes(gone)
        store = stores.inbound()
        assert store.deleted_already(live) is False
        assert store.deleted_already(gone) is True
        assert store.deleted_already(UNKNOWN_MEETING) is True

    def test_synced_counts_this_calendars_links(self, stores: StoreBench) -> None:
        assert stores.inbound().synced() == 0
        one = stores.person_creates(fields_of(stores))
        two = stores.person_creates(fields_of(stores, "Two"))
        link_to(stores, one, "ev1")
        link_to(stores, two, "ev2")
        link_to(stores, one, "ev3", calendar_id=OTHER_CAL)
        assert stores.inbound().synced() == 2
        assert stores.inbound(OTHER_CAL).synced() == 1

    def test_hold_puts_the_meetings_in_the_users_question(self, stores: StoreBench) -> None:
        one = stores.person_creates(fields_of(stores))
        two = stores.person_creates(fields_of(stores, "Two"))
        stores.inbound().hold("Many meetings were deleted in Google.", [one, two])
        assert stores.held() == [one, two]

    # -- ahead -------------------------------------------------------------------------------

    def test_ahead_yields_the_listings_pages_in_order(self, stores: StoreBench) -> None:
        pages = [f"page {n}" for n in range(4)]
        assert list(stores.inbound().ahead(iter(pages))) == pages
