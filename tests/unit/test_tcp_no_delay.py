"""Connections accepted from a listening socket made with protocol 0 (as uvicorn's `bind_socket`
makes the socket `tenantry up` shares between its ingress processes) get TCP_NODELAY from the
guarded protocol; asyncio alone leaves it off, and each response on a kept-alive connection
then waits out the client's delayed ACK."""

from __future__ import annotations

import asyncio
import socket

from ingress.connections import _no_delay


async def test_an_accepted_connection_sends_small_writes_at_once() -> None:
    listener = socket.socket(socket.AF_INET)  # protocol 0, as uvicorn's bind_socket makes it
    listener.bind(("127.0.0.1", 0))
    seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            _no_delay(transport)
            sock = transport.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname())
        no_delay = await asyncio.wait_for(seen, 10)
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    assert no_delay
