"""``tandem up``: the whole product on one machine, on the embedded default.

Runs migrations, creates the demo user, then supervises four processes: the Google emulator,
the web app (waitress), a Celery worker and Celery beat. Their output is interleaved with a
name prefix. The address is printed only when every part answers (tandem.up_ready), and a
taken port is said plainly with the flag that picks another. Ctrl-C (or SIGTERM) stops all
of them quietly: their shutdown chatter is not shown, and each is asked to stop on its own
(the worker then stops its pool itself, instead of seeing its pool killed under it and
logging errors about it). If one dies, the others are stopped too, because a half-running
product would look healthy while silently not syncing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings

from tandem.google_location import remember_emulator_url
from tandem.up_ready import http_answers, port_problems, wait_until_ready


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    # A line the process prints once it is ready (for those that serve no HTTP).
    ready_line: str = ""
    # Added to the environment of this child only (secrets go here, never into argv,
    # where `ps` shows them to every user of the machine).
    env: dict[str, str] = field(default_factory=dict, repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    ready: threading.Event = field(default_factory=threading.Event, repr=False)


# Set on Ctrl-C: what the children print while they shut down is not the user's business.
_muted = threading.Event()


def _pump(child: Child, stream: IO[bytes]) -> None:
    width = 8
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace").rstrip()
        if child.ready_line and child.ready_line in line:
            child.ready.set()
        if _muted.is_set():
            continue
        sys.stdout.write(f"{child.name:<{width}}| {line}\n")
        sys.stdout.flush()


def _start(child: Child, env: dict[str, str]) -> None:
    child.process = subprocess.Popen(  # noqa: S603 - argv built from our own constants
        list(child.argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**env, **child.env},
        start_new_session=True,
    )
    assert child.process.stdout is not None
    threading.Thread(target=_pump, args=(child, child.process.stdout), daemon=True).start()


def _stop_all(children: Sequence[Child], timeout: float = 10) -> None:
    # SIGTERM to each main process only: the Celery worker stops its own pool (a signal to
    # the whole group killed the pool under it, and it logged ERROR lines about that).
    for child in children:
        if child.process and child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        if child.process is None:
            continue
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(max(0.1, deadline - time.monotonic()))
        # Whatever is left of its group (a stuck child, a pool process) goes now.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)


def _prepare(python: str, env: dict[str, str]) -> str:
    """Migrations, static files and the demo user; returns the demo login line."""
    tandem = [python, "-m", "tandem.cli", "manage"]
    subprocess.run([*tandem, "migrate", "--noinput", "-v", "0"], check=True, env=env)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*tandem, "collectstatic", "--noinput", "-v", "0"], check=True, env=env
    )
    result = subprocess.run(  # noqa: S603
        [*tandem, "create_demo_user"], check=True, env=env, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1]


CALLBACK_PATH = "/preferences/external-services/google/callback/"
# The emulator reads its OAuth client's secret from here (tandem/cli.py, fake-google).
CLIENT_SECRET_VARIABLE = "FAKE_GOOGLE_CLIENT_SECRET"


def children_for(*, python: str, host: str, port: int, fake_google_port: int) -> list[Child]:
    var = str(settings.VAR_DIR)
    web_address = f"http://{host}:{port}"
    return [
        Child(
            "google",
            [
                python, "-m", "tandem.cli", "fake-google",
                "--host", "127.0.0.1", "--port", str(fake_google_port),
                "--state-file", f"{var}/fake-google.json",
                "--client-id", settings.GOOGLE_CLIENT_ID,
                # The browser may call us localhost or 127.0.0.1; Google matches exactly.
                "--redirect-uri", f"{web_address}{CALLBACK_PATH}",
                "--redirect-uri", f"http://localhost:{port}{CALLBACK_PATH}",
                "--account", "demo.sales@gmail.test",
            ],
            env={CLIENT_SECRET_VARIABLE: settings.GOOGLE_CLIENT_SECRET},
        ),
        Child(
            "web",
            [python, "-m", "waitress", "--listen", f"{host}:{port}", "--threads", "8",
             "config.wsgi:application"],
        ),
        Child(
            "worker",
            [python, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",
             "--concurrency", "2", "--hostname", "tandem@%h"],
            ready_line=" ready.",
        ),
        Child(
            "beat",
            [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
             "--schedule", f"{var}/celerybeat-schedule"],
            ready_line="beat: Starting...",
        ),
    ]  # fmt: skip


def run(*, host: str, port: int, fake_google_port: int, ready_timeout: float = 120) -> int:
    problems = port_problems(host=host, port=port, fake_google_port=fake_google_port)
    if problems:
        print("\n".join(problems), file=sys.stderr, flush=True)
        return 2
    python = sys.executable
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    # Every process of this checkout, the CLI run later from another shell included, finds
    # the emulator through this file (tandem/google_location.py).
    emulator_address = f"http://127.0.0.1:{fake_google_port}"
    remember_emulator_url(var_dir=settings.VAR_DIR, url=emulator_address)
    env["FAKE_GOOGLE_URL"] = emulator_address
    # Google (here the emulator, which allows plain HTTP on loopback) sends push
    # notifications to the web app at this address, so the demo gets edits within seconds.
    web_host = "127.0.0.1" if host == "0.0.0.0" else host  # noqa: S104 - a listen-all address
    env.setdefault("PUBLIC_BASE_URL", f"http://{web_host}:{port}")
    env["PYTHONUNBUFFERED"] = "1"
    login = _prepare(python, env)
    username, password = login.split()
    children = children_for(python=python, host=host, port=port, fake_google_port=fake_google_port)
    for child in children:
        _start(child, env)

    stopping = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    shown = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}/"  # noqa: S104
    web_local = f"http://{web_host}:{port}/login/"
    emulator = f"http://127.0.0.1:{fake_google_port}/"
    by_name = {child.name: child for child in children}
    not_ready = wait_until_ready(
        {
            "web": lambda: http_answers(web_local),
            "google": lambda: http_answers(emulator),
            "worker": by_name["worker"].ready.is_set,
            "beat": by_name["beat"].ready.is_set,
        },
        timeout=ready_timeout,
        given_up=lambda: stopping.is_set() or _any_exited(children),
    )
    exit_code = 0
    if stopping.is_set() or _any_exited(children):
        pass  # Ctrl-C while starting, or a part died: the loop below says which and stops
    elif not_ready:
        print(
            f"Tandem did not start: {', '.join(not_ready)} did not answer; stopping.",
            file=sys.stderr,
            flush=True,
        )
        stopping.set()
        exit_code = 1
    else:
        banner = (
            f"\n  Tandem CRM is running at {shown}\n"
            f"  Sign in as: {username} / {password}   (a colleague: colleague / {password})\n"
            f"  Google emulator: {emulator} (demo Google account: demo.sales@gmail.test)\n"
            "  Stop with Ctrl-C.\n"
        )
        print(banner, flush=True)
    while not stopping.is_set():
        for child in children:
            assert child.process is not None
            if child.process.poll() is not None:
                print(f"{child.name} exited with {child.process.returncode}; stopping.")
                exit_code = child.process.returncode or 1
                stopping.set()
                break
        stopping.wait(0.5)
    if exit_code == 0:
        _muted.set()
        print("Stopping Tandem…", flush=True)
    _stop_all(children)
    if exit_code == 0:
        print("Stopped.", flush=True)
    return exit_code


def _any_exited(children: Sequence[Child]) -> bool:
    return any(child.process is not None and child.process.poll() is not None for child in children)
