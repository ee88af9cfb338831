"""The `BlobStore` port on Azure Blob Storage (`azure-storage-blob`, async).

A container per tenant, named from the registry (never from input). The shared identity only
creates containers (`prepare_tenant`: at onboarding, never on a request path, as creating one is
a control-plane right) and signs SAS tokens; every blob call of a tenant goes through a client built
from a short-lived SAS for that tenant's container alone, renewed before it expires. A client
replaced by a renewal may still be streaming, so it is closed (with its connection pool) once
its SAS has expired and a grace period has passed: a long-running process holds at most two
clients per container.
Uploads are staged in blocks as they stream in and committed at the end, so an upload never
sits whole in memory and one cut short (or over its limit) leaves no blob behind.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
from collections.abc import AsyncIterable, AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobBlock, ContentSettings
from azure.storage.blob.aio import BlobClient, BlobServiceClient, ContainerClient

from shared.adapters.azure.blob_sas import SasIssuer, container_name
from shared.ports.blobs import BlobInfo, BlobMissing, BlobTooLarge, check_blob_name
from shared.tenancy import TenantRegistry

BLOCK_BYTES = 4 * 1024 * 1024
SHA256_METADATA = "sha256"
RETIRED_GRACE = timedelta(minutes=1)
"""How long past its SAS expiry a replaced client is kept before it is closed."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AzureBlobStore:
    """All tenants' containers; hands out views whose client holds one container's SAS."""

    def __init__(
        self,
        service: BlobServiceClient,
        registry: TenantRegistry,
        issuer: SasIssuer,
        *,
        sas_minutes: int = 15,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._service = service
        self._registry = registry
        self._issuer = issuer
        self._lifetime = timedelta(minutes=sas_minutes)
        self._clock = clock
        self._clients: dict[str, tuple[ContainerClient, datetime]] = {}
        self._retired: list[tuple[ContainerClient, datetime]] = []
        self._lock = asyncio.Lock()

    def for_tenant(self, tenant_id: str) -> AzureTenantBlobs:
        """The container of one tenant of the registry (KeyError for any other id)."""
        tenant = self._registry.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        return AzureTenantBlobs(self, container_name(tenant))

    async def prepare_tenant(self, tenant_id: str) -> None:
        """Create the tenant's container if it is not there (onboarding calls this).

        It needs `containers/write` on the account, which the onboarding operator and the
        deployment hold; the apps' requests never create a container.
        """
        with contextlib.suppress(ResourceExistsError):
            await self._service.create_container(self.for_tenant(tenant_id).container)

    async def tenant_client(self, container: str) -> ContainerClient:
        """A client for `container` alone, from a SAS with at least a third of its life left."""
        async with self._lock:
            now = self._clock()
            await self._close_expired(now)
            cached = self._clients.get(container)
            if cached is not None and cached[1] - now > self._lifetime / 3:
                return cached[0]
            expiry = now + self._lifetime
            sas = await self._issuer.container_sas(container, expiry)
            client = ContainerClient(self._service.url, container, credential=sas)
            if cached is not None:
                self._retired.append(cached)
            self._clients[container] = (client, expiry)
            return client

    async def _close_expired(self, now: datetime) -> None:
        """Close the replaced clients whose SAS expired more than the grace period ago."""
        keep: list[tuple[ContainerClient, datetime]] = []
        for client, expiry in self._retired:
            if expiry + RETIRED_GRACE <= now:
                await client.close()
            else:
                keep.append((client, expiry))
        self._retired = keep

    @property
    def open_clients(self) -> int:
        """Tenant clients not yet closed: the current ones and those in their grace period."""
        return len(self._clients) + len(self._retired)

    async def close(self) -> None:
        """Close every tenant client and the service client."""
        for client, _ in [*self._clients.values(), *self._retired]:
            await client.close()
        self._clients.clear()
        self._retired.clear()
        await self._service.close()


class TenantContainerMissing(LookupError):
    """The tenant's container was never made: onboard the tenant (`tenantry tenants add`)."""


def _container_missing(exc: ResourceNotFoundError) -> bool:
    return getattr(exc, "error_code", None) == "ContainerNotFound"


class AzureTenantBlobs:
    """One tenant's container, reached only through its SAS client."""

    def __init__(self, store: AzureBlobStore, container: str) -> None:
        self._store = store
        self.container = container

    async def put(
        self,
        name: str,
        chunks: AsyncIterable[bytes],
        *,
        content_type: str,
        max_bytes: int | None = None,
    ) -> BlobInfo:
        """Stage the stream in blocks, then commit them with the SHA-256 in the metadata."""
        blob = (await self._store.tenant_client(self.container)).get_blob_client(
            check_blob_name(name)
        )
        try:
            return await self._put(blob, chunks, content_type, max_bytes, name)
        except ResourceNotFoundError as exc:
            if _container_missing(exc):
                raise TenantContainerMissing(
                    f"container {self.container} does not exist: onboard the tenant "
                    "(tenantry tenants add), which creates it"
                ) from exc
            raise

    async def _put(
        self,
        blob: BlobClient,
        chunks: AsyncIterable[bytes],
        content_type: str,
        max_bytes: int | None,
        name: str,
    ) -> BlobInfo:
        digest, size, blocks, pending = hashlib.sha256(), 0, list[BlobBlock](), bytearray()

        async def stage(data: bytes) -> None:
            block_id = base64.b64encode(f"{len(blocks):08d}".encode()).decode()
            await blob.stage_block(block_id, io.BytesIO(data), length=len(data))
            blocks.append(BlobBlock(block_id=block_id))

        async for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise BlobTooLarge(f"over {max_bytes} bytes; nothing was kept")
            digest.update(chunk)
            pending += chunk
            while len(pending) >= BLOCK_BYTES:
                await stage(bytes(pending[:BLOCK_BYTES]))
                del pending[:BLOCK_BYTES]
        if pending or not blocks:
            await stage(bytes(pending))
        sha256 = digest.hexdigest()
        committed = await blob.commit_block_list(
            blocks,
            content_settings=ContentSettings(content_type=content_type),
            metadata={SHA256_METADATA: sha256},
        )
        modified = committed.get("last_modified")
        when = modified if isinstance(modified, datetime) else None
        return BlobInfo(name, size, sha256, content_type, when)

    async def read(self, name: str, *, chunk_size: int = 64 * 1024) -> AsyncIterator[bytes]:
        """Stream the blob's bytes (`BlobMissing` on first iteration if absent)."""
        client = await self._store.tenant_client(self.container)
        blob = client.get_blob_client(check_blob_name(name))
        try:
            downloader = await blob.download_blob()
        except ResourceNotFoundError as exc:
            raise BlobMissing(name) from exc
        async for chunk in downloader.chunks():
            for start in range(0, len(chunk), chunk_size):
                yield chunk[start : start + chunk_size]

    async def info(self, name: str) -> BlobInfo | None:
        """Size, checksum, type and time of the blob, or None."""
        client = await self._store.tenant_client(self.container)
        try:
            props = await client.get_blob_client(check_blob_name(name)).get_blob_properties()
        except ResourceNotFoundError:
            return None
        return BlobInfo(
            name=name,
            size=int(props.size),
            sha256=str((props.metadata or {}).get(SHA256_METADATA, "")),
            content_type=str(props.content_settings.content_type or ""),
            last_modified=props.last_modified,
        )

    async def delete(self, name: str) -> bool:
        """Remove the blob; False if there was none."""
        client = await self._store.tenant_client(self.container)
        try:
            await client.delete_blob(check_blob_name(name))
        except ResourceNotFoundError:
            return False
        return True

    async def list_names(self, prefix: str = "") -> list[str]:
        """Names of this container's blobs starting with `prefix`."""
        client = await self._store.tenant_client(self.container)
        try:
            return [name async for name in client.list_blob_names(name_starts_with=prefix or None)]
        except ResourceNotFoundError as exc:
            if _container_missing(exc):
                return []  # not onboarded yet: nothing stored
            raise
