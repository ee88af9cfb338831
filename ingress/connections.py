"""Connection guards below ASGI: a deadline for a request's headers.

uvicorn reaps a keep-alive connection only after a response; a connection that opens and sends
nothing, or sends its headers a byte at a time, would otherwise be held for ever. The request
line and headers must arrive within `header_timeout_seconds` of the connection opening (or of
the previous response); past it a connection that sent part of a request gets a 408 and is
closed, an idle one is just closed. Body read timeouts and the concurrency limit live in
`ingress.middleware.Edge`, where the route's own waiting is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\n"
    b"connection: close\r\n"
    b"\r\n"
    b"The request headers took too long"
)


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline (set on a subclass; see `guarded`)."""

    header_timeout_seconds = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._partial = False

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(
            self.header_timeout_seconds, self._headers_too_slow
        )

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        if self._partial:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        _no_delay(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._header_deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # a new request on a kept-alive connection
        super().data_received(data)

    def on_message_begin(self) -> None:
        self._partial = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._disarm()
        self._partial = False
        super().on_headers_complete()


def _no_delay(transport: asyncio.BaseTransport) -> None:
    """Send small writes at once. asyncio sets this only on sockets made with protocol TCP, and
    a listening socket made by `socket.socket(AF_INET)` (protocol 0, as uvicorn's `bind_socket`
    makes it) passes 0 on to every connection: without it a response written in two parts
    waits for the client's delayed ACK, 40 ms a request on a kept-alive connection."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def guarded(header_timeout_seconds: float) -> type[GuardedHttpProtocol]:
    """The protocol class for uvicorn's `http` setting, with this header deadline."""
    return type(
        "GuardedHttpProtocol",
        (GuardedHttpProtocol,),
        {"header_timeout_seconds": header_timeout_seconds},
    )
