"""The Azure Blob adapter as the blob contract suite opens stores: fresh containers per test."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from azure.storage.blob.aio import BlobServiceClient

from shared.adapters.azure.blob_sas import AccountKeySas
from shared.adapters.azure.blobs import AzureBlobStore
from shared.ports.blobs import BlobStore
from shared.tenancy import Tenant, TenantRegistry
from tests.emulators import process_azurite

TENANTS = ("contoso", "fabrikam", "northwind")


@contextlib.asynccontextmanager
async def azure_blob_store(tmp_path: Path) -> AsyncIterator[BlobStore]:
    """An `AzureBlobStore` on Azurite whose tenants' containers are new to this test."""
    azurite = process_azurite(tmp_path.parent)
    run = uuid.uuid4().hex[:10]
    registry = TenantRegistry(
        [
            Tenant.model_validate({"id": t, "azure": {"blob_container": f"c-{run}-{t}"}})
            for t in TENANTS
        ]
    )
    service = BlobServiceClient(
        azurite.account_url,
        credential={"account_name": azurite.account_name, "account_key": azurite.account_key},
    )
    store = AzureBlobStore(
        service, registry, AccountKeySas(azurite.account_name, azurite.account_key)
    )
    for tenant in TENANTS:
        await store.prepare_tenant(tenant)  # as onboarding does
    try:
        yield store
    finally:
        await store.close()
