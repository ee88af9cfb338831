"""The workers' pipeline on the Cosmos DB store: jobs, the ledger and items in Cosmos DB.

The services are the embedded ones but for the store, which is the Cosmos DB adapter on the
Cosmos DB server from npm.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from azure.cosmos.aio import CosmosClient
from azure.cosmos.exceptions import CosmosResourceNotFoundError

from shared.adapters.azure.cosmos import CosmosStore
from shared.bootstrap import Services, bootstrap
from shared.contracts.envelope import Envelope
from shared.jobs import load
from tests.delivery import Delivery
from tests.emulators import Cosmos, cosmos_server
from tests.harness import settings_for
from workers.pipeline import Pipeline


@pytest.fixture(scope="module")
def cosmos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cosmos]:
    with cosmos_server(tmp_path_factory.mktemp("cosmos")) as server:
        yield server


@pytest.fixture
async def services(tmp_path: Path, cosmos: Cosmos) -> AsyncIterator[Services]:
    built = bootstrap(settings_for(tmp_path))
    await built.store.close()
    client = CosmosClient(cosmos.endpoint, credential=cosmos.key, connection_verify=False)
    store = CosmosStore(client, f"pipeline-{uuid.uuid4().hex[:12]}")
    await store.create_containers()  # what the deployment makes
    built.store = store
    yield built
    await built.close()


def _command(command_type: str, **data: object) -> Envelope:
    return Envelope(type=command_type, tenant_id="contoso", subject="u", data=data)


async def test_a_command_records_its_item_and_job_once_however_often_delivered(
    services: Services,
) -> None:
    pipeline = Pipeline(services)
    create = _command("item.create", container="notes", item={"id": "n1", "text": "hi"})
    for delivery_count in (1, 2):
        decision = await pipeline.process(
            Delivery(create.to_bytes(), "contoso", delivery_count=delivery_count)
        )
        assert decision.action == "complete"
    store = services.store.for_tenant("contoso")
    job = await load(store, create.command_id)
    assert job is not None and job[0].status == "Succeeded"
    assert len((await store.list("items.notes")).items) == 1
    assert await services.store.for_tenant("fabrikam").get("items.notes", "n1") is None


async def test_an_update_with_a_stale_etag_fails_its_job_and_changes_nothing(
    services: Services,
) -> None:
    pipeline = Pipeline(services)
    create = _command("item.create", container="notes", item={"id": "n1", "v": 1})
    await pipeline.process(Delivery(create.to_bytes(), "contoso"))
    store = services.store.for_tenant("contoso")
    first = await store.get("items.notes", "n1")
    assert first is not None
    update = _command("item.update", container="notes", item_id="n1", patch={"v": 2})
    await pipeline.process(Delivery(update.to_bytes(), "contoso"))
    stale = _command(
        "item.update", container="notes", item_id="n1", patch={"v": 3}, if_match=first["_etag"]
    )
    await pipeline.process(Delivery(stale.to_bytes(), "contoso"))
    job = await load(store, stale.command_id)
    assert job is not None and job[0].error is not None
    assert job[0].error.code == "PreconditionFailed"
    current = await store.get("items.notes", "n1")
    assert current is not None and current["v"] == 2


async def test_a_delete_is_applied_once_and_a_redelivery_still_succeeds(
    services: Services,
) -> None:
    pipeline = Pipeline(services)
    await pipeline.process(
        Delivery(
            _command("item.create", container="notes", item={"id": "n1"}).to_bytes(), "contoso"
        )
    )
    delete = _command("item.delete", container="notes", item_id="n1")
    for delivery_count in (1, 2):
        await pipeline.process(
            Delivery(delete.to_bytes(), "contoso", delivery_count=delivery_count)
        )
    store = services.store.for_tenant("contoso")
    job = await load(store, delete.command_id)
    assert job is not None and job[0].status == "Succeeded"
    assert await store.get("items.notes", "n1") is None


async def test_no_request_creates_the_database_or_a_container(cosmos: Cosmos) -> None:
    name = f"absent-{uuid.uuid4().hex[:12]}"
    client = CosmosClient(cosmos.endpoint, credential=cosmos.key, connection_verify=False)
    store = CosmosStore(client, name)
    contoso = store.for_tenant("contoso")
    assert await contoso.get("notes", "n1") is None
    with pytest.raises(CosmosResourceNotFoundError):
        await contoso.create("notes", {"id": "n1"})
    databases = [d["id"] async for d in client.list_databases()]
    assert name not in databases, "a request created the database"
    await store.create_containers()
    await store.create_containers()  # idempotent, as a redeployment
    await contoso.create("notes", {"id": "n1"})
    assert await contoso.get("notes", "n1") is not None
    await store.close()
