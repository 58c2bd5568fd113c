"""The scenarios: full import vs plain paging, an idle run, queries per page.

The engine always talks to the emulator over real loopback sockets with the HTTP client it
uses in production. ``import`` runs the emulator as a ``tandem fake-google`` process of its
own, as Google is another machine: paging and import are measured against the same server
the same way, and the emulator's work does not share this process's interpreter lock.
``idle`` and ``queries`` use ``FakeGoogle().serve()`` in this process (they count requests
and queries, not time).
"""

from __future__ import annotations

import cProfile
import gc
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sync_setup import (
    ACCOUNT,
    CLIENT_ID,
    CLIENT_SECRET,
    BenchUser,
    django_configure,
    emulator_process,
    events_seed,
    user_connect,
)

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

# Tables a sync must not write to when nothing changed.
CRM_TABLES = (
    '"meetings_meeting"',
    '"sync_eventlink"',
    '"sync_importedmeeting"',
    '"sync_syncconflict"',
)


@dataclass
class World:
    google: FakeGoogle
    user: BenchUser
    token: str


def emulator_new() -> FakeGoogle:
    google = FakeGoogle()
    google.register_client(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=["http://127.0.0.1/cb"]
    )
    google.create_account(email=ACCOUNT, name="Bench", time_zone="Europe/Berlin")
    return google


def google_api(google: FakeGoogle, token: str) -> httpx.Client:
    """The person's own Google client, in-process (seeding and edits, not measured)."""
    return httpx.Client(
        transport=google.transport(),
        base_url="http://fakegoogle.test",
        headers={"Authorization": f"Bearer {token}"},
    )


@contextmanager
def world(*, events: int) -> Iterator[World]:
    """A loopback emulator with ``events`` events, Django on a fresh database, a connected
    user who syncs that calendar."""
    google = emulator_new()
    with google.serve() as server:
        django_configure(emulator_url=server.base_url)
        token = google.mint_access_token(
            email=ACCOUNT, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID
        )
        with google_api(google, token) as api:
            events_seed(api, count=events)
        yield World(google=google, user=user_connect(access_token=token), token=token)


def page_through(user: BenchUser) -> tuple[float, int, int]:
    """Seconds, events and pages of one full listing through the engine's own client,
    doing nothing with the events: the floor an import cannot go below."""
    from django.utils import timezone

    from tandem.accounts.google_services import calendar_client_for
    from tandem.accounts.models import GoogleConnection
    from tandem.sync.engine.context import WINDOW

    connection = GoogleConnection.objects.get(user_id=user.user_id)
    time_min = (timezone.now() - WINDOW).isoformat(timespec="seconds")
    started = time.perf_counter()
    client = calendar_client_for(connection=connection)
    events = pages = 0
    for page in client.events_pages(user.calendar_id, time_min=time_min):
        events += len(page.items)
        pages += 1
    return time.perf_counter() - started, events, pages


def _log_since(google: FakeGoogle, mark: int) -> list[Any]:
    return list(google.request_log[mark:])


@dataclass
class LoggedRequest:
    method: str
    path: str
    query: str
    in_batch: bool


def _only_list_pages(entries: list[Any]) -> bool:
    """Every request is an events.list page (no per-event GET, no write)."""
    return all(
        entry.method == "GET" and entry.path.endswith("/events") and not entry.in_batch
        for entry in entries
    )


@contextmanager
def world_process(*, events: int) -> Iterator[tuple[httpx.Client, BenchUser]]:
    """A ``tandem fake-google`` process holding ``events`` events, Django on a fresh
    database, a connected user who syncs that calendar; yields the control API's client."""
    server, base_url = emulator_process()
    try:
        with httpx.Client(base_url=base_url, timeout=300) as control:
            token = control.post(
                "/_emulator/tokens",
                json={"email": ACCOUNT, "scopes": [CALENDAR_SCOPE], "client_id": CLIENT_ID},
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base_url, headers=headers, timeout=300) as api:
                events_seed(api, count=events)
            django_configure(emulator_url=base_url)
            yield control, user_connect(access_token=token)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _requests_since(control: httpx.Client, mark: int) -> tuple[list[LoggedRequest], int]:
    body = control.get("/_emulator/requests", params={"since": mark}).json()
    entries = [
        LoggedRequest(e["method"], e["path"], e["query"], e["in_batch"]) for e in body["requests"]
    ]
    return entries, body["next"]


