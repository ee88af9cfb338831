"""The workloads the README answers for; starting points for your own."""

from __future__ import annotations

from collections.abc import Callable

from cli.capacity.workload import CommandProfile, TenantClass, Workload

AZURE_COMMANDS = {
    # Mean handler times on Azure, ms: a few sequential Cosmos DB operations (about 5-10 ms
    # each in-region) plus, for agents, a Foundry call. Assumptions: measure yours with the
    # `tenantry.command.duration` histogram the workers emit and pass them in.
    "item.create": CommandProfile(handler_ms=25),
    "item.update": CommandProfile(handler_ms=30),
    "message.create": CommandProfile(handler_ms=60),
    "run.create": CommandProfile(handler_ms=120, run_seconds=8),
    "run.poll": CommandProfile(handler_ms=40),
    "document.index": CommandProfile(handler_ms=300, cv=0.8),
}
EVERYDAY_MIX = {
    "item.create": 0.45,
    "item.update": 0.15,
    "message.create": 0.2,
    "run.create": 0.1,
    "document.index": 0.1,
}


def small_tenants() -> Workload:
    """1,000 small tenants, 20 commands a second between them."""
    return Workload(
        name="1,000 small tenants",
        commands_per_s=20,
        classes=(TenantClass(name="small", tenants=1000, traffic_share=1.0, mix=EVERYDAY_MIX),),
        commands=AZURE_COMMANDS,
    )


def mixed_tenants() -> Workload:
    """100 tenants of mixed size, 100 commands a second."""
    return Workload(
        name="100 tenants, mixed",
        commands_per_s=100,
        classes=(
            TenantClass(name="heavy", tenants=10, traffic_share=0.6, mix=EVERYDAY_MIX),
            TenantClass(name="medium", tenants=30, traffic_share=0.3, mix=EVERYDAY_MIX),
            TenantClass(name="light", tenants=60, traffic_share=0.1, mix=EVERYDAY_MIX),
        ),
        commands=AZURE_COMMANDS,
    )


def one_heavy_tenant(lanes: int = 1) -> Workload:
    """One tenant with 90 % of 100 commands a second, 99 others sharing the rest."""
    return Workload(
        name=f"one tenant with 90 % ({lanes} lane{'s' if lanes > 1 else ''})",
        commands_per_s=100,
        classes=(
            TenantClass(
                name="whale", tenants=1, traffic_share=0.9, lanes=lanes, mix={"item.create": 1.0}
            ),
            TenantClass(name="others", tenants=99, traffic_share=0.1, mix=EVERYDAY_MIX),
        ),
        commands=AZURE_COMMANDS,
    )


def one_heavy_tenant_in_lanes() -> Workload:
    """The same heavy tenant, its commands spread over eight resource lanes."""
    return one_heavy_tenant(lanes=8)


PRESETS: dict[str, Callable[[], Workload]] = {
    "small-1000": small_tenants,
    "mixed-100": mixed_tenants,
    "one-heavy": one_heavy_tenant,
    "one-heavy-lanes": one_heavy_tenant_in_lanes,
}
