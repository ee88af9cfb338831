"""The store contract: what every `Store` adapter keeps, run against each of them.

`local` is the embedded SQLite store; `azure` is the Cosmos DB adapter on the Cosmos DB server
from npm (started once for the session; each test gets a database of its own).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from shared.adapters.local.store import SqliteStore
from shared.ports.store import ETAG, DocumentExists, DocumentMissing, EtagMismatch, Store
from tests.emulators import Cosmos, cosmos_server

ADAPTERS = ["local", "azure"]


@pytest.fixture(scope="session")
def cosmos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cosmos]:
    with cosmos_server(tmp_path_factory.mktemp("cosmos")) as server:
        yield server


async def _azure_store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    from azure.cosmos.aio import CosmosClient

    from shared.adapters.azure.cosmos import CosmosStore

    server: Cosmos = request.getfixturevalue("cosmos")
    client = CosmosClient(server.endpoint, credential=server.key, connection_verify=False)
    store = CosmosStore(client, f"contract-{uuid.uuid4().hex[:12]}")
    await store.create_containers()  # what the deployment makes
    yield store
    await store.close()


@pytest.fixture(params=ADAPTERS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "local":
        local = SqliteStore(tmp_path / "store.sqlite3")
        yield local
        await local.close()
    else:
        async for azure in _azure_store(request):
            yield azure


async def test_a_created_document_reads_back_with_an_etag(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    created = await contoso.create("notes", {"id": "n1", "text": "hello", "nested": {"a": [1]}})
    read = await contoso.get("notes", "n1")
    assert read is not None and read == created
    assert read["text"] == "hello" and read["nested"] == {"a": [1]} and read[ETAG]


async def test_a_missing_document_is_none(store: Store) -> None:
    assert await store.for_tenant("contoso").get("notes", "nothing") is None


async def test_creating_an_existing_id_is_refused(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    await contoso.create("notes", {"id": "n1"})
    with pytest.raises(DocumentExists):
        await contoso.create("notes", {"id": "n1"})


async def test_create_if_absent_returns_the_stored_document_the_second_time(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    first, new = await contoso.create_if_absent("jobs", {"id": "j1", "status": "NotStarted"})
    again, new_again = await contoso.create_if_absent("jobs", {"id": "j1", "status": "Running"})
    assert new and not new_again
    assert again["status"] == "NotStarted" and again[ETAG] == first[ETAG]


async def test_the_same_id_in_two_tenants_is_two_documents(store: Store) -> None:
    await store.for_tenant("contoso").create("notes", {"id": "shared", "owner": "contoso"})
    await store.for_tenant("fabrikam").create("notes", {"id": "shared", "owner": "fabrikam"})
    contoso = await store.for_tenant("contoso").get("notes", "shared")
    fabrikam = await store.for_tenant("fabrikam").get("notes", "shared")
    assert contoso is not None and contoso["owner"] == "contoso"
    assert fabrikam is not None and fabrikam["owner"] == "fabrikam"


async def test_a_tenant_never_reads_lists_replaces_or_deletes_another_tenants_document(
    store: Store,
) -> None:
    await store.for_tenant("contoso").create("notes", {"id": "secret", "text": "contoso only"})
    fabrikam = store.for_tenant("fabrikam")
    assert await fabrikam.get("notes", "secret") is None
    assert (await fabrikam.list("notes")).items == []
    with pytest.raises(DocumentMissing):
        await fabrikam.replace("notes", {"id": "secret", "text": "taken"})
    assert await fabrikam.delete("notes", "secret") is False
    kept = await store.for_tenant("contoso").get("notes", "secret")
    assert kept is not None and kept["text"] == "contoso only"


async def test_collections_are_separate(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    await contoso.create("agents", {"id": "x", "kind": "agent"})
    await contoso.create("threads", {"id": "x", "kind": "thread"})
    agent, thread = await contoso.get("agents", "x"), await contoso.get("threads", "x")
    assert agent is not None and agent["kind"] == "agent"
    assert thread is not None and thread["kind"] == "thread"
    assert [d["id"] for d in (await contoso.list("agents")).items] == ["x"]


async def test_ids_with_slashes_and_other_reserved_characters_round_trip(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    await contoso.create("tombstones", {"id": "items.notes/item_1", "command_id": "c"})
    await contoso.create("tombstones", {"id": "a%2Fb?#", "command_id": "d"})
    first = await contoso.get("tombstones", "items.notes/item_1")
    second = await contoso.get("tombstones", "a%2Fb?#")
    assert first is not None and first["id"] == "items.notes/item_1"
    assert second is not None and second["command_id"] == "d"


async def test_a_replace_with_the_current_etag_succeeds_and_a_stale_one_fails(
    store: Store,
) -> None:
    contoso = store.for_tenant("contoso")
    created = await contoso.create("notes", {"id": "n1", "v": 1})
    replaced = await contoso.replace("notes", {"id": "n1", "v": 2}, if_match=created[ETAG])
    assert replaced["v"] == 2 and replaced[ETAG] != created[ETAG]
    with pytest.raises(EtagMismatch):
        await contoso.replace("notes", {"id": "n1", "v": 3}, if_match=created[ETAG])
    current = await contoso.get("notes", "n1")
    assert current is not None and current["v"] == 2


async def test_replacing_a_missing_document_is_refused(store: Store) -> None:
    with pytest.raises(DocumentMissing):
        await store.for_tenant("contoso").replace("notes", {"id": "ghost"})


async def test_upsert_inserts_then_overwrites_and_keeps_the_creation_order(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    await contoso.upsert("notes", {"id": "a", "v": 1})
    await contoso.create("notes", {"id": "b"})
    await contoso.upsert("notes", {"id": "a", "v": 2})
    stored = await contoso.get("notes", "a")
    assert stored is not None and stored["v"] == 2
    page = await contoso.list("notes", newest_first=False)
    assert [d["id"] for d in page.items] == ["a", "b"]


async def test_delete_honours_the_etag_and_reports_absence(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    created = await contoso.create("notes", {"id": "n1"})
    await contoso.replace("notes", {"id": "n1", "v": 2})
    with pytest.raises(EtagMismatch):
        await contoso.delete("notes", "n1", if_match=created[ETAG])
    assert await contoso.delete("notes", "n1") is True
    assert await contoso.delete("notes", "n1") is False
    assert await contoso.get("notes", "n1") is None


async def test_lists_page_newest_first_with_a_cursor(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    for index in range(5):
        await contoso.create("notes", {"id": f"n{index}"})
    first = await contoso.list("notes", limit=2)
    assert [d["id"] for d in first.items] == ["n4", "n3"] and first.next_cursor
    second = await contoso.list("notes", limit=2, after=first.next_cursor)
    assert [d["id"] for d in second.items] == ["n2", "n1"] and second.next_cursor
    last = await contoso.list("notes", limit=2, after=second.next_cursor)
    assert [d["id"] for d in last.items] == ["n0"] and last.next_cursor is None


async def test_lists_oldest_first_and_filter_by_field_with_bound_values(store: Store) -> None:
    contoso = store.for_tenant("contoso")
    await contoso.create("messages", {"id": "m1", "thread_id": "t1"})
    await contoso.create("messages", {"id": "m2", "thread_id": "t2"})
    await contoso.create("messages", {"id": "m3", "thread_id": "t1"})
    await contoso.create("messages", {"id": "m4", "thread_id": "t1' OR 1=1 --"})
    page = await contoso.list("messages", where={"thread_id": "t1"}, newest_first=False)
    assert [d["id"] for d in page.items] == ["m1", "m3"]


async def test_a_field_name_that_is_not_an_identifier_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="field"):
        await store.for_tenant("contoso").list("notes", where={"a.b": "x"})


async def test_a_view_needs_a_tenant(store: Store) -> None:
    with pytest.raises(ValueError, match="tenant"):
        store.for_tenant("")


async def test_the_store_answers_a_ping(store: Store) -> None:
    await store.for_tenant("contoso").create("notes", {"id": "n"})
    await store.ping()
