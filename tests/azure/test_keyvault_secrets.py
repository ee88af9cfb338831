"""The Key Vault adapter through the SDK's HTTP transport: vaults, names, credentials, cache."""

from __future__ import annotations

from typing import Any

import pytest
from azure.keyvault.secrets.aio import SecretClient

from shared.adapters.azure.credentials import TenantCredentials
from shared.adapters.azure.keyvault import KeyVaultSecretStore, shared_vault_prefix
from shared.ports.secrets import SecretMissing
from shared.tenancy import Tenant, TenantRegistry
from tests.azure.transport import Answer, RecordingTransport, Sent, StaticToken

SHARED_VAULT = "https://tenantry-shared.vault.azure.net"
OWN_VAULT = "https://fabrikam-kv.vault.azure.net"
CHALLENGE = (
    'Bearer authorization="https://login.microsoftonline.com/dir", '
    'resource="https://vault.azure.net"'
)
REGISTRY = TenantRegistry(
    [
        Tenant(id="contoso"),
        Tenant.model_validate({"id": "fabrikam", "azure": {"keyvault_url": OWN_VAULT}}),
    ]
)


class Vaults:
    """Secrets by (vault host, name), answering the Key Vault REST API."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str] = {}

    def __call__(self, sent: Sent) -> Answer:
        if "authorization" not in {k.lower() for k in sent.headers}:
            return Answer(401, {}, {"WWW-Authenticate": CHALLENGE})
        host = sent.url.split("/")[2]
        name = sent.path.split("/")[2]
        key = (host, name)
        if sent.method == "PUT":
            self.values[key] = sent.json()["value"]
        if sent.method == "DELETE":
            if self.values.pop(key, None) is None:
                return Answer(404, {"error": {"code": "SecretNotFound", "message": "no"}})
            return Answer(200, {"id": f"https://{host}/secrets/{name}/v1"})
        if key not in self.values:
            return Answer(404, {"error": {"code": "SecretNotFound", "message": "no"}})
        return Answer(200, {"id": f"https://{host}/secrets/{name}/v1", "value": self.values[key]})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def vaults() -> Vaults:
    return Vaults()


@pytest.fixture
def transport(vaults: Vaults) -> RecordingTransport:
    return RecordingTransport(vaults)


@pytest.fixture
def credentials() -> tuple[TenantCredentials, dict[str, StaticToken]]:
    made: dict[str, StaticToken] = {}
    shared = StaticToken("shared-token")
    provider = TenantCredentials(
        REGISTRY,
        shared,  # type: ignore[arg-type]
        managed_identity=lambda identity: StaticToken(),  # type: ignore[arg-type,return-value]
        confidential_client=lambda identity: StaticToken(),  # type: ignore[arg-type,return-value]
    )
    made["shared"] = shared
    return provider, made


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(
    transport: RecordingTransport,
    credentials: tuple[TenantCredentials, dict[str, StaticToken]],
    clock: Clock,
) -> KeyVaultSecretStore:
    def client(vault: str, credential: Any) -> SecretClient:
        return SecretClient(vault, credential, transport=transport)

    return KeyVaultSecretStore(
        REGISTRY,
        credentials[0],
        shared_vault_url=SHARED_VAULT,
        cache_seconds=60,
        client_factory=client,
        clock=clock,
    )


async def test_a_pooled_tenant_uses_the_shared_vault_with_prefixed_names(
    store: KeyVaultSecretStore, transport: RecordingTransport
) -> None:
    contoso = store.for_tenant("contoso")
    await contoso.set("webhook-secret", "whsec_abc")
    prefix = shared_vault_prefix(Tenant(id="contoso"))
    put = [s for s in transport.sent if s.method == "PUT"][-1]
    assert put.url.startswith(f"{SHARED_VAULT}/secrets/{prefix}webhook-secret?")
    assert put.query["api-version"] == ["2026-04-01"]
    assert put.json() == {"value": "whsec_abc"}
    assert put.headers["Authorization"] == "Bearer shared-token"
    await store.close()


async def test_a_tenant_with_its_own_vault_uses_it_with_plain_names(
    store: KeyVaultSecretStore, transport: RecordingTransport
) -> None:
    await store.for_tenant("fabrikam").set("webhook-secret", "whsec_f")
    put = [s for s in transport.sent if s.method == "PUT"][-1]
    assert put.url.startswith(f"{OWN_VAULT}/secrets/webhook-secret?")
    await store.close()


async def test_tenants_with_the_same_secret_name_keep_their_own_values(
    store: KeyVaultSecretStore, clock: Clock
) -> None:
    await store.for_tenant("contoso").set("signing", "contoso-value")
    await store.for_tenant("fabrikam").set("signing", "fabrikam-value")
    clock.now += 3600
    assert await store.for_tenant("contoso").get("signing") == "contoso-value"
    assert await store.for_tenant("fabrikam").get("signing") == "fabrikam-value"
    await store.close()


async def test_values_are_cached_until_they_expire(
    store: KeyVaultSecretStore, vaults: Vaults, transport: RecordingTransport, clock: Clock
) -> None:
    prefix = shared_vault_prefix(Tenant(id="contoso"))
    vaults.values[("tenantry-shared.vault.azure.net", f"{prefix}api-key")] = "v1"
    contoso = store.for_tenant("contoso")
    assert await contoso.get("api-key") == "v1"
    gets = len([s for s in transport.sent if s.method == "GET"])
    vaults.values[("tenantry-shared.vault.azure.net", f"{prefix}api-key")] = "v2"
    clock.now += 59
    assert await contoso.get("api-key") == "v1"
    assert len([s for s in transport.sent if s.method == "GET"]) == gets
    clock.now += 2
    assert await contoso.get("api-key") == "v2"
    await store.close()


async def test_a_missing_secret_is_secret_missing_and_deleting_it_is_not_an_error(
    store: KeyVaultSecretStore,
) -> None:
    contoso = store.for_tenant("contoso")
    with pytest.raises(SecretMissing):
        await contoso.get("absent")
    await contoso.delete("absent")
    await contoso.set("gone", "x")
    await contoso.delete("gone")
    with pytest.raises(SecretMissing):
        await contoso.get("gone")
    await store.close()


async def test_a_name_a_vault_cannot_hold_is_refused_before_any_call(
    store: KeyVaultSecretStore, transport: RecordingTransport
) -> None:
    with pytest.raises(ValueError, match="secret name"):
        await store.for_tenant("contoso").get("../other-tenant")
    assert transport.sent == []


def test_a_tenant_outside_the_registry_has_no_secrets(store: KeyVaultSecretStore) -> None:
    with pytest.raises(KeyError):
        store.for_tenant("mallory")
