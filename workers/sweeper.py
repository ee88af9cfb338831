"""The sweeper of staged uploads: bytes no `file.create` ever claimed are removed in time.

The ingress stages an upload's bytes before it enqueues the command naming them. If the command
never runs (the bus refused it, it expired, it was dead-lettered) no file record ever claims the
bytes; once they are older than `FILES_STAGING_TTL_SECONDS`, the sweeper deletes them. It runs in
every worker process of the local fleet (deleting is idempotent); on Azure, a timer trigger.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from shared.bootstrap import Services
from shared.contracts.resources import FILES

log = logging.getLogger("tenantry.sweeper")

STAGED_PREFIX = "file_"


async def sweep_staged_uploads(services: Services, *, now: datetime | None = None) -> int:
    """Delete every tenant's unclaimed uploads older than the staging TTL; how many went."""
    moment = now or datetime.fromtimestamp(services.clock(), UTC)
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


async def run_sweeper(services: Services, stop: asyncio.Event) -> None:
    """Sweep every `FILES_SWEEP_INTERVAL_SECONDS` until `stop`; a failed sweep is retried later."""
    interval = services.settings.files_sweep_interval_seconds
    while not stop.is_set():
        try:
            await sweep_staged_uploads(services)
        except Exception:  # the next round tries again; the fleet must not die of it
            log.exception("sweeping staged uploads failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
