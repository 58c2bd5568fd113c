"""The scenarios: full import vs plain paging, an idle run, queries per page.

The engine always talks to the emulator over real loopback sockets with the HTTP client it
uses in production. ``import`` runs the emulator as a ``tandem fake-google`` process of its
own, as Google is another machine: paging and import are measured against the same server
the same way, and the emulator's work does not share this process's interpreter lock.
``idle`` does too (``in_process_emulator`` puts it in this process, as before 2026-12-05:
its threads then share this process's caches and interpreter lock, and an emulator holding
50,000 events made the worker's own CPU about 2 ms dearer). ``queries`` uses
``FakeGoogle().serve()`` in this process (it counts queries, not time).
"""

from __future__ import annotations

import cProfile
import gc
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
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


def page_delay_set(control: httpx.Client, seconds: float) -> None:
    """Every events.list page answered ``seconds`` late (the emulator's delay fault), as
    Google's pages arrive: its time to build a page plus the network, not loopback's."""
    control.delete("/_emulator/faults").raise_for_status()
    if seconds:
        control.post(
            "/_emulator/faults",
            json={"route": "GET */events", "status": 0, "delay": seconds, "times": -1},
        ).raise_for_status()


@contextmanager
def page_timeline() -> Iterator[list[tuple[float, float]]]:
    """For each page the inbound pass is handed (tandem.sync.engine.prefetch.pages_ahead):
    seconds its thread waited for the page and seconds it then spent on it, until it asked
    for the next one. The pass's own code is untouched: its reference is wrapped. The
    ``perf_counter`` at which the pass first asked for a page and at which it was done with
    the last one are appended to ``listing_span`` (to split the run's set-up from its tail)."""
    from tandem.sync.engine import inbound

    original = inbound.pages_ahead
    marks: list[tuple[float, float]] = []

    def traced(pages: Any, **options: Any) -> Iterator[Any]:
        asked = time.perf_counter()
        listing_span.append(asked)
        for page in original(pages, **options):
            got = time.perf_counter()
            yield page
            done = time.perf_counter()
            marks.append((got - asked, done - got))
            asked = done
        listing_span.append(asked)

    inbound.pages_ahead = traced  # type: ignore[assignment]
    try:
        yield marks
    finally:
        inbound.pages_ahead = original


@contextmanager
def request_timeline() -> Iterator[list[tuple[float, float]]]:
    """For each events.list page the run's client reads (in whichever thread): the
    ``perf_counter`` at which its request started and at which its body was decoded. Shows
    whether a page arrives late because it was asked for late or because it took longer."""
    from tandem.google.calendar import CalendarClient

    original = CalendarClient.events_page
    spans: list[tuple[float, float]] = []

    def traced(self: Any, *args: Any, **options: Any) -> Any:
        asked = time.perf_counter()
        page = original(self, *args, **options)
        spans.append((asked, time.perf_counter()))
        return page

    CalendarClient.events_page = traced  # type: ignore[method-assign]
    try:
        yield spans
    finally:
        CalendarClient.events_page = original  # type: ignore[method-assign]


listing_span: list[float] = []


