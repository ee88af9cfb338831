"""Runs: started in the engine, then polled by follow-up commands until they end.

A run never holds the tenant's session while the engine works: `run.create` starts it and
schedules a `run.poll` on the same session; each poll looks once and schedules the next.
"""

from __future__ import annotations

from shared import run_events, run_slots
from shared.contracts.commands import RunCreate, RunPoll, RunStart
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import (
    AGENTS,
    MESSAGES,
    RUNS,
    THREADS,
    Agent,
    JobStatus,
    Message,
    Run,
    RunError,
    RunStatus,
    present,
    without_store_fields,
)
from shared.ids import derived_id
from shared.limits import limits_of
from shared.ports.engine import RunRequest, RunState
from shared.run_slots import Waiter
from workers.context import HandlerContext, Outcome
from workers.effects import require
from workers.handlers.agents import definition
from workers.handlers.threads import text_message
from workers.retrieval import latest_question, retrieve, uses_file_search

MAX_POLL_DELAY_SECONDS = 5.0
RUN_JOBS = "run_jobs"
"""Which job each run belongs to: a cancel ends the run's job, not only its own."""


def _location(run: Run) -> str:
    return f"/agents/threads/{run.thread_id}/runs/{run.id}"


def poll_delay(interval: float, attempt: int) -> float:
    """Back off from the configured interval to at most five seconds."""
    return float(min(interval * (1.25 ** min(attempt, 20)), MAX_POLL_DELAY_SECONDS))


async def create_run(cmd: RunCreate, ctx: HandlerContext) -> Outcome:
    """Check the thread and agent are the tenant's, start the run, schedule its first poll."""
    store = ctx.scope.store
    thread = await require(store, THREADS, cmd.thread_id, "Thread")
    agent = Agent.model_validate(
        without_store_fields(await require(store, AGENTS, cmd.agent_id, "Agent"))
    )
    run = Run(
        **ctx.new_resource("run", cmd.metadata),
        thread_id=cmd.thread_id,
        assistant_id=agent.id,
        status=RunStatus.QUEUED,
        model=agent.model,
        instructions=cmd.instructions or agent.instructions,
    )
    stored, _ = await store.create_if_absent(RUNS, run.model_dump(mode="json"))
    current = Run.model_validate(without_store_fields(stored))
    await run_events.record_status(store, present(Run, stored), ctx.created_at)
    if current.status.terminal:
        return _finished(current, ctx.command_id)
    await store.create_if_absent(RUN_JOBS, {"id": run.id, "job_id": ctx.command_id})
    waiter = Waiter(run.id, cmd.thread_id, ctx.command_id)
    if not current.engine_ref and not await _slot(ctx, waiter):
        return _running(current)  # waits `queued` until a run of the tenant ends
    return await start(ctx, current, thread, agent, cmd.instructions)


async def _slot(ctx: HandlerContext, waiter: Waiter) -> bool:
    """A run slot for the run, unless its tenant's `concurrent_runs` are all taken."""
    limit = limits_of(ctx.scope.tenant.limits, ctx.settings).concurrent_runs
    return limit <= 0 or await run_slots.acquire(ctx.scope.store, waiter, limit)


def _running(run: Run) -> Outcome:
    return Outcome(
        status=JobStatus.RUNNING, result=present(Run, _doc(run)), location=_location(run)
    )


async def start(
    ctx: HandlerContext,
    current: Run,
    thread: dict[str, object],
    agent: Agent,
    instructions: str | None,
) -> Outcome:
    """Start the run in the engine (once) and schedule its first poll."""
    store = ctx.scope.store
    if not current.engine_ref:
        knowledge = []
        if uses_file_search(agent):
            question = await latest_question(store, current.thread_id)
            knowledge = await retrieve(ctx.scope.search, question, top=ctx.settings.retrieval_top)
        engine_ref = await ctx.scope.engine.start_run(
            RunRequest(
                run_id=current.id,
                thread_ref=str(thread.get("engine_ref") or current.thread_id),
                agent=definition(agent),
                agent_ref=agent.engine_ref or agent.id,
                instructions=instructions,
                knowledge=knowledge,
            )
        )
        current = current.model_copy(
            update={
                "status": RunStatus.IN_PROGRESS,
                "started_at": int(ctx.now().timestamp()),
                "engine_ref": engine_ref,
            }
        )
        await store.replace(RUNS, _doc(current))
        await run_events.record_status(store, present(Run, _doc(current)), ctx.created_at)
    await _schedule_poll(ctx, current, attempt=0)
    return _running(current)


