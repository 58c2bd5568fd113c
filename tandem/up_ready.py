"""What ``tandem up`` checks before it starts the product and before it announces it: the
ports are free, and then every part answers.

A port taken by another program is said plainly with the flag that picks another one,
instead of the web server's traceback; the address is printed only once the web app and the
emulator answer HTTP and the worker and beat have said they are ready, so a person never opens
an address that does not answer yet.
"""

from __future__ import annotations

import errno
import socket
import time
from collections.abc import Callable, Mapping

import httpx


def port_is_free(host: str, port: int) -> bool:
    """True when a server could listen on ``host:port`` now. SO_REUSEADDR as waitress sets
    it, so a socket left in TIME_WAIT by the last run does not count as taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def port_problems(*, host: str, port: int, fake_google_port: int) -> list[str]:
    """One sentence per taken port, naming the flag that chooses another."""
    problems = []
    if not port_is_free(host, port):
        problems.append(
            f"Port {port} is already in use on {host} (another Tandem, or another program). "
            f"Stop that program, or choose another port for the web app: "
            f"tandem up --port {port + 1}"
        )
    if not port_is_free("127.0.0.1", fake_google_port):
        problems.append(
            f"Port {fake_google_port} is already in use on 127.0.0.1 (the Google emulator's "
            f"port). Stop that program, or choose another one: "
            f"tandem up --fake-google-port {fake_google_port + 1}"
        )
    return problems


def http_answers(url: str) -> bool:
    """The server at ``url`` answers HTTP with anything but a server error."""
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def wait_until_ready(
    checks: Mapping[str, Callable[[], bool]],
    *,
    timeout: float,
    given_up: Callable[[], bool] = lambda: False,
    pause: float = 0.2,
) -> list[str]:
    """Asks each check until all say yes or ``timeout`` seconds pass (or ``given_up`` says
    to stop, e.g. a part died or Ctrl-C); returns the names of the parts still not ready."""
    waiting = dict(checks)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline and not given_up():
        for name, check in list(waiting.items()):
            if check():
                del waiting[name]
        if waiting:
            time.sleep(pause)
    return list(waiting)
