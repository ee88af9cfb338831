"""Short-lived SAS tokens for one tenant's container, and the container names themselves.

In production the SAS is a user-delegation SAS signed with a key the shared identity obtains
from Entra ID; against Azurite (and only where an account key is configured) it is an
account-key SAS. Either way it names one container, so a client built from it cannot reach
another tenant's.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from azure.storage.blob import ContainerSasPermissions, UserDelegationKey, generate_container_sas
from azure.storage.blob.aio import BlobServiceClient

from shared.tenancy import Tenant

CLOCK_SKEW = timedelta(minutes=5)
TENANT_PERMISSIONS = ContainerSasPermissions(
    read=True, add=True, create=True, write=True, delete=True, list=True
)
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def container_name(tenant: Tenant) -> str:
    """The tenant's container: its registry setting `azure.blob_container`, else from its id.

    Derived names are `t-<id in lowercase letters and digits>-<8 hex of its hash>`, so two ids
    that differ only in case or punctuation still get different containers. The slug is
    trimmed of hyphens after it is cut, as Storage refuses two hyphens in a row.
    """
    configured = (tenant.model_extra or {}).get("azure", {}).get("blob_container")
    if isinstance(configured, str) and configured:
        return configured
    slug = _NOT_ALLOWED.sub("-", tenant.id.lower())[:45].strip("-") or "x"
    digest = hashlib.sha256(tenant.id.encode()).hexdigest()[:8]
    return f"t-{slug}-{digest}"


class SasIssuer(Protocol):
    """Signs container SAS tokens."""

    @property
    def account_name(self) -> str: ...

    async def container_sas(self, container: str, expiry: datetime) -> str:
        """A SAS for `container` alone, valid until `expiry`."""
        ...


@dataclass(frozen=True)
class AccountKeySas:
    """Account-key SAS: for Azurite and development accounts with shared keys."""

    account_name: str
    account_key: str = field(repr=False)

    async def container_sas(self, container: str, expiry: datetime) -> str:
        """An account-key SAS for one container."""
        return generate_container_sas(
            self.account_name,
            container,
            account_key=self.account_key,
            permission=TENANT_PERMISSIONS,
            start=datetime.now(UTC) - CLOCK_SKEW,
            expiry=expiry,
        )


class UserDelegationSas:
    """User-delegation SAS, signed with a delegation key of the shared identity (cached)."""

    def __init__(self, service: BlobServiceClient, *, key_hours: float = 6.0) -> None:
        self._service = service
        self._key: UserDelegationKey | None = None
        self._key_expiry = datetime.min.replace(tzinfo=UTC)
        self._key_hours = key_hours
        self._lock = asyncio.Lock()

    @property
    def account_name(self) -> str:
        return str(self._service.account_name)

    async def _delegation_key(self, needed_until: datetime) -> UserDelegationKey:
        async with self._lock:
            if self._key is None or self._key_expiry < needed_until:
                now = datetime.now(UTC)
                expiry = max(now + timedelta(hours=self._key_hours), needed_until)
                key = await self._service.get_user_delegation_key(now - CLOCK_SKEW, expiry)
                self._key, self._key_expiry = key, expiry  # only once Entra ID has answered
            return self._key

    async def container_sas(self, container: str, expiry: datetime) -> str:
        """A user-delegation SAS for one container."""
        key = await self._delegation_key(expiry)
        return generate_container_sas(
            self.account_name,
            container,
            user_delegation_key=key,
            permission=TENANT_PERMISSIONS,
            start=datetime.now(UTC) - CLOCK_SKEW,
            expiry=expiry,
        )
