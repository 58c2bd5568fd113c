"""``tandem up``'s checks, on real sockets: a taken port is named with the flag that picks
another one, and the address is announced only once every part answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tandem import up
from tandem.up_ready import http_answers, port_is_free, port_problems, wait_until_ready


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_port_another_program_listens_on_is_taken(taken_port: int) -> None:
    assert not port_is_free("127.0.0.1", taken_port)
    assert port_is_free("127.0.0.1", free_port())


def test_a_taken_web_port_is_named_with_the_flag_that_picks_another(taken_port: int) -> None:
    problems = port_problems(host="127.0.0.1", port=taken_port, fake_google_port=free_port())
    assert problems == [
        f"Port {taken_port} is already in use on 127.0.0.1 (another Tandem, or another "
        f"program). Stop that program, or choose another port for the web app: "
        f"tandem up --port {taken_port + 1}"
    ]


def test_a_taken_emulator_port_names_its_own_flag(taken_port: int) -> None:
    problems = port_problems(host="127.0.0.1", port=free_port(), fake_google_port=taken_port)
    assert len(problems) == 1
    assert f"tandem up --fake-google-port {taken_port + 1}" in problems[0]


def test_up_stops_before_starting_anything_when_a_port_is_taken(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """No migration, no child, no traceback: one plain sentence and exit status 2."""
    assert up.run(host="127.0.0.1", port=taken_port, fake_google_port=free_port()) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"tandem up --port {taken_port + 1}" in err
    assert "Traceback" not in err
    assert "running at" not in out + err


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: object) -> None:
        pass


def test_a_server_answers_only_once_it_listens() -> None:
    port = free_port()
    assert not http_answers(f"http://127.0.0.1:{port}/")
    server = ThreadingHTTPServer(("127.0.0.1", port), _Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert http_answers(f"http://127.0.0.1:{port}/")
    finally:
        server.shutdown()
        server.server_close()


def test_waiting_names_the_parts_that_never_answered() -> None:
    ready = threading.Event()
    threading.Timer(0.1, ready.set).start()
    not_ready = wait_until_ready(
        {"worker": ready.is_set, "web": lambda: False}, timeout=0.6, pause=0.05
    )
    assert not_ready == ["web"]


def test_waiting_stops_at_once_when_told_to() -> None:
    """Ctrl-C while starting: no minute-long wait for parts that will never come."""
    not_ready = wait_until_ready({"web": lambda: False}, timeout=60, given_up=lambda: True)
    assert not_ready == ["web"]
