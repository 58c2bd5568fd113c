"""Edit-to-visible latency with push on: Google → CRM and CRM → Google.

The whole product runs as ``tandem up`` runs it, each part in its own process on loopback:
the Google emulator (``tandem fake-google``), the web app (waitress) whose address is
PUBLIC_BASE_URL so the emulator's push notifications reach its webhook, and a real Celery
worker (prefork, concurrency 2) on the embedded SQLite broker, or on Redis when
CELERY_BROKER_URL is given. This process sets up one connected user and measures:

- Google-side edits: a person PATCHes an event's summary in Google; the time from the PATCH
  returning to the CRM's row showing the new subject (the database polled every 20 ms).
  Path: emulator push → webhook → request_sync (debounce) → broker → worker → sync.
- CRM-side edits: ``meeting_update`` as the CRM's pages call it; the time from just before
  the call (which commits and, on commit, queues the sync) to Google's event showing the new
  summary (the emulator's API polled every 20 ms).
  Path: on-commit request_sync (debounce) → broker → worker → sync → PATCH.

Edits are made one at a time: after each one is visible, the benchmark waits until no run
is queued or running (the echo of the previous edit), so each edit is timed on its own.

    .venv/bin/python bench/latency_bench.py [--edits 50] [--debounce 0.3]
    CELERY_BROKER_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/latency_bench.py

The database is a fresh SQLite file in a temporary directory (or DATABASE_URL; its name must
contain "bench", and it is emptied first).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import sync_setup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACCOUNT = "bench@example.com"
CLIENT_ID = "tandem-latency-bench.apps.googleusercontent.test"
CLIENT_SECRET = "tandem-latency-bench-secret"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
POLL = 0.02  # seconds between two looks at the other side
TIMEOUT = 30.0  # an edit not visible after this long counts as lost


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"gave up waiting for {what}")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def children(var: Path, env: dict[str, str], specs: list[tuple[str, list[str]]]) -> Iterator[None]:
    """Starts each process in its own session (so it can be stopped with its children) and
    stops exactly those processes afterwards."""
    started: list[Child] = []
    try:
        for name, argv in specs:
            log = var / f"{name}.log"
            process = subprocess.Popen(
                argv,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=ROOT,
            )
            started.append(Child(name, process, log))
        yield
    finally:
        for child in started:
            if child.process.poll() is None:
                os.killpg(child.process.pid, signal.SIGTERM)
        for child in started:
            try:
                child.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)


def environment(args: argparse.Namespace, var: Path, google: str, web: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "TANDEM_VAR_DIR": str(var),
            "GOOGLE_ENDPOINTS": "emulator",
            "FAKE_GOOGLE_URL": google,
            "GOOGLE_CLIENT_ID": CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            # The emulator's copy of the secret (never on its command line).
            "FAKE_GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "PUBLIC_BASE_URL": web,
            "SYNC_DEBOUNCE_SECONDS": str(args.debounce),
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.setdefault("CELERY_BROKER_URL", f"sqla+sqlite:///{var / 'celery-broker.sqlite3'}")
    return env


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if env.get("DATABASE_URL"):
        name = urlsplit(env["DATABASE_URL"]).path.lstrip("/")
        if "bench" not in name:
            raise SystemExit(f"Refusing to empty database {name!r}: its name must contain 'bench'.")
        call_command("flush", interactive=False, verbosity=0)


# -- the two sides -----------------------------------------------------------------------------


class Google:
    """The person's side: the emulator's Calendar API with their own token, and its control
    API for setting up."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.control = httpx.Client(base_url=f"{base}/_emulator/", timeout=10)
        token = self.mint(client_id=None)
        self.api = httpx.Client(
            base_url=f"{base}/calendar/v3/calendars/{quote(ACCOUNT, safe='')}/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    def mint(self, *, client_id: str | None) -> str:
        body: dict[str, Any] = {"email": ACCOUNT, "scopes": [CALENDAR_SCOPE]}
        if client_id:
            body["client_id"] = client_id
        answer = self.control.post("tokens", json=body)
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def event_insert(self, n: int) -> str:
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
            days=1 + n // 8, hours=n % 8
        )
        answer = self.api.post(
            "events",
            json={
                "summary": f"Customer call {n}",
                "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Berlin"},
                "end": {"dateTime": (start + timedelta(minutes=45)).isoformat()},
            },
        )
        answer.raise_for_status()
        event_id: str = answer.json()["id"]
        return event_id

    def summary_of(self, event_id: str) -> str:
        answer = self.api.get(f"events/{quote(event_id, safe='')}")
        answer.raise_for_status()
        return str(answer.json().get("summary", ""))

    def rename(self, event_id: str, summary: str) -> None:
        self.api.patch(f"events/{quote(event_id, safe='')}", json={"summary": summary})


