"""Webhook events as the pipeline publishes them: before the job's record, once, never on a
journal replay."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.bootstrap import Services, bootstrap
from shared.contracts.envelope import Envelope
from shared.contracts.resources import JobStatus
from shared.jobs import load
from shared.queues import WEBHOOKS, endpoint_session
from shared.webhooks.deliveries import DeliveryMessage
from tests.delivery import Delivery
from tests.webhook_support import register, webhook_settings
from workers.context import Outcome
from workers.middleware import JobEnding, Middleware
from workers.pipeline import Pipeline
from workers.webhooks.publisher import WebhookEvents, events_of


class Crash(Middleware):
    """Dies after the events went out and before the job is recorded."""

    async def before_job_end(self, ending: JobEnding) -> None:
        raise SystemError("the worker died here")


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = bootstrap(webhook_settings(tmp_path))
    yield built
    await built.close()


def item_command(tenant: str = "contoso") -> Envelope:
    data = {"container": "notes", "item": {"n": 1}}
    return Envelope(type="item.create", tenant_id=tenant, subject="u", data=data)


async def published(services: Services, tenant: str, endpoint_id: str) -> list[DeliveryMessage]:
    receiver = await services.bus.accept_session(WEBHOOKS, endpoint_session(tenant, endpoint_id))
    messages = await receiver.receive(100)
    await receiver.close()
    return [DeliveryMessage.from_bytes(m.body) for m in messages]


async def test_a_worker_dying_after_publishing_loses_nothing_and_sends_nothing_twice(
    services: Services,
) -> None:
    endpoint, _ = await register(services, "contoso", "https://hooks.example.com/")
    command = item_command()
    body = command.to_bytes()
    crashing = Pipeline(services, middleware=[WebhookEvents(services), Crash()])

    with pytest.raises(SystemError):
        await crashing.process(Delivery(body, "contoso", command.command_id))
    job = await load(services.store.for_tenant("contoso"), command.command_id)
    assert job is None or not job[0].status.terminal  # the events went out first
    again = await Pipeline(services).process(Delivery(body, "contoso", command.command_id, 2))
    assert again.action == "complete"

    [event] = await published(services, "contoso", endpoint.id)
    assert (event.event_type, event.job_id) == ("job.succeeded", command.command_id)
    job = await load(services.store.for_tenant("contoso"), command.command_id)
    assert job is not None and job[0].status == "Succeeded"


async def test_a_journal_replay_publishes_nothing_and_leaves_the_job_as_it_was(
    services: Services,
) -> None:
    endpoint, _ = await register(services, "contoso", "https://hooks.example.com/")
    command = item_command()
    pipeline = Pipeline(services)
    await pipeline.process(Delivery(command.to_bytes(), "contoso", command.command_id))
    store = services.store.for_tenant("contoso")
    before = await load(store, command.command_id)

    replayed = command.model_copy(update={"replay": "journal"})
    await pipeline.process(Delivery(replayed.to_bytes(), "contoso", "rpl_1"))

    assert len(await published(services, "contoso", endpoint.id)) == 1
    assert await load(store, command.command_id) == before


async def test_other_tenants_endpoints_get_none_of_a_tenants_events(services: Services) -> None:
    theirs, _ = await register(services, "fabrikam", "https://hooks.example.com/")
    command = item_command("contoso")
    await Pipeline(services).process(Delivery(command.to_bytes(), "contoso", command.command_id))
    assert await published(services, "fabrikam", theirs.id) == []


def test_a_finished_run_makes_a_job_event_and_a_run_event() -> None:
    run = {"object": "thread.run", "id": "run_1", "thread_id": "thread_1", "status": "failed"}
    ending = JobEnding(
        envelope=item_command(),
        job_id="job_1",
        job_type="run.create",
        outcome=Outcome(
            status=JobStatus.FAILED,
            result=run,
            location="/agents/threads/thread_1/runs/run_1",
            error_code="RunFailed",
            error_message="The run ended failed.",
        ),
        at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert events_of(ending) == [
        (
            "job.failed",
            {
                "jobId": "job_1",
                "type": "run.create",
                "status": "Failed",
                "resourceLocation": "/agents/threads/thread_1/runs/run_1",
                "error": {"code": "RunFailed", "message": "The run ended failed."},
            },
        ),
        (
            "run.failed",
            {"jobId": "job_1", "threadId": "thread_1", "runId": "run_1", "status": "failed"},
        ),
    ]


async def test_an_events_resource_location_is_absolute_under_the_public_base_url(
    tmp_path: Path,
) -> None:
    """As every link of the API is (API.md): a receiver can GET it as it is."""
    settings = webhook_settings(tmp_path).model_copy(
        update={"public_base_url": "https://api.example.com/tenantry"}
    )
    services = bootstrap(settings)
    try:
        endpoint, _ = await register(services, "contoso", "https://hooks.example.com/")
        command = item_command()
        pipeline = Pipeline(services)
        await pipeline.process(Delivery(command.to_bytes(), "contoso", command.command_id))
        [event] = await published(services, "contoso", endpoint.id)
        location = json.loads(event.body)["data"]["resourceLocation"]
        assert location.startswith("https://api.example.com/tenantry/cosmos/notes/")
    finally:
        await services.close()
