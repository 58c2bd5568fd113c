"""Calendar pages with runaway recurrence rules (issue 12, finding 4 / must have 5).

Before the cost bound, one event with ``RRULE:FREQ=SECONDLY`` made a week page take 109 s
and 183 MB. Target: the month page (six weeks) of a user whose calendar holds such events
stays under 200 ms, for its owner and for a colleague, and one request's peak of Python
allocations stays a few MB.

The owner has an ordinary month (``--meetings`` one-hour meetings spread over the six
weeks, a weekly and a daily series) plus the hostile series, all without end: every
second, every minute, every hour, a daily rule at every minute of the day
(BYHOUR x BYMINUTE, 1,440 a day), a daily rule begun in 1900, and a daily rule of
COUNT=100000 begun in 1950 (COUNT rules cannot be restarted near the page), and every
second on 30 February (filters that match no day: dateutil walked those to the year 9999).

    .venv/bin/python bench/calendar_bench.py [--reps 30] [--meetings 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_bench \
        .venv/bin/python bench/calendar_bench.py

Timed in-process with Django's test client (the whole view: queries, expansion, template),
wall clock per request, after two warm-up requests; exits non-zero when a median misses
the target.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sync_setup

BERLIN = ZoneInfo("Europe/Berlin")
TARGET_MS = 200.0
PAGE = "/?view=month&date=2026-12-01"
COLLEAGUE_PAGE = PAGE + "&user=owner"
HOSTILE = {
    "every second": ("RRULE:FREQ=SECONDLY", datetime(2026, 1, 1, 9)),
    "every minute": ("RRULE:FREQ=MINUTELY", datetime(2025, 6, 1, 9)),
    "every hour": ("RRULE:FREQ=HOURLY", datetime(2020, 1, 1, 9)),
    "every minute of the day": (
        "RRULE:FREQ=DAILY;BYHOUR="
        + ",".join(map(str, range(24)))
        + ";BYMINUTE="
        + ",".join(map(str, range(60))),
        datetime(2026, 1, 1, 0),
    ),
    "daily since 1900": ("RRULE:FREQ=DAILY", datetime(1900, 1, 1, 8)),
    "daily, COUNT=100000, since 1950": ("RRULE:FREQ=DAILY;COUNT=100000", datetime(1950, 1, 2, 7)),
    "every second on 30 February (no day ever)": (
        "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
        datetime(2026, 1, 1, 9),
    ),
}


def _seed(meetings: int, *, hostile: bool) -> None:
    from django.contrib.auth.models import User

    from tandem.accounts.selectors import preferences_for
    from tandem.meetings.services import MeetingInput, meeting_create

    owner = User.objects.create_user("owner", password="bench-owner-pw")
    User.objects.create_user("colleague", password="bench-colleague-pw")
    preferences = preferences_for(user=owner)
    preferences.time_zone = "Europe/Berlin"
    preferences.save()

    def create(subject: str, start: datetime, recurrence: list[str] | None = None) -> None:
        aware = start.replace(tzinfo=BERLIN)
        meeting_create(
            owner=owner,
            data=MeetingInput(
                subject=subject,
                start=aware,
                end=aware + timedelta(hours=1),
                time_zone="Europe/Berlin",
                recurrence=recurrence or [],
            ),
            origin="sync",  # as the sync stores Google's events: any rule Google holds
        )

    first = datetime(2026, 11, 30, 8)
    for n in range(meetings):
        create(f"Customer call {n}", first + timedelta(days=n % 42, hours=n % 9))
    create("Weekly pipeline review", datetime(2026, 1, 5, 10), ["RRULE:FREQ=WEEKLY"])
    create("Daily standup", datetime(2026, 1, 5, 9), ["RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"])
    for subject, (rule, start) in HOSTILE.items() if hostile else ():
        create(f"Hostile: {subject}", start, [rule])


def _time(client, path: str, reps: int) -> tuple[list[float], list[float], int, int]:  # type: ignore[no-untyped-def]
    """Wall-clock and CPU milliseconds per request (CPU: this process's, the whole request
    here; it shows the work when other jobs share the machine), the page's size and one
    request's peak of Python allocations (tracemalloc, on a request of its own: tracing
    slows the others)."""
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    times, cpu = [], []
    for _ in range(reps):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    tracemalloc.start()
    client.get(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return times, cpu, len(response.content), peak


def _expansion_costs() -> None:
    """Each series' expansion over the month page's range alone (the page walks one day
    either side), median of 20."""
    from tandem.meetings.models import Meeting
    from tandem.meetings.occurrences import series_expansion

    start = datetime(2026, 11, 29, tzinfo=BERLIN)
    end = datetime(2027, 1, 12, tzinfo=BERLIN)
    for series in Meeting.objects.exclude(recurrence=[]).order_by("pk"):
        times = []
        for _ in range(20):
            began = time.perf_counter()
            expansion = series_expansion(series=series, start=start, end=end)
            times.append((time.perf_counter() - began) * 1000)
        print(
            f"  {series.subject}: {statistics.median(times):.2f} ms, "
            f"{len(expansion.starts)} starts{' (cut)' if expansion.cut else ''}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument(
        "--without-hostile", action="store_true", help="the same calendar without them"
    )
    args = parser.parse_args()
    sync_setup.django_configure(emulator_url="http://127.0.0.1:9")  # no emulator needed
    from django.contrib.auth.models import User
    from django.test import Client

    _seed(args.meetings, hostile=not args.without_hostile)
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"database {sync_setup.database_label()}"
    )
    print(
        f"Owner's calendar: {args.meetings} meetings, 2 ordinary series, "
        f"{0 if args.without_hostile else len(HOSTILE)} hostile series ({', '.join(HOSTILE)})"
    )
    _expansion_costs()
    failed = False
    for label, username, path in (
        ("owner's month page", "owner", PAGE),
        ("colleague's view of it", "colleague", COLLEAGUE_PAGE),
    ):
        client = Client(SERVER_NAME="localhost")
        client.force_login(User.objects.get(username=username))
        times, cpu, size, peak = _time(client, path, args.reps)
        median = statistics.median(times)
        p95 = statistics.quantiles(times, n=20)[-1]
        verdict = "ok" if median < TARGET_MS else f"MISSES {TARGET_MS:.0f} ms"
        failed |= median >= TARGET_MS
        print(
            f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms "
            f"over {args.reps}; CPU median {statistics.median(cpu):.1f} ms; "
            f"page {size / 1024:.0f} KB; peak allocations {peak / 2**20:.1f} MB; {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
