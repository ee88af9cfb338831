"""Job records: the status monitor of every command, kept in the tenant's partition."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.contracts.resources import Job, JobError, JobStatus, without_store_fields
from shared.ports.store import ETAG, EtagMismatch, TenantStore

JOBS = "jobs"


def new_job(job_id: str, command_type: str, at: datetime) -> Job:
    """A job as the ingress records it when it accepts a command."""
    return Job(
        id=job_id,
        type=command_type,
        status=JobStatus.NOT_STARTED,
        created_date_time=at,
        last_updated_date_time=at,
    )


def _to_doc(job: Job) -> dict[str, Any]:
    return job.model_dump(mode="json", by_alias=True)


async def record_accepted(store: TenantStore, job: Job) -> Job:
    """Record a new job unless a worker already recorded its progress; the job as stored."""
    stored, _ = await store.create_if_absent(JOBS, _to_doc(job))
    return Job.model_validate(without_store_fields(stored))


async def load(store: TenantStore, job_id: str) -> tuple[Job, str] | None:
    """The tenant's job and its etag, or None."""
    doc = await store.get(JOBS, job_id)
    if doc is None:
        return None
    return Job.model_validate(without_store_fields(doc)), str(doc[ETAG])


async def transition(
    store: TenantStore,
    job_id: str,
    *,
    command_type: str,
    status: JobStatus,
    at: datetime,
    created: datetime,
    result: dict[str, Any] | None = None,
    location: str | None = None,
    error: JobError | None = None,
) -> Job:
    """Move a job forward; a job that already ended is never changed again."""
    for _ in range(5):
        current = await load(store, job_id)
        if current is not None and current[0].status.terminal:
            return current[0]
        base = current[0] if current else None
        job = Job(
            id=job_id,
            type=base.type if base else command_type,
            status=status,
            created_date_time=base.created_date_time if base else created,
            last_updated_date_time=at,
            resource_location=location or (base.resource_location if base else None),
            result=result if result is not None else (base.result if base else None),
            error=error,
        )
        if current is None:
            _, is_new = await store.create_if_absent(JOBS, _to_doc(job))
            if is_new:
                return job
            continue
        try:
            await store.replace(JOBS, _to_doc(job), if_match=current[1])
        except EtagMismatch:
            continue
        return job
    raise RuntimeError(f"job {job_id} kept changing while it was being updated")
