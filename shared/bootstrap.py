"""The composition root: builds every adapter from the settings, once, for one process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.ports.bus import Bus
from shared.ports.engine import AgentEngine
from shared.ports.store import Store
from shared.settings import Settings
from shared.tenancy import TenantRegistry, TenantScope


class ConfigurationError(Exception):
    """The settings cannot make a working service; the message says which one to fix."""


def load_registry(settings: Settings) -> TenantRegistry:
    """The tenant registry from `TENANTS` or `TENANTS_FILE`."""
    if settings.tenants and settings.tenants_file:
        raise ConfigurationError("set TENANTS or TENANTS_FILE, not both")
    try:
        if settings.tenants:
            return TenantRegistry.from_json(settings.tenants)
        if settings.tenants_file:
            return TenantRegistry.from_file(settings.tenants_file)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"the tenant registry cannot be read: {exc}") from exc
    return TenantRegistry([])


@dataclass
class Services:
    """Everything a process needs, built by `bootstrap`."""

    settings: Settings
    registry: TenantRegistry
    bus: Bus
    store: Store
    engine: AgentEngine
    clock: Callable[[], float] = field(default=time.time)

    def scope(self, tenant_id: str) -> TenantScope:
        """Clients bound to one tenant of the registry (KeyError for any other id)."""
        tenant = self.registry.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        return TenantScope(
            tenant=tenant,
            store=self.store.for_tenant(tenant.id),
            engine=self.engine.for_tenant(tenant.id),
        )

    async def close(self) -> None:
        """Close every adapter."""
        await self.bus.close()
        await self.store.close()
        await self.engine.close()


def _bus(settings: Settings) -> Bus:
    if settings.bus_adapter == "local":
        from shared.adapters.local.bus import SqliteBus

        return SqliteBus(
            settings.bus_path,
            lock_duration_seconds=settings.bus_lock_duration_seconds,
            duplicate_window_seconds=settings.bus_duplicate_window_seconds,
            max_delivery_count=settings.bus_max_delivery_count,
        )
    raise ConfigurationError("BUS_ADAPTER=azure needs the Azure adapters (not installed yet)")


def _store(settings: Settings) -> Store:
    if settings.store_adapter == "local":
        from shared.adapters.local.store import SqliteStore

        return SqliteStore(settings.store_path)
    raise ConfigurationError("STORE_ADAPTER=azure needs the Azure adapters (not installed yet)")


def _engine(settings: Settings) -> AgentEngine:
    if settings.engine_adapter == "local":
        from shared.adapters.local.engine import LocalEngine

        return LocalEngine(
            settings.engine_path, latency_seconds=settings.local_engine_latency_seconds
        )
    raise ConfigurationError("ENGINE_ADAPTER=azure needs the Azure adapters (not installed yet)")


def bootstrap(settings: Settings) -> Services:
    """Build the adapters the settings choose; nothing connects until first used."""
    return Services(
        settings=settings,
        registry=load_registry(settings),
        bus=_bus(settings),
        store=_store(settings),
        engine=_engine(settings),
    )
