"""The store contracts bound to the database's stores production runs the one driver over:
``DjangoInboundStore`` (tandem/sync/engine/inbound.py, with adapters/page_lookup.py) and
``DjangoOutboundStore`` (engine/outbound.py) and ``DjangoSettingsStore``
(engine/settings_changes.py), on the test database.

The outbound store is bound once per look its candidate queries take: the full look
(``force_full_outbound``, as after a settings change), the full look in a run whose inbound
passes wrote links, the look of a user's first runs (no clean run yet: every changed link),
and the look of an ordinary run, narrowed to the meetings changed since the user's last
clean run (one recorded just before the test). Each must find every candidate.
"""

from __future__ import annotations

import threading
import uuid
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import msgspec
import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.google.calendar import EventsPage
from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_cancel, occurrence_change
from tandem.meetings.services import (
    meeting_create,
    meeting_delete,
    meeting_restore,
    meeting_update,
)
from tandem.sync.adapters.crm import DjangoCrm, meeting_input
from tandem.sync.adapters.links import DjangoLinks
from tandem.sync.core.fields import MeetingFields
from tandem.sync.core.identity import event_id_for_meeting
from tandem.sync.core.state import Link
from tandem.sync.core.stores import PageWrites
from tandem.sync.engine.context import CalendarPlan, RunContext
from tandem.sync.engine.inbound import DjangoInboundStore
from tandem.sync.engine.outbound import DjangoOutboundStore
from tandem.sync.engine.settings_changes import DjangoSettingsStore
from tandem.sync.models import EventLink, SyncConflict, SyncRun
from tests.contract.inbound_store import InboundStoreContract, a_new_meeting
from tests.contract.outbound_store import OutboundStoreContract
from tests.contract.settings_store import SettingsStoreContract
from tests.contract.store_bench import (
    CAL,
    OTHER_CAL,
    fields_of,
    imported,
    link_to,
    listed,
    meeting,
    weekly,
)
from tests.contract.values import ZONE

pytestmark = pytest.mark.django_db(transaction=True)

GOOGLE_SUB = "108518920735377711111"


@dataclass
class DjangoStoreBench:
    user: User
    ctx: RunContext
    crm: DjangoCrm
    links: DjangoLinks
    # The page rolls back. On PostgreSQL the bulk writes go through COPY on psycopg's own
    # cursor (tandem/bulk.py), whose errors Django does not wrap.
    refusals: tuple[type[BaseException], ...] = (IntegrityError, psycopg.IntegrityError)

    @property
    def namespace(self) -> str:
        return self.ctx.namespace

    @property
    def window_start(self) -> datetime:
        return self.ctx.window_start

    def inbound(self, calendar_id: str = CAL) -> DjangoInboundStore:
        return DjangoInboundStore(
            self.ctx, CalendarPlan(calendar_id, "owner", inbound=True, target=calendar_id == CAL)
        )

    def outbound(self, calendar_id: str = CAL, *, target: bool = True) -> DjangoOutboundStore:
        plan = CalendarPlan(calendar_id, "owner", inbound=True, target=target)
        return DjangoOutboundStore(self.ctx, plan)

    def settings(self, *, synced: set[str], target: str) -> DjangoSettingsStore:
        return DjangoSettingsStore(replace(self.ctx, target_calendar_id=target), synced=synced)

    def person_creates(self, fields: MeetingFields, *, read_only: bool = False) -> int:
        data = meeting_input(fields, all_day_zone=ZONE)
        return meeting_create(owner=self.user, data=data, read_only=read_only).pk

    def this_runs_inbound_pass_begins(self) -> None:
        # Only the full look after the inbound passes (its binding sets the start) reads
        # when they began; the other looks do not depend on it.
        if self.ctx.inbound_started_at is not None:
            self.ctx.inbound_started_at = timezone.now()

    def person_edits(self, meeting_id: int, fields: MeetingFields) -> None:
        meeting = Meeting.objects.get(pk=meeting_id)
        meeting_update(meeting=meeting, data=meeting_input(fields, all_day_zone=ZONE))

    def person_deletes(self, meeting_id: int) -> None:
        meeting_delete(meeting=Meeting.objects.get(pk=meeting_id))

    def person_restores(self, meeting_id: int) -> None:
        meeting_restore(meeting=Meeting.objects.get(pk=meeting_id))

    def person_changes_occurrence(self, series_id: int, n: int, fields: MeetingFields) -> int:
        series = Meeting.objects.get(pk=series_id)
        data = meeting_input(fields, all_day_zone=ZONE)
        return occurrence_change(series=series, original_start=self._start(series, n), data=data).pk

    def person_cancels_occurrence(self, series_id: int, n: int) -> int:
        series = Meeting.objects.get(pk=series_id)
        return occurrence_cancel(series=series, original_start=self._start(series, n)).pk

    @staticmethod
    def _start(series: Meeting, n: int) -> datetime:
        zone = zoneinfo.ZoneInfo(series.time_zone)
        return (series.start.astimezone(zone) + timedelta(weeks=n)).astimezone(UTC)

    def held(self) -> list[int]:
        return [held.meeting_id for held in self.ctx.report.held]

    def conflicts(self) -> list[int]:
        rows = SyncConflict.objects.filter(owner=self.user).order_by("pk")
        return list(rows.values_list("meeting_id", flat=True))


