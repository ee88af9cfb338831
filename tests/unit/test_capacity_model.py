"""The capacity model's simulation agrees with what can be worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.capacity.prices import CommandOperations, RequestUnits
from cli.capacity.simulation import simulate
from cli.capacity.summary import answer, measured_operations, percentile
from cli.capacity.workload import (
    CommandProfile,
    HostSettings,
    ScaleSettings,
    TenantClass,
    Throttling,
    Workload,
)
from cli.main import app

NO_OPS = {"work": CommandProfile(handler_ms=10, cv=0)}


def workload(**changes: object) -> Workload:
    base: dict[str, object] = {
        "commands_per_s": 50,
        "duration_s": 30,
        "classes": (TenantClass(name="t", tenants=200, traffic_share=1, mix={"work": 1}),),
        "commands": NO_OPS,
        "host": HostSettings(rtt_ms=0, accept_ms=0),
        "scale": ScaleSettings(instances=1),
    }
    return Workload.model_validate(base | changes)


def run(w: Workload, ops: dict[str, CommandOperations] | None = None):  # type: ignore[no-untyped-def]
    return simulate(w, ops or {}, RequestUnits())


def test_the_same_seed_gives_the_same_answer() -> None:
    first, second = run(workload()), run(workload())
    assert first.queue_ages == second.queue_ages
    assert first.completed == second.completed


def test_every_arrival_is_handled_or_left_queued() -> None:
    result = run(workload(commands_per_s=400))
    assert result.arrived == result.completed + result.backlog
    assert result.arrived > 400 * 30 * 0.9


def test_an_instance_serves_single_command_tenants_at_slots_over_hold_time() -> None:
    """The README's arithmetic: S slots, each held for handler + idle timeout per tenant."""
    host = HostSettings(
        max_concurrent_sessions=8, session_idle_timeout_s=0.2, rtt_ms=0, accept_ms=0
    )
    w = workload(
        commands_per_s=200,
        classes=(TenantClass(name="t", tenants=100_000, traffic_share=1, mix={"work": 1}),),
        host=host,
    )
    result = run(w)
    expected = 8 / (0.010 + 0.2)
    assert result.completed / (2 * w.duration_s) == pytest.approx(expected, rel=0.05)
    assert result.backlog > 0


def test_a_tenant_runs_one_command_at_a_time_whatever_the_instances() -> None:
    w = workload(
        commands_per_s=250,
        classes=(TenantClass(name="whale", tenants=1, traffic_share=1, mix={"work": 1}),),
        scale=ScaleSettings(instances=4),
    )
    result = run(w)
    assert result.completed / (2 * w.duration_s) <= 1 / 0.010 * 1.001
    assert result.backlog > 0
    lanes = w.model_copy(
        update={
            "classes": (
                TenantClass(name="whale", tenants=1, traffic_share=1, lanes=8, mix={"work": 1}),
            )
        }
    )
    assert run(lanes).backlog == 0


def test_scaling_adds_at_most_the_documented_step_per_decision() -> None:
    w = workload(
        commands_per_s=600,
        duration_s=20,
        scale=ScaleSettings(max_instances=40, interval_s=5, cold_start_s=1),
        host=HostSettings(max_concurrent_sessions=8, rtt_ms=0, accept_ms=0),
        classes=(TenantClass(name="t", tenants=5000, traffic_share=1, mix={"work": 1}),),
    )
    result = run(w)
    counts = [ready + starting for _, ready, starting in result.instances]
    steps = [b - a for a, b in zip(counts[::5], counts[5::5], strict=False)]
    assert max(counts) > 4
    assert max(steps) <= 4


def test_the_database_never_spends_more_than_its_ru_per_second() -> None:
    ops = {"work": CommandOperations(creates=10)}  # 55 RU a command
    w = workload(commands_per_s=100, throttling=Throttling(cosmos_ru_per_s=2000))
    result = run(w, ops)
    assert result.ru_window.peak() <= 2000
    assert result.ru_window.throttled > 0
    assert percentile(result.queue_ages["t"], 0.95) > 0.1


def test_the_fleet_takes_one_batch_per_session_turn() -> None:
    host = HostSettings(
        policy="fleet", max_concurrent_sessions=1, batch_size=2, rtt_ms=0, accept_ms=0
    )
    w = workload(
        commands_per_s=20,
        classes=(TenantClass(name="t", tenants=2, traffic_share=1, mix={"work": 1}),),
        host=host,
    )
    result = run(w)
    assert result.backlog == 0
    assert max(result.queue_ages["t"]) < 0.2


def test_a_workload_whose_shares_do_not_add_up_is_refused() -> None:
    with pytest.raises(ValidationError, match="add up"):
        workload(classes=(TenantClass(name="t", tenants=1, traffic_share=0.5, mix={"work": 1}),))


def test_the_measured_operations_cover_every_command_of_the_presets() -> None:
    table = measured_operations()
    assert {"item.create", "run.create", "run.poll", "document.index"} <= set(table)
    assert table["item.create"].request_units(RequestUnits()) > 5


def test_summary_names_the_binding_limit() -> None:
    w = workload(
        commands_per_s=250,
        classes=(TenantClass(name="whale", tenants=1, traffic_share=1, mix={"work": 1}),),
    )
    summary = answer(w, operations={})
    assert any("lanes" in limit for limit in summary.limits)
    assert any("falls behind" in limit for limit in summary.limits)


def test_the_capacity_command_prints_json_for_a_preset() -> None:
    result = CliRunner().invoke(app, ["capacity", "--preset", "small-1000", "--json"])
    assert result.exit_code == 0, result.output
    [summary] = json.loads(result.output)
    assert summary["workload"]["name"] == "1,000 small tenants"
    assert summary["cost"]["total"] > 0
    assert summary["ages"][0]["commands"] > 0


def _seconds(value: str) -> float:
    hours, minutes, seconds = value.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def test_the_model_defaults_are_what_host_json_and_the_bicep_deploy() -> None:
    """A change to host.json or the Bicep that the model does not follow fails here."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    service_bus = json.loads((root / "host.json").read_text())["extensions"]["serviceBus"]
    host, scale = HostSettings(), ScaleSettings()
    assert host.max_concurrent_sessions == service_bus["maxConcurrentSessions"]
    assert host.session_idle_timeout_s == _seconds(service_bus["sessionIdleTimeout"])
    assert host.prefetch == service_bus["prefetchCount"]
    functions = (root / "infra" / "modules" / "functions.bicep").read_text()
    assert f"param maximumInstanceCount int = {scale.max_instances}" in functions
    assert f"param alwaysReadyCommands int = {scale.min_instances}" in functions
    servicebus = (root / "infra" / "modules" / "servicebus.bicep").read_text()
    assert f"lockDuration: 'PT{host.lock_duration_s:g}S'" in servicebus


def test_the_operations_table_is_what_the_code_does_now() -> None:
    """`cli/capacity/operations.json` is measured (`bench/capacity_operations.py`); a change to
    what a command costs in store and bus operations (a new claim, a read saved) must come
    with the table measured again, or every figure `tenantry capacity` prints is off."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "bench/capacity_operations.py", "--rounds", "2"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    measured = json.loads(done.stdout[: done.stdout.rindex("}") + 1])
    table = json.loads((root / "cli" / "capacity" / "operations.json").read_text())
    steady = ("reads", "replaces", "creates", "deletes", "upserts", "bus_sends")
    for command, ops in table.items():
        if command.startswith("run."):  # its polls depend on timing
            continue
        for op in steady:
            assert abs(measured[command].get(op, 0.0) - ops.get(op, 0.0)) <= 0.5, (command, op)