def user_connect(google: Google) -> int:
    """A CRM user connected to ACCOUNT, syncing its primary calendar both ways (as the
    sync benchmarks connect theirs). Saving the settings queues the first sync, which the
    worker runs."""
    connected = sync_setup.user_connect(
        access_token=google.mint(client_id=CLIENT_ID), username="latency", email=ACCOUNT
    )
    return connected.user_id


def quiet(user_id: int) -> bool:
    """No run queued or running for the user: the previous edit's echo has settled."""
    from django.utils import timezone

    from tandem.sync.models import SyncRun, UserSyncState

    state = UserSyncState.objects.get(owner_id=user_id)
    queued = state.queued_for is not None and state.queued_for > timezone.now() - timedelta(
        seconds=2
    )
    running = SyncRun.objects.filter(owner_id=user_id, status=SyncRun.Status.RUNNING).exists()
    return not queued and not running and state.locked_until is None


def settle(user_id: int) -> None:
    time.sleep(0.3)
    wait_for(lambda: quiet(user_id), timeout=30, what="the user's runs to settle")
    time.sleep(0.2)


def poll_until(check: Callable[[], bool], *, since: float) -> float:
    """Seconds from ``since`` until ``check`` holds (looked at every POLL); infinity when
    it does not within TIMEOUT."""
    while time.monotonic() - since < TIMEOUT:
        if check():
            return time.monotonic() - since
        time.sleep(POLL)
    return float("inf")


def _crm_shows(*, user_id: int, subject: str) -> bool:
    from tandem.meetings.models import Meeting

    return Meeting.objects.filter(owner_id=user_id, subject=subject).exists()


def _google_shows(google: Google, event_id: str, summary: str) -> bool:
    return google.summary_of(event_id) == summary


@dataclass
class Sample:
    latency: float  # seconds; infinity when never seen
    at: datetime  # wall clock when the edit was made, to find the run that carried it


def google_side(google: Google, user_id: int, event_ids: list[str], edits: int) -> list[Sample]:
    samples = []
    for n in range(edits):
        event_id = event_ids[n % len(event_ids)]
        summary = f"Renamed in Google {n}"
        google.rename(event_id, summary)
        returned, at = time.monotonic(), datetime.now(UTC)
        took = poll_until(partial(_crm_shows, user_id=user_id, subject=summary), since=returned)
        samples.append(Sample(took, at))
        settle(user_id)
    return samples


def crm_side(google: Google, user_id: int, edits: int) -> list[Sample]:
    from tandem.meetings.models import Meeting
    from tandem.meetings.services import MeetingInput, meeting_update
    from tandem.sync.models import EventLink

    links = list(EventLink.objects.filter(owner_id=user_id).select_related("meeting"))
    samples = []
    for n in range(edits):
        link = links[n % len(links)]
        meeting = Meeting.objects.get(pk=link.meeting_id)
        summary = f"Renamed in the CRM {n}"
        data = MeetingInput(
            subject=summary,
            start=meeting.start,
            end=meeting.end,
            time_zone=meeting.time_zone,
            description=meeting.description,
            location=meeting.location,
            visibility=meeting.visibility,
        )
        begin, at = time.monotonic(), datetime.now(UTC)
        meeting_update(meeting=meeting, data=data)  # commits; on commit queues the sync
        took = poll_until(partial(_google_shows, google, link.event_id, summary), since=begin)
        samples.append(Sample(took, at))
        settle(user_id)
    return samples


def breakdown(user_id: int, samples: list[Sample], trigger: str) -> tuple[list[float], list[float]]:
    """Per edit, from the run that carried it: seconds from the edit to the run's start
    (push delivery, webhook, debounce, broker, worker pick-up) and the run's own duration."""
    from tandem.sync.models import SyncRun

    runs = list(
        SyncRun.objects.filter(owner_id=user_id, trigger=trigger, finished_at__isnull=False)
        .order_by("started_at")
        .values_list("started_at", "finished_at")
    )
    waits, durations = [], []
    for sample in samples:
        carrier = next(((s, f) for s, f in runs if s >= sample.at and f is not None), None)
        if carrier is not None and carrier[1] is not None:
            started, finished = carrier
            waits.append((started - sample.at).total_seconds())
            durations.append((finished - started).total_seconds())
    return waits, durations


