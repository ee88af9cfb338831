"""`/admin`: dead letters of every queue and the audit log, for operators (`tenantry.admin`).

A tenant's token is refused with 403. Replays and purges are written to the audit log with the
operator's subject, the filter and how many messages they touched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ingress.deps import ServicesDep, require_admin
from ingress.json_body import JsonRoute
from ingress.problems import Problem
from ingress.responses import PROBLEMS
from shared.audit import Action, AuditLog
from shared.bootstrap import Services
from shared.contracts.errors import ErrorCode
from shared.recovery import actions, deadletters
from shared.recovery.deadletters import DeadLetterFilter
from shared.tokens import Principal

router = APIRouter(prefix="/admin", tags=["operators"], responses=PROBLEMS, route_class=JsonRoute)

AdminDep = Annotated[Principal, Depends(require_admin)]
Queue = Literal["commands", "webhooks"]
MAX_BATCH = 10_000


class DeadLetterQuery(BaseModel):
    """Which dead letters: every field narrows, none means all of the chosen queues."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    queue: Queue | None = None
    tenant: str | None = Field(None, max_length=64)
    reason: str | None = Field(None, max_length=128)
    type: str | None = Field(None, max_length=64)
    since: datetime | None = None
    until: datetime | None = None
    ids: list[str] | None = Field(None, max_length=1000, description="e.g. commands:42")
    limit: int = Field(1000, ge=1, le=MAX_BATCH)

    def per_queue(self) -> actions.Selection:
        """The queues to visit, each with its filter."""
        where = DeadLetterFilter(
            tenant_id=self.tenant,
            reason=self.reason,
            message_type=self.type,
            since=self.since,
            until=self.until,
        )
        try:
            return actions.per_queue(self.queue, where, self.ids)
        except ValueError as exc:
            raise Problem.of(ErrorCode.INVALID, str(exc)) from exc


class ReplayRequest(DeadLetterQuery):
    dry_run: bool = False


def _now(services: Services) -> datetime:
    return datetime.fromtimestamp(services.clock(), UTC)


@router.get("/deadletters", summary="Dead letters of both queues, oldest first")
async def list_dead_letters(
    services: ServicesDep,
    who: AdminDep,
    query: Annotated[DeadLetterQuery, Query()],
) -> JSONResponse:
    found = await actions.find(services.bus, query.per_queue(), limit=query.limit)
    return JSONResponse([deadletters.describe(queue, dead) for queue, dead in found])


@router.post("/deadletters/replay", summary="Send matching dead letters back to their queue")
async def replay_dead_letters(
    request: ReplayRequest, services: ServicesDep, who: AdminDep
) -> JSONResponse:
    selection = request.per_queue()
    if request.dry_run:
        found = [
            deadletters.dead_letter_id(queue, dead)
            for queue, dead in await actions.find(services.bus, selection, limit=request.limit)
        ]
        return JSONResponse({"dryRun": True, "count": len(found), "ids": found})
    done = await actions.settle(
        services,
        selection,
        action="dlq.replay",
        actor=who.subject,
        at=_now(services),
        limit=request.limit,
    )
    ids = [deadletters.dead_letter_id(queue, dead) for queue, dead in done]
    return JSONResponse({"dryRun": False, "count": len(ids), "ids": ids})


@router.delete("/deadletters/{dead_letter_id}", status_code=204, summary="Purge one dead letter")
async def purge_dead_letter(
    dead_letter_id: Annotated[str, Path(max_length=64)], services: ServicesDep, who: AdminDep
) -> Response:
    missing = Problem.of(ErrorCode.NOT_FOUND, f"Dead letter '{dead_letter_id}' was not found.")
    try:
        selection = actions.named(dead_letter_id)
    except ValueError as exc:
        raise missing from exc
    done = await actions.settle(
        services, selection, action="dlq.purge", actor=who.subject, at=_now(services), limit=1
    )
    if not done:
        raise missing
    return Response(status_code=204)


@router.get("/audit", summary="The audit log of replays and purges, newest first")
async def audit_log(
    services: ServicesDep,
    who: AdminDep,
    action: Annotated[Action | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> JSONResponse:
    entries, _ = await AuditLog(services.store).entries(action=action, limit=limit)
    return JSONResponse([e.model_dump(mode="json") for e in entries])