def store_bench(username: str, *, full_look: bool = True) -> DjangoStoreBench:
    user = User.objects.create_user(username, email=f"{username}@example.com")
    ctx = RunContext(
        user=user,
        google_sub=GOOGLE_SUB,
        client=None,  # type: ignore[arg-type]  # the stores never call Google
        namespace="contract",
        now=timezone.now(),
        sync_private=False,
        target_calendar_id=CAL,
        all_day_zone=ZONE,
        force_full_outbound=full_look,
    )
    crm = DjangoCrm(user=user, all_day_zone=ZONE, window_start=ctx.window_start)
    return DjangoStoreBench(user, ctx, crm, DjangoLinks(user=user, google_sub=GOOGLE_SUB))


def old_account_link(
    stores: DjangoStoreBench, meeting_id: int, *, calendar_id: str = "old@example.com"
) -> None:
    """The meeting linked under the Google account the user was connected to before."""
    now = meeting(stores, meeting_id)
    DjangoLinks(user=stores.user, google_sub="an-earlier-account").save_link(
        Link(calendar_id, meeting_id, "old1", now.fields, '"1"', now.version, "crm")
    )


class TestDjangoInboundStore(InboundStoreContract):
    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def stores(self) -> Iterator[DjangoStoreBench]:
        yield store_bench("ann")

    # Beyond the contract: what only a database with many users can get wrong.

    def test_a_marker_naming_another_users_meeting_is_theirs(
        self, stores: DjangoStoreBench
    ) -> None:
        """Someone else connected to the same Google account pushed the event: for this user
        it is like anyone else's (pairing.py)."""
        theirs = store_bench("bob").person_creates(fields_of(stores))
        page = [listed("ev1", fields_of(stores), marker=theirs)]
        found = stores.inbound().lookup(page, lookups=True)
        assert found.others == {theirs}
        assert theirs not in found.meetings

    def test_another_users_links_and_imports_are_not_looked_up(
        self, stores: DjangoStoreBench
    ) -> None:
        bob = store_bench("bob")
        link_to(bob, bob.person_creates(fields_of(bob)), "ev1")
        bob.crm.create_meeting(fields=fields_of(bob), import_key=f"{CAL}/ev2", read_only=False)
        page = [listed("ev1", fields_of(stores)), listed("ev2", fields_of(stores))]
        found = stores.inbound().lookup(page, lookups=True)
        assert (found.links, found.imports, found.meetings) == ({}, {}, {})
        assert stores.inbound().pairs_exist() is False

    def test_a_link_of_an_earlier_account_does_not_make_a_marker_a_copy(
        self, stores: DjangoStoreBench
    ) -> None:
        """Connected to another account, the user's meetings are pushed to it afresh (links
        are per account, models.py): our event there, its link never saved, pairs by its
        marker with its meeting, not as a copy of an event of the earlier account."""
        meeting_id = stores.person_creates(fields_of(stores))
        old_account_link(stores, meeting_id)
        assert stores.outbound().unpushed()[0].meeting_id == meeting_id
        page = [listed("ours1", fields_of(stores), marker=meeting_id)]
        found = stores.inbound().lookup(page, lookups=True)
        assert meeting_id in found.meetings
        assert found.already_linked == set()

    def test_a_link_of_an_earlier_account_does_not_hide_our_event_id(
        self, stores: DjangoStoreBench
    ) -> None:
        meeting_id = stores.person_creates(fields_of(stores))
        old_account_link(stores, meeting_id)
        ours = event_id_for_meeting(stores.namespace, meeting_id)
        found = stores.inbound().lookup([listed(ours, fields_of(stores))], lookups=True)
        assert found.ours == {ours: meeting_id}

    def test_ids_of_our_shape_from_other_tools_read_the_candidates_once_per_listing(
        self, stores: DjangoStoreBench
    ) -> None:
        """Other tools' ids may have our shape (a uuid4 in hex): the meetings that could
        own such an id are read and hashed once per listing, not on every page that holds
        one (with 20,000 meetings that was 85 ms of CPU a page)."""
        for number in range(3):
            stores.person_creates(fields_of(stores, subject=f"Meeting {number}"))
        inbound = stores.inbound()
        pages = [[listed(uuid.uuid4().hex, fields_of(stores))] for _ in range(3)]
        with CaptureQueriesContext(connection) as first:
            inbound.lookup(pages[0], lookups=False)
        with CaptureQueriesContext(connection) as later:
            inbound.lookup(pages[1], lookups=False)
            inbound.lookup(pages[2], lookups=False)

        def candidates(queries: list[dict[str, str]]) -> int:
            # The candidates: the user's meetings with no link (NOT IN) and no import key.
            return sum(
                '"import_key" IS NULL' in query["sql"] and " NOT " in query["sql"]
                for query in queries
            )

        assert (candidates(first.captured_queries), candidates(later.captured_queries)) == (1, 0)

    def test_an_event_listed_without_its_ical_uid_keeps_the_one_its_link_had(
        self, stores: DjangoStoreBench
    ) -> None:
        """The link's iCalUID pairs one event seen in two calendars (the page lookup): an
        event relinked to a new meeting (its old one is gone) keeps the iCalUID its link had
        when the listing leaves it out; a new event without one gets none."""
        gone = stores.person_creates(fields_of(stores, "Old"))
        link_to(stores, gone, "ev1")
        EventLink.objects.filter(owner=stores.user, event_id="ev1").update(ical_uid="kept@x")
        store = stores.inbound()
        store.lookup(
            [listed("ev1", fields_of(stores)), listed("ev2", fields_of(stores))], lookups=True
        )
        relinked = msgspec.structs.replace(a_new_meeting(stores, "ev1"), ical_uid="", relinks=True)
        fresh = msgspec.structs.replace(a_new_meeting(stores, "ev2"), ical_uid="")
        with store.transaction():
            assert store.write_page(PageWrites(creates=[relinked, fresh])) == []
        links = EventLink.objects.filter(owner=stores.user).order_by("event_id")
        assert list(links.values_list("event_id", "ical_uid")) == [("ev1", "kept@x"), ("ev2", "")]

    @pytest.mark.parametrize("count", [1, 3])
    def test_a_listing_of_one_page_is_read_without_a_read_ahead_thread(
        self, stores: DjangoStoreBench, count: int
    ) -> None:
        """The page Google marks as the last (no nextPageToken) ends the read-ahead: an
        idle run's one page is read in the run's own thread, no thread started for it
        (docs/benchmarks.md, idle run CPU); a longer listing reads its others ahead.
        ``readers``: the thread that asked for each page, then the one that found the end."""
        readers: list[str] = []

        def listing() -> Iterator[EventsPage]:
            for number in range(1, count + 1):
                readers.append(threading.current_thread().name)
                token = None if number == count else f"page{number + 1}"
                yield EventsPage([], token, "sync1" if token is None else None, "owner")
            readers.append(threading.current_thread().name)

        assert len(list(stores.inbound().ahead(listing()))) == count
        here = threading.current_thread().name
        assert readers == ([here, here] if count == 1 else [here] + ["sync-prefetch"] * count)


