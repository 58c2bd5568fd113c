"""A series deleted in Google while the CRM changed one of its occurrences, against the
database and the emulator, when the occurrence changes again during the run.

The run detaches the changed occurrence (``meetings.services.occurrence_detach``) before
the series' deletion takes the series' rows along (docs/sync-rules.md, "Recurring
events"). A row linked to its instance, which Google lists cancelled with its series, is
planned at the end of the listing with the row's version as read then, and detached with
the listing's deletions; a row that changed in between refuses it (core/inbound.py
``_apply_deletes``). A real person's save lands there only on PostgreSQL (SQLite's writer
holds the whole database from the page's first write); a database trigger makes it land
on both. Then the series' deletion
waits for the next run (it would take the row, and the CRM's edit, along), the listing's
token is not saved, and the run's outbound pass leaves the row alone: pushed back onto its
cancelled instance it would restore an occurrence of a deleted series. The in-memory twin
is tests/sync_core/test_series_deleted_in_google.py.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from django.test import Client

from tandem.meetings.models import Meeting
from tandem.meetings.occurrence_edits import occurrence_change
from tandem.sync.models import EventLink, SyncRun
from tests.sync.harness import (
    SyncWorld,
    connect_user,
    crm_edit,
    meeting_trigger,
    run_clean,
    run_sync,
)
from tests.sync.test_found_by_machine import (
    _google_singles,
    _moved,
    _next_run_writes_nothing,
    _starts,
    _weekly_in_google,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(google_in_process, client: Client) -> SyncWorld:  # type: ignore[no-untyped-def]
    return connect_user(google_in_process, client)


def other_row_changes_at_a_detach(
    *, series_id: int, rows: tuple[int, int]
) -> AbstractContextManager[None]:
    """A person's save of one of ``rows`` during the run, after the run planned its detach:
    when the run detaches one of them (its series emptied), a trigger of the database gives
    the other location "Room 5" and a new version, as ``meeting_update`` does."""
    first, second = (int(pk) for pk in rows)
    return meeting_trigger(
        event="UPDATE OF series_id",
        when=f"OLD.series_id = {int(series_id)} AND NEW.series_id IS NULL",
        statement=(
            f"UPDATE {Meeting._meta.db_table} SET version = version + 1, location = 'Room 5' "
            f"WHERE id IN ({first}, {second}) AND id <> NEW.id AND series_id IS NOT NULL"
        ),
    )


def test_an_occurrence_changed_during_the_run_holds_its_series_deletion_until_the_next_run(
    world: SyncWorld,
) -> None:
    """A weekly series from Google; the CRM user changes its second and third occurrences,
    synced (each row linked to its instance), and edits both again; the person deletes the
    series in Google. Google lists the rows' instances cancelled with it, so the run plans
    each detach with the row's version at the end of the listing. The first detach goes
    through; then the other row changes (the trigger) and its detach is refused. So the
    series stays in the CRM with its link, that row keeps its edits, Google's instance of
    it stays cancelled (the outbound pass did not push the row back into the deleted
    series), and the run says the row waits. The next run detaches it and deletes the
    series: both occurrences stand alone on both sides with their latest edits."""
    event, series = _weekly_in_google(world, count=4)
    starts = _starts(series)
    rows = {
        subject: occurrence_change(series=series, original_start=start, data=_moved(start, subject))
        for subject, start in (("Second", starts[1]), ("Third", starts[2]))
    }
    run_clean(world)
    instances = {
        subject: EventLink.objects.get(meeting=row).event_id for subject, row in rows.items()
    }
    for row in rows.values():
        crm_edit(row, location="Room 4")
    world.google.delete_event(world.primary, event["id"])

    pks = (rows["Second"].pk, rows["Third"].pk)
    with other_row_changes_at_a_detach(series_id=series.pk, rows=pks):
        outcome = run_sync(world)

    assert outcome.run is not None and outcome.run.status == SyncRun.Status.FAILED
    (error,) = outcome.run.errors
    (held,) = [subject for subject, row in rows.items() if row.pk == error["meeting_id"]]
    series.refresh_from_db()
    assert series.deleted_at is None and EventLink.objects.filter(meeting=series).exists()
    for subject, row in rows.items():
        row.refresh_from_db()
        if subject == held:
            assert (row.deleted_at, row.series_id, row.location) == (None, series.pk, "Room 5")
        else:
            assert (row.deleted_at, row.series_id, row.location) == (None, None, "Room 4")
    assert world.google.get_event(world.primary, instances[held])["status"] == "cancelled"

    run_clean(world)

    series.refresh_from_db()
    assert series.deleted_at is not None and not EventLink.objects.filter(meeting=series)
    shown = {e["summary"]: e for e in _google_singles(world)}
    assert sorted(shown) == ["Second", "Third"]
    for subject, row in rows.items():
        row.refresh_from_db()
        location = "Room 5" if subject == held else "Room 4"
        assert (row.deleted_at, row.series_id, row.location) == (None, None, location)
        link = EventLink.objects.get(meeting=row)
        assert link.origin == "crm" and link.event_id == shown[subject]["id"]
        assert shown[subject]["location"] == location
        assert "recurringEventId" not in shown[subject]
    _next_run_writes_nothing(world)