def import_run(
    *,
    events: int,
    reps: int,
    profile: str = "",
    page_delay: float = 0.0,
    decoders: bool = False,
    switch_interval: float = 0.0,
) -> bool:
    """A full import against plain paging of the same listing (the median of ``reps`` before
    and ``reps`` after it). ``page_delay``: each list page answered that many seconds late;
    the target is then 1.15x instead of 1.5x. ``decoders``: also time the JSON decoding of
    the listing's pages with the standard library and with orjson / msgspec when they are
    importable (what a faster decoder would save; the engine is not changed)."""
    target = 1.15 if page_delay else 1.5
    if switch_interval:
        # What-if: the interpreter hands the GIL over more often, so the prefetch thread,
        # reading the next page's body chunk by chunk, waits less behind the engine's work.
        sys.setswitchinterval(switch_interval)
        print(f"  sys.setswitchinterval({switch_interval:g}) (default 0.005)")
    with world_process(events=events) as (control, user):
        page_delay_set(control, page_delay)
        from tandem.meetings.models import Meeting
        from tandem.sync.engine import sync_user_now

        page_through(user)  # warm-up: imports, connection set-up, the emulator's caches
        _as_a_started_worker()
        before = [page_through(user) for _ in range(reps)]
        _, mark = _requests_since(control, 0)
        profiler = cProfile.Profile() if profile else None
        with gc_timer() as collecting, page_timeline() as timeline, request_timeline() as spans:
            started, cpu_started = time.perf_counter(), time.process_time()
            thread_started = time.thread_time()
            if profiler:
                profiler.enable()
            outcome = sync_user_now(user_id=user.user_id, trigger="bench")
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            main_cpu = time.thread_time() - thread_started
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
        per_event = 1e6 / max(meetings, 1)
        print(
            f"  import's CPU time in this process {cpu * 1000:.0f} ms, of which garbage "
            f"collection {collecting[0] * 1000:.0f} ms; per imported event "
            f"{cpu * per_event:.0f} us (the engine's thread alone {main_cpu * per_event:.0f} us, "
            "the rest is the prefetch thread's reading and decoding of the pages)"
        )
        if page_delay:
            print(f"  each list page answered {page_delay * 1000:.0f} ms late (delay fault)")
        if timeline:
            waited = sum(wait for wait, _ in timeline)
            worked = sum(work for _, work in timeline)
            print(
                "  the engine's thread, page by page (waiting for the page / working on it): "
                + ", ".join(f"{wait * 1000:.0f}/{work * 1000:.0f}" for wait, work in timeline)
                + f" ms; in all {waited * 1000:.0f} ms waiting, {worked * 1000:.0f} ms on the "
                f"pages, {(took - waited - worked) * 1000:.0f} ms before and after the listing"
            )
            if len(listing_span) >= 2:
                print(
                    "  before the listing (run set-up) "
                    f"{(listing_span[0] - started) * 1000:.0f} ms, after it (outbound pass, "
                    "run record) "
                    f"{(started + took - listing_span[-1]) * 1000:.0f} ms"
                )
        if spans:
            print(
                "  its list requests (asked at / arrived at, ms from the run's start): "
                + ", ".join(
                    f"{(asked - started) * 1000:.0f}/{(came - started) * 1000:.0f}"
                    for asked, came in spans
                )
            )
        print(f"  ratio import / paging: {ratio:.2f} (target <= {target:g})")
        if decoders:
            page_delay_set(control, 0)
            decode_times(user)
        ok = (
            outcome.run.status == "succeeded"
            and meetings == listed
            and len(log) == pages
            and _only_list_pages(log)
            and ratio <= target
        )
        return ok