class DjangoOutboundBinding(OutboundStoreContract):
    """What every look of the database's outbound store must also get right."""

    violations: ClassVar[dict[str, str]] = {}

    def test_another_users_meetings_are_never_candidates(self, stores: DjangoStoreBench) -> None:
        bob = store_bench("bob")
        link_to(bob, bob.person_creates(fields_of(bob)), "ev1", leaving=True)
        bob.person_creates(fields_of(bob))
        bob.crm.create_meeting(fields=fields_of(bob), import_key=f"{CAL}/ev2", read_only=False)
        store = stores.outbound()
        assert store.linked_candidates() == []
        assert store.restored_imports() == []
        assert store.unpushed() == []

    def test_with_no_occurrence_rows_the_look_is_one_query(self, stores: DjangoStoreBench) -> None:
        """An idle run: the partial index of occurrence rows, however many meetings."""
        series = stores.person_creates(weekly(stores))
        link_to(stores, series, "series1", origin="crm")
        stores.person_creates(fields_of(stores))
        store = stores.outbound()
        with CaptureQueriesContext(connection) as queries:
            assert store.unpushed_occurrences() == []
        assert len(queries.captured_queries) == 1

    def test_another_users_occurrence_rows_are_not_unpushed(self, stores: DjangoStoreBench) -> None:
        bob = store_bench("bob")
        series = bob.person_creates(weekly(bob))
        link_to(bob, series, "series1", origin="crm")
        bob.person_cancels_occurrence(series, 1)
        assert len(bob.outbound().unpushed_occurrences()) == 1
        assert stores.outbound().unpushed_occurrences() == []


