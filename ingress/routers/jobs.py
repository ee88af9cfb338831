"""`/jobs`: the status monitors of the caller's commands."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ingress.deps import CallerDep
from ingress.json_body import JsonRoute
from ingress.links import job_body
from ingress.pagination import PageDep
from ingress.problems import Problem
from ingress.read_models import page_of
from ingress.responses import PROBLEMS, ok, ok_list
from ingress.routers.common import ResourceId
from shared.cancellation import Cancel, cancel
from shared.contracts.commands import RunCancel, RunCreate
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import Job, JobStatus
from shared.jobs import JOBS, load

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=PROBLEMS, route_class=JsonRoute)


@router.get("/{job_id}", summary="Read a job", responses=ok(Job))
async def get_job(request: Request, job_id: ResourceId, caller: CallerDep) -> JSONResponse:
    found = await load(caller.store, job_id)
    if found is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Job '{job_id}' was not found.")
    job, _ = found
    headers = {} if job.status.terminal else {"Retry-After": "1"}
    return JSONResponse(job_body(request, job), headers=headers)


@router.post("/{job_id}/cancel", summary="Cancel a job that has not started", responses=ok(Job))
async def cancel_job(job_id: ResourceId, request: Request, caller: CallerDep) -> JSONResponse:
    """A job not started becomes `Canceled` and its command never takes effect (200); a run's
    job in progress has its run cancelled (200, the job ends `Canceled`); a job that ended
    answers 409 `AlreadyEnded`, any other that started 409 `AlreadyStarted`."""
    now = datetime.fromtimestamp(caller.clock(), UTC)
    outcome, job = await cancel(caller.store, job_id, now)
    if job is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Job '{job_id}' was not found.")
    if outcome is Cancel.ENDED:
        raise Problem.of(
            ErrorCode.ALREADY_ENDED,
            f"Job '{job_id}' already ended {job.status.value}.",
            extra={"jobId": job_id},
        )
    if outcome is Cancel.STARTED and job.type == RunCreate.TYPE and job.result:
        run = job.result  # a run in progress is asked to stop, as `POST .../cancel` does
        await caller.submit(request, RunCancel(thread_id=run["thread_id"], run_id=run["id"]))
        return JSONResponse(job.model_dump(mode="json", by_alias=True, exclude_none=True))
    if outcome is Cancel.STARTED:
        raise Problem.of(
            ErrorCode.ALREADY_STARTED,
            f"Job '{job_id}' has started; its command can no longer be held back.",
            extra={"jobId": job_id},
        )
    return JSONResponse(job.model_dump(mode="json", by_alias=True, exclude_none=True))


@router.get("", summary="List the caller's jobs, newest first", responses=ok_list(Job))
async def list_jobs(
    request: Request,
    caller: CallerDep,
    page: PageDep,
    status: Annotated[JobStatus | None, Query()] = None,
    type: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z]+(\.[a-z_]+)+$")] = None,
) -> JSONResponse:
    where = {}
    if status is not None:
        where["status"] = status.value
    if type is not None:
        where["type"] = type
    return await page_of(
        page,
        caller.store,
        JOBS,
        lambda doc: job_body(
            request, {k: v for k, v in doc.items() if not k.startswith("_") and v is not None}
        ),
        where=where,
    )
