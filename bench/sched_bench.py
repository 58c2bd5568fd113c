"""Scheduling: one idle dispatch cycle of 1,000 connected users, with 1 and 2 worker processes.

Set-up (outside the timings): a fresh database (SQLite file in a temporary directory, or a
fresh PostgreSQL database with --postgres), the Google emulator served on loopback in this
process with one account per user (seeded through its Python API), and for each user the
rows a connected user has: a GoogleConnection holding an access token minted by the emulator
(encrypted as usual), saved settings (their primary calendar both ways). A first cycle primes
every user (the full listing that stores a sync token); it is timed and reported too.

Measured: the idle cycle. Every user is made due, ``dispatch_due_syncs`` (the task beat runs
every minute) queues the users' tasks on Redis (one ``sync_scheduled_users`` task per 25
users; before issue 11's sixth session one ``sync_user`` task per user), and real
``celery -A config worker --pool solo`` processes (1, then 2) run them. Each sync is one
incremental events.list (nothing changed) plus the database work of a run. The cycle time is
from the start of the dispatch to the moment the last of the 1,000 runs is recorded as
finished (polled in the database every 50 ms).

    .venv/bin/python bench/sched_bench.py [--users 1000] [--broker redis://127.0.0.1:6379/14]
                                          [--postgres postgres://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLIENT_ID = "bench-sched.apps.googleusercontent.test"
CLIENT_SECRET = "bench-sched-secret"  # the emulator's test client, not a real secret


def _prepare_environment(args: argparse.Namespace, tmp: Path) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "TANDEM_VAR_DIR": str(tmp / "var"),
        "SECRET_KEY": "bench-secret",
        "CELERY_BROKER_URL": args.broker,
        "GOOGLE_ENDPOINTS": "emulator",
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": args.database_url,
    }
    os.environ.update(env)
    return env


def _fresh_postgres(url: str) -> tuple[str, str]:
    """Creates a throw-away database next to ``url``'s; returns (its URL, its name)."""
    import psycopg

    name = f"tandem_sched_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _seed(users: int):  # type: ignore[no-untyped-def]
    """The emulator with one account per user, and the users' rows in the database."""
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.utils import timezone

    from tandem.accounts.crypto import encrypt_token
    from tandem.accounts.models import GoogleConnection, SyncSettings
    from tandem.fakegoogle import FakeGoogle
    from tandem.google.oauth import CALENDAR_SCOPES

    call_command("migrate", verbosity=0)
    google = FakeGoogle()
    google.register_client(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=[])
    now = timezone.now()
    scopes = ["openid", "email", *CALENDAR_SCOPES]
    people = User.objects.bulk_create(
        [User(username=f"user{n:04d}", email=f"user{n:04d}@example.com") for n in range(users)]
    )
    connections = []
    for user in people:
        account = google.create_account(email=user.email, name=user.username)
        token = google.mint_access_token(email=user.email, scopes=scopes, client_id=CLIENT_ID)
        connections.append(
            GoogleConnection(
                user=user,
                google_sub=account.sub,
                email=user.email,
                status=GoogleConnection.Status.CONNECTED,
                granted_scopes=scopes,
                access_token_encrypted=encrypt_token(token),
                refresh_token_encrypted="",
                access_token_expires_at=now + timedelta(hours=1),
                connected_at=now,
            )
        )
    GoogleConnection.objects.bulk_create(connections)
    SyncSettings.objects.bulk_create(
        [
            SyncSettings(
                connection=connection,
                inbound_calendar_ids=[connection.email],
                target_calendar_id=connection.email,
                known_calendars=[
                    {
                        "id": connection.email,
                        "summary": connection.email,
                        "access_role": "owner",
                        "primary": True,
                        "time_zone": "UTC",
                    }
                ],
                saved_at=now - timedelta(hours=1),
            )
            for connection in GoogleConnection.objects.all()
        ]
    )
    return google


