"""The handler pipeline: decoding, tenant re-verification, the ledger, and settlement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.bootstrap import Services, bootstrap
from shared.contracts.commands import ItemCreate
from shared.contracts.envelope import Envelope
from shared.jobs import load
from tests.delivery import Delivery
from tests.harness import settings_for
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS
from workers.pipeline import Pipeline


@pytest.fixture
async def services(tmp_path: Path) -> Any:
    built = bootstrap(settings_for(tmp_path, bus_max_delivery_count=3))
    yield built
    await built.close()


def _envelope(tenant: str = "contoso", **data: Any) -> Envelope:
    return Envelope(
        type="item.create",
        tenant_id=tenant,
        subject="u",
        data={"container": "notes", "item": data or {"x": 1}},
    )


async def test_an_undecodable_message_is_dead_lettered_with_its_reason(services: Services) -> None:
    settlement = await Pipeline(services).process(Delivery(b"{nope", "contoso"))
    assert settlement.action == "dead_letter" and settlement.reason == "InvalidEnvelope"


async def test_a_tenant_not_in_the_registry_is_dead_lettered(services: Services) -> None:
    envelope = _envelope("mallory")
    settlement = await Pipeline(services).process(Delivery(envelope.to_bytes(), "mallory"))
    assert settlement.reason == "UnknownTenant"


async def test_a_command_in_another_tenants_session_is_dead_lettered_untouched(
    services: Services,
) -> None:
    envelope = _envelope("contoso")
    settlement = await Pipeline(services).process(Delivery(envelope.to_bytes(), "fabrikam"))
    assert settlement.reason == "TenantMismatch"
    for tenant in ("contoso", "fabrikam"):
        assert (await services.store.for_tenant(tenant).list("items.notes")).items == []


async def test_a_redelivered_command_changes_nothing_the_second_time(services: Services) -> None:
    pipeline = Pipeline(services)
    envelope = _envelope(x=1)
    assert (await pipeline.process(Delivery(envelope.to_bytes(), "contoso"))).action == "complete"
    store = services.store.for_tenant("contoso")
    first = await load(store, envelope.command_id)
    assert first is not None and first[0].status == "Succeeded"
    assert (
        await pipeline.process(Delivery(envelope.to_bytes(), "contoso", delivery_count=2))
    ).action == "complete"
    again = await load(store, envelope.command_id)
    assert again == first
    assert len((await store.list("items.notes")).items) == 1


async def test_a_failing_handler_is_retried_then_dead_lettered_and_its_job_says_so(
    services: Services,
) -> None:
    async def broken(command: Any, context: HandlerContext) -> Outcome:
        raise ConnectionError("downstream is down")

    pipeline = Pipeline(services, handlers={**HANDLERS, ItemCreate: broken})
    body = _envelope().to_bytes()
    for attempt in (1, 2):
        settlement = await pipeline.process(Delivery(body, "contoso", delivery_count=attempt))
        assert settlement.action == "abandon"
    last = await pipeline.process(Delivery(body, "contoso", delivery_count=3))
    assert last.action == "dead_letter" and last.reason == "MaxDeliveryCountExceeded"
    assert "downstream is down" in last.description
    job = await load(services.store.for_tenant("contoso"), Envelope.from_bytes(body).command_id)
    assert job is not None
    assert job[0].status == "Failed" and job[0].error is not None
    assert job[0].error.code == "MaxDeliveryCountExceeded"


async def test_a_command_for_a_missing_resource_fails_its_job_and_completes(
    services: Services,
) -> None:
    envelope = Envelope(
        type="message.create",
        tenant_id="contoso",
        subject="u",
        data={"thread_id": "thread_nope", "content": "hi"},
    )
    settlement = await Pipeline(services).process(Delivery(envelope.to_bytes(), "contoso"))
    assert settlement.action == "complete"
    job = await load(services.store.for_tenant("contoso"), envelope.command_id)
    assert job is not None and job[0].error is not None and job[0].error.code == "NotFound"
