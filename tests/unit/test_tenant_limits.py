"""Per-tenant limits over HTTP: the request rate and the commands waiting to start."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli.main import app
from ingress.limits import COUNT_PAGE, FIRST_PAGE, Backlog, _waiting
from shared.adapters.local.store import SqliteStore
from shared.jobs import JOBS
from shared.limits import TenantLimits, limits_of
from shared.tenancy import Tenant, TenantRegistry
from tests.harness import running, settings_for


def _tenants(**limits: dict[str, object]) -> str:
    return json.dumps([{"id": t, "limits": limits.get(t, {})} for t in ("contoso", "fabrikam")])


def test_a_registry_entry_overrides_the_defaults_field_by_field(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, tenant_requests_per_second=5, tenant_burst=7)
    tenant = Tenant.model_validate({"id": "contoso", "limits": {"burst": 3, "max_queued": 4}})
    limits = limits_of(tenant.limits, settings)
    assert (limits.requests_per_second, limits.burst, limits.max_queued) == (5, 3, 4)
    assert limits.concurrent_runs == settings.tenant_concurrent_runs
    assert limits_of(TenantLimits(), settings).burst == 7


async def test_over_its_rate_a_tenant_gets_429_and_another_tenant_does_not(
    tmp_path: Path,
) -> None:
    settings = settings_for(
        tmp_path,
        tenants=_tenants(contoso={"requests_per_second": 0.01, "burst": 5}),
        tenant_requests_per_second=1000,
        tenant_burst=1000,
    )
    async with running(settings, workers=False) as harness:
        statuses = []
        for _ in range(8):
            response = await harness.client.get("/jobs", headers=harness.auth("contoso"))
            statuses.append(response.status_code)
        assert statuses == [200] * 5 + [429] * 3
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "RateLimited"
        assert problem["status"] == 429
        assert int(response.headers["Retry-After"]) >= 99  # one request back every 100 s
        assert response.headers["RateLimit-Limit"] == "5"
        assert response.headers["RateLimit-Remaining"] == "0"
        assert int(response.headers["RateLimit-Reset"]) > 0
        other = await harness.client.get("/jobs", headers=harness.auth("fabrikam"))
        assert other.status_code == 200


async def test_a_command_over_max_queued_is_refused_before_anything_is_enqueued(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, tenants=_tenants(contoso={"max_queued": 3}))
    async with running(settings, workers=False) as harness:
        for n in range(3):
            accepted = await harness.client.post(
                "/cosmos/notes", headers=harness.auth("contoso"), json={"n": n}
            )
            assert accepted.status_code == 202
        refused = await harness.client.post(
            "/cosmos/notes",
            headers=harness.auth("contoso") | {"Idempotency-Key": "k"},
            json={"n": 3},
        )
        assert refused.status_code == 429
        assert refused.json()["code"] == "RateLimited"
        assert "Retry-After" in refused.headers
        jobs = await harness.client.get("/jobs", headers=harness.auth("contoso"))
        assert len(jobs.json()) == 3
        receiver = await harness.services.bus.accept_session("commands", "contoso")
        try:
            assert len(await receiver.receive(10)) == 3
        finally:
            await receiver.close()
        other = await harness.client.post(
            "/cosmos/notes", headers=harness.auth("fabrikam"), json={"n": 0}
        )
        assert other.status_code == 202


def test_tenants_add_sets_the_limits_the_registry_then_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TENANTS", "TENANTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    data = ["--data-dir", str(tmp_path)]
    limits = ["--requests-per-second", "2.5", "--burst", "5", "--concurrent-runs", "1"]
    added = CliRunner().invoke(
        app, ["tenants", "add", "acme", *limits, "--max-queued", "50", *data]
    )
    assert added.exit_code == 0, added.output
    registry = TenantRegistry.from_file(tmp_path / "tenants.json")
    acme = registry.get("acme")
    assert acme is not None
    assert acme.limits == TenantLimits(
        requests_per_second=2.5, burst=5, concurrent_runs=1, max_queued=50
    )
    assert registry.get("contoso") is not None
    assert registry.get("contoso").limits == TenantLimits()  # type: ignore[union-attr]
    listed = CliRunner().invoke(app, ["tenants", "list", *data])
    assert "burst=5" in listed.output
    refused = CliRunner().invoke(app, ["tenants", "add", "acme2", "--burst", "0", *data])
    assert refused.exit_code != 0


@dataclass(frozen=True)
class PageRead:
    after: str | None
    size: int


def recorded_pages(tenant: Any) -> list[PageRead]:
    """Every page of jobs the tenant's store is asked for from now on (a count's first page
    has no cursor)."""
    reads: list[PageRead] = []
    real_list = tenant.list

    async def recording_list(collection: str, **kwargs: Any) -> Any:
        page = await real_list(collection, **kwargs)
        reads.append(PageRead(kwargs.get("after"), len(page.items)))
        return page

    tenant.list = recording_list
    return reads


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "store.sqlite3")
    yield opened
    await opened.close()


async def jobs(store: SqliteStore, *, ended: int, waiting: int) -> Any:
    """Contoso's store with `ended` old jobs, then `waiting` newer ones not started."""
    tenant = store.for_tenant("contoso")
    for n in range(ended):
        await tenant.create(JOBS, {"id": f"old{n}", "status": "Succeeded"})
    for n in range(waiting):
        await tenant.create(JOBS, {"id": f"new{n}", "status": "NotStarted"})
    return tenant


async def test_the_waiting_count_reads_past_a_page_and_stops_at_the_started_ones(
    store: SqliteStore,
) -> None:
    tenant = await jobs(store, ended=1200, waiting=COUNT_PAGE + 150)
    assert await _waiting(tenant, 10_000) == COUNT_PAGE + 150
    assert await _waiting(tenant, 10) >= 10
    assert await _waiting(store.for_tenant("fabrikam"), 10) == 0


async def test_a_short_backlog_is_counted_from_a_few_of_the_newest_jobs(
    store: SqliteStore,
) -> None:
    """Counting at every second must not read pages of a busy tenant's history."""
    tenant = await jobs(store, ended=2000, waiting=3)
    reads = recorded_pages(tenant)
    assert await _waiting(tenant, 10_000) == 3
    assert sum(read.size for read in reads) <= 3 * FIRST_PAGE


async def test_requests_arriving_while_the_backlog_is_counted_share_one_count(
    store: SqliteStore,
) -> None:
    """A burst at the moment a count goes stale reads the backlog once, not once a request."""
    tenant = await jobs(store, ended=0, waiting=300)
    reads = recorded_pages(tenant)
    backlog = Backlog()
    burst = 16
    for now in (0.0, 60.0):  # never counted, then stale
        reads.clear()
        await asyncio.gather(*(backlog.admit(tenant, "contoso", 10_000, now) for _ in range(burst)))
        assert len([read for read in reads if read.after is None]) == 1  # one count
        assert backlog.counts["contoso"].queued == 300
