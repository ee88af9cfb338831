"""The secrets port: a tenant's secrets (webhook signing secrets, its own credentials).

On Azure a tenant's own vault or a shared vault with tenant-prefixed names; locally a file
readable by the service's user only. A `TenantSecrets` names secrets within one tenant.
"""

from __future__ import annotations

from typing import Protocol


class SecretMissing(Exception):
    """The tenant has no secret of that name."""


class TenantSecrets(Protocol):
    """One tenant's secrets."""

    async def get(self, name: str) -> str:
        """The secret's current value (raises `SecretMissing`)."""
        ...

    async def set(self, name: str, value: str) -> None:
        """Create or replace a secret."""
        ...

    async def delete(self, name: str) -> None:
        """Remove a secret; removing an absent one is not an error."""
        ...


class SecretStore(Protocol):
    """All tenants' secrets; hands out tenant-bound views."""

    def for_tenant(self, tenant_id: str) -> TenantSecrets:
        """The secrets of one tenant."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
