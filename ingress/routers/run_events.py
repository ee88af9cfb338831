"""A run under the client's control: its events as server-sent events, and cancelling it.

`GET /agents/threads/{thread_id}/runs/{run_id}/events` and `POST .../runs/{run_id}/cancel`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response, StreamingResponse

from ingress.deps import CallerDep
from ingress.event_hub import RunEventHub, Subscription
from ingress.problems import Problem
from ingress.read_models import one_or_404
from ingress.responses import PROBLEMS
from ingress.routers.common import ResourceId, command_route
from shared.contracts.commands import RunCancel
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import RUNS, RunStatus
from shared.run_events import RunEvent, events_of

router = APIRouter(prefix="/agents/threads", tags=["threads"], responses=PROBLEMS)

KEEPALIVE_SECONDS = 15.0
EVENT_STREAM = "text/event-stream"


def hub_of(request: Request) -> RunEventHub:
    """The process's hub, made by the first stream (the app's lifespan closes it)."""
    hub: RunEventHub | None = getattr(request.app.state, "run_event_hub", None)
    if hub is None:
        hub = request.app.state.run_event_hub = RunEventHub(request.app.state.services.store)
    return hub


def frame(event: RunEvent) -> str:
    """One server-sent event: its id (the run's event count), name and JSON data."""
    data = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event.seq}\nevent: {event.event}\ndata: {data}\n\n"


DONE = "event: done\ndata: [DONE]\n\n"


def _resume_after(last_event_id: str | None) -> int:
    if last_event_id is None or not last_event_id.strip():
        return 0
    try:
        after = int(last_event_id.strip())
    except ValueError:
        after = -1

    if after < 0:
        raise Problem.of(ErrorCode.INVALID, "Last-Event-ID is not an event id of this stream.")
    return after


async def _frames(
    request: Request, hub: RunEventHub, subscription: Subscription
) -> AsyncIterator[str]:
    try:
        while True:
            try:
                event = await asyncio.wait_for(subscription.inbox.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n"
                continue
            yield frame(event)
            if event.terminal:
                yield DONE
                return
    finally:
        hub.unsubscribe(subscription)


@command_route(router.post, "/{thread_id}/runs/{run_id}/cancel", "Cancel a run (async job)")
async def cancel_run(
    thread_id: ResourceId, run_id: ResourceId, request: Request, caller: CallerDep
) -> Response:
    """The run goes `cancelling`, then `cancelled` once the engine has stopped it."""
    await one_or_404(caller.store, RUNS, run_id, "Run", thread_id=thread_id)
    return await caller.submit(request, RunCancel(thread_id=thread_id, run_id=run_id))


@router.get(
    "/{thread_id}/runs/{run_id}/events",
    summary="Follow a run's events (server-sent events)",
    response_class=StreamingResponse,
    responses={200: {"content": {EVENT_STREAM: {}}, "description": "The run's events."}},
)
async def stream_run_events(
    thread_id: ResourceId,
    run_id: ResourceId,
    request: Request,
    caller: CallerDep,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """The run's events as they happen, `event: done` after its last; `Last-Event-ID` resumes."""
    after = _resume_after(last_event_id)
    run = await one_or_404(caller.store, RUNS, run_id, "Run", thread_id=thread_id)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    if RunStatus(str(run["status"])).terminal:  # its last event may still be on its way
        ended = await events_of(caller.store, run_id)
        if any(event.terminal for event in ended):  # nothing more will happen: no need to watch
            body = "".join(frame(event) for event in ended if event.seq > after) + DONE
            return StreamingResponse(iter([body]), media_type=EVENT_STREAM, headers=headers)
    hub = hub_of(request)
    subscription = hub.subscribe(caller.tenant_id, run_id, after)
    return StreamingResponse(
        _frames(request, hub, subscription),
        media_type=EVENT_STREAM,
        headers=headers,
    )