def decode_times(user: BenchUser, *, reps: int = 5) -> None:
    """The listing's raw page bodies, decoded by the standard library's json (what
    ``httpx.Response.json()`` uses, so what the engine's client does today) and by orjson and
    msgspec when importable (``PYTHONPATH=DIR`` after ``pip install --target DIR orjson
    msgspec``: they are not the project's dependencies). Best of ``reps`` per decoder, whole
    listing; CPU time of this thread."""
    import importlib
    import json
    from urllib.parse import quote

    from django.utils import timezone

    from tandem.accounts.google_services import calendar_client_for
    from tandem.accounts.models import GoogleConnection
    from tandem.sync.engine.context import WINDOW

    connection = GoogleConnection.objects.get(user_id=user.user_id)
    client = calendar_client_for(connection=connection)
    time_min = (timezone.now() - WINDOW).isoformat(timespec="seconds")
    path = f"calendars/{quote(user.calendar_id, safe='')}/events"
    bodies: list[bytes] = []
    token: str | None = None
    while True:
        # The engine's own request (events_page's parameters, its shared httpx.Client), kept
        # as bytes: events_page decodes with response.json(), i.e. json.loads.
        params = {"maxResults": 2500, "showDeleted": "true", "timeMin": time_min}
        if token:
            params["pageToken"] = token
        response = client._send("GET", path, params=params)
        response.raise_for_status()
        bodies.append(response.content)
        token = json.loads(response.content).get("nextPageToken")
        if not token:
            break
    decoders: dict[str, Any] = {"json (stdlib, today)": json.loads}
    for module, name, attr in (
        ("orjson", "orjson", "loads"),
        ("msgspec.json", "msgspec", "decode"),
    ):
        try:
            decoders[name] = getattr(importlib.import_module(module), attr)
        except ImportError:
            print(f"  ({name} not importable: not measured)")
    events = sum(len(json.loads(body).get("items", [])) for body in bodies)
    size = sum(len(body) for body in bodies)
    results: dict[str, float] = {}
    for name, decode in decoders.items():
        best = float("inf")
        for _ in range(reps):
            started = time.thread_time()
            for body in bodies:
                decode(body)
            best = min(best, time.thread_time() - started)
        results[name] = best
    base = results["json (stdlib, today)"]
    print(f"  decoding the listing's {len(bodies)} pages ({size / 1e6:.1f} MB, {events} events):")
    for name, seconds in results.items():
        print(
            f"    {name:<22} {seconds * 1000:6.1f} ms ({seconds * 1e6 / max(events, 1):.1f} us an "
            f"event), saves {(base - seconds) * 1000:.1f} ms"
        )


def _as_a_started_worker() -> None:
    """What a Celery worker does when it starts (config/celery.py): the objects alive then
    are hidden from the garbage collector's full collections."""
    from config.celery import startup_objects_freeze

    print(f"  as a worker at its start: {startup_objects_freeze()} objects frozen (gc.freeze)")


@contextmanager
def idle_world(
    *, events: int, in_process_emulator: bool
) -> Iterator[tuple[BenchUser, Callable[[int], tuple[list[LoggedRequest], int]]]]:
    """A user who has ``events`` events in Google, and how to read the emulator's request
    log from a mark (the requests since it, and the next mark)."""
    if not in_process_emulator:
        with world_process(events=events) as (control, user):
            yield user, lambda mark: _requests_since(control, mark)
        return
    with world(events=events) as w:

        def since(mark: int) -> tuple[list[LoggedRequest], int]:
            entries = [
                LoggedRequest(e.method, e.path, e.query, e.in_batch)
                for e in w.google.request_log[mark:]
            ]
            return entries, mark + len(entries)

        yield w.user, since


