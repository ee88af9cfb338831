"""Every accepted job ends: a dead letter, whatever made it, fails its job with its reason; a
job left NotStarted past the command's time to live fails `Expired`; a replay still revives it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.bootstrap import Services
from shared.contracts.envelope import Envelope
from shared.jobs import load, new_job, record_accepted
from shared.ports.bus import OutgoingMessage
from shared.queues import COMMANDS
from shared.recovery import deadletters
from tests.harness import Harness, running, settings_for
from workers.dead_lettered_jobs import DeadLetterScan
from workers.sweeper import expire_unstarted_jobs


async def status(harness: Harness, tenant: str, job_id: str) -> dict[str, Any]:
    response = await harness.client.get(f"/jobs/{job_id}", headers=harness.auth(tenant))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def accept(harness: Harness, tenant: str = "contoso") -> str:
    response = await harness.client.post(
        "/cosmos/notes", json={"n": 1}, headers=harness.auth(tenant)
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def journal_only(services: Services, tenant: str, job_id: str) -> None:
    """A job the ingress recorded, whose message is about to arrive broken."""
    envelope = Envelope(command_id=job_id, type="item.create", tenant_id=tenant, subject="s")
    await record_accepted(
        services.store.for_tenant(tenant), new_job(job_id, envelope.type, envelope.time), envelope
    )


async def test_a_command_expired_on_the_bus_fails_its_job_with_the_reason(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, command_ttl_seconds=0.2)
    async with running(settings, workers=False) as harness:
        job_id = await accept(harness)
        await asyncio.sleep(0.4)
        assert (await status(harness, "contoso", job_id))["status"] == "NotStarted"
        assert await DeadLetterScan(harness.services).scan() == 1
        job = await status(harness, "contoso", job_id)
    assert job["status"] == "Failed"
    assert job["error"]["code"] == "TTLExpiredException", job


async def test_an_undecodable_message_fails_the_job_its_id_names(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path)) as harness:
        await journal_only(harness.services, "contoso", "job-broken")
        await harness.services.bus.send(
            COMMANDS,
            [OutgoingMessage(body=b'{"v":' * 300, session_id="contoso", message_id="job-broken")],
        )
        async with asyncio.timeout(10):
            while not await harness.services.bus.peek_dead_letters(COMMANDS):
                await asyncio.sleep(0.01)
        await DeadLetterScan(harness.services).scan()
        job = await status(harness, "contoso", "job-broken")
    assert job["status"] == "Failed" and job["error"]["code"] == "InvalidEnvelope", job


async def test_a_dead_letter_cannot_end_a_job_of_a_tenant_its_session_does_not_name(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        await journal_only(harness.services, "contoso", "job-victim")
        for session in ("fabrikam", "nobody-registered"):
            await harness.services.bus.send(
                COMMANDS,
                [
                    OutgoingMessage(
                        body=b"x",
                        session_id=session,
                        message_id=f"job-victim-{session}",
                        application_properties={"jobId": "job-victim", "tenantId": "contoso"},
                        time_to_live_seconds=0.01,
                    )
                ],
            )
        await asyncio.sleep(0.1)
        assert await DeadLetterScan(harness.services).scan() == 0
        assert (await status(harness, "contoso", "job-victim"))["status"] == "NotStarted"


async def test_a_job_left_not_started_past_the_ttl_fails_expired_not_a_moment_before(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        job_id = await accept(harness)
        found = await load(harness.services.store.for_tenant("contoso"), job_id)
        assert found is not None
        deadline = found[0].created_date_time + timedelta(
            seconds=harness.services.settings.command_ttl_seconds
        )
        before = deadline - timedelta(seconds=1)
        assert await expire_unstarted_jobs(harness.services, now=before) == 0
        assert (await status(harness, "contoso", job_id))["status"] == "NotStarted"
        after = deadline + timedelta(seconds=1)
        assert await expire_unstarted_jobs(harness.services, now=after) == 1
        job = await status(harness, "contoso", job_id)
    assert job["status"] == "Failed" and job["error"]["code"] == "Expired", job


async def test_a_replayed_dead_letter_takes_its_failed_job_to_success(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, command_ttl_seconds=0.2)
    async with running(settings, workers=False) as harness:
        job_id = await accept(harness)
        await asyncio.sleep(0.4)
        await DeadLetterScan(harness.services).scan()
        assert (await status(harness, "contoso", job_id))["status"] == "Failed"
        where = deadletters.DeadLetterFilter(tenant_id="contoso")
        await deadletters.replay(harness.services.bus, COMMANDS, where, ttl_seconds=60, limit=10)
    async with running(settings) as harness, asyncio.timeout(20):
        while (job := await status(harness, "contoso", job_id))["status"] != "Succeeded":
            await asyncio.sleep(0.01)
    assert "error" not in job, job


async def test_a_dead_letter_never_changes_a_job_that_ended(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path)) as harness:
        job_id = await accept(harness)
        await harness.wait_for_jobs("contoso", [job_id])
        before = await status(harness, "contoso", job_id)
        assert before["status"] == "Succeeded"
        await harness.services.bus.send(  # a stray copy of its command, expiring unread
            COMMANDS,
            [
                OutgoingMessage(
                    body=b"x",
                    session_id="contoso:stray",
                    message_id=f"{job_id}-copy",
                    application_properties={"jobId": job_id},
                    time_to_live_seconds=0.01,
                )
            ],
        )
        await asyncio.sleep(0.1)
        await DeadLetterScan(harness.services).scan()
        assert await status(harness, "contoso", job_id) == before


async def test_the_worker_fails_the_job_of_a_message_it_cannot_decode_at_once(
    tmp_path: Path,
) -> None:
    from workers.pipeline import Pipeline

    async with running(settings_for(tmp_path), workers=False) as harness:
        await journal_only(harness.services, "contoso", "job-garbled")

        class Garbled:
            body = b'{"commandId":"job-garbled","data":' + b"[" * 100 + b"]" * 100 + b"}"
            session_id = "contoso"
            message_id = "job-garbled"
            delivery_count = 1

        settlement = await Pipeline(harness.services).process(Garbled())
        assert settlement.reason == "InvalidEnvelope"
        job = await status(harness, "contoso", "job-garbled")
    assert job["status"] == "Failed" and job["error"]["code"] == "InvalidEnvelope", job