class TestDjangoOutboundStoreFullLook(DjangoOutboundBinding):
    """A settings change: ``force_full_outbound``, every link of the calendar."""

    @pytest.fixture
    def stores(self) -> Iterator[DjangoStoreBench]:
        yield store_bench("ann", full_look=True)


class TestDjangoOutboundStoreFullLookAfterInbound(DjangoOutboundBinding):
    """A full look in a run whose inbound passes began after the contract's rows were
    written (``inbound_started_at``): the contract holds for every row written before.
    Beyond it: what the inbound pass (or the person, meanwhile) wrote since is left alone."""

    @pytest.fixture
    def stores(self) -> Iterator[DjangoStoreBench]:
        bench = store_bench("ann", full_look=True)
        bench.ctx.inbound_started_at = timezone.now() + timedelta(days=1)
        yield bench

    def test_what_was_written_since_the_inbound_pass_began_is_left_to_the_next_run(
        self, stores: DjangoStoreBench
    ) -> None:
        """One plan per item per run: a link the inbound pass wrote was planned by it (even
        one whose meeting's version moved on), the meetings it imported are linked, and a
        meeting the person made meanwhile is found by the next run's look at the changes.
        A first import is then not read three more times after its last page."""
        changed = stores.person_creates(fields_of(stores))
        link_to(stores, changed, "ev1")
        stores.person_edits(changed, fields_of(stores, "Renamed"))
        restored = imported(stores, "ev2").meeting_id
        made = stores.person_creates(fields_of(stores, "Made meanwhile"))
        stores.ctx.inbound_started_at = timezone.now() - timedelta(minutes=5)
        store = stores.outbound()
        assert store.linked_candidates() == []
        assert store.restored_imports() == []
        assert store.unpushed() == []
        # The same rows before the inbound pass began: all three looked at.
        stores.ctx.inbound_started_at = timezone.now() + timedelta(minutes=5)
        store = stores.outbound()
        assert [crm.meeting_id for _, crm in store.linked_candidates()] == [changed]
        assert [crm.meeting_id for crm, _ in store.restored_imports()] == [restored]
        assert [crm.meeting_id for crm in store.unpushed()] == [made]

    def test_a_leaving_link_written_since_the_inbound_pass_began_is_looked_at(
        self, stores: DjangoStoreBench
    ) -> None:
        """Leaving Google is the outbound pass's work, whoever saved the intent."""
        leaving = stores.person_creates(fields_of(stores))
        link_to(stores, leaving, "ev1", leaving=True, origin="crm")
        stores.ctx.inbound_started_at = timezone.now() - timedelta(minutes=5)
        assert [crm.meeting_id for _, crm in stores.outbound().linked_candidates()] == [leaving]


