"""`Prefer: wait=N` (RFC 7240): answer synchronously when the job ends in time."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

from shared.contracts.resources import Job
from shared.jobs import JOBS, load
from shared.ports.store import TenantStore, WatchableStore

RECHECK_SECONDS = 1.0

_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,6})\"?", re.IGNORECASE)


def requested_wait(prefer: str | None, limit: int) -> int | None:
    """The seconds a client asked to wait (capped at `limit`), or None if it did not ask."""
    if not prefer:
        return None
    match = _WAIT.search(prefer)
    return None if match is None else min(int(match.group(1)), limit)


async def wait_for_end(store: TenantStore, job: Job, seconds: float) -> Job:
    """The job once it has ended, or as it stands after `seconds`.

    A store that announces changes (`WatchableStore`) wakes the wait the moment the job is
    written, by whichever process; it is still re-read every `RECHECK_SECONDS` in case a notice
    is lost. Any other store is polled with back-off.
    """
    if job.status.terminal:
        return job
    deadline = time.monotonic() + seconds
    if not isinstance(store, WatchableStore):
        return await _poll(store, job, deadline)
    with store.watch(JOBS, job.id) as changed:
        job = await _reload(store, job)  # it may have ended before the watch began
        while not job.status.terminal:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, RECHECK_SECONDS))
            changed.clear()
            job = await _reload(store, job)
    return job


async def _reload(store: TenantStore, job: Job) -> Job:
    found = await load(store, job.id)
    return job if found is None else found[0]


async def _poll(store: TenantStore, job: Job, deadline: float) -> Job:
    pause = 0.01
    while not job.status.terminal:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 1.5, 0.25)
        job = await _reload(store, job)
    return job
