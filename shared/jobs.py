"""Job records: the status monitor of every command, kept in the tenant's partition.

A job document is also the command's entry in the tenant's journal: it keeps the accepted
envelope in a bookkeeping field (`_envelope`, never shown to clients), so replaying a tenant's
commands needs no second write per command.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.contracts.envelope import Envelope
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import Job, JobError, JobStatus, without_store_fields
from shared.optimistic import replace_if_unchanged
from shared.ports.store import ETAG, TenantStore

JOBS = "jobs"
JOURNAL_FIELD = "_envelope"


EXPIRED = "Expired"
"""The error code of a job whose command was never run within its time to live."""

_OUTCOMES = frozenset(code.value for code in ErrorCode) - {ErrorCode.DEAD_LETTERED.value}


def dead_lettered(job: Job) -> bool:
    """Whether the job failed because its message was dead-lettered (or expired), so the
    command never decided anything: its error code is the dead-letter reason, not an outcome
    (an `ErrorCode`)."""
    return (
        job.status is JobStatus.FAILED and job.error is not None and job.error.code not in _OUTCOMES
    )


def is_final(job: Job) -> bool:
    """Whether the job's command took its effect for good: ended, and not dead-lettered.

    A dead-lettered command's job is `Failed` with the dead-letter reason for clients, but the
    ledger lets a replay of that command run again and take the job forward.
    """
    return job.status.terminal and not dead_lettered(job)


async def fail_undecided(
    store: TenantStore, job_id: str, *, code: str, message: str, at: datetime
) -> Job | None:
    """Mark the tenant's job `Failed` with `code` (a dead-letter reason, or `Expired`) unless
    it already ended; the job as it is now, or None if the tenant has no such job."""
    for _ in range(5):
        stored = await store.get(JOBS, job_id)
        if stored is None:
            return None
        job = Job.model_validate(without_store_fields(stored))
        if job.status.terminal:
            return job
        failed = job.model_copy(
            update={
                "status": JobStatus.FAILED,
                "last_updated_date_time": at,
                "error": JobError(code=code, message=message),
            }
        )
        if await replace_job(store, failed, stored):
            return failed
    raise RuntimeError(f"job {job_id} kept changing while it was being failed")


def new_job(job_id: str, command_type: str, at: datetime) -> Job:
    """A job as the ingress records it when it accepts a command."""
    return Job(
        id=job_id,
        type=command_type,
        status=JobStatus.NOT_STARTED,
        created_date_time=at,
        last_updated_date_time=at,
    )


def as_accepted(job: Job) -> Job:
    """The job as it was when the ingress accepted its command."""
    return new_job(job.id, job.type, job.created_date_time)


def _to_doc(job: Job, envelope: Envelope | None = None) -> dict[str, Any]:
    doc = job.model_dump(mode="json", by_alias=True)
    if envelope is not None:
        doc[JOURNAL_FIELD] = envelope.model_dump(mode="json", by_alias=True)
    return doc


def as_doc(job: Job, envelope: Envelope | None = None) -> dict[str, Any]:
    """The job as the store keeps it, journaling `envelope` if one is given."""
    return _to_doc(job, envelope)


async def replace_job(
    store: TenantStore, job: Job, stored: dict[str, Any]
) -> dict[str, Any] | None:
    """Replace the job `stored` was read as with `job`, keeping its bookkeeping fields (the
    journal): the document as written, or None if another writer changed it first."""
    kept = {k: v for k, v in stored.items() if k.startswith("_") and k != ETAG}
    return await replace_if_unchanged(store, JOBS, _to_doc(job) | kept, stored)


def journaled(doc: dict[str, Any]) -> Envelope | None:
    """The envelope a job document keeps, if it keeps one."""
    raw = doc.get(JOURNAL_FIELD)
    return None if raw is None else Envelope.model_validate(raw)


async def record_accepted(store: TenantStore, job: Job, envelope: Envelope) -> Job:
    """Record a new job and journal its envelope, unless a worker already recorded the job
    (the worker journals the envelope then); the job as stored."""
    stored, is_new = await store.create_if_absent(JOBS, _to_doc(job, envelope))
    return job if is_new else Job.model_validate(without_store_fields(stored))


def job_of(doc: dict[str, Any]) -> Job:
    """The job a stored document holds (without the store's bookkeeping)."""
    return Job.model_validate(without_store_fields(doc))


async def load(store: TenantStore, job_id: str) -> tuple[Job, str] | None:
    """The tenant's job and its etag, or None."""
    doc = await store.get(JOBS, job_id)
    if doc is None:
        return None
    return job_of(doc), str(doc[ETAG])


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
    envelope: Envelope | None = None,
    known: dict[str, Any] | None = None,
) -> Job:
    """Move a job forward; a job whose command took effect (`is_final`) is never changed again.

    `envelope` is journaled if the job is new; bookkeeping fields of a stored job are kept.
    `known` is the job's document as the caller last read or wrote it: the first attempt starts
    from it instead of reading again (if it is stale, the write fails on its etag and the next
    attempt reads).
    """
    for attempt in range(5):
        fresh = known is None or known.get("id") != job_id or attempt > 0
        stored = await store.get(JOBS, job_id) if fresh else known
        current = None if stored is None else job_of(stored)
        if current is not None and is_final(current):
            return current
        job = Job(
            id=job_id,
            type=current.type if current else command_type,
            status=status,
            created_date_time=current.created_date_time if current else created,
            last_updated_date_time=at,
            resource_location=location or (current.resource_location if current else None),
            result=result if result is not None else (current.result if current else None),
            error=error,
        )
        if stored is None:
            _, is_new = await store.create_if_absent(JOBS, _to_doc(job, envelope))
            if is_new:
                return job
            continue
        if await replace_job(store, job, stored):
            return job
    raise RuntimeError(f"job {job_id} kept changing while it was being updated")
