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


async def test_a_202_never_shows_an_ended_job_even_when_the_worker_was_faster(
    tmp_path: Path,
) -> None:
    """azure-core's LROPoller reads a terminal status in the first answer as the final one and
    never polls: the 202 of a job that ended before the answer was written, and of an
    idempotent repeat of an ended job, both show the job as it was accepted."""
    async with running(settings_for(tmp_path)) as harness:
        contoso = harness.auth("contoso")
        real_send = harness.services.bus.send
        ended: list[str] = []

        async def send_then_let_the_worker_finish(
            queue: str, messages: list[OutgoingMessage]
        ) -> None:
            await real_send(queue, messages)
            job_id = messages[0].message_id
            await harness.wait_for_jobs("contoso", [job_id])
            ended.append(job_id)

        harness.services.bus.send = send_then_let_the_worker_finish  # type: ignore[method-assign]
        headers = contoso | {"Idempotency-Key": "once"}
        first = await harness.client.post("/agents/", headers=headers, json={"name": "a"})
        assert ended == [first.json()["id"]]  # the worker ended it before the 202 was written
        harness.services.bus.send = real_send  # type: ignore[method-assign]
        again = await harness.client.post("/agents/", headers=headers, json={"name": "a"})
        for answer in (first, again):
            assert answer.status_code == 202
            assert answer.json()["id"] == first.json()["id"]
            assert answer.json()["status"] == "NotStarted"
            assert "result" not in answer.json()
        polled = await harness.client.get(first.headers["Operation-Location"], headers=contoso)
        assert polled.json()["status"] == "Succeeded"
