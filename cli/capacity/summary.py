"""From a simulated interval to the answers an operator asks for: instances, ages, RU, cost."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from cli.capacity.prices import CommandOperations, Prices, RequestUnits
from cli.capacity.simulation import Result, simulate
from cli.capacity.workload import Workload

OPERATIONS_TABLE = Path(__file__).with_name("operations.json")
STANDARD_CREDITS_PER_S = 1000  # Service Bus Standard: credits per second per namespace
SECONDS_PER_HOUR = 3600


def measured_operations() -> dict[str, CommandOperations]:
    """The per-command operations `bench/capacity_operations.py` measured on the real code."""
    raw = json.loads(OPERATIONS_TABLE.read_text())
    return {command: CommandOperations(**ops) for command, ops in raw.items()}


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class ClassAges:
    name: str
    commands: int
    p50_ms: float
    p95_ms: float
    max_ms: float


@dataclass
class Cost:
    functions: float
    servicebus: float
    servicebus_tier: str
    cosmos: float
    cosmos_rus_provisioned: int
    search: float

    @property
    def total(self) -> float:
        return self.functions + self.servicebus + self.cosmos + self.search


@dataclass
class Summary:
    """The model's answer for one workload."""

    workload: Workload
    throughput_per_s: float
    backlog: int
    ages: list[ClassAges]
    instances_peak: int
    instances_mean: float
    instance_timeline: list[tuple[float, int, int]]
    slots_busy: float
    slots_held_idle: float
    ru_per_s_mean: float
    ru_per_s_peak: float
    ru_throttled: int
    bus_ops_per_s_mean: float
    bus_ops_per_s_peak: float
    bus_throttled: int
    cost: Cost
    limits: list[str] = field(default_factory=list)


def answer(
    workload: Workload,
    *,
    prices: Prices | None = None,
    request_units: RequestUnits | None = None,
    operations: dict[str, CommandOperations] | None = None,
) -> Summary:
    """Simulate the workload and summarise it."""
    prices = prices or Prices()
    request_units = request_units or RequestUnits()
    operations = operations if operations is not None else measured_operations()
    return summarise(simulate(workload, operations, request_units), prices)


def summarise(result: Result, prices: Prices) -> Summary:
    """Figures, cost and the limits that bind, from one simulated interval."""
    w = result.workload
    span = w.duration_s
    ages = [
        ClassAges(
            cls.name,
            len(result.queue_ages.get(cls.name, [])),
            1000 * percentile(result.queue_ages.get(cls.name, []), 0.5),
            1000 * percentile(result.queue_ages.get(cls.name, []), 0.95),
            1000 * max(result.queue_ages.get(cls.name, [0.0])),
        )
        for cls in w.classes
    ]
    in_window = [s for s in result.instances if s[0] <= span]
    mean_instances = sum(s[1] for s in in_window) / max(1, len(in_window))
    slot_s = max(result.slot_seconds, 1e-9)
    ru_mean = result.request_units / span
    ops_total = sum(result.bus_ops.values())
    summary = Summary(
        workload=w,
        throughput_per_s=result.completed / span,
        backlog=result.backlog,
        ages=ages,
        instances_peak=result.max_instances_seen,
        instances_mean=mean_instances,
        instance_timeline=result.instances,
        slots_busy=result.slot_busy_s / slot_s,
        slots_held_idle=result.slot_held_idle_s / slot_s,
        ru_per_s_mean=ru_mean,
        ru_per_s_peak=result.ru_window.peak(0.99),
        ru_throttled=result.ru_window.throttled,
        bus_ops_per_s_mean=ops_total / span,
        bus_ops_per_s_peak=result.bus_window.peak(0.99),
        bus_throttled=result.bus_window.throttled,
        cost=_cost(result, prices),
    )
    summary.limits = _limits(summary)
    return summary