@contextmanager
def gc_timer() -> Iterator[list[float]]:
    """Seconds spent in the garbage collector while the block runs (gc.callbacks)."""
    spent = [0.0]
    began = [0.0]

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            spent[0] += time.perf_counter() - began[0]

    gc.callbacks.append(note)
    try:
        yield spent
    finally:
        gc.callbacks.remove(note)


def import_run(*, events: int, reps: int, profile: str = "") -> bool:
    with world_process(events=events) as (control, user):
        from tandem.meetings.models import Meeting
        from tandem.sync.engine import sync_user_now

        page_through(user)  # warm-up: imports, connection set-up, the emulator's caches
        before = [page_through(user) for _ in range(reps)]
        _, mark = _requests_since(control, 0)
        profiler = cProfile.Profile() if profile else None
        with gc_timer() as collecting:
            started, cpu_started = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            outcome = sync_user_now(user_id=user.user_id, trigger="bench")
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        log, _ = _requests_since(control, mark)
        after = [page_through(user) for _ in range(reps)]
        paging = statistics.median(seconds for seconds, _, _ in before + after)
        listed, pages = before[0][1], before[0][2]
        meetings = Meeting.objects.filter(owner_id=user.user_id).count()
        assert outcome.run is not None
        ratio = took / paging
        print(
            f"  listing: {listed} events in {pages} pages of up to 2500; "
            f"plain paging median {paging * 1000:.0f} ms "
            f"(runs: {', '.join(f'{s * 1000:.0f}' for s, _, _ in before + after)} ms)"
        )
        print(
            f"  import:  {took * 1000:.0f} ms for {meetings} meetings "
            f"({outcome.run.status}, counts {dict(outcome.counts)}), "
            f"{outcome.run.requests} requests: "
            f"{', '.join(sorted({f'{e.method} {e.path}' for e in log}))}"
        )
        print(
            f"  import's CPU time in this process {cpu * 1000:.0f} ms, of which garbage "
            f"collection {collecting[0] * 1000:.0f} ms"
        )
        print(f"  ratio import / paging: {ratio:.2f} (target <= 1.5)")
        ok = (
            outcome.run.status == "succeeded"
            and meetings == listed
            and len(log) == pages
            and _only_list_pages(log)
            and ratio <= 1.5
        )
        return ok


