"""Tracing of HTTP requests: one SERVER span per request, for the ingress's middleware.

The span continues the caller's W3C `traceparent` when there is one; it is named after the
route template (`POST /agents/`), never the raw path, and carries the request id, the status
and, once the token is verified, `tenant.id`.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.telemetry import REQUEST_ID, TENANT_ID, Telemetry
from shared.tracing import context_of


def telemetry_of(scope: Scope) -> Telemetry:
    """The app's telemetry (from its services), or a disabled one."""
    services = getattr(getattr(scope.get("app"), "state", None), "services", None)
    telemetry = getattr(services, "telemetry", None)
    return telemetry if isinstance(telemetry, Telemetry) else Telemetry.disabled()


def _route(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else ""


async def traced(
    telemetry: Telemetry, app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> None:
    """Call `app` inside a SERVER span describing the request."""
    state: dict[str, Any] = scope["state"]
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
            await app(scope, receive, send_and_watch)
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