class TestDjangoOutboundStoreFirstRuns(DjangoOutboundBinding):
    """No clean run yet: the full queries, for the links whose meeting changed."""

    @pytest.fixture
    def stores(self) -> Iterator[DjangoStoreBench]:
        yield store_bench("ann", full_look=False)


class TestDjangoOutboundStoreSinceLastRun(DjangoOutboundBinding):
    """An ordinary run: the candidate queries start from what changed since the user's
    last clean run (engine/outbound.py, ``_changed_meeting_ids``)."""

    @pytest.fixture
    def stores(self) -> Iterator[DjangoStoreBench]:
        bench = store_bench("ann", full_look=False)
        run = SyncRun.objects.create(owner=bench.user, status=SyncRun.Status.SUCCEEDED)
        bench.ctx.last_clean_started_at = run.started_at  # as engine/run.py reads it
        yield bench


class TestDjangoSettingsStore(SettingsStoreContract):
    """With a full look due (a settings change was saved since the last clean run)."""

    violations: ClassVar[dict[str, str]] = {}

    @pytest.fixture
    def stores(self) -> Iterator[DjangoStoreBench]:
        yield store_bench("ann", full_look=True)

    # Beyond the contract: what only the database narrows, and its other users.

    def test_without_a_full_look_no_link_is_looked_at_outside_the_target(
        self, stores: DjangoStoreBench
    ) -> None:
        """Only a saved settings change puts our events outside the target, and it makes
        the runs look at everything until one succeeds: an idle run skips the scan."""
        away = stores.person_creates(fields_of(stores))
        link_to(stores, away, "ev1", calendar_id=OTHER_CAL, origin="crm")
        stores.ctx.force_full_outbound = False
        assert stores.settings(synced={CAL}, target=CAL).outside_target() == []

    def test_our_events_outside_the_target_are_read_in_a_fixed_number_of_queries(
        self, stores: DjangoStoreBench
    ) -> None:
        """The scan after a new target reads the links with their meetings, not one query
        per meeting (a user may have thousands)."""
        store = stores.settings(synced={CAL, OTHER_CAL}, target=CAL)

        def queries_for(count: int) -> int:
            while len(store.outside_target()) < count:
                away = stores.person_creates(fields_of(stores))
                link_to(stores, away, f"ev{away}", calendar_id=OTHER_CAL, origin="crm")
            with CaptureQueriesContext(connection) as scan:
                assert len(store.outside_target()) == count
            return len(scan.captured_queries)

        assert queries_for(1) == queries_for(4)

    def test_links_of_an_earlier_google_account_are_left_alone(
        self, stores: DjangoStoreBench
    ) -> None:
        """Connected to another Google account since, the user keeps the links to the earlier
        account's events as they are (accounts/google_services.py): the new account's
        settings move none of them to its target, nor read them as an un-picked calendar's."""
        away = stores.person_creates(fields_of(stores))
        old_account_link(stores, away, calendar_id=OTHER_CAL)
        store = stores.settings(synced={CAL}, target=CAL)
        assert (store.outside_target(), store.links_of(OTHER_CAL)) == ([], [])

    def test_another_users_links_state_and_imports_are_left_alone(
        self, stores: DjangoStoreBench
    ) -> None:
        bob = store_bench("bob")
        link_to(bob, bob.person_creates(fields_of(bob)), "ev1", calendar_id=OTHER_CAL, origin="crm")
        bob.links.save_sync_token(calendar_id=OTHER_CAL, token="bob's")
        theirs = imported(bob, "ev2", calendar_id=OTHER_CAL)
        store = stores.settings(synced={CAL}, target=CAL)
        assert (store.outside_target(), store.unpicked(), store.links_of(OTHER_CAL)) == ([], [], [])
        store.forget_calendar(OTHER_CAL)
        assert bob.links.sync_token(calendar_id=OTHER_CAL) == "bob's"
        assert meeting(bob, theirs.meeting_id).import_key == f"{OTHER_CAL}/ev2"
