"""Switching telemetry on from the standard settings (in child processes: it sets globals)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared.settings import Settings
from shared.telemetry_setup import TelemetryConfigurationError, configure_telemetry

ROOT = Path(__file__).resolve().parents[2]

EMIT = textwrap.dedent(
    """
    from opentelemetry import trace
    from shared.settings import Settings
    from shared.telemetry_setup import configure_telemetry
    from shared.tracing import producing

    telemetry = configure_telemetry(Settings(), service_name="tenantry-test")
    print("ENABLED", telemetry.enabled, flush=True)
    with producing(telemetry, "commands", tenant_id="contoso", job_id="job_1",
                   command_type="agent.create", traceparent=None) as traceparent:
        print("TRACEPARENT", traceparent, flush=True)
    telemetry.metrics.job_accepted("contoso", "agent.create")
    trace.get_tracer_provider().shutdown()
    """
)


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATION"))}
    return subprocess.run(
        [sys.executable, "-c", EMIT],
        env=clean | env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_nothing_set_means_telemetry_off() -> None:
    telemetry = configure_telemetry(Settings(), service_name="t", environ={})
    assert telemetry.enabled is False


def test_an_unknown_exporter_is_refused_with_what_to_set() -> None:
    with pytest.raises(TelemetryConfigurationError, match="console, otlp or none"):
        configure_telemetry(
            Settings(), service_name="t", environ={"OTEL_TRACES_EXPORTER": "zipkin"}
        )


def test_sdk_disabled_wins_over_exporters() -> None:
    environ = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"}
    assert configure_telemetry(Settings(), service_name="t", environ=environ).enabled is False


@pytest.mark.slow
def test_the_console_exporter_prints_the_span_with_its_tenant_and_service_name() -> None:
    result = _run({"OTEL_TRACES_EXPORTER": "console"})
    assert "ENABLED True" in result.stdout
    start = result.stdout.index("{")
    span = json.loads(result.stdout[start : result.stdout.rindex("}") + 1])
    assert span["name"] == "send commands"
    assert span["attributes"]["tenant.id"] == "contoso"
    assert span["resource"]["attributes"]["service.name"] == "tenantry-test"
    traceparent = result.stdout.split("TRACEPARENT ", 1)[1].split()[0]
    assert span["context"]["trace_id"] == "0x" + traceparent.split("-")[1]


@pytest.mark.slow
def test_otel_service_name_names_the_process() -> None:
    result = _run({"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "tenantry-ingress"})
    assert '"service.name": "tenantry-ingress"' in result.stdout
