"""Onboarding and removing a tenant: the registry entry, what the tenant needs, and its data.

Adding registers the tenant in the registry file and sets the secrets the operator gives it
(through the secrets port: Key Vault on Azure). On Azure its blob container is created then
(creating one is a control-plane right, which the apps do not use on a request); the store
partition and the search slice appear with the first document or chunk. The tenant model
asks for no identity per tenant: the service's managed identity acts for every tenant, and
tenancy is enforced by the tenant-bound clients.

Removing deletes everything the tenant has, through the ports, and says what it deleted: its
pending commands and webhook deliveries on the bus (sessions it owns), its dead letters, every
document of its store partition, its agents and threads in the engine, its blobs, its search
documents and its secrets; then it leaves the registry. An adapter that cannot purge a tenant
(it lacks `purge_tenant`) is named in the result instead of being skipped silently.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.bootstrap import Services
from shared.ports.bus import Bus, NoSessionAvailable
from shared.ports.purge import PurgesTenants
from shared.queues import COMMANDS, WEBHOOKS, endpoint_session, session_for, tenant_of_session
from shared.registry_file import RegistryFile
from shared.tenancy import Tenant
from shared.webhooks.endpoints import ENDPOINTS

DRAIN_BATCH = 100


class TenantExists(Exception):
    """The registry already has a tenant with that id."""


@dataclass
class Removal:
    """What removing a tenant deleted, by kind, and what it could not."""

    tenant_id: str
    deleted: dict[str, int] = field(default_factory=dict)
    not_purged: list[str] = field(default_factory=list)
    """Adapters without `purge_tenant`: their data of this tenant is still there."""
    busy_sessions: list[str] = field(default_factory=list)
    """Sessions a worker held: their messages were not drained (run the removal again)."""
    unregistered: bool = False

    @property
    def complete(self) -> bool:
        """Nothing of the tenant is known to be left."""
        return not self.not_purged and not self.busy_sessions


def register(registry: RegistryFile, tenant: Tenant) -> None:
    """Add the tenant to the registry file (`TenantExists` if its id is taken)."""
    with registry.editing() as tenants:
        if any(t.id == tenant.id for t in tenants):
            raise TenantExists(tenant.id)
        tenants.append(tenant)


def unregister(registry: RegistryFile, tenant_id: str) -> bool:
    """Take the tenant out of the registry file; False if it was not in it."""
    with registry.editing() as tenants:
        before = len(tenants)
        tenants[:] = [t for t in tenants if t.id != tenant_id]
        return len(tenants) < before


async def provision(services: Services, tenant_id: str, secrets: Mapping[str, str]) -> list[str]:
    """Make what the tenant's storage needs in advance (its blob container on Azure: the apps
    never create one on a request), then set its secrets; the names set."""
    prepare = getattr(services.blobs, "prepare_tenant", None)
    if prepare is not None:
        await prepare(tenant_id)
    vault = services.secrets.for_tenant(tenant_id)
    for name, value in secrets.items():
        await vault.set(name, value)
    return sorted(secrets)


async def _endpoint_ids(services: Services, tenant_id: str) -> list[str]:
    store = services.store.for_tenant(tenant_id)
    ids: list[str] = []
    after: str | None = None
    while True:
        page = await store.list(ENDPOINTS, limit=100, after=after)
        ids += [str(doc["id"]) for doc in page.items]
        if page.next_cursor is None:
            return ids
        after = page.next_cursor


async def _drain(bus: Bus, queue: str, session_id: str, removal: Removal) -> int:
    try:
        receiver = await bus.accept_session(queue, session_id)
    except NoSessionAvailable:
        removal.busy_sessions.append(f"{queue}/{session_id}")
        return 0
    drained = 0
    try:
        while batch := await receiver.receive(DRAIN_BATCH):
            for message in batch:
                await receiver.complete(message)
            drained += len(batch)
    finally:
        await receiver.close()
    return drained


async def _dead_letters(bus: Bus, queue: str, tenant_id: str) -> int:
    receiver = await bus.open_dead_letter_receiver(queue)
    removed = 0
    seen: set[int] = set()
    try:
        while batch := await receiver.receive(DRAIN_BATCH):
            fresh = [d for d in batch if d.sequence_number not in seen]
            if not fresh:
                break
            for dead in fresh:
                seen.add(dead.sequence_number)
                if tenant_of_session(dead.session_id) == tenant_id:
                    await receiver.complete(dead)
                    removed += 1
    finally:
        await receiver.close()  # the other tenants' dead letters go back untouched
    return removed


async def purge(services: Services, tenant: Tenant) -> Removal:
    """Delete everything of the tenant through the ports (it stays in the registry)."""
    removal = Removal(tenant.id)
    endpoints = await _endpoint_ids(services, tenant.id)
    sessions = {session_for(tenant.id)} | {f"{tenant.id}:{lane}" for lane in range(tenant.lanes)}
    removal.deleted["pending commands"] = sum(
        [await _drain(services.bus, COMMANDS, session, removal) for session in sorted(sessions)]
    )
    removal.deleted["pending webhook deliveries"] = sum(
        [
            await _drain(services.bus, WEBHOOKS, endpoint_session(tenant.id, endpoint), removal)
            for endpoint in endpoints
        ]
    )
    removal.deleted["dead letters"] = sum(
        [await _dead_letters(services.bus, queue, tenant.id) for queue in (COMMANDS, WEBHOOKS)]
    )
    adapters: dict[str, object] = {
        "store documents": services.store,
        "engine records": services.engine,
        "blobs": services.blobs,
        "search documents": services.search,
        "secrets": services.secrets,
    }
    for kind, adapter in adapters.items():
        if isinstance(adapter, PurgesTenants):
            removal.deleted[kind] = await adapter.purge_tenant(tenant.id)
        else:
            removal.not_purged.append(f"{kind} ({type(adapter).__name__} has no purge_tenant)")
    return removal


async def remove(services: Services, registry: RegistryFile, tenant_id: str) -> Removal:
    """Purge the tenant, then take it out of the registry file.

    The services must have been built with the tenant still registered (the Azure adapters
    refuse tenants their registry does not know). Running it again after a partial removal
    finishes the job.
    """
    tenant = services.registry.get(tenant_id) or Tenant(id=tenant_id)
    removal = await purge(services, tenant)
    with contextlib.suppress(FileNotFoundError):
        removal.unregistered = unregister(registry, tenant_id)
    return removal
