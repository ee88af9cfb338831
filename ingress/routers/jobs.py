"""`/jobs`: the status monitors of the caller's commands."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ingress.deps import CallerDep
from ingress.links import job_body
from ingress.pagination import PageDep, fetch, paged
from ingress.problems import Problem
from ingress.responses import PROBLEMS, ok, ok_list
from ingress.routers.common import ResourceId
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import Job, JobStatus
from shared.jobs import JOBS, load

router = APIRouter(prefix="/jobs", tags=["jobs"], responses=PROBLEMS)


@router.get("/{job_id}", summary="Read a job", responses=ok(Job))
async def get_job(request: Request, job_id: ResourceId, caller: CallerDep) -> JSONResponse:
    found = await load(caller.store, job_id)
    if found is None:
        raise Problem.of(ErrorCode.NOT_FOUND, f"Job '{job_id}' was not found.")
    job, _ = found
    headers = {} if job.status.terminal else {"Retry-After": "1"}
    return JSONResponse(job_body(request, job), headers=headers)


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
    found = await fetch(
        lambda: caller.store.list(JOBS, where=where, limit=page.limit, after=page.after)
    )
    items = [
        job_body(request, {k: v for k, v in doc.items() if not k.startswith("_") and v is not None})
        for doc in found.items
    ]
    return paged(request, items, found.next_cursor)
