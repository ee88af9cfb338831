"""`Prefer: wait=N` (RFC 7240): answer synchronously when the job ends in time."""

from __future__ import annotations

import asyncio
import re
import time

from shared.contracts.resources import Job
from shared.jobs import load
from shared.ports.store import TenantStore

_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*\"?(\d{1,6})\"?", re.IGNORECASE)


def requested_wait(prefer: str | None, limit: int) -> int | None:
    """The seconds a client asked to wait (capped at `limit`), or None if it did not ask."""
    if not prefer:
        return None
    match = _WAIT.search(prefer)
    return None if match is None else min(int(match.group(1)), limit)


async def wait_for_end(store: TenantStore, job: Job, seconds: float) -> Job:
    """The job once it has ended, or as it stands after `seconds`."""
    deadline = time.monotonic() + seconds
    pause = 0.01
    while not job.status.terminal:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * 1.5, 0.25)
        found = await load(store, job.id)
        if found is not None:
            job = found[0]
    return job
