"""`tenantry capacity`: how many instances, what latency, how many RU, what it costs."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.capacity.presets import PRESETS
from cli.capacity.prices import Prices, RequestUnits
from cli.capacity.summary import Summary, answer
from cli.capacity.workload import Workload

BARS = " ▁▂▃▄▅▆▇█"


def capacity(
    preset: Annotated[
        list[str] | None,
        typer.Option(help=f"A built-in workload ({', '.join(PRESETS)}); repeatable."),
    ] = None,
    workload: Annotated[
        Path | None, typer.Option(help="A workload JSON file (see docs/capacity.md).")
    ] = None,
    prices: Annotated[Path | None, typer.Option(help="A prices JSON file.")] = None,
    request_units: Annotated[
        Path | None, typer.Option("--request-units", help="RU per operation, JSON.")
    ] = None,
    idle_timeout: Annotated[
        float | None, typer.Option(help="Override sessionIdleTimeout, seconds.")
    ] = None,
    max_sessions: Annotated[
        int | None, typer.Option(help="Override maxConcurrentSessions.")
    ] = None,
    min_instances: Annotated[int | None, typer.Option(help="Always-ready instances.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Simulate a workload on the Azure deployment and print what it needs and costs."""
    chosen: list[Workload] = []
    if workload is not None:
        chosen.append(Workload.model_validate_json(workload.read_text()))
    for name in preset or ([] if workload is not None else list(PRESETS)[:3]):
        if name not in PRESETS:
            raise typer.BadParameter(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
        chosen.append(PRESETS[name]())
    price_list = Prices.model_validate_json(prices.read_text()) if prices else Prices()
    units = (
        RequestUnits.model_validate_json(request_units.read_text())
        if request_units
        else RequestUnits()
    )
    summaries = [
        answer(
            _override(w, idle_timeout, max_sessions, min_instances),
            prices=price_list,
            request_units=units,
        )
        for w in chosen
    ]
    if as_json:
        typer.echo(json.dumps([_plain(s) for s in summaries], indent=2, default=str))
        return
    out = Console()
    for summary in summaries:
        _print(out, summary, price_list)


def _override(
    w: Workload, idle: float | None, sessions: int | None, min_instances: int | None
) -> Workload:
    host: dict[str, Any] = {}
    if idle is not None:
        host["session_idle_timeout_s"] = idle
    if sessions is not None:
        host["max_concurrent_sessions"] = sessions
    scale = {} if min_instances is None else {"min_instances": min_instances}
    return w.model_copy(
        update={"host": w.host.model_copy(update=host), "scale": w.scale.model_copy(update=scale)}
    )


def _plain(s: Summary) -> dict[str, Any]:
    data = asdict(s)
    data["workload"] = s.workload.model_dump(mode="json")
    data["cost"]["total"] = s.cost.total
    return data


def sparkline(values: list[int], width: int = 48) -> str:
    """Instances over time as a row of bars (each bar the busiest of its stretch)."""
    if not values:
        return ""
    size = max(1, -(-len(values) // width))
    buckets = [max(values[i : i + size]) for i in range(0, len(values), size)]
    top = max(buckets) or 1
    return "".join(BARS[round(v / top * (len(BARS) - 1))] for v in buckets)


def _print(out: Console, s: Summary, prices: Prices) -> None:
    w = s.workload
    out.rule(f"[bold]{w.name}[/]: {w.commands_per_s:g} commands/s for {w.duration_s:g} s")
    head = Table(show_header=False, box=None)
    head.add_row("handled", f"{s.throughput_per_s:.1f} commands/s (runs add their polls)")
    head.add_row("instances", f"peak {s.instances_peak}, mean {s.instances_mean:.1f}")
    head.add_row(
        "over time", sparkline([n for t, n, _ in s.instance_timeline if t <= w.duration_s])
    )
    head.add_row("session slots", f"{s.slots_busy:.0%} busy, {s.slots_held_idle:.0%} held idle")
    head.add_row(
        "Cosmos DB", f"{s.ru_per_s_mean:.0f} RU/s mean, {s.ru_per_s_peak:.0f} in the p99 second"
    )
    head.add_row(
        "Service Bus",
        f"{s.bus_ops_per_s_mean:.0f} operations/s; {s.bus_ops_per_s_peak:.0f} credits "
        "in the p99 second (Standard allows 1,000)",
    )
    out.print(head)
    ages = Table("class", "commands", "queue age p50", "p95", "max")
    for a in s.ages:
        ages.add_row(
            a.name,
            str(a.commands),
            f"{a.p50_ms:.0f} ms",
            f"{a.p95_ms:.0f} ms",
            f"{a.max_ms:.0f} ms",
        )
    out.print(ages)
    cost = Table(
        "monthly, USD", "", title=f"list prices as of {prices.as_of}", title_justify="left"
    )
    cost.add_row("Functions (Flex Consumption)", f"{s.cost.functions:,.0f}")
    cost.add_row(f"Service Bus ({s.cost.servicebus_tier})", f"{s.cost.servicebus:,.0f}")
    cost.add_row(_cosmos_label(s), f"{s.cost.cosmos:,.0f}")
    cost.add_row("AI Search (Basic, 1 unit)", f"{s.cost.search:,.0f}")
    cost.add_row("[bold]total[/]", f"[bold]{s.cost.total:,.0f}[/]")
    out.print(cost)
    for limit in s.limits:
        out.print(f"[yellow]limit:[/] {limit}")


def _cosmos_label(s: Summary) -> str:
    if s.workload.throttling.cosmos_mode == "serverless":
        return "Cosmos DB (serverless)"
    return f"Cosmos DB (autoscale max {s.cost.cosmos_rus_provisioned:,} RU/s)"
