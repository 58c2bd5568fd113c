"""What the database's outbound store (engine/outbound.py) costs in SQL, for each look its
candidate queries take (see test_django_stores.py): a settings change looks at every link
and every import of the calendar, thousands for some users, so each look reads the rows
with their meetings, never one query per meeting.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.sync.core.state import Link
from tandem.sync.engine.outbound import CHANGED_LOOK_MAX
from tandem.sync.models import SyncRun
from tests.contract.store_bench import CAL, fields_of, imported, link_to
from tests.contract.test_django_stores import DjangoStoreBench, store_bench

pytestmark = pytest.mark.django_db(transaction=True)


def bench_for(look: str) -> DjangoStoreBench:
    bench = store_bench("ann", full_look=look.startswith("full"))
    if look == "full after inbound":
        # The rows below are written before this run's inbound pass began.
        bench.ctx.inbound_started_at = timezone.now() + timedelta(days=1)
    if look == "since last run":
        run = SyncRun.objects.create(owner=bench.user, status=SyncRun.Status.SUCCEEDED)
        bench.ctx.last_clean_started_at = run.started_at  # as engine/run.py reads it
    return bench


@pytest.fixture(params=["full", "full after inbound", "first runs", "since last run"])
def stores(request: pytest.FixtureRequest) -> Iterator[DjangoStoreBench]:
    yield bench_for(request.param)


def test_linked_candidates_are_read_with_their_meetings_in_a_fixed_number_of_queries(
    stores: DjangoStoreBench,
) -> None:
    def queries_for(count: int) -> int:
        while len(stores.outbound().linked_candidates()) < count:
            leaving = stores.person_creates(fields_of(stores))
            link_to(stores, leaving, f"ev{leaving}", leaving=True, origin="crm")
        with CaptureQueriesContext(connection) as look:
            assert len(stores.outbound().linked_candidates()) == count
        return len(look.captured_queries)

    assert queries_for(1) == queries_for(4)


def test_restored_imports_are_read_with_their_meetings_in_a_fixed_number_of_queries(
    stores: DjangoStoreBench,
) -> None:
    def queries_for(count: int) -> int:
        for n in range(count - len(stores.outbound().restored_imports())):
            imported(stores, f"ev{count}_{n}")
        with CaptureQueriesContext(connection) as look:
            assert len(stores.outbound().restored_imports()) == count
        return len(look.captured_queries)

    assert queries_for(1) == queries_for(4)


def test_more_changed_meetings_than_the_narrow_look_takes_are_all_found() -> None:
    """A bulk edit of more than CHANGED_LOOK_MAX meetings since the last clean run: the look
    at the changes gives way to the full queries, which miss none of them."""
    stores = bench_for("since last run")
    edited = set()
    for _ in range(CHANGED_LOOK_MAX + 2):
        meeting_id = stores.person_creates(fields_of(stores))
        # Linked at an older version of the meeting: the CRM's edit is not pushed yet.
        stale = Link(CAL, meeting_id, f"ev{meeting_id}", fields_of(stores), '"1"', 0, "crm")
        stores.links.save_link(stale)
        edited.add(meeting_id)
    found = stores.outbound().linked_candidates()
    assert {crm.meeting_id for _, crm in found} == edited
