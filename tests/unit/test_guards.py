"""Tests aimed at one guarantee each, so that breaking the guard fails the test that names it
(the mutation catalogue in `scripts/mutants` proves they do): the Cosmos adapter's tenant checks
with a container that returns another tenant's rows, the local store's tenant conditions with
two tenants holding the same id, the idempotency key's tenant scope, the ledger (counting the
handler's calls), and ids derived from the command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.azure.cosmos import CosmosStore
from shared.adapters.azure.cosmos_layout import CONTAINERS, wrap
from shared.adapters.local.store import SqliteStore
from shared.bootstrap import Services, bootstrap
from shared.contracts.commands import ItemCreate
from shared.contracts.envelope import Envelope
from shared.ids import derived_id
from tests.harness import running, settings_for
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS
from workers.pipeline import Pipeline


class OtherTenantsContainer:
    """A Cosmos container that answers with another tenant's rows, whatever it is asked."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def row(self, doc_id: str) -> dict[str, Any]:
        item = wrap(self.owner, "notes", {"id": doc_id, "secret": self.owner}, "0" * 20)
        return item | {"_etag": '"1"'}

    async def read_item(self, item: str, partition_key: str) -> dict[str, Any]:
        return self.row("n1")

    async def query_items(self, query: str, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        for n in range(3):
            yield self.row(f"n{n}")


def cosmos_answering_for(owner: str) -> CosmosStore:
    store = CosmosStore(client=None, database="db")  # type: ignore[arg-type]
    container = OtherTenantsContainer(owner)
    store._containers = {name: container for name in CONTAINERS}  # type: ignore[misc]
    return store


async def test_the_cosmos_adapter_drops_another_tenants_row_after_a_point_read() -> None:
    contoso = cosmos_answering_for("fabrikam").for_tenant("contoso")
    assert await contoso.get("notes", "n1") is None


async def test_the_cosmos_adapter_drops_another_tenants_rows_from_a_listing() -> None:
    contoso = cosmos_answering_for("fabrikam").for_tenant("contoso")
    assert (await contoso.list("notes")).items == []


async def test_the_cosmos_adapter_returns_the_tenants_own_rows() -> None:
    contoso = cosmos_answering_for("contoso").for_tenant("contoso")
    found = await contoso.get("notes", "n1")
    assert found is not None and found["secret"] == "contoso"
    assert len((await contoso.list("notes")).items) == 3


@pytest.fixture
async def local_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "store.sqlite3")
    yield store
    await store.close()


async def test_a_replace_changes_only_the_callers_document_of_an_id_two_tenants_hold(
    local_store: SqliteStore,
) -> None:
    contoso, fabrikam = local_store.for_tenant("contoso"), local_store.for_tenant("fabrikam")
    await contoso.create("notes", {"id": "same", "v": "contoso"})
    theirs = await fabrikam.create("notes", {"id": "same", "v": "fabrikam"})
    await contoso.replace("notes", {"id": "same", "v": "changed"})
    await contoso.upsert("notes", {"id": "same", "v": "upserted"})
    assert await fabrikam.get("notes", "same") == theirs


async def test_a_delete_removes_only_the_callers_document_of_an_id_two_tenants_hold(
    local_store: SqliteStore,
) -> None:
    contoso, fabrikam = local_store.for_tenant("contoso"), local_store.for_tenant("fabrikam")
    await contoso.create("notes", {"id": "same", "v": "contoso"})
    theirs = await fabrikam.create("notes", {"id": "same", "v": "fabrikam"})
    assert await contoso.delete("notes", "same")
    assert await fabrikam.get("notes", "same") == theirs
    assert (await fabrikam.list("notes")).items == [theirs]


async def test_an_idempotency_key_is_scoped_to_the_tenant(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        key = {"Idempotency-Key": "shared-key"}
        jobs = {}
        for tenant, n in (("contoso", 1), ("fabrikam", 2)):
            response = await harness.client.post(
                "/cosmos/notes", json={"n": n}, headers=harness.auth(tenant) | key
            )
            assert response.status_code == 202, response.text
            jobs[tenant] = response.json()["id"]
        assert jobs["contoso"] != jobs["fabrikam"]
        again = await harness.client.post(
            "/cosmos/notes", json={"n": 1}, headers=harness.auth("contoso") | key
        )
        assert again.json()["id"] == jobs["contoso"]


@dataclass(frozen=True)
class Delivery:
    body: bytes
    session_id: str
    message_id: str
    delivery_count: int = 1


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = bootstrap(settings_for(tmp_path))
    yield built
    await built.close()


async def test_the_ledger_runs_a_command_that_took_effect_never_again(services: Services) -> None:
    calls: list[str] = []

    async def counted(command: Any, context: HandlerContext) -> Outcome:
        calls.append(context.command_id)
        return await HANDLERS[ItemCreate](command, context)

    pipeline = Pipeline(services, handlers={**HANDLERS, ItemCreate: counted})
    envelope = Envelope(
        type="item.create", tenant_id="contoso", subject="u", data={"container": "n", "item": {}}
    )
    for attempt, message_id in enumerate(("m1", "m1", "copy-of-m1"), start=1):
        delivery = Delivery(envelope.to_bytes(), "contoso", message_id, delivery_count=attempt)
        assert (await pipeline.process(delivery)).action == "complete"
    assert calls == [envelope.command_id]


async def test_an_item_without_an_id_gets_the_one_derived_from_its_command(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path)) as harness:
        response = await harness.client.post(
            "/cosmos/notes", json={"n": 1}, headers=harness.auth("contoso") | {"Prefer": "wait=20"}
        )
        assert response.status_code == 201, response.text
        job_id = response.headers["Location"]
        jobs = await harness.client.get("/jobs", headers=harness.auth("contoso"))
        [job] = jobs.json()
    assert response.json()["id"] == derived_id("item", job["id"])
    assert job_id.endswith(response.json()["id"])


def test_a_replayed_dead_letters_copy_has_the_same_id_every_time() -> None:
    from datetime import UTC, datetime

    from shared.ports.bus import ReceivedDeadLetter
    from shared.recovery.deadletters import replay_copy

    def dead(sequence: int) -> ReceivedDeadLetter:
        now = datetime.now(UTC)
        return ReceivedDeadLetter(
            b"{}", "contoso", "job-1", sequence, 3, now, {}, now, "r", "d", "application/json", "t"
        )

    assert replay_copy(dead(7), 60).message_id == replay_copy(dead(7), 60).message_id
    assert replay_copy(dead(7), 60).message_id != replay_copy(dead(8), 60).message_id
