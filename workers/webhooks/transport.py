"""An httpx transport that connects only to the address the SSRF guard checked.

The connection goes to `Target.address` while TLS (SNI and certificate checks) and the `Host`
header keep the URL's host name, so a second DNS answer can never redirect the request (no DNS
rebinding). Redirects are not followed and proxies from the environment are ignored.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterable, Iterable

import httpcore
import httpx

from shared.ssrf import Target

MAX_RESPONSE_BYTES = 64 * 1024
"""What is read of a receiver's answer; the rest is discarded."""


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the checked address, and only for the checked host and port."""

    def __init__(self, target: Target, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._target = target
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host.lower().rstrip(".") != self._target.host or port != self._target.port:
            raise httpcore.ConnectError(f"{host}:{port} is not the checked target")
        return await self._inner.connect_tcp(
            str(self._target.address),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class PinnedTransport(httpx.AsyncBaseTransport):
    """Sends requests to one checked target over a connection pinned to its address."""

    def __init__(
        self,
        target: Target,
        ssl_context: ssl.SSLContext,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=1,
            network_backend=PinnedBackend(target, network_backend),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            answer = await self._pool.handle_async_request(core)
            try:
                content = await _read_capped(answer)
            finally:
                await answer.aclose()
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc) or "timed out", request=request) from exc
        except httpcore.ConnectError as exc:
            raise httpx.ConnectError(str(exc) or "cannot connect", request=request) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc
        return httpx.Response(
            answer.status, headers=answer.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


async def _read_capped(answer: httpcore.Response) -> bytes:
    read = bytearray()
    assert isinstance(answer.stream, AsyncIterable)
    async for chunk in answer.stream:
        read += chunk
        if len(read) >= MAX_RESPONSE_BYTES:
            break
    return bytes(read[:MAX_RESPONSE_BYTES])
