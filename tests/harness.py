"""An in-process tenantry: the real ingress app and a real session worker on embedded adapters."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ingress.app import create_app
from shared.bootstrap import Services, bootstrap
from shared.contracts.commands import Command
from shared.settings import Settings
from shared.tokens import issue_dev_token
from workers.handlers import Handler
from workers.pipeline import Pipeline, Sleep
from workers.session_worker import SessionWorker

SECRET = "test-secret-" + "x" * 40
TENANTS = ("contoso", "fabrikam", "northwind")


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    """HS256 settings with the three seed tenants, in `data_dir`."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "jwt_algorithm": "HS256",
        "jwt_secret_key": SECRET,
        "tenants": json.dumps([{"id": t} for t in TENANTS]),
        "bus_lock_duration_seconds": 5.0,
        "run_poll_interval_seconds": 0.01,
    }
    return Settings(**(values | overrides))


@dataclass
class Harness:
    """The app's HTTP client, its services and its worker."""

    client: httpx.AsyncClient
    services: Services
    worker: SessionWorker

    def auth(self, tenant: str, roles: tuple[str, ...] = ("user",)) -> dict[str, str]:
        token = issue_dev_token(self.services.settings, tenant_id=tenant, roles=roles)
        return {"Authorization": f"Bearer {token}"}

    async def wait_for_jobs(self, tenant: str, job_ids: list[str], timeout: float = 30) -> None:
        """Until every job has ended (or fail the test)."""
        async with asyncio.timeout(timeout):
            for job_id in job_ids:
                while True:
                    job = await self.client.get(f"/jobs/{job_id}", headers=self.auth(tenant))
                    if job.json()["status"] in ("Succeeded", "Failed", "Canceled"):
                        break
                    await asyncio.sleep(0.005)


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    *,
    workers: bool = True,
    handlers: Mapping[type[Command], Handler] | None = None,
    sleep: Sleep = asyncio.sleep,
) -> AsyncIterator[Harness]:
    """The app and (optionally) a worker sharing one set of embedded adapters.

    `handlers` replaces the worker's handler table (a test's failing handler, for instance);
    `sleep` is what its retries wait with (a test's clock).
    """
    services = bootstrap(settings)
    app = create_app(settings, services)
    worker = SessionWorker(
        services.bus,
        Pipeline(services, handlers, sleep=sleep),
        concurrency=4,
        batch_size=8,
        lock_duration_seconds=settings.bus_lock_duration_seconds,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, grace_seconds=2)) if workers else None
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tenantry") as client:
        try:
            yield Harness(client, services, worker)
        finally:
            stop.set()
            if task is not None:
                await task
            await services.close()
