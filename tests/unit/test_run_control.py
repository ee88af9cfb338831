"""Runs under control: cancelling a run, and each tenant's `concurrent_runs`."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

from shared.queues import WEBHOOKS, endpoint_session
from shared.run_events import events_of
from shared.run_slots import RUN_SLOTS, SLOTS_ID
from shared.webhooks.deliveries import DeliveryMessage
from tests.harness import Harness, running
from tests.webhook_support import register, webhook_settings


def _settings(tmp_path: Path, latency: float, **limits: dict[str, Any]) -> Any:
    tenants = json.dumps([{"id": t, "limits": limits.get(t, {})} for t in ("contoso", "fabrikam")])
    return webhook_settings(
        tmp_path,
        tenants=tenants,
        local_engine_latency_seconds=latency,
        tenant_requests_per_second=0,
    )


async def _agent_and_thread(harness: Harness, tenant: str) -> tuple[str, str]:
    headers = harness.auth(tenant) | {"Prefer": "wait=30"}
    agent = await harness.client.post("/agents/", headers=headers, json={"name": "a"})
    thread = await harness.client.post("/agents/threads", headers=headers, json={})
    said = await harness.client.post(
        f"/agents/threads/{thread.json()['id']}/messages", headers=headers, json={"content": "Hi"}
    )
    assert said.status_code == 201, said.text
    return agent.json()["id"], thread.json()["id"]


async def _run(harness: Harness, tenant: str, agent_id: str, thread_id: str) -> tuple[str, str]:
    """Start a run; its job id and run id (once the worker has made the run)."""
    headers = harness.auth(tenant)
    job = await harness.client.post(
        f"/agents/threads/{thread_id}/runs", headers=headers, json={"agent_id": agent_id}
    )
    job_id = job.json()["id"]
    async with asyncio.timeout(30):
        while "result" not in (
            found := (await harness.client.get(f"/jobs/{job_id}", headers=headers)).json()
        ):
            await asyncio.sleep(0.01)
    return job_id, found["result"]["id"]


async def _run_status(harness: Harness, tenant: str, thread_id: str, run_id: str) -> str:
    path = f"/agents/threads/{thread_id}/runs/{run_id}"
    return str((await harness.client.get(path, headers=harness.auth(tenant))).json()["status"])


async def _until(harness: Harness, tenant: str, thread_id: str, run_id: str, status: str) -> None:
    async with asyncio.timeout(30):
        while await _run_status(harness, tenant, thread_id, run_id) != status:
            await asyncio.sleep(0.01)


async def test_a_run_in_progress_is_cancelled_its_job_canceled_and_both_announced(
    tmp_path: Path,
) -> None:
    async with running(_settings(tmp_path, latency=60)) as harness:
        endpoint, _ = await register(
            harness.services,
            "contoso",
            "http://127.0.0.1:9/hook",
            ("run.cancelled", "job.canceled"),
        )
        agent_id, thread_id = await _agent_and_thread(harness, "contoso")
        job_id, run_id = await _run(harness, "contoso", agent_id, thread_id)
        await _until(harness, "contoso", thread_id, run_id, "in_progress")
        headers = harness.auth("contoso")
        path = f"/agents/threads/{thread_id}/runs/{run_id}/cancel"
        assert (
            await harness.client.post(path, headers=harness.auth("fabrikam"))
        ).status_code == 404
        asked = await harness.client.post(path, headers=headers)
        assert asked.status_code == 202
        await harness.wait_for_jobs("contoso", [asked.json()["id"], job_id])
        await _until(harness, "contoso", thread_id, run_id, "cancelled")
        run_job = (await harness.client.get(f"/jobs/{job_id}", headers=headers)).json()
        assert run_job["status"] == "Canceled"
        store = harness.services.store.for_tenant("contoso")
        assert [e.event for e in await events_of(store, run_id)] == [
            "thread.run.queued",
            "thread.run.in_progress",
            "thread.run.cancelling",
            "thread.run.cancelled",
        ]
        receiver = await harness.services.bus.accept_session(
            WEBHOOKS, endpoint_session("contoso", endpoint.id)
        )
        sent = [DeliveryMessage.from_bytes(m.body) for m in await receiver.receive(10)]
        await receiver.close()
        assert sorted(m.event_type for m in sent) == ["job.canceled", "run.cancelled"]
        again = await harness.client.post(path, headers=headers | {"Prefer": "wait=10"})
        assert again.status_code == 200  # cancelling a cancelled run is no error


async def test_runs_over_concurrent_runs_wait_and_start_one_by_one_as_earlier_ones_end(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, latency=0.3, contoso={"concurrent_runs": 1})
    async with running(settings) as harness:
        started = []
        for _ in range(4):
            agent_id, thread_id = await _agent_and_thread(harness, "contoso")
            started.append((thread_id, *await _run(harness, "contoso", agent_id, thread_id)))
        in_progress_at_once = 0
        async with asyncio.timeout(60):
            while True:
                statuses = [await _run_status(harness, "contoso", t, r) for t, _, r in started]
                in_progress_at_once = max(in_progress_at_once, statuses.count("in_progress"))
                if all(s == "completed" for s in statuses):
                    break
                await asyncio.sleep(0.02)
        assert in_progress_at_once == 1
        runs = [
            (
                await harness.client.get(
                    f"/agents/threads/{t}/runs/{r}", headers=harness.auth("contoso")
                )
            ).json()
            for t, _, r in started
        ]
        for earlier, later in itertools.pairwise(runs):
            assert later["started_at"] >= earlier["completed_at"]
        await harness.wait_for_jobs("contoso", [job for _, job, _ in started])
        slots = await harness.services.store.for_tenant("contoso").get(RUN_SLOTS, SLOTS_ID)
        assert slots is not None and slots["active"] == [] and slots["waiting"] == []


async def test_a_waiting_run_can_be_cancelled_and_another_tenant_is_not_held_up(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, latency=60, contoso={"concurrent_runs": 1})
    async with running(settings) as harness:
        agent_id, first_thread = await _agent_and_thread(harness, "contoso")
        first_job, first = await _run(harness, "contoso", agent_id, first_thread)
        await _until(harness, "contoso", first_thread, first, "in_progress")
        _, second_thread = await _agent_and_thread(harness, "contoso")
        second_job, second = await _run(harness, "contoso", agent_id, second_thread)
        await asyncio.sleep(0.3)
        assert await _run_status(harness, "contoso", second_thread, second) == "queued"
        other_agent, other_thread = await _agent_and_thread(harness, "fabrikam")
        _, other = await _run(harness, "fabrikam", other_agent, other_thread)
        await _until(harness, "fabrikam", other_thread, other, "in_progress")
        canceled = await harness.client.post(
            f"/jobs/{second_job}/cancel", headers=harness.auth("contoso")
        )
        assert canceled.status_code == 200  # the run's job: its run is asked to stop
        await _until(harness, "contoso", second_thread, second, "cancelled")
        await harness.wait_for_jobs("contoso", [second_job])
        assert await _run_status(harness, "contoso", first_thread, first) == "in_progress"
        path = f"/agents/threads/{first_thread}/runs/{first}/cancel"
        await harness.client.post(path, headers=harness.auth("contoso"))
        await harness.wait_for_jobs("contoso", [first_job])
        slots = await harness.services.store.for_tenant("contoso").get(RUN_SLOTS, SLOTS_ID)
        assert slots is not None and slots["active"] == [] and slots["waiting"] == []
