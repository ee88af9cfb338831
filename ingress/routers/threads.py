"""`/agents/threads`: threads, their messages and their runs."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ingress.deps import Caller, CallerDep
from ingress.json_body import JsonRoute
from ingress.pagination import PageDep
from ingress.read_models import one_or_404, page_of
from ingress.responses import PROBLEMS, ok, ok_list
from ingress.routers.common import ResourceId, command_route
from shared.contracts.commands import (
    MessageCreate,
    NewMessage,
    NewRun,
    RunCreate,
    ThreadCreate,
    ThreadDelete,
)
from shared.contracts.metadata import Metadata
from shared.contracts.resources import MESSAGES, RUNS, THREADS, Message, Run, Thread, present
from shared.ports.store import Document

router = APIRouter(
    prefix="/agents/threads", tags=["threads"], responses=PROBLEMS, route_class=JsonRoute
)


class NewThread(BaseModel):
    """The body of `POST /agents/threads` (it may be empty)."""

    model_config = ConfigDict(extra="forbid")

    metadata: Metadata = Field(default_factory=dict)


async def _thread(caller: Caller, thread_id: str) -> Document:
    return await one_or_404(caller.store, THREADS, thread_id, "Thread")


@command_route(router.post, "", "Create a thread (async job)")
async def create_thread(
    request: Request, caller: CallerDep, body: NewThread | None = None
) -> Response:
    command = ThreadCreate(metadata=(body or NewThread()).metadata)
    return await caller.submit(request, command)


@router.get("/{thread_id}", summary="Read a thread", responses=ok(Thread))
async def get_thread(thread_id: ResourceId, caller: CallerDep) -> JSONResponse:
    return JSONResponse(present(Thread, await _thread(caller, thread_id)))


@command_route(router.delete, "/{thread_id}", "Delete a thread (async job)")
async def delete_thread(thread_id: ResourceId, request: Request, caller: CallerDep) -> Response:
    command = ThreadDelete(thread_id=thread_id)
    return await caller.submit(request, command)


@command_route(router.post, "/{thread_id}/messages", "Add a message (async job)")
async def create_message(
    thread_id: ResourceId,
    body: NewMessage,
    request: Request,
    caller: CallerDep,
) -> Response:
    command = MessageCreate(thread_id=thread_id, **body.model_dump())
    return await caller.submit(request, command)


@router.get(
    "/{thread_id}/messages",
    summary="List a thread's messages, oldest first",
    responses=ok_list(Message),
)
async def list_messages(thread_id: ResourceId, caller: CallerDep, page: PageDep) -> JSONResponse:
    await _thread(caller, thread_id)
    return await page_of(
        page,
        caller.store,
        MESSAGES,
        partial(present, Message),
        where={"thread_id": thread_id},
        newest_first=False,
    )


@router.get("/{thread_id}/messages/{message_id}", summary="Read a message", responses=ok(Message))
async def get_message(
    thread_id: ResourceId, message_id: ResourceId, caller: CallerDep
) -> JSONResponse:
    doc = await one_or_404(caller.store, MESSAGES, message_id, "Message", thread_id=thread_id)
    return JSONResponse(present(Message, doc))


@command_route(router.post, "/{thread_id}/runs", "Start a run (async job)")
async def create_run(
    thread_id: ResourceId,
    body: NewRun,
    request: Request,
    caller: CallerDep,
) -> Response:
    command = RunCreate(thread_id=thread_id, **body.model_dump())
    return await caller.submit(request, command)


@router.get(
    "/{thread_id}/runs", summary="List a thread's runs, newest first", responses=ok_list(Run)
)
async def list_runs(thread_id: ResourceId, caller: CallerDep, page: PageDep) -> JSONResponse:
    await _thread(caller, thread_id)
    return await page_of(
        page, caller.store, RUNS, partial(present, Run), where={"thread_id": thread_id}
    )


@router.get("/{thread_id}/runs/{run_id}", summary="Read a run", responses=ok(Run))
async def get_run(thread_id: ResourceId, run_id: ResourceId, caller: CallerDep) -> JSONResponse:
    doc = await one_or_404(caller.store, RUNS, run_id, "Run", thread_id=thread_id)
    return JSONResponse(present(Run, doc))