def idle_run(
    *,
    events: int,
    reps: int = 0,
    top: int = 0,
    settle: float = 0,
    profile: str = "",
    in_process_emulator: bool = False,
) -> bool:
    """One idle run checked request by request and query by query, then ``reps`` more timed
    alone (no query capture): the median of those is an idle run's cost in a worker that has
    already run one (imports done, connections open, as in production). ``top``: print that
    many of the median timed run's statements, the slowest first. ``settle``: seconds to
    wait before the timed runs (the changes of the import then lie before the look-back
    margin of the outbound pass, as they do for a worker's next scheduled run)."""
    with idle_world(events=events, in_process_emulator=in_process_emulator) as (user, since):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tandem.meetings.models import Meeting
        from tandem.sync.engine import sync_user_now
        from tandem.sync.models import EventLink, SyncRun

        first = sync_user_now(user_id=user.user_id, trigger="bench")
        assert first.run is not None and first.run.status == "succeeded", first.run
        meetings_before = list(
            Meeting.objects.filter(owner_id=user.user_id).values_list("pk", "version")
        )
        links_before = list(EventLink.objects.values_list("pk", "etag", "base_version"))
        _, mark = since(0)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            idle = sync_user_now(user_id=user.user_id, trigger="bench")
        took = time.perf_counter() - started
        crm_writes = [
            query["sql"][:80]
            for query in queries.captured_queries
            if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and any(table in query["sql"] for table in CRM_TABLES)
        ]
        log, _ = since(mark)
        assert idle.run is not None
        run = SyncRun.objects.get(pk=idle.run.pk)
        unchanged = meetings_before == list(
            Meeting.objects.filter(owner_id=user.user_id).values_list("pk", "version")
        ) and links_before == list(EventLink.objects.values_list("pk", "etag", "base_version"))
        print(
            f"  after importing {len(meetings_before)} meetings, an idle run: "
            f"{took * 1000:.0f} ms, SyncRun.requests = {run.requests}, emulator log: "
            f"{[f'{e.method} {e.path}?{e.query}'[:120] for e in log]}"
        )
        if settle:
            # As a worker meets the user minutes later: the import's own changes are older
            # than the outbound pass's look-back margin (CHANGE_MARGIN) by then. One run after
            # the wait takes the role of the last clean run before the timed ones.
            time.sleep(settle)
            _idle_timed(user.user_id)
            print(f"  waited {settle:g} s and ran one idle run before the timed ones")
        # An in-process emulator's events are frozen too: a worker holds none of them.
        _as_a_started_worker()
        profiler = cProfile.Profile(time.thread_time) if profile else None  # CPU, not waits
        if profiler:
            profiler.enable()
        timed = [_idle_timed(user.user_id) for _ in range(reps)]
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
            print(
                f"  cProfile of the {reps} timed runs written to {profile} (their times include it)"
            )
        if timed:
            walls = [run.wall for run in timed]
            cpus = [run.cpu for run in timed]
            workers = [run.cpu + run.helper_cpu for run in timed]
            sql = [run.sql for run in timed]
            print(
                f"  {reps} more idle runs: median {statistics.median(walls) * 1000:.1f} ms "
                f"(min {min(walls) * 1000:.1f}, max {max(walls) * 1000:.1f}), this thread's "
                f"CPU median {statistics.median(cpus) * 1000:.1f} ms "
                f"(min {min(cpus) * 1000:.1f}; the emulator serves from threads of its own); "
                f"worker CPU (this thread and the run's prefetch thread) median "
                f"{statistics.median(workers) * 1000:.1f} ms (min {min(workers) * 1000:.1f}); "
                f"{statistics.median(run.queries for run in timed):.0f} SQL statements, "
                f"SQL time median {statistics.median(sql) * 1000:.1f} ms "
                f"(min {min(sql) * 1000:.1f})"
            )
            # The statements of the median run by time, the costliest first: the ones that
            # grow with the number of meetings are the ones to fix.
            slowest = sorted(timed, key=lambda run: run.sql)[len(timed) // 2].statements
            for seconds, sql_text, params in sorted(slowest, key=lambda s: -s[0])[:top]:
                # The column list cut out: what a statement reads is in its FROM and WHERE.
                short = re.sub(
                    r'^SELECT (DISTINCT )?".*?" FROM', "SELECT … FROM", " ".join(sql_text.split())
                )
                print(f"    {seconds * 1000:7.2f} ms  {short[:400]}")
                if short.startswith("SELECT"):
                    print(f"               plan: {_plan(sql_text, params)}")
        if timed:
            median_run = sorted(timed, key=lambda run: run.cpu)[len(timed) // 2]
            _idle_floor(user.user_id, median_run.statements, reps=reps)
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
            and all(run.status == "succeeded" for run in timed)
        )


@dataclass
class IdleTimed:
    wall: float  # seconds
    cpu: float  # this thread's CPU seconds (the engine's; the emulator has threads of its own)
    # CPU seconds of the run's own helper threads (the listing's prefetch thread, which makes
    # the events.list request): the worker pays them too.
    helper_cpu: float
    status: str
    queries: int
    sql: float  # seconds spent in the database driver's execute, summed
    statements: list[tuple[float, str, Any]]


def _idle_floor(user_id: int, statements: list[tuple[float, str, Any]], *, reps: int) -> None:
    """What no engine can save of an idle run: the one events.list request with its sync
    token through the run's client (built once, outside the timing), and the run's own SQL
    statements replayed as they were sent, through the database cursor without the ORM (in
    a transaction rolled back: the run record and the lock's updates leave no trace). Each
    is the CPU time of this thread, median of ``reps``."""
    from django.db import connection, transaction

    from tandem.accounts.models import GoogleConnection
    from tandem.sync.google_client import google_client_for
    from tandem.sync.models import CalendarSyncState

    client = google_client_for(GoogleConnection.objects.get(user_id=user_id))
    state = CalendarSyncState.objects.get(owner_id=user_id)
    request_cpu = []
    for _ in range(reps):
        began = time.thread_time()
        pages = list(client.events_pages(state.calendar_id, sync_token=state.sync_token))
        request_cpu.append(time.thread_time() - began)
        assert len(pages) == 1 and not pages[0].items, "the listing is not idle"
    # Not the run's own transaction control (the replay runs in one transaction).
    control = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    statements = [s for s in statements if not s[1].lstrip().upper().startswith(control)]
    sql_cpu = []
    for _ in range(reps):
        with transaction.atomic(), connection.cursor() as cursor:
            began = time.thread_time()
            for _seconds, sql, params in statements:
                cursor.execute(sql, params)
                if sql.lstrip().upper().startswith("SELECT"):
                    cursor.fetchall()
            sql_cpu.append(time.thread_time() - began)
            transaction.set_rollback(True)
    print(
        f"  floor: the one events.list request (httpx and JSON, this thread) median "
        f"{statistics.median(request_cpu) * 1000:.2f} ms CPU (min {min(request_cpu) * 1000:.2f}); "
        f"the median run's {len(statements)} statements replayed through the cursor, no ORM, "
        f"median {statistics.median(sql_cpu) * 1000:.2f} ms CPU (min {min(sql_cpu) * 1000:.2f})"
    )


def _plan(sql: str, params: Any) -> str:
    """The database's plan for one statement, on one line (SQLite's EXPLAIN QUERY PLAN,
    PostgreSQL's EXPLAIN)."""
    from django.db import connection

    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return " | ".join(str(row[-1]) for row in rows)
    return " | ".join(" ".join(str(row[0]).split()) for row in rows)


def _idle_timed(user_id: int) -> IdleTimed:
    """One idle run, timed, with each SQL statement timed through Django's execute wrapper
    (a perf_counter pair per statement: a few microseconds on the run's CPU)."""
    from django.db import connection

    from tandem.sync.engine import sync_user_now

    statements: list[tuple[float, str, Any]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statements.append((time.perf_counter() - began, sql, params))

    helper_cpu: list[float] = []
    thread_run = threading.Thread.run

    def run_timed(thread: threading.Thread) -> None:
        if thread.name != "sync-prefetch":  # the emulator's threads are not the worker's
            thread_run(thread)
            return
        began = time.thread_time()
        try:
            thread_run(thread)
        finally:
            helper_cpu.append(time.thread_time() - began)

    threading.Thread.run = run_timed  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(timed):
            started, cpu_started = time.perf_counter(), time.thread_time()
            outcome = sync_user_now(user_id=user_id, trigger="bench")
            took, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
    finally:
        threading.Thread.run = thread_run  # type: ignore[method-assign]
    return IdleTimed(
        wall=took,
        cpu=cpu,
        helper_cpu=sum(helper_cpu),
        status=outcome.run.status if outcome.run else "none",
        queries=len(statements),
        sql=sum(seconds for seconds, _, _ in statements),
        statements=statements,
    )


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