def _cost(result: Result, prices: Prices) -> Cost:
    """A month at the simulated rates, at `prices`."""
    w = result.workload
    month_s = prices.hours_per_month * SECONDS_PER_HOUR
    scale = month_s / (w.duration_s * 2)  # the simulation ran arrivals and drain
    gb_s = result.executing_instance_s * prices.instance_memory_gb * scale
    executions = result.completed * scale
    baseline = w.scale.min_instances * prices.instance_memory_gb * month_s
    functions = (
        max(0.0, gb_s - prices.flex_free_gb_seconds) * prices.flex_gb_second
        + max(0.0, executions - prices.flex_free_executions)
        / 1e6
        * prices.flex_per_million_executions
        + baseline * prices.flex_always_ready_baseline_gb_second
    )
    ops_month = sum(result.bus_ops.values()) * scale
    peak_ops = result.bus_window.peak(0.99)
    if peak_ops <= STANDARD_CREDITS_PER_S * 0.7:
        tier = "Standard"
        servicebus = _servicebus_standard(ops_month, prices)
    else:
        units = 1 if peak_ops <= 4000 else 2 if peak_ops <= 8000 else 4 if peak_ops <= 16000 else 8
        tier = f"Premium, {units} MU"
        servicebus = units * prices.servicebus_premium_mu_hour * prices.hours_per_month
    peak_ru = max(result.ru_window.peak(0.99), 1.0)
    provisioned = max(1000, int(math.ceil(peak_ru / 1000) * 1000))  # autoscale max, 10% floor
    if w.throttling.cosmos_mode == "serverless":
        cosmos = result.request_units * scale / 1e6 * prices.cosmos_serverless_per_million_ru
    else:  # autoscale bills each hour's highest RU/s, at least a tenth of the maximum
        billed = max(provisioned / 10, peak_ru) / 100 * prices.cosmos_per_100_rus_hour
        cosmos = billed * prices.cosmos_autoscale_factor * prices.hours_per_month
    search = prices.search_unit_hour * prices.hours_per_month
    return Cost(functions, servicebus, tier, cosmos, provisioned, search)


def _limits(s: Summary) -> list[str]:
    """What binds, in the words an operator acts on."""
    w = s.workload
    found = []
    if s.backlog > 0:
        found.append(
            f"falls behind: {s.backlog} commands still queued after draining as long as it ran"
        )
    if s.instances_peak >= w.scale.max_instances and w.scale.instances is None:
        found.append(f"instances: reached maximumInstanceCount ({w.scale.max_instances})")
    if s.ru_throttled:
        found.append(f"Cosmos DB: {s.ru_throttled} operations throttled (429) at the RU budget")
    if s.bus_throttled:
        found.append(f"Service Bus: {s.bus_throttled} operations throttled (ServerBusy)")
    for cls in w.classes:
        per_session = cls.traffic_share * w.commands_per_s / (cls.tenants * cls.lanes)
        service_s = _mean_service_s(w, cls.mix) + 2 * w.host.rtt_ms / 1000
        if per_session * service_s > 0.8:
            found.append(
                f"one session of class {cls.name!r} is {per_session * service_s:.0%} busy: "
                f"a tenant's commands run one at a time; give it more lanes"
            )
    return found


def _mean_service_s(w: Workload, mix: dict[str, float]) -> float:
    total = sum(mix.values())
    return sum(weight / total * w.profile(c).handler_ms / 1000 for c, weight in mix.items())


def _servicebus_standard(ops_month: float, p: Prices) -> float:
    """Standard tier: a base charge, 13 M operations included, then two price bands."""
    band_1 = min(max(0.0, ops_month), p.servicebus_standard_tier_2_from)
    band_1 = max(0.0, band_1 - p.servicebus_standard_included_ops)
    band_2 = max(0.0, ops_month - p.servicebus_standard_tier_2_from)
    return (
        p.servicebus_standard_base_hour * p.hours_per_month
        + band_1 / 1e6 * p.servicebus_standard_per_million_ops
        + band_2 / 1e6 * p.servicebus_standard_per_million_ops_tier_2
    )
