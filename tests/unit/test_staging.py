"""Staged uploads: where the embedded blob store puts bytes, and the sweeper of unclaimed ones."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.adapters.local.blobs import LocalBlobStore
from shared.bootstrap import bootstrap
from shared.ports.blobs import BlobTooLarge
from tests.harness import settings_for
from workers.sweeper import sweep_staged_uploads


async def chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 1000):
        yield data[start : start + 1000]


async def test_bytes_land_in_the_tenants_own_folder_readable_by_the_service_only(
    tmp_path: Path,
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    await store.for_tenant("contoso").put("file_1", chunks(b"abc"), content_type="text/plain")
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["blobs/contoso/data/file_1", "blobs/contoso/meta/file_1.json"]
    mode = (tmp_path / "blobs/contoso/data/file_1").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


async def test_a_refused_upload_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with pytest.raises(BlobTooLarge):
        await store.for_tenant("contoso").put(
            "file_1", chunks(b"x" * 5000), content_type="text/plain", max_bytes=2000
        )
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("tenant", ["..", "../x", "a/b", "", ".hidden"])
def test_a_tenant_id_that_is_not_an_identifier_gets_no_folder(tmp_path: Path, tenant: str) -> None:
    with pytest.raises(ValueError):
        LocalBlobStore(tmp_path / "blobs").for_tenant(tenant)


async def test_the_sweeper_removes_only_old_uploads_that_no_file_claims(tmp_path: Path) -> None:
    services = bootstrap(settings_for(tmp_path, files_staging_ttl_seconds=3600))
    try:
        contoso = services.scope("contoso")
        for name in ("file_claimed", "file_orphan"):
            await contoso.blobs.put(name, chunks(b"bytes"), content_type="text/plain")
        await services.scope("fabrikam").blobs.put(
            "file_orphan", chunks(b"theirs"), content_type="text/plain"
        )
        await contoso.store.create("files", {"id": "file_claimed", "status": "processed"})

        assert await sweep_staged_uploads(services) == 0  # nothing is old yet
        later = datetime.now(UTC) + timedelta(hours=2)
        assert await sweep_staged_uploads(services, now=later) == 2
        assert await contoso.blobs.list_names() == ["file_claimed"]
        assert await services.scope("fabrikam").blobs.list_names() == []
        assert await sweep_staged_uploads(services, now=later) == 0
    finally:
        await services.close()
