"""The trade-offs behind `host.json` and the Bicep defaults, answered by the capacity model.

Prints four tables (markdown, for the README):
1. `sessionIdleTimeout` against many small tenants (instances, queue age, cost);
2. `maxConcurrentSessions` against instances (and so memory and cost);
3. lanes against a heavy tenant's queue age (per-resource order is kept within a lane);
4. how far one deployment goes: tenants and rate until a limit binds.

    .venv/bin/python bench/capacity_tradeoffs.py [--seconds 120]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.capacity.presets import AZURE_COMMANDS, EVERYDAY_MIX, one_heavy_tenant  # noqa: E402
from cli.capacity.summary import Summary, answer  # noqa: E402
from cli.capacity.workload import (  # noqa: E402
    HostSettings,
    ScaleSettings,
    TenantClass,
    Throttling,
    Workload,
)


def small(tenants: int, rate: float, seconds: float, **host: object) -> Workload:
    return Workload(
        name=f"{tenants} tenants",
        commands_per_s=rate,
        duration_s=seconds,
        classes=(TenantClass(name="t", tenants=tenants, traffic_share=1, mix=EVERYDAY_MIX),),
        commands=AZURE_COMMANDS,
        host=HostSettings().model_copy(update=host),
        scale=ScaleSettings(min_instances=1, max_instances=100),
        throttling=Throttling(
            cosmos_mode="autoscale", cosmos_ru_per_s=40_000, servicebus_ops_per_s=1000
        ),
    )


def row(label: str, s: Summary) -> str:
    ages = s.ages[0]
    worst = max(s.ages, key=lambda a: a.p95_ms)
    return (
        f"| {label} | {s.instances_mean:.1f} / {s.instances_peak} | {s.slots_busy:.0%} / "
        f"{s.slots_held_idle:.0%} | {ages.p50_ms:.0f} / {worst.p95_ms:.0f} | {s.backlog} | "
        f"{s.cost.total:,.0f} |"
    )


HEAD = (
    "| {} | instances mean / peak | slots busy / held idle | queue age p50 / p95 ms | "
    "left queued | USD a month |\n|---|---|---|---|---|---|"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    seconds = parser.parse_args().seconds

    print("\n1. sessionIdleTimeout, 5,000 tenants sending 100 commands/s between them\n")
    print(HEAD.format("sessionIdleTimeout"))
    for idle in (0.05, 0.1, 0.2, 1.0, 5.0, 60.0):
        w = small(5000, 100, seconds, session_idle_timeout_s=idle)
        print(row(f"{idle:g} s", answer(w)))

    print("\n2. maxConcurrentSessions, 1,000 tenants sending 200 commands/s\n")
    print(HEAD.format("maxConcurrentSessions"))
    for sessions in (8, 16, 32, 64, 128):
        w = small(1000, 200, seconds, max_concurrent_sessions=sessions)
        print(row(str(sessions), answer(w)))

    print("\n3. lanes, one tenant with 90 % of 100 commands/s\n")
    print(HEAD.format("lanes of the heavy tenant"))
    for lanes in (1, 2, 4, 8):
        w = one_heavy_tenant(lanes).model_copy(update={"duration_s": seconds})
        print(row(str(lanes), answer(w)))

    print(
        "\n4. one deployment's reach: maximumInstanceCount 100, 40,000 RU/s, Service Bus Standard\n"
    )
    print(HEAD.format("tenants x commands/s each") + "\n")
    for tenants, each in ((1_000, 0.1), (10_000, 0.05), (10_000, 0.1), (50_000, 0.05)):
        w = small(tenants, tenants * each, seconds)
        s = answer(w)
        print(row(f"{tenants:,} x {each:g}", s))
        for limit in s.limits:
            print(f"|  | limit: {limit} | | | | |")


if __name__ == "__main__":
    main()