# -- report -------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def row(name: str, samples: list[Sample]) -> str:
    values = [sample.latency for sample in samples]
    lost = sum(1 for v in values if v == float("inf"))
    seen = [v for v in values if v != float("inf")]
    if not seen:
        return f"| {name} | {len(values)} | - | - | - | {lost} |"
    return (
        f"| {name} | {len(values)} | {statistics.median(seen):.2f} s "
        f"| {percentile(values, 0.95):.2f} s | {max(values):.2f} s | {lost} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=50, help="edits each way")
    parser.add_argument(
        "--debounce", type=float, default=0.5, help="SYNC_DEBOUNCE_SECONDS (default setting: 0.5)"
    )
    parser.add_argument("--events", type=int, default=20, help="events in the calendar")
    parser.add_argument("--verbose", action="store_true", help="print every edit's figures")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="tandem-latency-"))
    google_url = f"http://127.0.0.1:{free_port()}"
    web_port = free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    env = environment(args, var, google_url, web_url)
    python = sys.executable
    specs = [
        (
            "google",
            [python, "-m", "tandem.cli", "fake-google", "--host", "127.0.0.1",
             "--port", str(urlsplit(google_url).port), "--client-id", CLIENT_ID,
             "--account", ACCOUNT],
        ),
    ]  # fmt: skip
    django_setup(env)  # migrates before the web app and the worker start
    workers = [
        (
            "web",
            [python, "-m", "waitress", "--listen", f"127.0.0.1:{web_port}", "--threads", "8",
             "config.wsgi:application"],
        ),
        (
            "worker",
            [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "WARNING",
             "--concurrency", "2", "--without-gossip", "--without-mingle",
             "--hostname", f"latency-{os.getpid()}@%h"],
        ),
    ]  # fmt: skip
    broker = env["CELERY_BROKER_URL"].split(":", 1)[0]
    with children(var, env, specs + workers):
        wait_for(
            lambda: httpx.get(f"{google_url}/_emulator/health").status_code == 200,
            timeout=30,
            what="the emulator",
        )
        wait_for(
            lambda: httpx.get(f"{web_url}/google/push/").status_code == 405,
            timeout=30,
            what="the web app",
        )
        google = Google(google_url)
        event_ids = [google.event_insert(n) for n in range(args.events)]
        user_id = user_connect(google)

        from tandem.sync.models import CalendarSyncState, SyncRun

        wait_for(
            lambda: (
                SyncRun.objects.filter(owner_id=user_id, status="succeeded").exists()
                and CalendarSyncState.objects.filter(owner_id=user_id)
                .exclude(channel_id="")
                .exists()
            ),
            timeout=90,
            what="the first sync and its push channel (is the worker running? see "
            f"{var}/worker.log)",
        )
        settle(user_id)
        from_google = google_side(google, user_id, event_ids, args.edits)
        from_crm = crm_side(google, user_id, args.edits)
        runs = SyncRun.objects.filter(owner_id=user_id).count()
        google_parts = breakdown(user_id, from_google, "push")
        crm_parts = breakdown(user_id, from_crm, "crm_change")
        if args.verbose:
            for name, samples, (waits, durations) in (
                ("google", from_google, google_parts),
                ("crm", from_crm, crm_parts),
            ):
                for sample, wait, duration in zip(samples, waits, durations, strict=False):
                    print(
                        f"{name}: {sample.latency:.3f} s (run started after {wait:.3f} s, "
                        f"took {duration:.3f} s)"
                    )

    machine = f"{os.cpu_count()} CPUs, {platform.platform()}"
    print(f"\nMachine: {machine}, Python {platform.python_version()}")
    print(f"Broker: {broker}; SYNC_DEBOUNCE_SECONDS={args.debounce}; {args.edits} edits each way")
    print(f"Load average at the end: {os.getloadavg()}; {runs} sync runs in all\n")
    print("| Edit | n | p50 | p95 | max | not seen within 30 s |")
    print("|---|---|---|---|---|---|")
    print(row("Google → CRM (PATCH returned → row shows it)", from_google))
    print(row("CRM → Google (service call → event shows it)", from_crm))
    print("\n| Where the time goes (p50 / p95) | edit → run starts | run |")
    print("|---|---|---|")
    for name, (waits, durations) in (("Google → CRM", google_parts), ("CRM → Google", crm_parts)):
        if waits:
            print(
                f"| {name} | {statistics.median(waits):.2f} s / {percentile(waits, 0.95):.2f} s "
                f"| {statistics.median(durations):.2f} s / {percentile(durations, 0.95):.2f} s |"
            )
    print(f"\nLogs: {var}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
