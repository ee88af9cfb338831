"""Ingress behaviour that needs control over the bus or the clock: in-process, real adapters."""

from __future__ import annotations

from pathlib import Path

from shared.ports.bus import BusUnavailable, OutgoingMessage
from tests.harness import running, settings_for


async def test_the_bus_down_at_submit_is_a_503_and_leaves_no_job(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:

        async def down(queue: str, messages: list[OutgoingMessage]) -> None:
            raise BusUnavailable("the namespace does not answer")

        harness.services.bus.send = down  # type: ignore[method-assign]
        headers = harness.auth("contoso") | {"Idempotency-Key": "k1"}
        response = await harness.client.post("/cosmos/notes", headers=headers, json={"a": 1})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert response.json()["code"] == "ServiceUnavailable"
        jobs = await harness.client.get("/jobs", headers=harness.auth("contoso"))
        assert jobs.json() == []


async def test_prefer_wait_that_runs_out_answers_202(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        headers = harness.auth("contoso") | {"Prefer": "wait=1"}
        response = await harness.client.post("/agents/", headers=headers, json={"name": "a"})
        assert response.status_code == 202
        assert response.json()["status"] == "NotStarted"
        assert "Preference-Applied" not in response.headers


async def test_prefer_wait_answers_the_resource_with_201_and_its_location(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path)) as harness:
        headers = harness.auth("contoso") | {"Prefer": "respond-async, wait=10"}
        response = await harness.client.post("/agents/", headers=headers, json={"name": "a"})
        assert response.status_code == 201
        assert response.headers["Preference-Applied"] == "wait=10"
        assert response.headers["Location"] == f"http://tenantry/agents/{response.json()['id']}"
