"""`/webhooks`: the caller's endpoints, their secrets, their delivery log, and redelivery.

Registration is synchronous (API.md): `201` with the endpoint and its `whsec_` secret, shown
this once. URLs pass the SSRF guard at registration, and again at every delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ingress.deps import Caller, CallerDep, ServicesDep
from ingress.json_body import JsonRoute
from ingress.links import absolute
from ingress.pagination import PageDep, fetch, paged
from ingress.problems import Problem
from ingress.responses import PROBLEMS
from shared.bootstrap import Services
from shared.contracts.errors import ErrorCode
from shared.ids import new_id
from shared.ports.bus import BusError
from shared.queues import WEBHOOKS
from shared.ssrf import TargetPolicy, TargetRefused, check_target
from shared.webhooks import deliveries, endpoints
from shared.webhooks.endpoints import Endpoint
from shared.webhooks.events import EVENT_TYPES, EventType

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=PROBLEMS, route_class=JsonRoute)

EndpointId = Annotated[str, Path(pattern=r"^wh_[0-9a-f]{24}$")]
DeliveryId = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{24}$")]
STALE_PENDING = timedelta(minutes=1)
"""A delivery still pending this long after its attempt was due lost its message: resend it."""


class NewEndpoint(BaseModel):
    """A registration: where to send which events."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    description: str = Field("", max_length=512)


def _now(services: Services) -> datetime:
    return datetime.fromtimestamp(services.clock(), UTC)


async def _endpoint(caller: Caller, endpoint_id: str) -> Endpoint:
    found = await endpoints.get(caller.store, endpoint_id)
    if found is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Webhook '{endpoint_id}' was not found.")
    return found


@router.post("", status_code=201, summary="Register an endpoint; its secret is shown once")
async def register(
    request: Request, body: NewEndpoint, caller: CallerDep, services: ServicesDep
) -> JSONResponse:
    policy = TargetPolicy.from_settings(services.settings)
    try:
        await check_target(body.url, policy, services.resolver)
    except TargetRefused as refused:
        raise Problem.of(
            ErrorCode.INVALID, refused.detail, extra={"reason": refused.reason}
        ) from None
    most = services.settings.webhook_max_endpoints
    if await endpoints.count(caller.store, most) >= most:
        raise Problem.of(ErrorCode.CONFLICT, f"A tenant can register at most {most} webhooks.")
    endpoint, secret = await endpoints.register(
        caller.scope,
        body.url,
        body.events,
        body.description,
        int(_now(services).timestamp()),
    )
    return JSONResponse(
        endpoint.present(caller.tenant_id) | {"secret": secret},
        status_code=201,
        headers={"Location": absolute(request, f"/webhooks/{endpoint.id}")},
    )


@router.get("", summary="List the caller's endpoints, newest first")
async def list_endpoints(page: PageDep, caller: CallerDep) -> JSONResponse:
    found, cursor = await fetch(
        lambda: endpoints.listing(caller.store, limit=page.limit, after=page.after)
    )
    return paged(page, [e.present(caller.tenant_id) for e in found], cursor)


@router.get("/{endpoint_id}", summary="Read an endpoint (never its secret)")
async def get_endpoint(endpoint_id: EndpointId, caller: CallerDep) -> JSONResponse:
    return JSONResponse((await _endpoint(caller, endpoint_id)).present(caller.tenant_id))


@router.delete("/{endpoint_id}", status_code=204, summary="Delete an endpoint and its secret")
async def delete_endpoint(
    endpoint_id: EndpointId, caller: CallerDep, services: ServicesDep
) -> Response:
    if not await endpoints.delete(caller.scope, endpoint_id):
        raise Problem.of(ErrorCode.NOT_FOUND, f"Webhook '{endpoint_id}' was not found.")
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", summary="A new secret; the old one signs a while")
async def rotate_secret(
    endpoint_id: EndpointId, caller: CallerDep, services: ServicesDep
) -> JSONResponse:
    now = int(_now(services).timestamp())
    overlap = services.settings.webhook_secret_overlap_seconds
    try:
        secret = await endpoints.rotate(caller.scope, endpoint_id, now, overlap)
    except KeyError as exc:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Webhook '{endpoint_id}' was not found.") from exc
    except endpoints.RotationConflict as exc:
        raise Problem.of(
            ErrorCode.CONFLICT,
            "The endpoint changed meanwhile; rotate again.",
            headers={"Retry-After": "1"},
        ) from exc
    until = datetime.fromtimestamp(now + overlap, UTC)
    return JSONResponse(
        {
            "id": endpoint_id,
            "secret": secret,
            "previousSecretExpiresAt": until.isoformat().replace("+00:00", "Z"),
        }
    )


@router.get("/{endpoint_id}/deliveries", summary="The endpoint's delivery log, newest first")
async def list_deliveries(
    endpoint_id: EndpointId, page: PageDep, caller: CallerDep
) -> JSONResponse:
    await _endpoint(caller, endpoint_id)
    found, cursor = await fetch(
        lambda: deliveries.listing(caller.store, endpoint_id, limit=page.limit, after=page.after)
    )
    return paged(page, [d.present() for d in found], cursor)


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    status_code=202,
    summary="Send a delivery again, on a fresh retry schedule, with the same webhook-id",
)
async def redeliver(
    endpoint_id: EndpointId, delivery_id: DeliveryId, caller: CallerDep, services: ServicesDep
) -> JSONResponse:
    endpoint = await _endpoint(caller, endpoint_id)
    entry = await deliveries.get(caller.store, delivery_id)
    if entry is None or entry.endpoint_id != endpoint.id:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Delivery '{delivery_id}' was not found.")
    if endpoint.status == "disabled":
        raise Problem.of(ErrorCode.CONFLICT, "The endpoint is disabled; register it again.")
    now = _now(services)
    due = entry.next_attempt_at
    if entry.status == "pending" and due is not None and due > now - STALE_PENDING:
        raise Problem.of(ErrorCode.CONFLICT, "A retry of this delivery is already scheduled.")
    message = entry.redelivery(caller.tenant_id, series=new_id("rdl"))
    # pending first: the dispatcher sends whatever the log does not call succeeded
    pending = await deliveries.record(
        caller.store, message, "pending", now=now, next_attempt_at=now
    )
    try:
        await services.bus.send(WEBHOOKS, [message.outgoing(message.series)])
    except BusError as exc:
        await deliveries.record(caller.store, message, entry.status, now=now)
        raise Problem.of(
            ErrorCode.UNAVAILABLE,
            "Redelivery cannot be queued right now.",
            headers={"Retry-After": "5"},
        ) from exc
    return JSONResponse(pending.present(), status_code=202)
