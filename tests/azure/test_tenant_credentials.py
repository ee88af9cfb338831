"""Tenant-scoped credentials: each tenant's identity, its own token cache, nothing shared.

The confidential clients are real `msal` applications talking to a recording token endpoint
through msal's `http_client` transport.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from azure.core.credentials import AccessToken
from pydantic import ValidationError

from shared.adapters.azure.credentials import MsalClientCredential, TenantCredentials
from shared.adapters.azure.tenant_identity import TenantIdentity, identity_of
from shared.tenancy import Tenant, TenantRegistry

AUTHORITY = "https://login.example.test"


@dataclass
class Response:
    status_code: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(self.status_code)


@dataclass
class TokenEndpoint:
    """An Entra ID stand-in: OpenID configuration and a client-credentials token endpoint."""

    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Response:
        directory = url.removeprefix(AUTHORITY + "/").split("/")[0]
        config = {
            "token_endpoint": f"{AUTHORITY}/{directory}/oauth2/v2.0/token",
            "authorization_endpoint": f"{AUTHORITY}/{directory}/oauth2/v2.0/authorize",
            "issuer": f"{AUTHORITY}/{directory}/v2.0",
        }
        return Response(200, json.dumps(config))

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> Response:
        form = data if isinstance(data, dict) else parse_qs(data)
        form = {k: v if isinstance(v, list) else [v] for k, v in form.items()}
        self.token_requests.append({"url": [url], **form})
        number = len(self.token_requests)
        body = {
            "access_token": f"token-{form['client_id'][0]}-{number}",
            "token_type": "Bearer",
            "expires_in": 3600,
        }
        return Response(200, json.dumps(body))


class SharedIdentity:
    """The shared identity's credential (recording who asked)."""

    def __init__(self) -> None:
        self.closed = False

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("shared-token", 2**31)

    async def close(self) -> None:
        self.closed = True


class UserAssigned(SharedIdentity):
    def __init__(self, identity: TenantIdentity) -> None:
        super().__init__()
        self.client_id = identity.client_id


REGISTRY = TenantRegistry(
    [
        Tenant(id="contoso"),
        Tenant.model_validate(
            {
                "id": "fabrikam",
                "azure": {"identity": {"kind": "managed_identity", "client_id": "mi-fabrikam"}},
            }
        ),
        *(
            Tenant.model_validate(
                {
                    "id": name,
                    "azure": {
                        "identity": {
                            "kind": "confidential_client",
                            "client_id": f"app-{name}",
                            "directory": f"dir-{name}",
                            "secret_name": f"{name}-client-secret",
                        }
                    },
                }
            )
            for name in ("northwind", "woodgrove")
        ),
    ]
)


@pytest.fixture
def endpoint() -> TokenEndpoint:
    return TokenEndpoint()


@pytest.fixture
def provider(endpoint: TokenEndpoint) -> TenantCredentials:
    secrets = {f"{n}-client-secret": f"secret-of-{n}" for n in ("northwind", "woodgrove")}

    async def read_secret(name: str) -> str:
        return secrets[name]

    return TenantCredentials(
        REGISTRY,
        SharedIdentity(),  # type: ignore[arg-type]
        managed_identity=UserAssigned,  # type: ignore[arg-type]
        confidential_client=lambda identity: MsalClientCredential(
            identity, read_secret, authority_host=AUTHORITY, http_client=endpoint
        ),
    )


async def test_pooled_tenants_use_the_shared_identity(provider: TenantCredentials) -> None:
    assert provider.for_tenant("contoso") is provider.shared


async def test_a_tenant_with_its_own_managed_identity_gets_that_identity(
    provider: TenantCredentials,
) -> None:
    credential = provider.for_tenant("fabrikam")
    assert isinstance(credential, UserAssigned) and credential.client_id == "mi-fabrikam"
    assert provider.for_tenant("fabrikam") is credential


async def test_confidential_clients_ask_for_tokens_with_their_own_app_and_secret(
    provider: TenantCredentials, endpoint: TokenEndpoint
) -> None:
    northwind = await provider.for_tenant("northwind").get_token("https://vault.azure.net/.default")
    woodgrove = await provider.for_tenant("woodgrove").get_token("https://vault.azure.net/.default")
    assert northwind.token == "token-app-northwind-1"
    assert woodgrove.token == "token-app-woodgrove-2"
    first, second = endpoint.token_requests
    assert first["url"] == [f"{AUTHORITY}/dir-northwind/oauth2/v2.0/token"]
    assert (first["client_id"], first["client_secret"]) == (
        ["app-northwind"],
        ["secret-of-northwind"],
    )
    assert (second["client_id"], second["client_secret"]) == (
        ["app-woodgrove"],
        ["secret-of-woodgrove"],
    )
    assert first["grant_type"] == ["client_credentials"]


async def test_no_token_is_served_from_one_tenants_cache_to_another(
    provider: TenantCredentials, endpoint: TokenEndpoint
) -> None:
    scope = "https://storage.azure.com/.default"
    first = await provider.for_tenant("northwind").get_token(scope)
    again = await provider.for_tenant("northwind").get_token(scope)
    other = await provider.for_tenant("woodgrove").get_token(scope)
    assert again.token == first.token, "a tenant reuses its own cached token"
    assert other.token != first.token
    assert len(endpoint.token_requests) == 2, "the second tenant asked Entra ID for its own"
    northwind = provider.for_tenant("northwind")
    woodgrove = provider.for_tenant("woodgrove")
    assert isinstance(northwind, MsalClientCredential)
    assert isinstance(woodgrove, MsalClientCredential)
    assert northwind.cache is not woodgrove.cache
    assert "token-app-woodgrove" not in northwind.cache.serialize()


async def test_a_tenant_outside_the_registry_has_no_credential(provider: TenantCredentials) -> None:
    with pytest.raises(KeyError):
        provider.for_tenant("mallory")


async def test_closing_closes_every_credential(provider: TenantCredentials) -> None:
    fabrikam = provider.for_tenant("fabrikam")
    await provider.close()
    assert isinstance(fabrikam, UserAssigned) and fabrikam.closed
    assert isinstance(provider.shared, SharedIdentity) and provider.shared.closed


def test_identity_settings_are_checked_when_read() -> None:
    assert identity_of(Tenant(id="plain")).kind == "pooled"
    with pytest.raises(ValidationError, match="secret_name or a certificate_name"):
        TenantIdentity(kind="confidential_client", client_id="a", directory="d")
    with pytest.raises(ValidationError, match="client_id"):
        TenantIdentity(kind="managed_identity")


async def test_confidential_client_tenants_share_one_vault_client_closed_with_the_adapters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from azure.keyvault.secrets.aio import SecretClient

    from shared.adapters.azure.wiring import AzureAdapters
    from shared.settings import Settings

    closed: list[SecretClient] = []
    real_close = SecretClient.close

    async def recording_close(self: SecretClient) -> None:
        closed.append(self)
        await real_close(self)

    monkeypatch.setattr(SecretClient, "close", recording_close)
    settings = Settings(keyvault_url="https://shared.vault.azure.net", credentials="default")
    adapters = AzureAdapters(settings, REGISTRY)
    for tenant in ("northwind", "woodgrove", "northwind"):
        adapters.credentials.for_tenant(tenant)
    vault = adapters.client_secret_vault
    assert isinstance(vault, SecretClient)
    await adapters.close()
    assert closed == [vault]
    assert adapters.client_secret_vault is None
