"""SIGKILL the worker fleet mid-flight: every accepted job still ends, and nothing twice."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment, LocalFleet
from tests.integration.conftest import collect

pytestmark = pytest.mark.slow

TENANTS = ("contoso", "fabrikam", "northwind")
PER_TENANT = 120


def _statuses(http: httpx.Client, auth: dict[str, str], job_ids: list[str]) -> list[str]:
    return [http.get(f"/jobs/{j}", headers=auth).json()["status"] for j in job_ids]


def test_killing_workers_loses_no_job_and_applies_no_effect_twice(tmp_path: Path) -> None:
    env = {**os.environ, "BUS_LOCK_DURATION_SECONDS": "2", "SHUTDOWN_GRACE_SECONDS": "1"}
    with (
        LocalDeployment(tmp_path, workers=0, env=env) as live,
        httpx.Client(base_url=live.url, timeout=30) as http,
    ):
        auth = {t: {"Authorization": f"Bearer {live.token(t)}"} for t in TENANTS}
        threads = {}
        for tenant in TENANTS:
            accepted = http.post("/agents/threads", headers=auth[tenant], json={})
            threads[tenant] = accepted.json()
        workers = LocalFleet(tmp_path, env).start()
        jobs: dict[str, list[str]] = {t: [] for t in TENANTS}
        try:
            thread_ids = {}
            for tenant in TENANTS:
                deadline = time.monotonic() + 30
                while (
                    job := http.get(f"/jobs/{threads[tenant]['id']}", headers=auth[tenant]).json()
                )["status"] != "Succeeded":
                    assert time.monotonic() < deadline
                    time.sleep(0.05)
                thread_ids[tenant] = job["result"]["id"]
            for i in range(PER_TENANT):
                for tenant in TENANTS:
                    response = http.post(
                        f"/agents/threads/{thread_ids[tenant]}/messages",
                        headers=auth[tenant],
                        json={"content": f"{i}"},
                    )
                    assert response.status_code == 202
                    jobs[tenant].append(response.json()["id"])
                if i == PER_TENANT // 3:
                    workers.kill()  # the whole fleet, mid-flight, no warning
                    workers.start()
            deadline = time.monotonic() + 120
            for tenant in TENANTS:
                while set(_statuses(http, auth[tenant], jobs[tenant])) != {"Succeeded"}:
                    assert time.monotonic() < deadline, "jobs did not all succeed"
                    time.sleep(0.5)
        finally:
            workers.kill()
        for tenant in TENANTS:
            messages = collect(http, f"/agents/threads/{thread_ids[tenant]}/messages", auth[tenant])
            contents = [m["content"][0]["text"]["value"] for m in messages]
            assert contents == [str(i) for i in range(PER_TENANT)], tenant
