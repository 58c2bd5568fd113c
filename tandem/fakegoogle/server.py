"""Running the emulator as a real HTTP server on loopback (threaded Werkzeug server)."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle


class _QuietHandler(WSGIRequestHandler):
    """No per-request access log lines: the emulator keeps its own request log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class RunningServer:
    """A FakeGoogle served on ``host:port`` from a background thread."""

    def __init__(self, emu: FakeGoogle, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emu = emu
        self._server = make_server(
            host, port, emu.wsgi_app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]  # ThreadingMixIn
        self.host = host
        self.port = self._server.server_port
        shown_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown_host}:{self.port}"
        # A short poll interval: stop() waits up to one interval, once per test server.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakegoogle-http",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.emu.push.stop()
        self.emu.save()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    *,
    host: str,
    port: int,
    state_file: str | None,
    client_id: str | None = None,
    client_secret: str | None = None,
    redirect_uris: list[str] | None = None,
    accounts: list[str] | None = None,
) -> int:
    """Run until SIGINT/SIGTERM; print the base URL first. Used by ``tandem fake-google``."""
    from tandem.fakegoogle.emulator import FakeGoogle

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    emu = FakeGoogle(state_file=Path(state_file) if state_file else None)
    if client_id:
        emu.register_client(
            client_id=client_id,
            client_secret=client_secret or "",
            redirect_uris=redirect_uris or [],
        )
    for account in accounts or []:
        email, _, name = account.partition(":")
        emu.create_account(email=email, name=name)
    running = emu.serve(host=host, port=port)
    print(f"Google emulator listening on {running.base_url}", flush=True)
    stopped = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stopped.wait()
    running.stop()
    return 0
