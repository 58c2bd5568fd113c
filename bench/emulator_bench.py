"""How long the Google emulator takes to serve one events.list page of 2,500 events.

The emulator must never be the bottleneck of a sync benchmark. This fills one calendar
with 10,000 events (a tenth of them then deleted) and times events.list pages of
maxResults=2500 with an httpx.Client: every page of a full sync, and a first page with
showDeleted=true. Three set-ups:

- the emulator as its own process on loopback (``tandem fake-google``, as the demo runs it),
  with the emulator's CPU time per page read from /proc;
- ``FakeGoogle().serve()`` on loopback inside the benchmark's process (as tests run it);
- in-process through ``httpx.WSGITransport`` (no sockets), with CPU time per page.

Wall-clock figures are per request, client side, and include reading the body (about
1.9 MB per page); on a shared machine they move with the load, CPU time much less.

    .venv/bin/python bench/emulator_bench.py [--events 10000] [--reps 20] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

ACCOUNT = "bench@example.com"
CLIENT_ID = "bench.apps.googleusercontent.com"
EVENTS = "/calendar/v3/calendars/primary/events"
PAGE = 2500
BATCH = 1000


def _insert_part(n: int) -> str:
    """One batch part inserting a one-hour event with the fields a CRM meeting carries."""
    hour = 8 + n % 10
    body = json.dumps(
        {
            "summary": f"Meeting {n}",
            "description": f"Agenda item {n}",
            "location": f"Room {n % 40}",
            "start": {"dateTime": f"2030-01-01T{hour:02d}:00:00Z"},
            "end": {"dateTime": f"2030-01-01T{hour:02d}:30:00Z"},
            "extendedProperties": {"private": {"tandem": f"m-{n}"}},
        }
    )
    return (
        f"Content-Type: application/http\r\nContent-ID: <p{n}>\r\n\r\n"
        f"POST {EVENTS} HTTP/1.1\r\nContent-Type: application/json\r\n\r\n{body}\r\n"
    )


def fill(client: httpx.Client, count: int) -> list[str]:
    """Insert ``count`` events through the batch endpoint; returns their ids."""
    ids: list[str] = []
    for first in range(0, count, BATCH):
        parts = [_insert_part(n) for n in range(first, min(first + BATCH, count))]
        body = "".join(f"--b\r\n{p}" for p in parts) + "--b--\r\n"
        response = client.post(
            "/batch/calendar/v3",
            content=body,
            headers={"Content-Type": "multipart/mixed; boundary=b"},
        )
        response.raise_for_status()
        ids.extend(
            line.split('"id":"')[1].split('"')[0]
            for line in response.text.split("\r\n")
            if line.startswith("{")
        )
    return ids


def delete_every(client: httpx.Client, ids: list[str], step: int) -> int:
    doomed = ids[::step]
    for event_id in doomed:
        client.delete(f"{EVENTS}/{event_id}").raise_for_status()
    return len(doomed)


def timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = call()
    response.raise_for_status()
    return (time.perf_counter() - start) * 1000, response


def full_sync_pages(client: httpx.Client) -> list[tuple[float, int, int]]:
    """(ms, items, bytes) of each page of one full sync."""
    pages: list[tuple[float, int, int]] = []
    params: dict[str, str] = {"maxResults": str(PAGE)}
    while True:
        ms, response = timed(partial(client.get, EVENTS, params=params))
        page = response.json()
        pages.append((ms, len(page["items"]), len(response.content)))
        if "nextPageToken" not in page:
            return pages
        params = {"maxResults": str(PAGE), "pageToken": page["nextPageToken"]}


def measure(
    client: httpx.Client, reps: int, cpu: Callable[[], float] | None = None
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"full-sync page": [], "showDeleted page": []}
    for _ in range(2):  # warm-up: imports, caches, connection
        full_sync_pages(client)
    shape: list[tuple[int, int]] = []
    cpu_start = cpu() if cpu else 0.0
    for _ in range(reps):
        pages = full_sync_pages(client)
        results["full-sync page"].extend(ms for ms, _, _ in pages)
        shape = [(items, size) for _, items, size in pages]
        ms, response = timed(
            lambda: client.get(EVENTS, params={"maxResults": str(PAGE), "showDeleted": "true"})
        )
        assert len(response.json()["items"]) == PAGE
        results["showDeleted page"].append(ms)
    print(f"    pages per full sync: {len(shape)}, items/bytes per page: {shape}")
    if cpu:
        count = len(results["full-sync page"]) + len(results["showDeleted page"])
        print(f"    CPU time per page: {(cpu() - cpu_start) * 1000 / count:.1f} ms")
    return results


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(label: str, results: dict[str, list[float]]) -> None:
    for name, values in results.items():
        print(
            f"  {label:<22} {name:<17} n={len(values):<4} "
            f"median {statistics.median(values):6.1f} ms   p95 {p95(values):6.1f} ms   "
            f"max {max(values):6.1f} ms"
        )


def _process_cpu_seconds(pid: int) -> Callable[[], float]:
    """utime + stime of another process, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks

    return read


def separate_process(events: int, reps: int) -> None:
    """The emulator as `tandem fake-google` in its own process, driven over loopback."""
    command = [
        str(Path(sys.executable).with_name("tandem")),
        "fake-google",
        "--port",
        "0",
        "--account",
        ACCOUNT,
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().split()[-1]
        with httpx.Client(base_url=base_url, timeout=60) as control:
            token = control.post(
                "/_emulator/tokens",
                json={"email": ACCOUNT, "scopes": [CALENDAR_SCOPE], "client_id": CLIENT_ID},
            ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            ids = fill(client, events)
            delete_every(client, ids, 10)
            print(f"emulator process (tandem fake-google) at {base_url}")
            cpu = _process_cpu_seconds(server.pid) if Path("/proc").is_dir() else None
            report("own process, HTTP", measure(client, reps, cpu))
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process pages")
    args = parser.parse_args()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs ({platform.platform()}), {args.events} events, "
        f"{args.reps} full syncs + {args.reps} showDeleted pages per set-up"
    )
    separate_process(args.events, args.reps)

    google = FakeGoogle()
    google.create_account(email=ACCOUNT, name="Bench")
    token = google.mint_access_token(email=ACCOUNT, scopes=[CALENDAR_SCOPE], client_id=CLIENT_ID)
    headers = {"Authorization": f"Bearer {token}"}
    with (
        google.serve() as server,
        httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as client,
    ):
        start = time.perf_counter()
        ids = fill(client, args.events)
        deleted = delete_every(client, ids, 10)
        print(
            f"  setup: {len(ids)} events inserted in batches of {BATCH}, {deleted} deleted, "
            f"{time.perf_counter() - start:.1f} s"
        )
        print(f"FakeGoogle().serve() in this process at {server.base_url}")
        report("same process, HTTP", measure(client, args.reps))
    with httpx.Client(
        transport=google.transport(), base_url="http://fakegoogle", headers=headers
    ) as client:
        print("in-process httpx.WSGITransport")
        report("in-process WSGI", measure(client, args.reps, time.process_time))
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                full_sync_pages(client)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
