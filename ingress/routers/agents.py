"""`/agents`: create, list, read and delete the caller's agents."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ingress.deps import CallerDep
from ingress.json_body import JsonRoute
from ingress.pagination import PageDep, fetch, paged
from ingress.problems import Problem
from ingress.responses import PROBLEMS, accepted, ok, ok_list
from ingress.routers.common import ResourceId
from shared.contracts.commands import AgentCreate, AgentDelete
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import AGENTS, Agent, present

router = APIRouter(prefix="/agents", tags=["agents"], responses=PROBLEMS, route_class=JsonRoute)


@router.post("/", status_code=202, summary="Create an agent (async job)", responses=accepted())
async def create_agent(body: AgentCreate, request: Request, caller: CallerDep) -> Response:
    return await caller.submit(request, body)


@router.get("/", summary="List the caller's agents, newest first", responses=ok_list(Agent))
async def list_agents(request: Request, caller: CallerDep, page: PageDep) -> JSONResponse:
    found = await fetch(lambda: caller.store.list(AGENTS, limit=page.limit, after=page.after))
    return paged(request, [present(Agent, doc) for doc in found.items], found.next_cursor)


@router.get("/{agent_id}", summary="Read one agent", responses=ok(Agent))
async def get_agent(agent_id: ResourceId, caller: CallerDep) -> JSONResponse:
    doc = await caller.store.get(AGENTS, agent_id)
    if doc is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Agent '{agent_id}' was not found.")
    return JSONResponse(present(Agent, doc))


@router.delete(
    "/{agent_id}", status_code=202, summary="Delete an agent (async job)", responses=accepted()
)
async def delete_agent(agent_id: ResourceId, request: Request, caller: CallerDep) -> Response:
    command = AgentDelete(agent_id=agent_id)
    return await caller.submit(request, command)
