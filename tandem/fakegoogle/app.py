"""The WSGI front: turns WSGI calls into ``ApiRequest``s and answers, or drops the line."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from tandem.fakegoogle.faults import DropConnection
from tandem.fakegoogle.wire import ApiRequest

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from tandem.fakegoogle.emulator import FakeGoogle


class WsgiApp:
    def __init__(self, emu: FakeGoogle) -> None:
        self.emu = emu

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        api_request = ApiRequest(
            method=request.method.upper(),
            path=request.path,
            query=request.args.copy(),
            headers=Headers(list(request.headers.items())),
            body=request.get_data(),
            base_url=request.host_url.rstrip("/"),
            environ=environ,
        )
        try:
            result = self.emu.handle(api_request)
        except DropConnection:
            return self._drop(environ, start_response)
        response = Response(result.body, status=result.status, headers=list(result.headers.items()))
        if result.status in (204, 304):
            response.headers.pop("Content-Type", None)
        return response(environ, start_response)

    @staticmethod
    def _drop(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Close the connection without an answer, the way a flaky network does."""
        connection = environ.get("werkzeug.socket")
        if connection is None:
            # In-process transport: raise what httpx raises when a server hangs up.
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
        start_response("500 Dropped", [])
        return []
