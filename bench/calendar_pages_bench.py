"""Server CPU per request of the calendar's pages and endpoints for a user with many
meetings (issue 14, performance): month, week, day and list pages, the time grid's feed
of a week, the API list of 100 meetings, and the live poll.

Goal: month, week and day views and the API list each under 30 ms of server CPU per
request for a user with 5,005 meetings, and no cost that grows with the user's total
rather than with what the request shows: run it with --meetings 1000 and 5000 (and more)
and compare.

The user's meetings are one-hour meetings spread evenly over --years years (default 5,
2024-2028: about 3 a day) plus 5 series (weekly, daily on weekdays, monthly, yearly, every
other week); the pages show December 2026. To see whether a cost grows with the total
rather than with what a page shows, keep the density and change the total:
--meetings 20000 --years 20 puts as many meetings in December 2026 as the default does.

    .venv/bin/python bench/calendar_pages_bench.py [--meetings 5000] [--reps 30]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tandem_bench_d \
        .venv/bin/python bench/calendar_pages_bench.py

In-process with Django's test client (the whole request: middleware, queries, expansion,
template or JSON), after two warm-up requests; CPU is this process's time.process_time()
per request, which stays honest when other jobs share the machine (wall time is shown too).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sync_setup

BERLIN = ZoneInfo("Europe/Berlin")
TARGET_CPU_MS = 30.0
SHOWN = datetime(2026, 12, 1, 8, tzinfo=BERLIN)
SERIES = [
    ("Weekly pipeline review", "RRULE:FREQ=WEEKLY"),
    ("Daily standup", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
    ("Monthly board", "RRULE:FREQ=MONTHLY"),
    ("Yearly kick-off", "RRULE:FREQ=YEARLY"),
    ("Fortnightly one-to-one", "RRULE:FREQ=WEEKLY;INTERVAL=2"),
]
REQUESTS = [
    # (label, path, held to the target)
    ("month page", "/?view=month&date=2026-12-01", True),
    ("week page", "/?view=week&date=2026-12-07", True),
    ("day page", "/?view=day&date=2026-12-08", True),
    ("list page (14 days)", "/?view=list&date=2026-12-07", False),
    ("time grid feed, one week", "/calendar/feed/?start=2026-12-07&end=2026-12-14", True),
    ("API list, 100 meetings", "/api/v1/meetings/?limit=100", True),
    (
        "API list, 100 in December",
        "/api/v1/meetings/?limit=100&start=2026-12-01T00:00:00Z&end=2027-01-01T00:00:00Z",
        True,
    ),
    ("live poll", "/sync/live/changes/", False),
]


def _seed(meetings: int, years: int) -> None:
    from django.contrib.auth.models import User

    from tandem.accounts.selectors import preferences_for
    from tandem.meetings.models import Meeting
    from tandem.meetings.services import MeetingInput, normalised

    owner = User.objects.create_user("owner", password="bench-owner-pw")
    preferences = preferences_for(user=owner)
    preferences.time_zone = "Europe/Berlin"
    preferences.save()
    span = timedelta(days=365 * years)
    first = SHOWN - span * (35 / 60)  # December 2026 keeps its place in the span
    rows = []
    for n in range(meetings):
        start = first + span * n / meetings
        start = start.replace(minute=0, second=0, microsecond=0)
        data = MeetingInput(
            subject=f"Customer call {n}",
            start=start,
            end=start + timedelta(hours=1),
            time_zone="Europe/Berlin",
            location="Room 2",
            description="Agenda:\nnumbers\nnext steps",
        )
        # The services' own rules and values; bulk_create only to seed 5,000 rows quickly.
        rows.append(Meeting(owner=owner, **normalised(data)))
    Meeting.objects.bulk_create(rows, batch_size=1000)
    for subject, rule in SERIES:
        start = datetime(2025, 1, 6, 10, tzinfo=BERLIN)
        data = MeetingInput(
            subject=subject,
            start=start,
            end=start + timedelta(hours=1),
            time_zone="Europe/Berlin",
            recurrence=[rule],
        )
        Meeting.objects.create(owner=owner, **normalised(data))


def _measure(client, path: str, reps: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    cpu, wall = [], []
    for _ in range(reps):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return statistics.median(cpu), statistics.median(wall), len(response.content)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=5000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--reps", type=int, default=30)
    args = parser.parse_args()
    sync_setup.django_configure(emulator_url="http://127.0.0.1:9")  # no emulator needed
    from django.contrib.auth.models import User
    from django.test import Client

    _seed(args.meetings, args.years)
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"database {sync_setup.database_label()}; the user has {args.meetings} meetings "
        f"over {args.years} years and {len(SERIES)} series ({args.meetings + len(SERIES)} in all)"
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(username="owner"))
    failed = False
    for label, path, held in REQUESTS:
        cpu, wall, size = _measure(client, path, args.reps)
        verdict = ""
        if held:
            verdict = "ok" if cpu < TARGET_CPU_MS else f"MISSES {TARGET_CPU_MS:.0f} ms"
            failed |= cpu >= TARGET_CPU_MS
        print(
            f"{label}: CPU median {cpu:.1f} ms, wall median {wall:.1f} ms, "
            f"{size / 1024:.0f} KB {verdict}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
