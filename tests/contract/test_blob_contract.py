"""The blob contract: what every `BlobStore` adapter keeps (a tenant's area, streamed, checked).

Each adapter gives a factory in `BLOB_STORES`: an async context manager yielding a fresh store.
The Azure Blob adapter adds its own (against Azurite) and runs the same tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.adapters.local.blobs import LocalBlobStore
from shared.ports.blobs import BlobMissing, BlobStore, BlobTooLarge, InvalidBlobName

StoreFactory = Callable[[Path], AsyncContextManager[BlobStore]]


@contextlib.asynccontextmanager
async def _local(tmp_path: Path) -> AsyncIterator[BlobStore]:
    store = LocalBlobStore(tmp_path / "blobs")
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _azure(tmp_path: Path) -> AsyncIterator[BlobStore]:
    from tests.azure.blob_factory import azure_blob_store

    async with azure_blob_store(tmp_path) as store:
        yield store


BLOB_STORES: dict[str, StoreFactory] = {"local": _local, "azure": _azure}


@pytest.fixture(params=sorted(BLOB_STORES))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BlobStore]:
    async with BLOB_STORES[request.param](tmp_path) as opened:
        yield opened


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def read_all(store: BlobStore, tenant: str, name: str) -> bytes:
    return b"".join([chunk async for chunk in store.for_tenant(tenant).read(name)])


async def test_a_stream_put_in_comes_back_out_with_its_size_and_sha256(store: BlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    info = await store.for_tenant("contoso").put(
        "file_a", chunks_of(data), content_type="application/pdf"
    )
    assert (info.name, info.size, info.content_type) == ("file_a", len(data), "application/pdf")
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert await read_all(store, "contoso", "file_a") == data
    assert await store.for_tenant("contoso").info("file_a") == info


async def test_reading_streams_in_pieces_of_the_asked_size(store: BlobStore) -> None:
    blobs = store.for_tenant("contoso")
    await blobs.put("file_a", chunks_of(b"x" * 10_000), content_type="text/plain")
    sizes = [len(chunk) async for chunk in blobs.read("file_a", chunk_size=4096)]
    assert sizes == [4096, 4096, 1808]


async def test_an_empty_stream_is_an_empty_blob(store: BlobStore) -> None:
    info = await store.for_tenant("contoso").put(
        "file_e", chunks_of(b""), content_type="text/plain"
    )
    assert info.size == 0
    assert info.sha256 == hashlib.sha256(b"").hexdigest()
    assert await read_all(store, "contoso", "file_e") == b""


async def test_a_stream_past_the_limit_is_refused_and_nothing_is_kept(store: BlobStore) -> None:
    blobs = store.for_tenant("contoso")
    with pytest.raises(BlobTooLarge):
        await blobs.put(
            "file_big",
            chunks_of(b"x" * 200_000, 10_000),
            content_type="text/plain",
            max_bytes=150_000,
        )
    assert await blobs.info("file_big") is None
    assert await blobs.list_names() == []


async def test_exactly_the_limit_is_accepted(store: BlobStore) -> None:
    info = await store.for_tenant("contoso").put(
        "file_full", chunks_of(b"y" * 1000), content_type="text/plain", max_bytes=1000
    )
    assert info.size == 1000


async def test_a_failing_source_stream_leaves_no_blob(store: BlobStore) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"first part"
        raise ConnectionResetError("client went away")

    blobs = store.for_tenant("contoso")
    with pytest.raises(ConnectionResetError):
        await blobs.put("file_b", broken(), content_type="text/plain")
    assert await blobs.info("file_b") is None
    assert "file_b" not in await blobs.list_names()


async def test_a_put_replaces_an_existing_blob_whole(store: BlobStore) -> None:
    blobs = store.for_tenant("contoso")
    await blobs.put("file_r", chunks_of(b"old bytes that are longer"), content_type="text/plain")
    info = await blobs.put("file_r", chunks_of(b"new"), content_type="text/markdown")
    assert await read_all(store, "contoso", "file_r") == b"new"
    assert (info.size, info.content_type) == (3, "text/markdown")


async def test_two_tenants_keep_their_own_bytes_under_the_same_name(store: BlobStore) -> None:
    await store.for_tenant("contoso").put(
        "file_x", chunks_of(b"contoso"), content_type="text/plain"
    )
    await store.for_tenant("fabrikam").put(
        "file_x", chunks_of(b"fabrikam"), content_type="text/plain"
    )
    assert await read_all(store, "contoso", "file_x") == b"contoso"
    assert await read_all(store, "fabrikam", "file_x") == b"fabrikam"
    assert await store.for_tenant("fabrikam").delete("file_x")
    assert await read_all(store, "contoso", "file_x") == b"contoso"


async def test_a_tenant_lists_only_its_own_names_by_prefix(store: BlobStore) -> None:
    contoso = store.for_tenant("contoso")
    for name in ("file_1", "file_2", "other_1"):
        await contoso.put(name, chunks_of(b"."), content_type="text/plain")
    await store.for_tenant("fabrikam").put("file_9", chunks_of(b"."), content_type="text/plain")
    assert await contoso.list_names("file_") == ["file_1", "file_2"]
    assert await contoso.list_names() == ["file_1", "file_2", "other_1"]
    assert await store.for_tenant("northwind").list_names() == []


async def test_a_blob_another_tenant_holds_is_missing_for_this_one(store: BlobStore) -> None:
    await store.for_tenant("contoso").put("file_s", chunks_of(b"secret"), content_type="text/plain")
    fabrikam = store.for_tenant("fabrikam")
    assert await fabrikam.info("file_s") is None
    with pytest.raises(BlobMissing):
        await read_all(store, "fabrikam", "file_s")
    assert await fabrikam.delete("file_s") is False


async def test_delete_says_whether_there_was_a_blob(store: BlobStore) -> None:
    blobs = store.for_tenant("contoso")
    await blobs.put("file_d", chunks_of(b"bytes"), content_type="text/plain")
    assert await blobs.delete("file_d") is True
    assert await blobs.delete("file_d") is False
    assert await blobs.info("file_d") is None
    with pytest.raises(BlobMissing):
        await read_all(store, "contoso", "file_d")


async def test_a_blob_says_when_it_was_written(store: BlobStore) -> None:
    info = await store.for_tenant("contoso").put(
        "file_t", chunks_of(b"t"), content_type="text/plain"
    )
    assert info.last_modified is not None
    assert info.last_modified.tzinfo is not None
    assert abs(datetime.now(UTC) - info.last_modified) < timedelta(minutes=5)


BAD_NAMES = [
    "",
    "..",
    "../file_a",
    "file_a/../../etc",
    "/etc/passwd",
    "file\\a",
    "file a",
    "file.a",
    "file_a\n",
    "file_\x00a",
    "file_\x1fa",
    "\u202efile",
    "x" * 129,
    "_leading",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
async def test_a_name_not_of_the_services_making_touches_nothing(
    store: BlobStore, name: str
) -> None:
    blobs = store.for_tenant("contoso")
    with pytest.raises(InvalidBlobName):
        await blobs.put(name, chunks_of(b"evil"), content_type="text/plain")
    with pytest.raises(InvalidBlobName):
        await blobs.info(name)
    with pytest.raises(InvalidBlobName):
        await blobs.delete(name)
    with pytest.raises(InvalidBlobName):
        await read_all(store, "contoso", name)
    assert await blobs.list_names() == []
