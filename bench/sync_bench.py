"""Benchmarks of the two-way sync engine (issue #5, "Performance").

    .venv/bin/python bench/sync_bench.py import  [--events 10000] [--reps 3] [--profile FILE]
                                                 [--page-delay 0.3] [--decoders]
                                                 [--switch-interval 0.0005]
    .venv/bin/python bench/sync_bench.py idle    [--events 10000] [--reps 3] [--top 8]
                                                 [--settle 65] [--profile FILE]
                                                 [--in-process-emulator]
    .venv/bin/python bench/sync_bench.py queries [--sizes 2500,5000,10000]
    .venv/bin/python bench/sync_bench.py memory  [--sizes 10000,100000]
    .venv/bin/python bench/sync_bench.py all
    .venv/bin/python bench/sync_bench.py floor   [--events 10000] [--reps 3]   (no target)

Each scenario gets a fresh database (SQLite in a temporary directory, or the PostgreSQL
database named by DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/tandem_bench) and a
real loopback emulator: for ``import`` and ``memory`` a ``tandem fake-google`` process of
its own (as Google is another machine; its work and memory are not counted), for ``idle``
too (``--in-process-emulator``: in this process, as before 2026-12-05), for ``queries``
``FakeGoogle().serve()`` in this process. A scenario prints
its figures and exits non-zero when its target is missed. Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import sync_setup
from sync_floor import floor_run
from sync_memory import memory_child, memory_run
from sync_scenarios import idle_run, import_run, query_counts

TARGETS = {
    "import": "full import at most 1.5x plain paging, list pages only",
    "idle": "one request per inbound calendar, no write on either side",
    "queries": "the same number of SQL queries for every page",
    "memory": "importing 100,000 events adds under 200 MB to peak RSS",
}


def _machine() -> str:
    mem_kib = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        mem_kib = int(meminfo.read_text().split("\n")[0].split()[1])
    return (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"{mem_kib / 2**20:.0f} GiB RAM, {sync_setup.database_label()}"
    )


def _rerun(scenario: str, extra: list[str]) -> bool:
    """Runs one scenario in a fresh interpreter (fresh Django, fresh database)."""
    command = [sys.executable, __file__, scenario, *extra]
    return subprocess.run(command, check=False).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", choices=[*TARGETS, "all", "floor", "memory-child"])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument(
        "--reps",
        type=int,
        default=3,
        help="paging baselines around the import; idle runs timed after the checked one",
    )
    parser.add_argument("--sizes", default="", help="comma-separated event counts")
    parser.add_argument("--emulator", default="", help=argparse.SUPPRESS)
    parser.add_argument("--token", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile", default="", help="write a cProfile of the import (idle: the timed runs) here"
    )
    parser.add_argument(
        "--page-delay",
        type=float,
        default=0.0,
        help="import: every list page answered this many seconds late (target then 1.15x)",
    )
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=0.0,
        help="import: sys.setswitchinterval for the run (a what-if; the default is 0.005)",
    )
    parser.add_argument(
        "--top", type=int, default=0, help="idle: print the median run's slowest statements"
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0,
        help="idle: seconds to wait after the import before the timed runs",
    )
    parser.add_argument(
        "--in-process-emulator",
        action="store_true",
        help="idle: the emulator in this process (its threads share the worker's caches)",
    )
    parser.add_argument(
        "--decoders",
        action="store_true",
        help="import: also time decoding the pages with json, orjson and msgspec",
    )
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",") if size]

    if args.scenario == "memory-child":
        return memory_child(emulator_url=args.emulator, token=args.token)
    print(_machine(), flush=True)
    if args.scenario == "all":
        results = [_rerun(name, []) for name in TARGETS]
        return 0 if all(results) else 1
    if args.scenario == "floor":
        print("what paging plus writing the rows costs, with no engine work at all", flush=True)
        return 0 if floor_run(events=args.events, reps=args.reps) else 1
    target = TARGETS[args.scenario]
    if args.scenario == "import" and args.page_delay:
        target = (
            f"full import at most 1.15x plain paging, each list page {args.page_delay:g} s late"
        )
    print(f"target: {target}", flush=True)
    started = time.perf_counter()
    if args.scenario == "import":
        ok = import_run(
            events=args.events,
            reps=args.reps,
            profile=args.profile,
            page_delay=args.page_delay,
            decoders=args.decoders,
            switch_interval=args.switch_interval,
        )
    elif args.scenario == "idle":
        ok = idle_run(
            events=args.events,
            reps=args.reps,
            top=args.top,
            settle=args.settle,
            profile=args.profile,
            in_process_emulator=args.in_process_emulator,
        )
    elif args.scenario == "queries":
        ok = query_counts(sizes=sizes or [2500, 5000, 10_000])
    else:
        ok = memory_run(sizes=sizes or [10_000, 100_000], script=__file__)
    print(f"{'PASS' if ok else 'FAIL'} ({time.perf_counter() - started:.0f} s in all)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
