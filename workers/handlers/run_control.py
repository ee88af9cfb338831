"""Runs under control: started when a run slot frees up, and cancelled on request."""

from __future__ import annotations

from shared import run_events
from shared.contracts.commands import RunCancel, RunPoll, RunStart
from shared.contracts.errors import CommandFailed, ErrorCode, not_found
from shared.contracts.resources import (
    AGENTS,
    RUNS,
    THREADS,
    Agent,
    Run,
    RunStatus,
    present,
    without_store_fields,
)
from shared.ids import derived_id
from workers.context import HandlerContext, Outcome
from workers.handlers.runs import RUN_JOBS, _doc, _finished, _location, free_slot, start


async def start_waiting_run(cmd: RunStart, ctx: HandlerContext) -> Outcome:
    """Start a run that waited for a slot, unless it was cancelled or deleted meanwhile."""
    store = ctx.scope.store
    doc = await store.get(RUNS, cmd.run_id)
    thread = await store.get(THREADS, cmd.thread_id)
    if doc is None or thread is None:
        await free_slot(ctx, cmd.run_id)
        return Outcome(job_id=cmd.job_id, pending=True)
    run = Run.model_validate(without_store_fields(doc))
    if run.status.terminal:
        await free_slot(ctx, run.id)
        return _finished(run, cmd.job_id)
    agent_doc = await store.get(AGENTS, run.assistant_id)
    if agent_doc is None:
        failed = run.model_copy(update={"status": RunStatus.FAILED})
        await store.replace(RUNS, _doc(failed))
        await run_events.record_status(store, present(Run, _doc(failed)), _now(ctx))
        await free_slot(ctx, run.id)
        return _finished(failed, cmd.job_id)
    agent = Agent.model_validate(without_store_fields(agent_doc))
    outcome = await start(ctx, run, thread, agent, run.instructions)
    return Outcome(
        status=outcome.status,
        result=outcome.result,
        location=outcome.location,
        job_id=cmd.job_id,
    )


async def cancel_run(cmd: RunCancel, ctx: HandlerContext) -> Outcome:
    """`cancelling`, the engine asked to stop; a run still waiting for a slot is `cancelled`."""
    store = ctx.scope.store
    doc = await store.get(RUNS, cmd.run_id)
    if doc is None or doc.get("thread_id") != cmd.thread_id:
        raise not_found("Run", cmd.run_id)
    run = Run.model_validate(without_store_fields(doc))
    if run.status is RunStatus.CANCELLED or run.status is RunStatus.CANCELLING:
        return Outcome(result=present(Run, doc), location=_location(run))
    if run.status.terminal:
        raise CommandFailed(
            ErrorCode.ALREADY_ENDED, f"Run '{run.id}' already ended {run.status.value}."
        )
    now = _now(ctx)
    if not run.engine_ref:  # never started: nothing to stop
        ended = run.model_copy(update={"status": RunStatus.CANCELLED, "completed_at": now})
        await store.replace(RUNS, _doc(ended))
        await run_events.record(store, run.id, "thread.run.cancelling", present(Run, doc), now)
        await run_events.record_status(store, present(Run, _doc(ended)), now)
        await free_slot(ctx, run.id)
        await _end_job_soon(ctx, ended)
        return Outcome(result=present(Run, _doc(ended)), location=_location(ended))
    cancelling = run.model_copy(update={"status": RunStatus.CANCELLING})
    await store.replace(RUNS, _doc(cancelling))
    await run_events.record_status(store, present(Run, _doc(cancelling)), now)
    await ctx.scope.engine.cancel_run(run.engine_ref)
    await _end_job_soon(ctx, cancelling)
    return Outcome(result=present(Run, _doc(cancelling)), location=_location(cancelling))


async def _end_job_soon(ctx: HandlerContext, run: Run) -> None:
    """Look at the run now rather than at its next scheduled poll: its job ends `Canceled`."""
    owner = await ctx.scope.store.get(RUN_JOBS, run.id)
    if owner is None:
        return
    poll = RunPoll(thread_id=run.thread_id, run_id=run.id, job_id=str(owner["job_id"]))
    await ctx.follow_up(poll, derived_id("poll", run.id, "cancel"), 0.0)


def _now(ctx: HandlerContext) -> int:
    return int(ctx.now().timestamp())
