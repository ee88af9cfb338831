"""The sweeper: what nothing else would ever end or remove, it does, in time.

- Jobs of dead-lettered commands are marked `Failed` (`workers.dead_lettered_jobs`), every
  `DEAD_LETTER_SCAN_SECONDS`.
- A job still `NotStarted` past its command's time to live is marked `Failed` with `Expired`
  (its message expired, or was lost): a client polling it always sees it end.
- Staged uploads no `file.create` ever claimed are removed:

The ingress stages an upload's bytes before it enqueues the command naming them. If the command
never runs (the bus refused it, it expired, it was dead-lettered) no file record ever claims the
bytes; once they are older than `FILES_STAGING_TTL_SECONDS`, the sweeper deletes them. It runs in
every worker process of the local fleet (each sweep is idempotent); on Azure, the Functions
app's `sweep` timer trigger runs `sweep_once` every minute on one instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.bootstrap import Services
from shared.contracts.resources import FILES, Job, JobStatus, without_store_fields
from shared.jobs import EXPIRED, JOBS, fail_undecided
from workers.dead_lettered_jobs import DeadLetterScan

log = logging.getLogger("tenantry.sweeper")

STAGED_PREFIX = "file_"


async def sweep_staged_uploads(services: Services, *, now: datetime | None = None) -> int:
    """Delete every tenant's unclaimed uploads older than the staging TTL; how many went."""
    moment = now or services.now()
    ttl = timedelta(seconds=services.settings.files_staging_ttl_seconds)
    removed = 0
    for tenant in services.registry:
        scope = services.scope(tenant.id)
        for name in await scope.blobs.list_names(STAGED_PREFIX):
            if await scope.store.get(FILES, name) is not None:
                continue
            info = await scope.blobs.info(name)
            if info is None or info.last_modified is None or moment - info.last_modified < ttl:
                continue
            if await scope.blobs.delete(name):
                removed += 1
                log.info("stale staged upload removed", extra={"tenant_id": tenant.id})
    return removed


async def expire_unstarted_jobs(services: Services, *, now: datetime | None = None) -> int:
    """Fail (`Expired`) every tenant's job still NotStarted past the command TTL; how many."""
    moment = now or services.now()
    cutoff = moment - timedelta(seconds=services.settings.command_ttl_seconds)
    expired = 0
    for tenant in services.registry:
        store = services.scope(tenant.id).store
        after: str | None = None
        while True:
            page = await store.list(
                JOBS, where={"status": JobStatus.NOT_STARTED.value}, newest_first=False, after=after
            )
            jobs = [Job.model_validate(without_store_fields(doc)) for doc in page.items]
            for job in jobs:
                if job.created_date_time > cutoff:
                    break
                failed = await fail_undecided(
                    store,
                    job.id,
                    code=EXPIRED,
                    message="The command was not run within its time to live "
                    f"({services.settings.command_ttl_seconds:g} s).",
                    at=moment,
                )
                expired += (
                    failed is not None
                    and failed.error is not None
                    and (failed.error.code == EXPIRED)
                )
            young = any(job.created_date_time > cutoff for job in jobs)
            if young or page.next_cursor is None:
                break
            after = page.next_cursor
    return expired


async def _every(
    seconds: float, sweep: Callable[[], Awaitable[int]], what: str, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await sweep()
        except Exception:  # the next round tries again; the fleet must not die of it
            log.exception("%s failed", what)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


@dataclass(frozen=True)
class Swept:
    """What one round of the sweeps did."""

    dead_letters_ended: int
    jobs_expired: int
    uploads_removed: int


async def sweep_once(services: Services, dead_letters: DeadLetterScan) -> Swept:
    """Each sweep once: dead letters' jobs ended, unstarted jobs expired, stale uploads removed.

    A failing sweep does not keep the others from running; its error is raised after them.
    """
    sweeps = (
        dead_letters.scan(),
        expire_unstarted_jobs(services),
        sweep_staged_uploads(services),
    )
    done = [await _caught(sweep) for sweep in sweeps]
    errors = [result for result in done if isinstance(result, Exception)]
    if errors:
        raise errors[0]
    counts = [result for result in done if isinstance(result, int)]
    return Swept(*counts)


async def _caught(sweep: Awaitable[int]) -> int | Exception:
    try:
        return await sweep
    except Exception as exc:
        log.exception("a sweep failed")
        return exc


async def run_sweeper(services: Services, stop: asyncio.Event) -> None:
    """Run each sweep at its interval until `stop`; a failed sweep is retried later."""
    settings = services.settings
    dead_letters = DeadLetterScan(services)
    await asyncio.gather(
        _every(
            settings.dead_letter_scan_seconds, dead_letters.scan, "ending dead letters' jobs", stop
        ),
        _every(
            settings.job_expiry_sweep_seconds,
            lambda: expire_unstarted_jobs(services),
            "expiring jobs",
            stop,
        ),
        _every(
            settings.files_sweep_interval_seconds,
            lambda: sweep_staged_uploads(services),
            "sweeping staged uploads",
            stop,
        ),
    )