def idle_run(*, events: int, reps: int = 0) -> bool:
    """One idle run checked request by request and query by query, then ``reps`` more timed
    alone (no query capture): the median of those is an idle run's cost in a worker that has
    already run one (imports done, connections open, as in production)."""
    with world(events=events) as w:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tandem.meetings.models import Meeting
        from tandem.sync.engine import sync_user_now
        from tandem.sync.models import EventLink, SyncRun

        first = sync_user_now(user_id=w.user.user_id, trigger="bench")
        assert first.run is not None and first.run.status == "succeeded", first.run
        meetings_before = list(
            Meeting.objects.filter(owner_id=w.user.user_id).values_list("pk", "version")
        )
        links_before = list(EventLink.objects.values_list("pk", "etag", "base_version"))
        mark = len(w.google.request_log)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            idle = sync_user_now(user_id=w.user.user_id, trigger="bench")
        took = time.perf_counter() - started
        crm_writes = [
            query["sql"][:80]
            for query in queries.captured_queries
            if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and any(table in query["sql"] for table in CRM_TABLES)
        ]
        log = _log_since(w.google, mark)
        assert idle.run is not None
        run = SyncRun.objects.get(pk=idle.run.pk)
        unchanged = meetings_before == list(
            Meeting.objects.filter(owner_id=w.user.user_id).values_list("pk", "version")
        ) and links_before == list(EventLink.objects.values_list("pk", "etag", "base_version"))
        print(
            f"  after importing {len(meetings_before)} meetings, an idle run: "
            f"{took * 1000:.0f} ms, SyncRun.requests = {run.requests}, emulator log: "
            f"{[f'{e.method} {e.path}?{e.query}'[:120] for e in log]}"
        )
        timed = [_idle_timed(w.user.user_id) for _ in range(reps)]
        if timed:
            walls = [wall for wall, _, _ in timed]
            cpus = [cpu for _, cpu, _ in timed]
            print(
                f"  {reps} more idle runs: median {statistics.median(walls) * 1000:.1f} ms "
                f"(min {min(walls) * 1000:.1f}, max {max(walls) * 1000:.1f}), this thread's "
                f"CPU median {statistics.median(cpus) * 1000:.1f} ms (the emulator serves "
                "from threads of its own)"
            )
        print(
            f"  counts {dict(idle.counts)}; meetings and links unchanged: {unchanged}; "
            f"{len(queries)} SQL queries, writes to meetings/links/imports/conflicts: "
            f"{crm_writes or 'none'} (the run record, the lock and the calendar's "
            "last-listed time are the only rows written)"
        )
        return (
            run.status == "succeeded"
            and run.requests == 1
            and len(log) == 1
            and "syncToken=" in log[0].query
            and not any(idle.counts.values())
            and unchanged
            and not crm_writes
            and all(status == "succeeded" for _, _, status in timed)
        )


def _idle_timed(user_id: int) -> tuple[float, float, str]:
    """Wall seconds, this thread's CPU seconds and the status of one idle run."""
    from tandem.sync.engine import sync_user_now

    started, cpu_started = time.perf_counter(), time.thread_time()
    outcome = sync_user_now(user_id=user_id, trigger="bench")
    took, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    return took, cpu, outcome.run.status if outcome.run else "none"


def _import_queries(w: World, *, size: int, name: str) -> tuple[int, int]:
    """A new account with ``size`` events, a new user importing it: the run's SQL queries
    (through Django's execute wrappers; COPY on PostgreSQL is not among them) and its pages.

    Queries are not split by page: the next page is fetched while one is written
    (tandem/sync/engine/prefetch.py), so the request log no longer marks where a page's
    queries begin. What each further page adds is the difference between sizes."""
    from django.db import connection

    from tandem.sync.engine import sync_user_now

    email = f"{name}@example.com"
    w.google.create_account(email=email, name=name)
    token = w.google.mint_access_token(email=email, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
    with google_api(w.google, token) as api:
        events_seed(api, count=size)
    user = user_connect(access_token=token, username=name, email=email)
    mark = len(w.google.request_log)
    queries = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        outcome = sync_user_now(user_id=user.user_id, trigger="bench")
    assert outcome.run is not None and outcome.run.status == "succeeded", outcome.summary()
    return queries[0], len(w.google.request_log) - mark


def query_counts(*, sizes: list[int]) -> bool:
    """SQL queries of a whole import for each size, each into a new account; each page
    beyond the first must add the same number, whatever the page holds."""
    added: set[float] = set()
    first: tuple[int, int] | None = None
    with world(events=0) as w:
        from tandem.sync.engine.context import installation_namespace

        installation_namespace()  # made once per installation, not by an import
        for size in sizes:
            total, pages = _import_queries(w, size=size, name=f"q{size}")
            line = f"  {size:>6} events, {pages} pages: {total} SQL queries"
            if first is None:
                first = (total, pages)
            elif pages > first[1]:
                per_page = (total - first[0]) / (pages - first[1])
                added.add(per_page)
                line += f", {per_page:g} per page beyond the first size's {first[1]}"
            print(line)
    print(f"  queries each further page adds: {sorted(added)}")
    return len(added) == 1
