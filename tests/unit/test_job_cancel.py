"""`POST /jobs/{id}/cancel`: a job not started is canceled and its command never takes effect."""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest

from shared.contracts.envelope import Envelope
from shared.queues import COMMANDS, WEBHOOKS, endpoint_session
from shared.webhooks.deliveries import DeliveryMessage
from tests.harness import Harness, running
from tests.webhook_support import register, webhook_settings
from workers.pipeline import Pipeline


async def _deliver_all(harness: Harness, session: str) -> int:
    """Hand every message of `session` to a pipeline, as a worker would; how many there were."""
    pipeline = Pipeline(harness.services)
    receiver = await harness.services.bus.accept_session(COMMANDS, session)
    try:
        messages = await receiver.receive(100)
        for message in messages:
            settlement = await pipeline.process(message)
            assert settlement.action == "complete"
            await receiver.complete(message)
        return len(messages)
    finally:
        await receiver.close()


async def test_a_canceled_command_never_takes_effect_and_its_cancel_is_announced(
    tmp_path: Path,
) -> None:
    async with running(webhook_settings(tmp_path), workers=False) as harness:
        endpoint, _ = await register(
            harness.services, "contoso", "http://127.0.0.1:9/hook", ("job.canceled",)
        )
        headers = harness.auth("contoso")
        accepted = await harness.client.post("/cosmos/notes", headers=headers, json={"id": "n1"})
        job_id = accepted.json()["id"]
        canceled = await harness.client.post(f"/jobs/{job_id}/cancel", headers=headers)
        assert canceled.status_code == 200, canceled.text
        assert canceled.json()["status"] == "Canceled"
        assert await _deliver_all(harness, "contoso") == 1  # the worker gets it anyway
        job = await harness.client.get(f"/jobs/{job_id}", headers=headers)
        assert job.json()["status"] == "Canceled"
        item = await harness.client.get("/cosmos/notes/n1", headers=headers)
        assert item.status_code == 404
        again = await harness.client.post(f"/jobs/{job_id}/cancel", headers=headers)
        assert again.status_code == 409
        assert again.json()["code"] == "AlreadyEnded"
        receiver = await harness.services.bus.accept_session(
            WEBHOOKS, endpoint_session("contoso", endpoint.id)
        )
        sent = [DeliveryMessage.from_bytes(m.body) for m in await receiver.receive(10)]
        await receiver.close()
        assert [(m.event_type, m.job_id) for m in sent] == [("job.canceled", job_id)]


async def test_a_journal_replay_of_a_canceled_command_takes_no_effect(tmp_path: Path) -> None:
    async with running(webhook_settings(tmp_path), workers=False) as harness:
        headers = harness.auth("contoso")
        accepted = await harness.client.post("/cosmos/notes", headers=headers, json={"id": "n1"})
        job_id = accepted.json()["id"]
        await harness.client.post(f"/jobs/{job_id}/cancel", headers=headers)
        await _deliver_all(harness, "contoso")
        envelope = Envelope(
            command_id=job_id,
            type="item.create",
            tenant_id="contoso",
            subject="u",
            data={"container": "notes", "item": {"id": "n1"}},
            replay="journal",
        )
        await Pipeline(harness.services).process(_Delivered(envelope.to_bytes(), "contoso"))
        item = await harness.client.get("/cosmos/notes/n1", headers=headers)
        assert item.status_code == 404


class _Delivered:
    def __init__(self, body: bytes, session_id: str) -> None:
        self.body = body
        self.session_id = session_id
        self.message_id = "m1"
        self.delivery_count = 1


async def test_another_tenants_job_cannot_be_canceled_and_is_not_found(tmp_path: Path) -> None:
    async with running(webhook_settings(tmp_path), workers=False) as harness:
        accepted = await harness.client.post(
            "/cosmos/notes", headers=harness.auth("contoso"), json={"id": "n1"}
        )
        job_id = accepted.json()["id"]
        stolen = await harness.client.post(
            f"/jobs/{job_id}/cancel", headers=harness.auth("fabrikam")
        )
        assert stolen.status_code == 404
        missing = await harness.client.post(
            "/jobs/job_nope/cancel", headers=harness.auth("contoso")
        )
        assert missing.status_code == 404
        job = await harness.client.get(f"/jobs/{job_id}", headers=harness.auth("contoso"))
        assert job.json()["status"] == "NotStarted"


@pytest.mark.slow
async def test_a_cancel_racing_the_worker_ends_one_way_or_the_other_never_both(
    tmp_path: Path,
) -> None:
    """A thousand commands, each with a cancel sent after a random delay while a worker runs:
    each ends Canceled with no effect (cancel 200) or Succeeded with the effect (cancel 409)."""
    rounds = 1000
    chooser = random.Random(14)
    settings = webhook_settings(tmp_path, tenant_requests_per_second=0)
    async with running(settings) as harness:
        headers = harness.auth("contoso")

        # how long a batch takes to go through here and now, so that the random delays below
        # straddle the worker's turn however loaded the machine is
        started = time.monotonic()
        calibration = [
            (await harness.client.post("/cosmos/warmup", headers=headers, json={})).json()["id"]
            for _ in range(25)
        ]
        await harness.wait_for_jobs("contoso", calibration)
        spread = time.monotonic() - started

        async def one(n: int) -> tuple[str, int]:
            accepted = await harness.client.post(
                "/cosmos/notes", headers=headers, json={"id": f"n{n}"}
            )
            assert accepted.status_code == 202, accepted.text
            await asyncio.sleep(chooser.uniform(0, spread))
            answer = await harness.client.post(
                f"/jobs/{accepted.json()['id']}/cancel", headers=headers
            )
            return accepted.json()["id"], answer.status_code

        results: list[tuple[str, int]] = []
        for start in range(0, rounds, 25):
            results += await asyncio.gather(*(one(n) for n in range(start, start + 25)))
        await harness.wait_for_jobs("contoso", [job_id for job_id, _ in results], timeout=300)
        await _drained(harness)
        outcomes = {"Canceled": 0, "Succeeded": 0}
        for n, (job_id, cancel_status) in enumerate(results):
            job = (await harness.client.get(f"/jobs/{job_id}", headers=headers)).json()
            item = await harness.client.get(f"/cosmos/notes/n{n}", headers=headers)
            if job["status"] == "Canceled":
                assert (cancel_status, item.status_code) == (200, 404), (n, job)
            else:
                assert (job["status"], cancel_status, item.status_code) == ("Succeeded", 409, 200)
            outcomes[job["status"]] += 1
        assert outcomes["Canceled"] > 0 and outcomes["Succeeded"] > 0, outcomes


async def _drained(harness: Harness) -> None:
    """Until the worker has taken every command off the bus (canceled ones included)."""
    async with asyncio.timeout(120):
        while True:
            try:
                receiver = await harness.services.bus.accept_session(COMMANDS, "contoso")
            except Exception:
                await asyncio.sleep(0.05)
                continue
            left = await receiver.receive(1)
            await receiver.close()
            if not left:
                return
            await asyncio.sleep(0.05)
