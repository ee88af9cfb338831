"""`/agents`: create, list, read and delete the caller's agents."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ingress.deps import CallerDep
from ingress.json_body import JsonRoute
from ingress.pagination import PageDep
from ingress.read_models import one_or_404, page_of
from ingress.responses import PROBLEMS, ok, ok_list
from ingress.routers.common import ResourceId, command_route
from shared.contracts.commands import AgentCreate, AgentDelete
from shared.contracts.resources import AGENTS, Agent, present

router = APIRouter(prefix="/agents", tags=["agents"], responses=PROBLEMS, route_class=JsonRoute)


@command_route(router.post, "/", "Create an agent (async job)")
async def create_agent(body: AgentCreate, request: Request, caller: CallerDep) -> Response:
    return await caller.submit(request, body)


@router.get("/", summary="List the caller's agents, newest first", responses=ok_list(Agent))
async def list_agents(caller: CallerDep, page: PageDep) -> JSONResponse:
    return await page_of(page, caller.store, AGENTS, partial(present, Agent))


@router.get("/{agent_id}", summary="Read one agent", responses=ok(Agent))
async def get_agent(agent_id: ResourceId, caller: CallerDep) -> JSONResponse:
    doc = await one_or_404(caller.store, AGENTS, agent_id, "Agent")
    return JSONResponse(present(Agent, doc))


@command_route(router.delete, "/{agent_id}", "Delete an agent (async job)")
async def delete_agent(agent_id: ResourceId, request: Request, caller: CallerDep) -> Response:
    command = AgentDelete(agent_id=agent_id)
    return await caller.submit(request, command)
