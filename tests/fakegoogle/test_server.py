"""The emulator as a real loopback server: concurrency, dropped connections, persistence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tandem.fakegoogle import CALENDAR_SCOPE, FakeGoogle

from .conftest import ANN, API, meeting

EVENTS = f"{API}/calendars/primary/events"


def test_serves_concurrent_requests(google: FakeGoogle) -> None:
    """Forty inserts from eight threads all succeed with distinct ids."""
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE])
    with google.serve() as server:
        assert server.base_url.startswith("http://127.0.0.1:")

        def insert(n: int) -> str:
            with httpx.Client(
                base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
            ) as c:
                response = c.post(EVENTS, json=meeting(f"m{n}"))
                assert response.status_code == 200
                return str(response.json()["id"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(insert, range(40)))
    assert len(set(ids)) == 40


def test_dropped_connection_over_the_network(google: FakeGoogle) -> None:
    """drop=True closes the socket: a real client sees a transport error, then recovers."""
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE])
    google.inject_fault(route="GET */events", status=0, drop=True)
    with (
        google.serve() as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        ) as client,
    ):
        with pytest.raises(httpx.TransportError):
            client.get(EVENTS)
        assert client.get(EVENTS).status_code == 200


def test_delay_fault_slows_the_answer_but_succeeds(google: FakeGoogle) -> None:
    """A delay fault without a status still answers 200."""
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE])
    google.inject_fault(route="GET */events", status=0, delay=0.05)
    with google.serve() as server:
        response = httpx.get(
            f"{server.base_url}{EVENTS}", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200
    assert google.faults.faults[0].fired == 1


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    """Accounts, events, tokens and sync tokens outlive a restart when a state file is set."""
    state = tmp_path / "google.json"
    first = FakeGoogle(state_file=state)
    first.create_account(email=ANN)
    token = first.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE])
    with first.serve() as server:
        client = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        )
        created = client.post(EVENTS, json=meeting("persisted")).json()
        sync_token = client.get(EVENTS).json()["nextSyncToken"]
    second = FakeGoogle(state_file=state)
    with second.serve() as server:
        client = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {token}"}
        )
        assert client.get(f"{EVENTS}/{created['id']}").json()["summary"] == "persisted"
        incremental = client.get(EVENTS, params={"syncToken": sync_token})
        assert incremental.status_code == 200 and incremental.json()["items"] == []


def test_cli_runs_until_sigterm(tmp_path: Path) -> None:
    """`tandem fake-google` prints its base URL, serves, and exits cleanly on SIGTERM."""
    command = [
        sys.executable,
        "-m",
        "tandem.cli",
        "fake-google",
        "--port",
        "0",
        "--state-file",
        str(tmp_path / "state.json"),
        "--client-id",
        "demo-client",
        "--redirect-uri",
        "http://127.0.0.1:8000/cb",
        "--account",
        "demo@example.com:Demo User",
    ]
    # The secret comes through the environment: `ps` shows every command line.
    environment = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "FAKE_GOOGLE_CLIENT_SECRET": "demo-secret",
    }
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        base = line.rsplit(" ", 1)[1].strip()
        accounts = httpx.get(f"{base}/_emulator/accounts").json()["accounts"]
        assert [(a["email"], a["name"]) for a in accounts] == [("demo@example.com", "Demo User")]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    assert (tmp_path / "state.json").exists()


def test_a_burst_of_writes_reaches_the_state_file_without_a_stop(tmp_path: Path) -> None:
    """Writes made in quick succession are saved shortly after, even if nobody stops the server."""
    import json
    import time

    state = tmp_path / "google.json"
    google = FakeGoogle(state_file=state)
    google.create_account(email=ANN)
    token = google.mint_access_token(email=ANN, scopes=[CALENDAR_SCOPE])
    with httpx.Client(
        transport=google.transport(),
        base_url="http://fg",
        headers={"Authorization": f"Bearer {token}"},
    ) as api:
        ids = [api.post(EVENTS, json=meeting(f"m{n}")).json()["id"] for n in range(5)]
    deadline = time.monotonic() + 10
    saved: set[str] = set()
    while time.monotonic() < deadline and not set(ids) <= saved:
        time.sleep(0.1)
        calendars = json.loads(state.read_text())["calendars"]
        saved = {event_id for c in calendars for event_id in c["events"]}
    assert set(ids) <= saved
