"""Per-tenant limits at the ingress: the request rate, and the commands waiting to start.

Both answer 429 problem details (`code: RateLimited`) with `Retry-After`; the request rate
also says where the tenant stands in `RateLimit-Limit`, `-Remaining` and `-Reset`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Request

from ingress.problems import Problem
from shared.bootstrap import Services
from shared.contracts.errors import ErrorCode
from shared.contracts.resources import JobStatus
from shared.jobs import JOBS
from shared.limits import limits_of
from shared.ports.store import TenantStore
from shared.rate_limit import SharedRateLimiter
from shared.tenancy import Tenant

BACKLOG_REFRESH_SECONDS = 1.0
"""How long a count of a tenant's waiting commands is trusted before it is counted again."""


def _limiter(app: FastAPI, services: Services) -> SharedRateLimiter:
    limiter: SharedRateLimiter | None = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        limiter = SharedRateLimiter(services.settings.rate_limits_path, services.clock)
        app.state.rate_limiter = limiter
    return limiter


def admit_request(request: Request, services: Services, tenant: Tenant) -> None:
    """Take one request from the tenant's rate, or refuse it with 429."""
    limits = limits_of(tenant.limits, services.settings)
    if limits.requests_per_second <= 0:
        return
    decision = _limiter(request.app, services).take(
        tenant.id, limits.requests_per_second, limits.burst
    )
    if not decision.allowed:
        raise Problem.of(
            ErrorCode.RATE_LIMITED,
            f"Over {limits.requests_per_second:g} requests per second (burst {limits.burst}); "
            "retry after the time Retry-After gives.",
            headers=decision.headers(),
        )


FIRST_PAGE = 32
COUNT_PAGE = 500
CALM_REFRESH_SECONDS = 5.0
"""A count under half the limit is trusted this long: the next few commands cannot reach it."""


async def _waiting(store: TenantStore, up_to: int) -> int:
    """The tenant's `NotStarted` jobs among its newest, counted up to `up_to`.

    Pages grow from `FIRST_PAGE` to `COUNT_PAGE`, so a tenant with a short backlog costs two
    small reads, and one with a long backlog a few large ones.
    """
    waiting, after, size = 0, None, FIRST_PAGE
    while True:
        page = await store.list(JOBS, limit=size, after=after)
        found = sum(1 for doc in page.items if doc.get("status") == JobStatus.NOT_STARTED.value)
        waiting += found
        if waiting >= up_to or found == 0 or page.next_cursor is None:
            return waiting
        after, size = page.next_cursor, min(size * 2, COUNT_PAGE)


@dataclass
class _Count:
    queued: int
    counted_at: float


@dataclass
class Backlog:
    """Each tenant's commands accepted and not yet started, as this process last counted them.

    A count is the tenant's `NotStarted` jobs, read again once it is a second old (five while
    it is under half the limit, as the next few commands cannot reach it then); commands
    this process accepts in between are added to it, so a burst from one process cannot run
    past the limit between two counts. Commands start in the order they came, so the waiting
    ones are the newest: the count reads the newest jobs a page at a time and stops at a page
    with none waiting, or at the limit, never reading the tenant's whole history.

    One count of a tenant runs at a time: requests arriving while it runs go on with the count
    it replaces (or, for a tenant never counted, wait for it), so a burst of requests at the
    moment a count goes stale reads the backlog once, not once per request.
    """

    counts: dict[str, _Count] = field(default_factory=dict)
    counting: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def admit(self, store: TenantStore, tenant_id: str, max_queued: int, now: float) -> None:
        """Refuse with 429 if the tenant already has `max_queued` commands waiting."""
        if max_queued <= 0:
            return
        count = self.counts.get(tenant_id)
        if count is None or now - count.counted_at >= _trust(count.queued, max_queued):
            count = await self._recount(store, tenant_id, max_queued, now, count)
        if count.queued >= max_queued:
            raise Problem.of(
                ErrorCode.RATE_LIMITED,
                f"{max_queued} commands are already waiting to start; retry once some have.",
                headers={"Retry-After": str(int(BACKLOG_REFRESH_SECONDS) or 1)},
            )

    async def _recount(
        self,
        store: TenantStore,
        tenant_id: str,
        max_queued: int,
        now: float,
        stale: _Count | None,
    ) -> _Count:
        """A fresh count, or the stale one while another request is counting."""
        lock = self.counting.setdefault(tenant_id, asyncio.Lock())
        if stale is not None and lock.locked():
            return stale
        async with lock:
            count = self.counts.get(tenant_id)
            if count is None or count is stale:
                count = self.counts[tenant_id] = _Count(await _waiting(store, max_queued), now)
            return count

    def accepted(self, tenant_id: str) -> None:
        """Count one more command waiting, until the next count."""
        count = self.counts.get(tenant_id)
        if count is not None:
            count.queued += 1


def _trust(queued: int, max_queued: int) -> float:
    """How long a count stays good: a second near the limit, longer far from it."""
    return BACKLOG_REFRESH_SECONDS if 2 * queued >= max_queued else CALM_REFRESH_SECONDS


async def admit_command(request: Request, services: Services, tenant: Tenant) -> None:
    """Refuse a new command with 429 while the tenant's waiting commands are at `max_queued`."""
    backlog: Backlog | None = getattr(request.app.state, "backlog", None)
    if backlog is None:
        backlog = request.app.state.backlog = Backlog()
    limits = limits_of(tenant.limits, services.settings)
    store = services.store.for_tenant(tenant.id)
    await backlog.admit(store, tenant.id, limits.max_queued, time.monotonic())
    backlog.accepted(tenant.id)
