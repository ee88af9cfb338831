"""The embedded blob store: a directory per tenant under `data_dir/blobs`, written atomically.

Layout of one tenant's area: `data/{name}` holds the bytes, `meta/{name}.json` their size,
SHA-256 and content type, `tmp/` the uploads in flight. A blob exists once its bytes are renamed
into `data/` (the metadata is renamed into place just before), so a crash mid-upload leaves at
most a temporary file, never a half-written blob.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterable, AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from shared.ports.blobs import BlobInfo, BlobMissing, BlobTooLarge, check_blob_name

WRITE_BUFFER_BYTES = 1024 * 1024
"""Bytes gathered before one write on the file's thread: the most an upload holds in memory."""

_TENANT_DIR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}")


def _write(handle: IO[bytes], data: bytes) -> None:
    handle.write(data)


def _commit(temp: Path, target: Path, handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()
    os.replace(temp, target)


def _write_json_atomically(path: Path, value: dict[str, Any]) -> None:
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    with temp.open("w", encoding="utf-8") as handle:
        json.dump(value, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


class LocalBlobStore:
    """The `BlobStore` port on the file system: one directory per tenant under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def for_tenant(self, tenant_id: str) -> LocalTenantBlobs:
        """The area of one tenant (ValueError for an id that is not a registry identifier)."""
        if _TENANT_DIR.fullmatch(tenant_id) is None or ".." in tenant_id:
            raise ValueError("not a tenant identifier")
        return LocalTenantBlobs(self.root / tenant_id)

    async def purge_tenant(self, tenant_id: str) -> int:
        """Delete one tenant's directory and everything in it; how many blobs it held."""
        self.for_tenant(tenant_id)  # refuses anything that is not a tenant identifier
        area = self.root / tenant_id

        def remove() -> int:
            data = area / "data"
            count = sum(1 for entry in data.iterdir() if entry.is_file()) if data.is_dir() else 0
            if area.exists():
                shutil.rmtree(area)
            return count

        return await asyncio.to_thread(remove)

    async def close(self) -> None:
        """Nothing to release: files are opened per call."""


class LocalTenantBlobs:
    """One tenant's directory; every path is built from a checked, service-generated name."""

    def __init__(self, area: Path) -> None:
        self._area = area
        self._data = area / "data"
        self._meta = area / "meta"
        self._tmp = area / "tmp"

    def _paths(self, name: str) -> tuple[Path, Path]:
        check_blob_name(name)
        return self._data / name, self._meta / f"{name}.json"

    def _prepare(self) -> None:
        for folder in (self._data, self._meta, self._tmp):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    async def put(
        self,
        name: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Stream `chunks` to a temporary file, hashing as it goes, then rename it into place.

        Past `max_bytes` the temporary file is removed and `BlobTooLarge` raised; an error of the
        source stream removes it too. An existing blob of that name is replaced whole.
        """
        data_path, meta_path = self._paths(name)
        await asyncio.to_thread(self._prepare)
        temp = self._tmp / f"{name}.{secrets.token_hex(8)}"
        handle = await asyncio.to_thread(_open_exclusive, temp)
        digest = hashlib.sha256()
        size = 0
        pending: list[bytes] = []
        pending_bytes = 0
        try:
            async for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise BlobTooLarge(f"the blob is over the limit of {max_bytes} bytes")
                digest.update(chunk)
                pending.append(chunk)
                pending_bytes += len(chunk)
                if pending_bytes >= WRITE_BUFFER_BYTES:
                    await asyncio.to_thread(_write, handle, b"".join(pending))
                    pending, pending_bytes = [], 0
            if pending:
                await asyncio.to_thread(_write, handle, b"".join(pending))
            info = BlobInfo(name, size, digest.hexdigest(), content_type)
            meta = {"size": size, "sha256": info.sha256, "content_type": content_type}
            await asyncio.to_thread(_write_json_atomically, meta_path, meta)
            await asyncio.to_thread(_commit, temp, data_path, handle)
        except BaseException:
            await asyncio.to_thread(_discard, temp, handle)
            raise
        return await self.info(name) or info

    async def read(self, name: str, *, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """Stream the blob in `chunk_size` pieces (`BlobMissing` on first iteration if absent)."""
        data_path, _ = self._paths(name)
        try:
            handle = await asyncio.to_thread(data_path.open, "rb")
        except FileNotFoundError:
            raise BlobMissing(name) from None
        try:
            while chunk := await asyncio.to_thread(handle.read, chunk_size):
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def info(self, name: str) -> BlobInfo | None:
        """The blob's size, checksum, type and modification time, or None."""
        data_path, meta_path = self._paths(name)
        return await asyncio.to_thread(_load_info, name, data_path, meta_path)

    async def delete(self, name: str) -> bool:
        """Remove the bytes (the commit point) and then the metadata; False if there were none."""
        data_path, meta_path = self._paths(name)

        def remove() -> bool:
            try:
                data_path.unlink()
                existed = True
            except FileNotFoundError:
                existed = False
            meta_path.unlink(missing_ok=True)
            return existed

        return await asyncio.to_thread(remove)

    async def list_names(self, prefix: str = "") -> list[str]:
        """Names of the committed blobs that start with `prefix`, sorted."""

        def names() -> list[str]:
            if not self._data.is_dir():
                return []
            return sorted(p.name for p in self._data.iterdir() if p.name.startswith(prefix))

        return await asyncio.to_thread(names)


def _open_exclusive(path: Path) -> IO[bytes]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def _discard(temp: Path, handle: IO[bytes]) -> None:
    handle.close()
    temp.unlink(missing_ok=True)


def _load_info(name: str, data_path: Path, meta_path: Path) -> BlobInfo | None:
    try:
        stat = data_path.stat()
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return BlobInfo(
        name=name,
        size=int(meta["size"]),
        sha256=str(meta["sha256"]),
        content_type=str(meta["content_type"]),
        last_modified=datetime.fromtimestamp(stat.st_mtime, UTC),
    )