def _start_workers(count: int, env: dict[str, str], queue: str, logs: Path) -> list:  # type: ignore[type-arg]
    processes = []
    for n in range(count):
        log = (logs / f"worker-{count}-{n}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "config", "worker"),
                    *("--pool", "solo", "--queues", queue, "--loglevel", "WARNING"),
                    *("--without-heartbeat", "--without-mingle", "--without-gossip"),
                    *("--hostname", f"bench{n}-{queue}@%h"),
                ],
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    time.sleep(4)  # let them connect and declare the queue before the dispatch
    for process in processes:
        if process.poll() is not None:
            raise SystemExit(f"a worker exited; see {logs}")
    return processes


def _cpu_seconds(processes: list) -> float:  # type: ignore[type-arg]
    """User plus system CPU time the worker processes have used so far (/proc/PID/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in processes:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def _stop(processes: list) -> None:  # type: ignore[type-arg]
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _cycle(users: int, queue: str, *, timeout: float = 900) -> tuple[float, int]:
    """Makes everyone due, dispatches, waits until every user's run has finished."""
    from django.utils import timezone

    from config.celery import app
    from tandem.sync import tasks
    from tandem.sync.models import SyncRun, UserSyncState

    UserSyncState.objects.update(next_due_at=timezone.now() - timedelta(seconds=1))
    mark = timezone.now()
    # Every sync task (a chunk of scheduled users, or one user's) to the benchmark's queue.
    app.conf.task_routes = {"tandem.sync.tasks.*": {"queue": queue}}
    started = time.perf_counter()
    queued = tasks.dispatch_due_syncs()
    assert queued == users, f"dispatched {queued} of {users}"
    finished = SyncRun.objects.filter(started_at__gte=mark, finished_at__isnull=False)
    while finished.count() < users:
        if time.perf_counter() - started > timeout:
            raise SystemExit(f"only {finished.count()} of {users} runs finished in {timeout} s")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    failed = finished.exclude(status=SyncRun.Status.SUCCEEDED).count()
    return elapsed, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--postgres", default="", help="server URL; a fresh database is made")
    parser.add_argument("--workers", default="1,2", help="worker process counts to compare")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tandem-sched-bench-"))
    pg_name = ""
    if args.postgres:
        args.database_url, pg_name = _fresh_postgres(args.postgres)
    else:
        args.database_url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    env = _prepare_environment(args, tmp)
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connection

        from tandem.sync.models import SyncRun

        google = _seed(args.users)
        with google.serve() as server:
            env["FAKE_GOOGLE_URL"] = server.base_url
            os.environ["FAKE_GOOGLE_URL"] = server.base_url
            settings.FAKE_GOOGLE_URL = server.base_url
            results = []
            # One queue of our own for the whole run (the task route is read once per process).
            queue = f"sched-bench-{uuid.uuid4().hex[:8]}"
            for count in [int(n) for n in args.workers.split(",")]:
                workers = _start_workers(count, env, queue, tmp)
                try:
                    if not SyncRun.objects.exists():
                        prime, prime_failed = _cycle(args.users, queue)
                        print(
                            f"priming cycle (full listings), {count} worker(s): {prime:.1f} s"
                            f" ({prime_failed} not succeeded)",
                            flush=True,
                        )
                    calls_before = len(google.request_log)
                    cpu_before = _cpu_seconds(workers)
                    elapsed, failed = _cycle(args.users, queue)
                    cpu = _cpu_seconds(workers) - cpu_before
                    calls = len(google.request_log) - calls_before
                finally:
                    _stop(workers)
                results.append((count, elapsed, failed, calls))
                print(
                    f"idle cycle, {count} worker process(es): {elapsed:.1f} s for {args.users} "
                    f"users ({args.users / elapsed:.0f} users/s, {calls} Google calls, "
                    f"{failed} runs not succeeded); the workers' CPU {cpu:.1f} s, "
                    f"{cpu * 1000 / args.users:.1f} ms per idle user (Celery's own work "
                    "included, the emulator's not: it serves from this process)",
                    flush=True,
                )
        base = results[0][1]
        for count, elapsed, _, _ in results[1:]:
            print(f"speed-up {results[0][0]} → {count} workers: {base / elapsed:.2f}x")
        print(
            f"database: {connection.vendor}; broker: {args.broker}; "
            f"python {platform.python_version()}; {os.cpu_count()} CPUs"
        )
    finally:
        if pg_name:
            from django.db import connections

            connections.close_all()
            _drop_postgres(args.postgres, pg_name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
