"""What telemetry costs: the hooks alone, and an accepted command through the ingress.

Run: PYTHONPATH=. .venv/bin/python bench/telemetry_overhead.py [--requests 400] [--hooks 20000]
Prints microseconds per hook set and per request, with telemetry off (the default) and on
(recording every span and metric into memory, the cost of the SDK without an exporter's I/O).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.telemetry import Telemetry
from shared.tracing import consuming, handling, producing
from tests.harness import running, settings_for


def recording() -> Telemetry:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(InMemorySpanExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return Telemetry.of(tracer_provider, meter_provider)


def hooks(telemetry: Telemetry, count: int) -> float:
    """Microseconds for one enqueue span, one processing span and one handler span."""
    ids = {"tenant_id": "contoso", "job_id": "job_1", "command_type": "agent.create"}
    now = datetime.now(UTC)
    started = time.perf_counter()
    for _ in range(count):
        with producing(telemetry, "commands", traceparent=None, **ids) as traceparent:
            pass
        with consuming(
            telemetry,
            "commands",
            message_id="job_1",
            delivery_count=1,
            traceparent=traceparent,
            enqueued=now,
            now=now,
            **ids,
        ) as consumption:
            with handling(telemetry, **ids):
                pass
            consumption.settled("complete")
    return (time.perf_counter() - started) / count * 1e6


async def requests(telemetry: Telemetry, count: int) -> list[float]:
    """Milliseconds per accepted command (202) through the in-process ingress."""
    with tempfile.TemporaryDirectory() as tmp:
        async with running(settings_for(Path(tmp)), workers=False) as harness:
            harness.services.telemetry = telemetry
            headers = harness.auth("contoso")
            for _ in range(20):  # warm up
                await harness.client.post("/agents/", headers=headers, json={"name": "a"})
            timings = []
            for _ in range(count):
                started = time.perf_counter()
                response = await harness.client.post(
                    "/agents/", headers=headers, json={"name": "a"}
                )
                timings.append((time.perf_counter() - started) * 1e3)
                assert response.status_code == 202
            return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--hooks", type=int, default=20000)
    args = parser.parse_args()
    print(f"hooks (x{args.hooks}): enqueue + processing + handler spans and metrics")
    for label, telemetry in (("off", Telemetry.disabled()), ("on", recording())):
        print(f"  telemetry {label:<3} {hooks(telemetry, args.hooks):8.2f} us per command")
    print(f"POST /agents/ -> 202 (x{args.requests}, in-process, no worker)")
    for label, telemetry in (("off", Telemetry.disabled()), ("on", recording())):
        timings = asyncio.run(requests(telemetry, args.requests))
        print(
            f"  telemetry {label:<3} median {statistics.median(timings):6.2f} ms, "
            f"p95 {statistics.quantiles(timings, n=20)[18]:6.2f} ms"
        )


if __name__ == "__main__":
    main()
