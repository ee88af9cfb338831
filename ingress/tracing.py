"""ASGI middleware: one SERVER span per request, and the request's ids in the log context.

The span continues the caller's W3C `traceparent` when there is one; it is named after the
route template (`POST /agents/`), never the raw path, and carries the request id, the status
and, once the token is verified, `tenant.id`. With telemetry disabled only the log context is
bound. It runs inside `RequestContext`, which has already chosen the request id.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import logs
from shared.telemetry import REQUEST_ID, TENANT_ID, Telemetry
from shared.tracing import context_of


def _telemetry(scope: Scope) -> Telemetry:
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    telemetry = getattr(services, "telemetry", None)
    return telemetry if isinstance(telemetry, Telemetry) else Telemetry.disabled()


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else ""


class TraceRequests:
    """Trace each HTTP request and bind its request id for the logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        token = logs.bind(request_id=state.get("request_id"))
        try:
            telemetry = _telemetry(scope)
            if telemetry.enabled:
                await self._traced(telemetry, scope, receive, send, state)
            else:
                await self.app(scope, receive, send)
        finally:
            logs.unbind(token)

    async def _traced(
        self,
        telemetry: Telemetry,
        scope: Scope,
        receive: Receive,
        send: Send,
        state: dict[str, Any],
    ) -> None:
        method = scope["method"]
        headers = dict(scope["headers"])
        parent = headers.get(b"traceparent", b"").decode("latin-1") or None
        status_code = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        with telemetry.tracer.start_as_current_span(
            method,
            context=context_of(parent),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": scope["path"],
                REQUEST_ID: state.get("request_id", ""),
            },
        ) as span:
            try:
                await self.app(scope, receive, send_and_watch)
            finally:
                route = _route(scope)
                if route:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                tenant = state.get("tenant_id")
                if isinstance(tenant, str):
                    span.set_attribute(TENANT_ID, tenant)
                span.set_attribute("http.response.status_code", status_code)
                if status_code >= 500:
                    span.set_status(Status(StatusCode.ERROR))
