"""The `SecretStore` port on Azure Key Vault (`azure-keyvault-secrets`, async).

A tenant's secrets live in its own vault when its registry entry names one
(`azure.keyvault_url`), else in the shared vault under names prefixed by the tenant. Either way
the vault is reached with the tenant's own credential. Values are cached for a while, so a hot
path (signing each webhook) does not call the vault each time.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets.aio import SecretClient

from shared.adapters.azure.client_pool import ClientPool
from shared.adapters.azure.credentials import TenantCredentials
from shared.adapters.azure.expiring_cache import ExpiringCache
from shared.adapters.azure.tenant_identity import azure_settings
from shared.ports.secrets import SecretMissing
from shared.tenancy import Tenant, TenantRegistry

SECRET_NAME = re.compile(r"[0-9A-Za-z-]{1,127}")
_NOT_ALLOWED = re.compile(r"[^0-9A-Za-z]+")

ClientFactory = Callable[[str, AsyncTokenCredential], SecretClient]


def shared_vault_prefix(tenant: Tenant) -> str:
    """`<id in letters and digits>-<8 hex of the id's hash>--`: distinct for distinct ids."""
    slug = _NOT_ALLOWED.sub("-", tenant.id)[:40].strip("-") or "x"
    return f"{slug}-{hashlib.sha256(tenant.id.encode()).hexdigest()[:8]}--"


class KeyVaultSecretStore:
    """Every tenant's secrets; one client per vault and credential, made when first needed."""

    def __init__(
        self,
        registry: TenantRegistry,
        credentials: TenantCredentials,
        *,
        shared_vault_url: str | None,
        cache_seconds: float = 300.0,
        client_factory: ClientFactory = SecretClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._shared_vault = shared_vault_url
        self._clients: ClientPool[tuple[str, str], SecretClient] = ClientPool(
            lambda key: client_factory(key[0], credentials.for_tenant(key[1]))
        )
        self._caches: defaultdict[str, ExpiringCache] = defaultdict(
            lambda: ExpiringCache(cache_seconds, clock)
        )

    def for_tenant(self, tenant_id: str) -> KeyVaultTenantSecrets:
        """The secrets of a tenant of the registry (KeyError for any other id)."""
        tenant = self._registry.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        own_vault = azure_settings(tenant).get("keyvault_url")
        if isinstance(own_vault, str) and own_vault:
            vault, prefix = own_vault, ""
        elif self._shared_vault:
            vault, prefix = self._shared_vault, shared_vault_prefix(tenant)
        else:
            raise KeyError(f"tenant {tenant.id} has no vault and KEYVAULT_URL is not set")
        client = self._clients.get((vault, tenant.id))
        return KeyVaultTenantSecrets(client, prefix, self._caches[tenant.id])

    async def close(self) -> None:
        """Close the vault clients."""
        await self._clients.close()


class KeyVaultTenantSecrets:
    """One tenant's secrets: names checked and prefixed, values cached until they expire."""

    def __init__(self, client: SecretClient, prefix: str, cache: ExpiringCache) -> None:
        self._client = client
        self._prefix = prefix
        self._cache = cache

    def vault_name(self, name: str) -> str:
        """The name of the secret in the vault."""
        full = self._prefix + name
        if not SECRET_NAME.fullmatch(name) or len(full) > 127:
            raise ValueError(f"not a secret name: {name!r}"[:200])
        return full

    async def get(self, name: str) -> str:
        """The current value (from the cache while it is fresh); `SecretMissing` if none."""
        vault_name = self.vault_name(name)
        cached = self._cache.get(vault_name)
        if cached is not None:
            return cached
        try:
            secret: Any = await self._client.get_secret(vault_name)
        except ResourceNotFoundError as exc:
            self._cache.forget(vault_name)
            raise SecretMissing(name) from exc
        value = str(secret.value)
        self._cache.put(vault_name, value)
        return value

    async def set(self, name: str, value: str) -> None:
        """Create or replace the secret (a new version in the vault)."""
        vault_name = self.vault_name(name)
        await self._client.set_secret(vault_name, value)
        self._cache.put(vault_name, value)

    async def delete(self, name: str) -> None:
        """Delete the secret (soft delete, as the vault keeps it); absent is not an error."""
        vault_name = self.vault_name(name)
        self._cache.forget(vault_name)
        try:
            await self._client.delete_secret(vault_name)
        except ResourceNotFoundError:
            return
