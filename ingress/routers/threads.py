"""`/agents/threads`: threads, their messages and their runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from ingress.deps import Caller, CallerDep
from ingress.json_body import JsonRoute
from ingress.pagination import PageDep, fetch, paged
from ingress.problems import Problem
from ingress.responses import PROBLEMS, accepted, ok, ok_list
from ingress.routers.common import ResourceId
from shared.contracts.commands import (
    MessageCreate,
    NewMessage,
    NewRun,
    RunCreate,
    ThreadCreate,
    ThreadDelete,
)
from shared.contracts.errors import ErrorCode
from shared.contracts.metadata import Metadata
from shared.contracts.resources import MESSAGES, RUNS, THREADS, Message, Run, Thread, present

router = APIRouter(
    prefix="/agents/threads", tags=["threads"], responses=PROBLEMS, route_class=JsonRoute
)


class NewThread(BaseModel):
    """The body of `POST /agents/threads` (it may be empty)."""

    model_config = ConfigDict(extra="forbid")

    metadata: Metadata = Field(default_factory=dict)


async def _thread(caller: Caller, thread_id: str) -> dict[str, object]:
    doc = await caller.store.get(THREADS, thread_id)
    if doc is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Thread '{thread_id}' was not found.")
    return doc


@router.post("", status_code=202, summary="Create a thread (async job)", responses=accepted())
async def create_thread(
    request: Request, caller: CallerDep, body: NewThread | None = None
) -> Response:
    command = ThreadCreate(metadata=(body or NewThread()).metadata)
    return await caller.submit(request, command)


@router.get("/{thread_id}", summary="Read a thread", responses=ok(Thread))
async def get_thread(thread_id: ResourceId, caller: CallerDep) -> JSONResponse:
    return JSONResponse(present(Thread, await _thread(caller, thread_id)))


@router.delete(
    "/{thread_id}", status_code=202, summary="Delete a thread (async job)", responses=accepted()
)
async def delete_thread(thread_id: ResourceId, request: Request, caller: CallerDep) -> Response:
    command = ThreadDelete(thread_id=thread_id)
    return await caller.submit(request, command)


@router.post(
    "/{thread_id}/messages",
    status_code=202,
    summary="Add a message (async job)",
    responses=accepted(),
)
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
async def list_messages(
    thread_id: ResourceId, request: Request, caller: CallerDep, page: PageDep
) -> JSONResponse:
    await _thread(caller, thread_id)
    found = await fetch(
        lambda: caller.store.list(
            MESSAGES,
            where={"thread_id": thread_id},
            newest_first=False,
            limit=page.limit,
            after=page.after,
        )
    )
    return paged(request, [present(Message, doc) for doc in found.items], found.next_cursor)


@router.get("/{thread_id}/messages/{message_id}", summary="Read a message", responses=ok(Message))
async def get_message(
    thread_id: ResourceId, message_id: ResourceId, caller: CallerDep
) -> JSONResponse:
    doc = await caller.store.get(MESSAGES, message_id)
    if doc is None or doc.get("thread_id") != thread_id:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Message '{message_id}' was not found.")
    return JSONResponse(present(Message, doc))


@router.post(
    "/{thread_id}/runs", status_code=202, summary="Start a run (async job)", responses=accepted()
)
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
async def list_runs(
    thread_id: ResourceId, request: Request, caller: CallerDep, page: PageDep
) -> JSONResponse:
    await _thread(caller, thread_id)
    found = await fetch(
        lambda: caller.store.list(
            RUNS, where={"thread_id": thread_id}, limit=page.limit, after=page.after
        )
    )
    return paged(request, [present(Run, doc) for doc in found.items], found.next_cursor)


@router.get("/{thread_id}/runs/{run_id}", summary="Read a run", responses=ok(Run))
async def get_run(thread_id: ResourceId, run_id: ResourceId, caller: CallerDep) -> JSONResponse:
    doc = await caller.store.get(RUNS, run_id)
    if doc is None or doc.get("thread_id") != thread_id:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Run '{run_id}' was not found.")
    return JSONResponse(present(Run, doc))
