"""Tenant removal: an adapter that can delete everything one tenant has in it.

A separate protocol, not a method of every port, so that an adapter without it still serves
tenants; `shared.onboarding` purges through each adapter that has it and names the ones that
do not. Only the composition root holds these objects: handlers get tenant-bound views, which
have no such method, so no command can purge anything.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class PurgesTenants(Protocol):
    """Deletes all of one tenant's data held by this adapter."""

    async def purge_tenant(self, tenant_id: str) -> int:
        """Delete every document, blob or secret of the tenant; how many there were."""
        ...
