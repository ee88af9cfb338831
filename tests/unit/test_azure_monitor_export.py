"""What Application Insights receives: the Azure Monitor exporter, pointed at a local ingestion
endpoint, sends the fields that the KQL files in `infra/kql/` read."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

pytest.importorskip("azure.monitor.opentelemetry", reason="the azure extra is not installed")

ROOT = Path(__file__).resolve().parents[2]

EMIT = textwrap.dedent(
    """
    from datetime import UTC, datetime
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider
    from shared import boundary
    from shared.settings import Settings
    from shared.telemetry_setup import configure_telemetry
    from shared.tracing import consuming, producing

    telemetry = configure_telemetry(Settings(), service_name="tenantry-test")
    with producing(telemetry, "commands", tenant_id="contoso", job_id="job_1",
                   command_type="agent.create", traceparent=None) as traceparent:
        pass
    now = datetime.now(UTC)
    with consuming(telemetry, "commands", tenant_id="contoso", job_id="job_1",
                   command_type="agent.create", message_id="job_1", delivery_count=1,
                   traceparent=traceparent, enqueued=now, now=now) as consumption:
        consumption.settled("dead_letter", "MaxDeliveryCountExceeded")
    boundary.report(telemetry, boundary.Violation.TENANT_MISMATCH, tenant_id="fabrikam",
                    target_tenant_id="contoso")
    trace.get_tracer_provider().force_flush()
    metrics.get_meter_provider().force_flush()
    get_logger_provider().force_flush()
    """
)


class Ingestion(BaseHTTPRequestHandler):
    """Application Insights' track endpoint: keeps every envelope it is sent."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        parsed = json.loads(body)
        self.received.extend(parsed if isinstance(parsed, list) else [parsed])
        answer = json.dumps({"itemsReceived": 1, "itemsAccepted": 1, "errors": []}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def ingestion() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    Ingestion.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingestion)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", Ingestion.received
    server.shutdown()
    server.server_close()


def _of(received: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e["data"]["baseData"] for e in received if e["name"].endswith(kind)]


@pytest.mark.slow
def test_spans_metrics_and_violations_reach_application_insights_with_the_kql_fields(
    ingestion: tuple[str, list[dict[str, Any]]],
) -> None:
    endpoint, received = ingestion
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "APPLICATION"))}
    connection = (
        f"InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint={endpoint}"
    )
    subprocess.run(
        [sys.executable, "-c", EMIT],
        env=clean | {"APPLICATIONINSIGHTS_CONNECTION_STRING": connection},
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=True,
    )
    (send,) = [d for d in _of(received, "RemoteDependency") if d["name"] == "send commands"]
    assert send["properties"]["tenant.id"] == "contoso"
    (process,) = [d for d in _of(received, "Request") if d["name"] == "process commands"]
    assert process["properties"]["tenant.id"] == "contoso"
    assert process["properties"]["command.type"] == "agent.create"
    assert process["success"] is False  # the dead letter marks it failed
    metrics = {m["metrics"][0]["name"]: m["properties"] for m in _of(received, "Metric")}
    assert metrics["tenantry.queue.wait"]["tenant.id"] == "contoso"
    assert metrics["tenantry.messages.settled"]["reason"] == "MaxDeliveryCountExceeded"
    assert metrics["tenantry.boundary.violations"]["violation"] == "TenantMismatch"
    (violation,) = [
        m
        for m in _of(received, "Message")
        if m["properties"].get("event") == "tenant.boundary_violation"
    ]
    assert violation["properties"]["tenant_id"] == "fabrikam"
    assert violation["properties"]["target_tenant_id"] == "contoso"
