"""The ingress's one ASGI middleware: everything a request needs before and around its route.

One layer instead of several, because each layer costs a call, a closure and a header scan on
every request. In order, it
- gives the request an `X-Request-ID` (the caller's, if well formed) and binds it for the logs;
- refuses work past `max_concurrent` requests in flight in this process (503, `Retry-After`);
- refuses a body declared over its path's limit (413) before reading it, and one that turns out
  larger while streaming;
- answers 408 and closes the connection when the client stops sending a body it announced
  (`Content-Length` larger than what follows) for `body_timeout_seconds`;
- traces the request when telemetry is on (`ingress.tracing`);
- adds the security headers to every answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingress.tracing import telemetry_of, traced
from shared import logs
from shared.telemetry import Telemetry

REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc")
DISCONNECT: Message = {"type": "http.disconnect"}


def problem_body(status: int, code: str, title: str, detail: str, scope: Scope) -> bytes:
    """A problem document (as `ingress.problems` writes them) for an answer given here."""
    return json.dumps(
        {
            "type": f"https://tenantry.dev/problems/{code}",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": scope["path"],
            "code": code,
            "requestId": scope["state"]["request_id"],
        }
    ).encode()


class Edge:
    """Request id, limits, timeouts, tracing and security headers, in one ASGI layer."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        path_limits: Mapping[str, int] | None = None,
        body_timeout_seconds: float = 30.0,
        max_concurrent: int = 1000,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = sorted(
            (dict(path_limits or {})).items(), key=lambda item: len(item[0]), reverse=True
        )
        self.body_timeout = body_timeout_seconds
        self.max_concurrent = max_concurrent
        self.in_flight = 0
        self._telemetry: Telemetry | None = None

    def limit_for(self, path: str) -> int:
        """The limit of the most specific configured path that `path` is or is under."""
        for prefix, limit in self.path_limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = declared = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        request_id = given if given and REQUEST_ID.match(given) else f"req_{secrets.token_hex(8)}"
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        extra = [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS]
        if not scope["path"].startswith(DOCS_PATHS):
            extra.append(CSP)
        if self.in_flight >= self.max_concurrent:
            detail = "The server is at its limit of requests in flight; try again shortly."
            await _answer(
                send,
                503,
                "ServiceUnavailable",
                "Service Unavailable",
                detail,
                scope,
                [*extra, (b"retry-after", b"1")],
            )
            return
        limit = self.limit_for(scope["path"])
        if declared is not None and declared.isdigit() and int(declared) > limit:
            detail = f"The request body is over the limit of {limit} bytes."
            await _answer(send, 413, "PayloadTooLarge", "Content Too Large", detail, scope, extra)
            return
        await self._serve(scope, receive, send, limit, extra)

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        limit: int,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        started = answered = body_done = False
        seen = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if answered:
                return  # this layer has answered already (the body timed out)
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        async def guarded_receive() -> Message:
            nonlocal seen, answered, body_done
            if body_done:  # only waiting for a disconnect now (a streamed answer): no deadline
                return await receive()
            try:
                async with asyncio.timeout(self.body_timeout):
                    message = await receive()
            except TimeoutError:
                if not started:
                    detail = f"No request body arrived for {self.body_timeout:g} s."
                    await _answer(send, 408, "Timeout", "Request Timeout", detail, scope, extra)
                    answered = True
                return DISCONNECT
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(
                        413, f"The request body is over the limit of {limit} bytes."
                    )
            return message

        if self._telemetry is None:
            self._telemetry = telemetry_of(scope)
        self.in_flight += 1
        token = logs.bind(request_id=scope["state"]["request_id"])
        try:
            if self._telemetry.enabled:
                await traced(self._telemetry, self.app, scope, guarded_receive, send_with_headers)
            else:
                await self.app(scope, guarded_receive, send_with_headers)
        except Exception:
            if not answered:
                raise  # after a 408 the route's complaint about the lost body is expected
        finally:
            self.in_flight -= 1
            logs.unbind(token)


async def _answer(
    send: Send,
    status: int,
    code: str,
    title: str,
    detail: str,
    scope: Scope,
    headers: list[tuple[bytes, bytes]],
) -> None:
    body = problem_body(status, code, title, detail, scope)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
