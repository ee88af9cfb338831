"""The console's JSON routes, each for operators only (a tenant's token gets 403).

Dead letters are replayed and purged through `shared.recovery.actions`, as the CLI and the
admin routes do, so each one is written to the audit log with the operator's subject.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from console.activity import last_hour
from console.operators import OperatorDep
from console.problems import ConsoleProblem
from console.queue_counts import queue_counts
from console.tenant_list import MAX_PAGE, tenant_page
from console.webhook_health import endpoint_health
from shared.audit import AuditLog
from shared.bootstrap import Services
from shared.queues import COMMANDS, WEBHOOKS
from shared.recovery import actions, deadletters
from shared.recovery.deadletters import DeadLetterFilter

router = APIRouter(prefix="/api")

DEAD_LETTER_ID = Path(max_length=80, pattern=r"^[a-z]+:[0-9]+$")


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _now(services: Services) -> datetime:
    return datetime.fromtimestamp(services.clock(), UTC)


@router.get("/overview")
async def overview(
    request: Request,
    who: OperatorDep,
    q: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> JSONResponse:
    """One page of tenants with what they have waiting and their last hour, and queue totals."""
    services = _services(request)
    now = _now(services)
    page = tenant_page(services.registry, text=q, offset=offset, limit=limit)
    commands = await queue_counts(services.bus, COMMANDS)
    webhooks = await queue_counts(services.bus, WEBHOOKS)
    rows = []
    for tenant in page.tenants:
        activity = await last_hour(services.store.for_tenant(tenant.id), now)
        rows.append(
            {
                "id": tenant.id,
                "displayName": tenant.display_name or tenant.name or tenant.id,
                "commands": commands.of(tenant.id).to_json(),
                "webhooks": webhooks.of(tenant.id).to_json(),
                "lastHour": activity.to_json(),
            }
        )
    return JSONResponse(
        {
            "at": now.isoformat(),
            "tenantCount": len(services.registry),
            "matching": page.matching,
            "offset": offset,
            "limit": limit,
            "queues": {
                COMMANDS: commands.total.to_json(),
                WEBHOOKS: webhooks.total.to_json(),
            },
            "tenants": rows,
        }
    )


@router.get("/tenants/{tenant_id}/webhooks")
async def tenant_webhooks(
    request: Request, who: OperatorDep, tenant_id: Annotated[str, Path(max_length=64)]
) -> JSONResponse:
    """The tenant's webhook endpoints with their last delivery and recent failures."""
    services = _services(request)
    if tenant_id not in services.registry:
        raise ConsoleProblem(404, "NotFound", f"There is no tenant '{tenant_id}'.")
    return JSONResponse(await endpoint_health(services.store.for_tenant(tenant_id)))


def _shown(queue: str, dead: Any) -> dict[str, Any]:
    described = deadletters.describe(queue, dead)
    described.pop("body", None)
    return described


@router.get("/deadletters")
async def dead_letters(
    request: Request,
    who: OperatorDep,
    tenant: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    """Dead letters of both queues (of one tenant, if named), oldest first, without bodies."""
    selection = actions.per_queue(None, DeadLetterFilter(tenant_id=tenant or None), None)
    found = await actions.find(_services(request).bus, selection, limit=limit)
    return JSONResponse([_shown(queue, dead) for queue, dead in found])


async def _settle_one(request: Request, who: OperatorDep, dead_letter_id: str, action: str) -> int:
    services = _services(request)
    try:
        selection = actions.named(dead_letter_id)
    except ValueError as exc:
        raise ConsoleProblem(
            404, "NotFound", f"There is no dead letter '{dead_letter_id}'."
        ) from exc
    done = await actions.settle(
        services,
        selection,
        action="dlq.replay" if action == "replay" else "dlq.purge",
        actor=who.subject,
        at=_now(services),
        limit=1,
    )
    if not done:
        raise ConsoleProblem(404, "NotFound", f"There is no dead letter '{dead_letter_id}'.")
    return len(done)


@router.post("/deadletters/{dead_letter_id}/replay")
async def replay(
    request: Request, who: OperatorDep, dead_letter_id: Annotated[str, DEAD_LETTER_ID]
) -> JSONResponse:
    """Send a copy of the dead letter back to its queue, remove it, and audit it."""
    count = await _settle_one(request, who, dead_letter_id, "replay")
    return JSONResponse({"replayed": dead_letter_id, "count": count})


@router.delete("/deadletters/{dead_letter_id}", status_code=204)
async def purge(
    request: Request, who: OperatorDep, dead_letter_id: Annotated[str, DEAD_LETTER_ID]
) -> Response:
    """Remove the dead letter for good, and audit it."""
    await _settle_one(request, who, dead_letter_id, "purge")
    return Response(status_code=204)


@router.get("/audit")
async def audit(
    request: Request, who: OperatorDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> JSONResponse:
    """The newest entries of the operators' audit log."""
    entries, _ = await AuditLog(_services(request).store).entries(limit=limit)
    return JSONResponse([entry.model_dump(mode="json") for entry in entries])