async def _schedule_poll(ctx: HandlerContext, run: Run, *, attempt: int) -> None:
    poll = RunPoll(thread_id=run.thread_id, run_id=run.id, job_id=_job_of(ctx), attempt=attempt)
    await ctx.follow_up(
        poll,
        derived_id("poll", run.id, str(attempt)),
        poll_delay(ctx.settings.run_poll_interval_seconds, attempt),
    )


def _job_of(ctx: HandlerContext) -> str:
    job_id = ctx.envelope.data.get("job_id")
    return job_id if isinstance(job_id, str) else ctx.command_id


def _doc(run: Run) -> dict[str, object]:
    return run.model_dump(mode="json") | {"engine_ref": run.engine_ref}


async def poll_run(cmd: RunPoll, ctx: HandlerContext) -> Outcome:
    """Look at the run once: record its end, or schedule the next look."""
    store = ctx.scope.store
    doc = await store.get(RUNS, cmd.run_id)
    if doc is None:  # the thread was deleted while the run went on
        await free_slot(ctx, cmd.run_id)
        return Outcome(job_id=cmd.job_id, pending=True)
    run = Run.model_validate(without_store_fields(doc))
    if run.status.terminal:  # recorded by a delivery that died before it ended the job
        await run_events.record_status(store, present(Run, doc), run.completed_at or 0)
        await free_slot(ctx, run.id)
        return _finished(run, cmd.job_id)
    state = await ctx.scope.engine.poll_run(run.engine_ref)
    now = int(ctx.now().timestamp())
    if not state.status.terminal:
        if now - (run.started_at or run.created_at) > ctx.settings.run_timeout_seconds:
            await ctx.scope.engine.cancel_run(run.engine_ref)
            state = RunState(
                RunStatus.EXPIRED,
                last_error=RunError(code="run_expired", message="The run took too long."),
            )
        else:
            await _schedule_poll(ctx, run, attempt=cmd.attempt + 1)
            return Outcome(job_id=cmd.job_id, pending=True)
    if state.status is RunStatus.COMPLETED and state.output_text is not None:
        await _add_answer(ctx, run, state)
    run = run.model_copy(
        update={
            "status": state.status,
            "completed_at": now,
            "usage": state.usage,
            "last_error": state.last_error,
        }
    )
    await store.replace(RUNS, _doc(run))
    await run_events.record_status(store, present(Run, _doc(run)), now)
    await free_slot(ctx, run.id)
    return _finished(run, cmd.job_id)


async def free_slot(ctx: HandlerContext, run_id: str) -> None:
    """Give the ended run's slot to the first run waiting for one, and start that run."""
    limit = limits_of(ctx.scope.tenant.limits, ctx.settings).concurrent_runs
    for waiter in await run_slots.release(ctx.scope.store, run_id, limit):
        start = RunStart(thread_id=waiter.thread_id, run_id=waiter.run_id, job_id=waiter.job_id)
        await ctx.follow_up(start, derived_id("start", waiter.run_id), 0.0)


async def _add_answer(ctx: HandlerContext, run: Run, state: RunState) -> None:
    message_id = derived_id("msg", run.id)
    thread = await ctx.scope.store.get(THREADS, run.thread_id)
    if thread is None:
        return
    await ctx.scope.engine.add_message(
        str(thread.get("engine_ref") or run.thread_id),
        message_id,
        "assistant",
        state.output_text or "",
    )
    message = text_message(
        message_id=message_id,
        thread_id=run.thread_id,
        role="assistant",
        text=state.output_text or "",
        created_at=int(ctx.now().timestamp()),
        tenant_id=ctx.scope.tenant_id,
        metadata=dict(state.metadata),
        annotations=list(state.annotations),
        assistant_id=run.assistant_id,
        run_id=run.id,
    )
    stored, _ = await ctx.scope.store.create_if_absent(MESSAGES, message.model_dump(mode="json"))
    shown = present(Message, stored)
    at = int(ctx.now().timestamp())
    await run_events.record(ctx.scope.store, run.id, "thread.message.created", shown, at)
    await run_events.record(ctx.scope.store, run.id, "thread.message.completed", shown, at)


def _finished(run: Run, job_id: str) -> Outcome:
    result = present(Run, _doc(run))
    if run.status is RunStatus.COMPLETED:
        return Outcome(result=result, location=_location(run), job_id=job_id)
    if run.status is RunStatus.CANCELLED:
        return Outcome(
            status=JobStatus.CANCELED, result=result, location=_location(run), job_id=job_id
        )
    error = run.last_error.message if run.last_error else f"The run ended {run.status.value}."
    return Outcome(
        status=JobStatus.FAILED,
        result=result,
        location=_location(run),
        job_id=job_id,
        error_code=ErrorCode.RUN_FAILED,
        error_message=error,
    )
