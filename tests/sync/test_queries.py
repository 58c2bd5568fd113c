"""SQL queries of an import: a constant per page of events, never a number per event.

An import of a Google calendar is counted with Django's CaptureQueriesContext around the
whole run (lock, listing, planning, writes, outbound look, run record). Google pages
events.list by 2,500 (maxResults), so runs with the same number of pages must make the same
number of queries however many events those pages hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tandem.accounts.google_services import (
    SettingsChoice,
    calendars_refresh,
    connection_for,
    sync_settings_save,
)
from tandem.meetings.models import Meeting
from tandem.sync.engine import sync_user_now
from tandem.sync.engine.context import installation_namespace
from tandem.sync.tasks import sync_scheduled_users
from tests.conftest import IN_PROCESS_BASE_URL, GoogleHarness

CAL = "https://www.googleapis.com/auth/calendar"
PAGE = 2500  # the engine's maxResults
# The backend's transaction control, and a run's records' commit mode (run_records.py).
TRANSACTION_CONTROL = (
    "BEGIN",
    "COMMIT",
    "SAVEPOINT",
    "RELEASE SAVEPOINT",
    "ROLLBACK",
    "SET LOCAL synchronous_commit",
    "SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL",
)
WRITES = ("INSERT", "UPDATE", "DELETE")

pytestmark = pytest.mark.django_db(transaction=True)


def _seed(harness: GoogleHarness, email: str, count: int) -> None:
    """``count`` timed events in the account's primary calendar, a thousand per batch."""
    token = harness.emulator.mint_access_token(email=email, scopes=[CAL])
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with httpx.Client(
        transport=harness.emulator.transport(),
        base_url=IN_PROCESS_BASE_URL,
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        for first in range(0, count, 1000):
            parts = []
            for n in range(first, min(first + 1000, count)):
                begins = start + timedelta(hours=n)
                body = {
                    "summary": f"Call {n}",
                    "description": f"Agenda {n}",
                    "start": {"dateTime": begins.isoformat(), "timeZone": "Europe/Berlin"},
                    "end": {"dateTime": (begins + timedelta(minutes=30)).isoformat()},
                }
                parts.append(
                    f"--b\r\nContent-Type: application/http\r\n\r\n"
                    "POST /calendar/v3/calendars/primary/events HTTP/1.1\r\n"
                    f"Content-Type: application/json\r\n\r\n{json.dumps(body)}\r\n"
                )
            answer = api.post(
                "/batch/calendar/v3",
                content="".join(parts) + "--b--\r\n",
                headers={"Content-Type": "multipart/mixed; boundary=b"},
            )
            assert answer.status_code == 200 and "HTTP/1.1 4" not in answer.text


def _import_queries(harness: GoogleHarness, *, name: str, events: int) -> tuple[int, int]:
    """A new user whose new Google account holds ``events`` events runs a first sync;
    returns (SQL queries of that run, events.list pages it read)."""
    queries, pages = _import_statements(harness, name=name, events=events)
    return len(queries), pages


def _import_statements(harness: GoogleHarness, *, name: str, events: int) -> tuple[list[str], int]:
    """``_import_queries``, with the statements' SQL."""
    email = f"{name}@example.com"
    harness.emulator.create_account(email=email, name=name.title())
    user = User.objects.create_user(name, password="pw")
    browser = Client()
    browser.force_login(user)
    harness.connect(browser, account=email)
    google = connection_for(user=user)
    calendars_refresh(connection=google)
    sync_settings_save(
        connection=google,
        choice=SettingsChoice(
            inbound_calendar_ids=[email], target_calendar_id=email, sync_private=False
        ),
    )
    _seed(harness, email, events)
    log_mark = len(harness.emulator.request_log)
    with CaptureQueriesContext(connection) as queries:
        outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == "succeeded", outcome.run.errors
    assert Meeting.objects.filter(owner=user).count() == events
    pages = [
        entry
        for entry in harness.emulator.request_log[log_mark:]
        if entry.method == "GET" and entry.path.endswith("/events")
    ]
    return [query["sql"] for query in queries.captured_queries], len(pages)


@pytest.fixture
def harness(google_in_process: GoogleHarness) -> GoogleHarness:
    installation_namespace()  # created once per installation: not part of any import
    return google_in_process


def test_one_page_costs_the_same_queries_for_3_events_as_for_2400(harness):
    """Importing a calendar of 3 events and one of 2,400 (one page each) makes exactly the
    same number of queries: meetings (with their import keys) and links are written per
    page."""
    small, small_pages = _import_queries(harness, name="few", events=3)
    large, large_pages = _import_queries(harness, name="many", events=2400)
    assert small_pages == large_pages == 1
    assert large == small


def test_each_further_page_adds_the_same_fixed_number_of_queries(harness):
    """Two-page imports of 2,501 and of 4,900 events make the same number of queries, and
    that second page costs a fixed handful more than a one-page import."""
    one_page, one = _import_queries(harness, name="single", events=10)
    short_tail, two = _import_queries(harness, name="tail", events=PAGE + 1)
    long_tail, two_again = _import_queries(harness, name="full", events=2 * PAGE - 100)
    assert (one, two, two_again) == (1, 2, 2)
    assert short_tail == long_tail
    per_page = short_tail - one_page
    assert 0 < per_page <= 12, f"a page costs {per_page} queries"


def test_the_first_calendars_import_looks_up_no_icaluid_page_by_page(harness):
    """An event linked in another of the user's calendars (same iCalUID) is one meeting,
    looked up per page; a user whose account has no link elsewhere, as on the import of the
    first calendar, is asked that once per listing, and the pages skip the lookup."""
    statements, pages = _import_statements(harness, name="uids", events=PAGE + 1)
    assert pages == 2
    assert not [sql for sql in statements if '"ical_uid" IN' in sql]
    asked = [
        sql
        for sql in statements
        if sql.startswith('SELECT 1 AS "a" FROM "sync_eventlink"') and "NOT (" in sql
    ]
    assert len(asked) == 1, asked


def test_an_idle_run_makes_the_same_few_statements_at_3_and_600_meetings(harness):
    """Issue 11: an idle run costs the same whatever the user holds, and little. Its SQL
    starts from what changed since the last clean run, and what every run starts from (the
    connection, its settings, preferences and sync state, the namespace, the last clean
    run, the requests of the last minute for the budget) is one statement: 18 statements
    before that, 14 after (and SQLite's BEGIN); 11 since the calendars' sync states are read
    once per run, the listing asks whether the calendar has pairs only when a page has
    events, and the budget's figures come with the run's first statement; 10 since the
    run's last UPDATE also gives the lock back. A scheduled run through its Celery task adds
    none (issue 11, sixth session: the task's own statements folded into the run's). On
    PostgreSQL a run's two record transactions each set their commit mode (run_records.py),
    counted as transaction control."""
    statements = []
    for name, events in (("idlefew", 3), ("idlemany", 600)):
        _import_queries(harness, name=name, events=events)
        user = User.objects.get(username=name)
        # The run after the import still looks at the meetings the import wrote (changed
        # since the last clean run began); the one after that is idle.
        with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
            sync_user_now(user_id=user.pk)
        later = timezone.now() + timedelta(minutes=10)
        with time_machine.travel(later, tick=True), CaptureQueriesContext(connection) as queries:
            outcome = sync_user_now(user_id=user.pk)
        assert outcome.run is not None and outcome.run.status == "succeeded"
        assert outcome.run.requests == 1 and not any(outcome.counts.values())
        statements.append(_without_transaction_control(queries))
        with (
            time_machine.travel(later + timedelta(minutes=10), tick=True),
            CaptureQueriesContext(connection) as queries,
        ):
            assert sync_scheduled_users.run(user_ids=[user.pk])["synced"] == 1
        assert _without_transaction_control(queries) == statements[-1]
    assert statements[0] == statements[1] <= 10, statements


def test_an_idle_run_writes_in_three_transactions(harness):
    """Issue 11, seventh session: a PostgreSQL commit waits for the disk, most of an idle
    run's wall time. An idle run writes in three transactions: its start (the lock and the
    run's record), its calendar's listing (the sync token), its end (the run's record, the
    user's state and the lock given back). Five before: the lock, the record, the listing,
    the record again and the state, each on its own."""
    _import_queries(harness, name="idlecommits", events=3)
    user = User.objects.get(username="idlecommits")
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=True):
        sync_user_now(user_id=user.pk)
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True),
        _write_transactions() as transactions,
        CaptureQueriesContext(connection) as queries,
    ):
        outcome = sync_user_now(user_id=user.pk)
    assert outcome.run is not None and outcome.run.status == "succeeded"
    assert not any(outcome.counts.values())
    if connection.vendor == "postgresql":
        # Each commits without waiting for the disk (run_records.py): the records' two
        # transactions set it, and the listing's, having written nothing before its token.
        sql = [query["sql"] for query in queries.captured_queries]
        saved = next(n for n, text in enumerate(sql) if '"sync_calendarsyncstate" SET' in text)
        assert sql[saved - 1].startswith(TRANSACTION_CONTROL[-1])
        assert sum(text.startswith(TRANSACTION_CONTROL[-2]) for text in sql) == 2
    table = re.compile(r'(?:INTO|UPDATE|FROM) ("\w+")')
    tables = [[table.search(sql)[1] for sql in writes] for writes in transactions]
    assert tables == [
        ['"sync_usersyncstate"', '"sync_syncrun"'],
        ['"sync_calendarsyncstate"'],
        ['"sync_syncrun"', '"sync_usersyncstate"'],
    ]


@contextmanager
def _write_transactions() -> Iterator[list[list[str]]]:
    """The write statements of the block grouped by the transaction that committed them: a
    statement outside ``transaction.atomic`` commits alone (autocommit), one inside commits
    with its outermost block (Django calls ``connection.commit`` as that block exits)."""
    transactions: list[list[str]] = []
    open_writes: list[str] = []
    commit = connection.commit

    def counted_commit() -> None:
        commit()
        if open_writes:
            transactions.append(list(open_writes))
            open_writes.clear()

    def note(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(WRITES):
            if connection.in_atomic_block:
                open_writes.append(sql)
            else:
                transactions.append([sql])
        return result

    connection.commit = counted_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(note):
            yield transactions
    finally:
        del connection.commit  # the class's own again


def _without_transaction_control(queries: CaptureQueriesContext) -> int:
    # Transaction control is the backend's (SQLite's BEGIN IMMEDIATE and COMMIT).
    return sum(not q["sql"].startswith(TRANSACTION_CONTROL) for q in queries.captured_queries)
