"""The composition root: builds every adapter from the settings, once, for one process."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from shared.adapters.local.wiring import LocalAdapters
from shared.ports.blobs import BlobStore
from shared.ports.bus import Bus
from shared.ports.engine import AgentEngine
from shared.ports.search import Embedder, SearchIndex
from shared.ports.secrets import SecretStore
from shared.ports.store import Store
from shared.settings import Settings
from shared.ssrf import Resolver, system_resolver
from shared.telemetry import Telemetry
from shared.telemetry_setup import configure_telemetry
from shared.tenancy import TenantRegistry, TenantScope

if TYPE_CHECKING:
    from shared.adapters.azure.wiring import AzureAdapters


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
    secrets: SecretStore
    blobs: BlobStore
    search: SearchIndex
    embedder: Embedder | None = None
    """Vectors for vector and hybrid search (`EMBEDDER`); None refuses those modes."""
    clock: Callable[[], float] = field(default=time.time)
    resolver: Resolver = field(default=system_resolver)
    """How webhook hosts are resolved before the SSRF guard checks them."""
    telemetry: Telemetry = field(default_factory=Telemetry.disabled)
    """What the ingress and pipeline hooks record with (`configure_telemetry` makes one)."""
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Closed last: what the adapters share (the Azure tenant credentials)."""

    def now(self) -> datetime:
        """The clock's time, timezone-aware UTC."""
        return datetime.fromtimestamp(self.clock(), UTC)

    def scope(self, tenant_id: str) -> TenantScope:
        """Clients bound to one tenant of the registry (KeyError for any other id)."""
        tenant = self.registry.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        return TenantScope(
            tenant=tenant,
            store=self.store.for_tenant(tenant.id),
            engine=self.engine.for_tenant(tenant.id),
            secrets=self.secrets.for_tenant(tenant.id),
            blobs=self.blobs.for_tenant(tenant.id),
            search=self.search.for_tenant(tenant.id),
        )

    async def close(self) -> None:
        """Close every adapter."""
        await self.bus.close()
        await self.store.close()
        await self.engine.close()
        await self.secrets.close()
        await self.blobs.close()
        await self.search.close()
        if self.embedder is not None:
            await self.embedder.close()
        for close in self.closers:
            await close()


def _azure(settings: Settings, registry: TenantRegistry) -> AzureAdapters | None:
    """The Azure adapters' builder if an adapter setting says `azure`; refuses missing settings."""
    from shared.adapters.azure.requirements import chosen, missing_settings

    if not chosen(settings):
        return None
    missing = missing_settings(settings, registry)
    if missing:
        raise ConfigurationError("the Azure adapters cannot start: " + "; ".join(missing))
    try:
        from shared.adapters.azure.wiring import AzureAdapters
    except ImportError as exc:
        raise ConfigurationError(
            f"the Azure adapters need the azure extra (pip install 'tenantry[azure]'): {exc}"
        ) from exc
    return AzureAdapters(settings, registry)


class AdapterBuilder(Protocol):
    """What builds the adapters of one kind (`LocalAdapters`, `AzureAdapters`)."""

    def bus(self) -> Bus: ...
    def store(self) -> Store: ...
    def engine(self) -> AgentEngine: ...
    def secrets(self) -> SecretStore: ...
    def blobs(self) -> BlobStore: ...
    def search(self, embedder: Embedder | None) -> SearchIndex: ...


def _builder(choice: str, local: LocalAdapters, azure: AzureAdapters | None) -> AdapterBuilder:
    """The builder an adapter setting (`local` or `azure`) chooses."""
    if choice == "local":
        return local
    if azure is None:  # _azure returns a builder whenever an adapter setting says azure
        raise ConfigurationError("an Azure adapter was chosen but not built")
    return azure


def _embedder(settings: Settings) -> Embedder | None:
    if settings.embedder == "none":
        return None
    if settings.embedder == "local":
        from shared.adapters.local.embedder import LocalEmbedder, LocalModelMissing, installed_model

        try:
            return LocalEmbedder(installed_model(), threads=settings.local_embedder_threads)
        except LocalModelMissing as exc:
            raise ConfigurationError(str(exc)) from exc
    from shared.adapters.azure.embedder import azure_embedder

    try:
        return azure_embedder(settings)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


def bootstrap(settings: Settings, *, clock: Callable[[], float] = time.time) -> Services:
    """Build the adapters the settings choose; nothing connects until first used.

    Telemetry is switched on here, once per process, if the OpenTelemetry or Application
    Insights settings ask for it (`OTEL_SERVICE_NAME` names the process; see `telemetry_setup`).

    `clock` is the time of every adapter that keeps time (tests move it to run schedules fast).
    """
    registry = load_registry(settings)
    local, azure = LocalAdapters(settings, clock), _azure(settings, registry)
    embedder = _embedder(settings)
    return Services(
        settings=settings,
        registry=registry,
        bus=_builder(settings.bus_adapter, local, azure).bus(),
        store=_builder(settings.store_adapter, local, azure).store(),
        engine=_builder(settings.engine_adapter, local, azure).engine(),
        secrets=_builder(settings.secrets_adapter, local, azure).secrets(),
        blobs=_builder(settings.blob_adapter, local, azure).blobs(),
        search=_builder(settings.search_adapter, local, azure).search(embedder),
        closers=[azure.close] if azure is not None else [],
        embedder=embedder,
        clock=clock,
        telemetry=configure_telemetry(settings, service_name="tenantry"),
    )
