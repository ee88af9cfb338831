"""Tenant-scoped credentials: each tenant's scope reaches Azure with its own identity.

- pooled tenants: the shared identity (the host's managed identity in production,
  `DefaultAzureCredential` in development);
- a tenant with its own user-assigned managed identity: a `ManagedIdentityCredential` for it;
- a tenant that brings its own app registration: an `msal` confidential client whose secret or
  certificate is read from the shared Key Vault, with a token cache of its own.

Credentials are made once per tenant and never shared between tenants, so no token acquired for
one tenant's identity can be served to another.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msal
from azure.core.credentials import AccessToken
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError

from shared.adapters.azure.tenant_identity import TenantIdentity, identity_of
from shared.tenancy import Tenant, TenantRegistry

SecretReader = Callable[[str], Awaitable[str]]
"""Reads a secret of the shared vault by name (the tenants' client secrets live there)."""


class MsalClientCredential(AsyncTokenCredential):
    """A confidential client of one tenant's own app registration, with its own token cache."""

    def __init__(
        self,
        identity: TenantIdentity,
        read_secret: SecretReader,
        *,
        authority_host: str,
        http_client: Any = None,
    ) -> None:
        self._identity = identity
        self._read_secret = read_secret
        self._authority = f"{authority_host.rstrip('/')}/{identity.directory}"
        self._http_client = http_client
        self.cache = msal.SerializableTokenCache()
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = asyncio.Lock()

    async def _client_credential(self) -> str | dict[str, str]:
        if self._identity.secret_name:
            return await self._read_secret(self._identity.secret_name)
        pem = await self._read_secret(str(self._identity.certificate_name))
        return {"private_key": pem, "public_certificate": pem}

    async def _application(self) -> msal.ConfidentialClientApplication:
        async with self._lock:
            if self._app is None:
                credential = await self._client_credential()
                self._app = await asyncio.to_thread(
                    msal.ConfidentialClientApplication,
                    str(self._identity.client_id),
                    client_credential=credential,
                    authority=self._authority,
                    token_cache=self.cache,
                    http_client=self._http_client,
                    instance_discovery=False,
                )
            return self._app

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A token for `scopes` from this tenant's cache, or from Entra ID."""
        app = await self._application()
        result = await asyncio.to_thread(app.acquire_token_for_client, list(scopes))
        if "access_token" not in result:
            raise ClientAuthenticationError(
                f"{result.get('error', 'error')}: {result.get('error_description', '')}"[:500]
            )
        expires_on = int(time.time()) + int(result.get("expires_in", 0))
        return AccessToken(str(result["access_token"]), expires_on)

    async def close(self) -> None:
        """Nothing to release: the cache lives with this object."""

    async def __aenter__(self) -> MsalClientCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


CredentialFactory = Callable[[TenantIdentity], AsyncTokenCredential]


class TenantCredentials:
    """Hands each tenant the credential of its identity; one credential object per tenant."""

    def __init__(
        self,
        registry: TenantRegistry,
        shared: AsyncTokenCredential,
        *,
        managed_identity: CredentialFactory,
        confidential_client: CredentialFactory,
    ) -> None:
        self._registry = registry
        self.shared = shared
        self._managed_identity = managed_identity
        self._confidential_client = confidential_client
        self._by_tenant: dict[str, AsyncTokenCredential] = {}

    def for_tenant(self, tenant_id: str) -> AsyncTokenCredential:
        """The credential of a tenant of the registry (KeyError for any other id)."""
        tenant = self._registry.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        credential = self._by_tenant.get(tenant.id)
        if credential is None:
            credential = self._make(tenant)
            self._by_tenant[tenant.id] = credential
        return credential

    def _make(self, tenant: Tenant) -> AsyncTokenCredential:
        identity = identity_of(tenant)
        if identity.kind == "pooled":
            return self.shared
        if identity.kind == "managed_identity":
            return self._managed_identity(identity)
        return self._confidential_client(identity)

    async def close(self) -> None:
        """Close every tenant's credential and the shared one."""
        for credential in {id(c): c for c in self._by_tenant.values()}.values():
            if credential is not self.shared:
                await credential.close()
        self._by_tenant.clear()
        await self.shared.close()
