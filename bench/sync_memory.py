"""Peak memory of a full import, with the emulator in a process of its own.

The emulator runs as ``tandem fake-google`` and is filled through Google's batch endpoint
(a thousand inserts per request). Each size is imported by a fresh child process (fresh
Django, fresh database) that reads its peak RSS (getrusage ru_maxrss) once everything
before the sync is done, and again after the sync; the difference is what the import added
to the process's peak.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import httpx
from sync_scenarios import page_through
from sync_setup import (
    ACCOUNT,
    CLIENT_ID,
    django_configure,
    emulator_process,
    events_seed,
    user_connect,
)

from tandem.fakegoogle import CALENDAR_SCOPE

LIMIT_MB = 200


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def memory_child(*, emulator_url: str, token: str) -> int:
    """In the child: set up, note the peak, import everything, note the peak again."""
    django_configure(emulator_url=emulator_url)
    from tandem.meetings.models import Meeting
    from tandem.sync.engine import sync_user_now

    user = user_connect(access_token=token)
    gc.collect()
    before = _peak_rss_mb()
    paging, _, _ = page_through(user)  # the floor: the same listing, events left unused
    started = time.perf_counter()
    outcome = sync_user_now(user_id=user.user_id, trigger="bench")
    seconds = time.perf_counter() - started
    after = _peak_rss_mb()
    assert outcome.run is not None
    print(
        json.dumps(
            {
                "before_mb": before,
                "after_mb": after,
                "seconds": seconds,
                "paging_seconds": paging,
                "status": outcome.run.status,
                "requests": outcome.run.requests,
                "meetings": Meeting.objects.filter(owner_id=user.user_id).count(),
            }
        )
    )
    return 0


def memory_run(*, sizes: list[int], script: str) -> bool:
    server, base_url = emulator_process()
    ok = True
    try:
        with httpx.Client(base_url=base_url, timeout=300) as control:
            token = control.post(
                "/_emulator/tokens",
                json={"email": ACCOUNT, "scopes": [CALENDAR_SCOPE], "client_id": CLIENT_ID},
            ).json()["access_token"]
        seeded = 0
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=300) as api:
            for size in sorted(sizes):
                started = time.perf_counter()
                events_seed(api, count=size - seeded, first=seeded)
                seeded = size
                print(
                    f"  emulator (own process) holds {seeded} events "
                    f"(seeded in {time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
                env = {**os.environ, "TANDEM_VAR_DIR": tempfile.mkdtemp(prefix="tandem-mem-")}
                child = subprocess.run(
                    [
                        sys.executable,
                        script,
                        "memory-child",
                        "--emulator",
                        base_url,
                        "--token",
                        token,
                    ],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=False,
                )
                if child.returncode != 0:
                    print(child.stderr[-3000:])
                    return False
                figures = json.loads(child.stdout.strip().splitlines()[-1])
                added = figures["after_mb"] - figures["before_mb"]
                print(
                    f"  import of {figures['meetings']} events: {figures['seconds']:.1f} s "
                    f"(plain paging {figures['paging_seconds']:.1f} s, ratio "
                    f"{figures['seconds'] / figures['paging_seconds']:.1f}), "
                    f"{figures['requests']} requests, {figures['status']}; peak RSS "
                    f"{figures['before_mb']:.0f} MB before, {figures['after_mb']:.0f} MB after: "
                    f"+{added:.0f} MB",
                    flush=True,
                )
                ok = ok and figures["meetings"] == size and figures["status"] == "succeeded"
                if size >= 100_000:
                    ok = ok and added < LIMIT_MB
    finally:
        server.terminate()
        server.wait(timeout=30)
    return ok
