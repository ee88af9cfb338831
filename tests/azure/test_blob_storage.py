"""The Blob Storage adapter on Azurite: containers per tenant, reached only through their SAS."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob.aio import BlobServiceClient, ContainerClient

from shared.adapters.azure.blob_sas import AccountKeySas, container_name
from shared.adapters.azure.blobs import AzureBlobStore
from shared.ports.blobs import BlobMissing, BlobTooLarge, InvalidBlobName
from shared.tenancy import Tenant, TenantRegistry
from tests.emulators import Azurite, azurite_blobs

REGISTRY = TenantRegistry(
    [
        Tenant(id="contoso"),
        Tenant(id="fabrikam"),
        Tenant.model_validate({"id": "Contoso_", "azure": {"blob_container": "custom-box"}}),
    ]
)


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Azurite]:
    with azurite_blobs(tmp_path_factory.mktemp("azurite")) as server:
        yield server


@pytest.fixture
async def blobs(azurite: Azurite) -> AsyncIterator[AzureBlobStore]:
    service = BlobServiceClient(
        azurite.account_url,
        credential={"account_name": azurite.account_name, "account_key": azurite.account_key},
    )
    store = AzureBlobStore(
        service, REGISTRY, AccountKeySas(azurite.account_name, azurite.account_key)
    )
    for tenant in REGISTRY:
        await store.prepare_tenant(tenant.id)  # as onboarding does
    yield store
    await store.close()


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_container_names_come_from_the_registry_and_never_collide() -> None:
    contoso = REGISTRY.get("contoso")
    assert contoso is not None
    assert container_name(contoso).startswith("t-contoso-")
    assert container_name(Tenant(id="Contoso")) != container_name(contoso)
    custom = REGISTRY.get("Contoso_")
    assert custom is not None and container_name(custom) == "custom-box"


async def test_a_blob_streams_in_and_out_with_its_checksum(blobs: AzureBlobStore) -> None:
    contoso = blobs.for_tenant("contoso")
    info = await contoso.put("file_1", _chunks(b"hello ", b"world"), content_type="text/plain")
    assert (info.size, info.content_type) == (11, "text/plain")
    assert info.sha256 == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
    assert b"".join([chunk async for chunk in contoso.read("file_1", chunk_size=4)]) == (
        b"hello world"
    )
    stored = await contoso.info("file_1")
    assert stored is not None and stored.sha256 == info.sha256 and stored.size == 11
    assert await contoso.list_names("file_") == ["file_1"]
    assert await contoso.delete("file_1") is True
    assert await contoso.delete("file_1") is False
    assert await contoso.info("file_1") is None


async def test_an_upload_over_its_limit_keeps_nothing(blobs: AzureBlobStore) -> None:
    contoso = blobs.for_tenant("contoso")
    with pytest.raises(BlobTooLarge):
        await contoso.put(
            "file_big", _chunks(b"x" * 10, b"y" * 10), content_type="a/b", max_bytes=15
        )
    assert await contoso.info("file_big") is None


async def test_reading_a_missing_blob_says_so(blobs: AzureBlobStore) -> None:
    with pytest.raises(BlobMissing):
        async for _ in blobs.for_tenant("contoso").read("file_none"):
            pass


async def test_a_name_not_of_the_services_making_is_refused(blobs: AzureBlobStore) -> None:
    with pytest.raises(InvalidBlobName):
        await blobs.for_tenant("contoso").put("../escape", _chunks(b"x"), content_type="a/b")


async def test_two_tenants_with_the_same_blob_name_keep_their_own(blobs: AzureBlobStore) -> None:
    await blobs.for_tenant("contoso").put("file_same", _chunks(b"contoso"), content_type="a/b")
    await blobs.for_tenant("fabrikam").put("file_same", _chunks(b"fabrikam"), content_type="a/b")
    read = [c async for c in blobs.for_tenant("fabrikam").read("file_same")]
    assert b"".join(read) == b"fabrikam"


async def test_a_tenants_sas_client_gets_403_on_another_tenants_container(
    blobs: AzureBlobStore, azurite: Azurite
) -> None:
    await blobs.for_tenant("contoso").put("file_secret", _chunks(b"mine"), content_type="a/b")
    fabrikam = blobs.for_tenant("fabrikam")
    fabrikam_client = await blobs.tenant_client(fabrikam.container)
    contoso_container = blobs.for_tenant("contoso").container
    sas = urlsplit(fabrikam_client.url).query
    assert "sig=" in sas
    intruder = ContainerClient(azurite.account_url, contoso_container, credential=sas)
    async with intruder:
        for attempt in (
            intruder.get_blob_client("file_secret").download_blob(),
            intruder.upload_blob("file_planted", b"x"),
        ):
            with pytest.raises(HttpResponseError) as refused:
                await attempt
            assert refused.value.status_code == 403
        with pytest.raises(HttpResponseError) as listing:
            _ = [name async for name in intruder.list_blob_names()]
        assert listing.value.status_code == 403
    assert await blobs.for_tenant("contoso").list_names("file_secret") == ["file_secret"]
    assert await blobs.for_tenant("contoso").list_names("file_planted") == []


async def test_an_expired_sas_is_refused(azurite: Azurite, blobs: AzureBlobStore) -> None:
    container = blobs.for_tenant("contoso").container
    await blobs.tenant_client(container)
    issuer = AccountKeySas(azurite.account_name, azurite.account_key)
    expired = await issuer.container_sas(container, datetime.now(UTC) - timedelta(minutes=1))
    async with ContainerClient(azurite.account_url, container, credential=expired) as client:
        with pytest.raises(HttpResponseError) as refused:
            _ = [name async for name in client.list_blob_names()]
    assert refused.value.status_code == 403


def test_a_tenant_outside_the_registry_has_no_container(blobs: AzureBlobStore) -> None:
    with pytest.raises(KeyError):
        blobs.for_tenant("mallory")


async def test_production_sas_is_user_delegation_signed_with_one_cached_key() -> None:
    from azure.storage.blob.aio import BlobServiceClient

    from shared.adapters.azure.blob_sas import UserDelegationSas
    from tests.azure.transport import Answer, RecordingTransport, Sent, StaticToken

    key_xml = (
        "<?xml version='1.0' encoding='utf-8'?><UserDelegationKey>"
        "<SignedOid>11111111-1111-1111-1111-111111111111</SignedOid>"
        "<SignedTid>22222222-2222-2222-2222-222222222222</SignedTid>"
        "<SignedStart>2026-01-01T00:00:00Z</SignedStart>"
        "<SignedExpiry>2026-01-02T00:00:00Z</SignedExpiry>"
        "<SignedService>b</SignedService><SignedVersion>2025-01-05</SignedVersion>"
        "<Value>c2lnbmluZy1rZXktb2YtdGhlLWRlbGVnYXRpb24=</Value></UserDelegationKey>"
    )

    def service(sent: Sent) -> Answer:
        return Answer(200, key_xml.encode(), {"content-type": "application/xml"})

    transport = RecordingTransport(service)
    credential = StaticToken("shared-identity-token")
    client = BlobServiceClient(
        "https://tenantry.blob.core.windows.net", credential=credential, transport=transport
    )
    issuer = UserDelegationSas(client)
    expiry = datetime.now(UTC) + timedelta(minutes=15)
    contoso = await issuer.container_sas("t-contoso-1", expiry)
    fabrikam = await issuer.container_sas("t-fabrikam-2", expiry)
    await client.close()
    (request,) = transport.sent
    assert request.method == "POST"
    assert request.query["restype"] == ["service"] and request.query["comp"] == [
        "userdelegationkey"
    ]
    assert request.headers["Authorization"] == "Bearer shared-identity-token"
    assert credential.scopes == [("https://storage.azure.com/.default",)]
    for sas in (contoso, fabrikam):
        fields = {k: v[0] for k, v in parse_qs(sas).items()}
        assert fields["sr"] == "c"
        assert fields["skoid"] == "11111111-1111-1111-1111-111111111111"
        assert fields["sp"] == "racwdl"
    assert contoso != fabrikam


def _open_http_sessions() -> int:
    import gc

    import aiohttp

    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession) and not o.closed)


async def test_a_hundred_sas_renewals_leave_a_bounded_number_of_clients_and_sessions(
    azurite: Azurite,
) -> None:
    now = [datetime.now(UTC)]
    service = BlobServiceClient(
        azurite.account_url,
        credential={"account_name": azurite.account_name, "account_key": azurite.account_key},
    )
    store = AzureBlobStore(
        service,
        REGISTRY,
        AccountKeySas(azurite.account_name, azurite.account_key),
        sas_minutes=15,
        clock=lambda: now[0],
    )
    before = _open_http_sessions()
    tenants = ("contoso", "fabrikam")
    for tenant in tenants:
        await store.prepare_tenant(tenant)
    signatures = set()
    for renewal in range(100):
        for tenant in tenants:
            blobs = store.for_tenant(tenant)
            signatures.add((await store.tenant_client(blobs.container)).url)
            await blobs.list_names()  # opens the client's connection pool
        assert store.open_clients <= 2 * len(tenants)
        if renewal % 10 == 9:
            assert _open_http_sessions() - before <= 2 * len(tenants) + 1  # + the service
        now[0] += timedelta(minutes=11)  # past two thirds of the SAS's life: renewed each time
    assert len(signatures) == 100 * len(tenants), "every step renewed the SAS"
    await store.close()
    assert _open_http_sessions() == before


async def test_a_tenants_requests_never_create_its_container_onboarding_does(
    azurite: Azurite,
) -> None:
    import uuid

    from shared.adapters.azure.blobs import TenantContainerMissing

    tenant = Tenant.model_validate(
        {"id": "newcomer", "azure": {"blob_container": f"new-{uuid.uuid4().hex[:12]}"}}
    )
    service = BlobServiceClient(
        azurite.account_url,
        credential={"account_name": azurite.account_name, "account_key": azurite.account_key},
    )
    store = AzureBlobStore(
        service,
        TenantRegistry([tenant]),
        AccountKeySas(azurite.account_name, azurite.account_key),
    )
    blobs = store.for_tenant("newcomer")
    assert await blobs.list_names() == []
    assert await blobs.info("file_1") is None
    assert await blobs.delete("file_1") is False
    with pytest.raises(TenantContainerMissing, match="onboard"):
        await blobs.put("file_1", _chunks(b"x"), content_type="text/plain")
    names = [c.name async for c in service.list_containers(name_starts_with=blobs.container)]
    assert names == [], "no request created the container"
    await store.prepare_tenant("newcomer")
    await store.prepare_tenant("newcomer")  # onboarding twice is fine
    info = await blobs.put("file_1", _chunks(b"x"), content_type="text/plain")
    assert info.size == 1 and await blobs.list_names() == ["file_1"]
    await store.close()
