"""A tiny real HTTP server on loopback that records push notifications it receives."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import make_server


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict[str, str]] = []
        self.bodies: list[bytes] = []
        self.queries: list[str] = []
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/google"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.bodies.append(environ["wsgi.input"].read(length) if length else b"")
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_X_GOOG")
        }
        self.received.append(headers)
        if environ["PATH_INFO"] == "/hooks/google":  # not the browser's favicon request
            self.queries.append(environ.get("QUERY_STRING", ""))
        page = b"<!doctype html><title>Receiver</title><p>received</p>"
        headers_out = [("Content-Type", "text/html"), ("Content-Length", str(len(page)))]
        start_response(f"{self.status} Status", headers_out)
        return [page]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
