"""Canceling a job before its command takes effect: the job record decides, for both sides.

The ingress cancels a `NotStarted` job by replacing it on the etag it read; a worker claims the
job the same way (`NotStarted` -> `Running`) before its handler touches anything. Exactly one of
the two replacements wins, so a command either takes effect and its job cannot be canceled, or
its job is `Canceled` and the worker that later receives it does nothing.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.resources import Job, JobStatus, without_store_fields
from shared.jobs import JOBS, as_doc, replace_job
from shared.ports.store import TenantStore

ATTEMPTS = 20


class Claim(enum.Enum):
    """What a worker may do with the command of a job."""

    RUN = "run"
    """The job is the worker's (claimed now, or it already was): take the effect."""
    CANCELED = "canceled"
    """The job was canceled first: complete the message, take no effect."""


async def claim(
    store: TenantStore,
    job_id: str,
    envelope: Envelope,
    at: datetime,
    *,
    known: dict[str, Any] | None = None,
) -> tuple[Claim, dict[str, Any] | None]:
    """Mark the job `Running` unless it was canceled; a job in any other state is left alone.

    `known` is the job's document as the caller just read it (None: read it here); returned
    beside the claim is the document as the claim left it, for the job's next write.
    """
    for attempt in range(ATTEMPTS):
        stored = known if attempt == 0 and known is not None else await store.get(JOBS, job_id)
        if stored is None:
            job = Job(
                id=job_id,
                type=envelope.type,
                status=JobStatus.RUNNING,
                created_date_time=envelope.time,
                last_updated_date_time=at,
            )
            created, is_new = await store.create_if_absent(JOBS, as_doc(job, envelope))
            if is_new:
                return Claim.RUN, created
            continue
        status = stored.get("status")
        if status == JobStatus.CANCELED.value:
            return Claim.CANCELED, stored
        if status != JobStatus.NOT_STARTED.value:
            return Claim.RUN, stored
        written = await replace_job(store, _changed(stored, JobStatus.RUNNING, at), stored)
        if written is not None:
            return Claim.RUN, written
    raise RuntimeError(f"job {job_id} kept changing while a worker claimed it")


class Cancel(enum.Enum):
    """What a request to cancel a job found."""

    CANCELED = "canceled"
    STARTED = "started"
    ENDED = "ended"
    MISSING = "missing"


async def cancel(store: TenantStore, job_id: str, at: datetime) -> tuple[Cancel, Job | None]:
    """Cancel the job if it has not started; what happened, and the job as it now is."""
    for _ in range(ATTEMPTS):
        stored = await store.get(JOBS, job_id)
        if stored is None:
            return Cancel.MISSING, None
        job = Job.model_validate(without_store_fields(stored))
        if job.status.terminal:
            return Cancel.ENDED, job
        if job.status is not JobStatus.NOT_STARTED:
            return Cancel.STARTED, job
        canceled = _changed(stored, JobStatus.CANCELED, at)
        if await replace_job(store, canceled, stored):
            return Cancel.CANCELED, canceled
    raise RuntimeError(f"job {job_id} kept changing while it was being canceled")


def _changed(stored: dict[str, Any], status: JobStatus, at: datetime) -> Job:
    """The stored job in a new state."""
    job = Job.model_validate(without_store_fields(stored))
    return job.model_copy(update={"status": status, "last_updated_date_time": at})
