"""Telemetry: one trace from the HTTP request through the bus to the handler, and the metrics.

In-process app and worker on the embedded adapters (tests/harness.py), recording into
in-memory exporters that the test gives the services.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.queues import COMMANDS
from shared.telemetry import Telemetry
from tests.harness import Harness, running, settings_for

WAIT = {"Prefer": "wait=20"}
CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_PARENT = f"00-{CLIENT_TRACE}-b7ad6b7169203331-01"


@dataclass
class Recorded:
    spans: InMemorySpanExporter
    metrics: InMemoryMetricReader
    telemetry: Telemetry

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    async def until(self, name: str, count: int = 1) -> list[ReadableSpan]:
        """The finished spans named `name`, once there are `count` (the worker may lag)."""
        async with asyncio.timeout(20):
            while len(found := [s for s in self.finished() if s.name == name]) < count:
                await asyncio.sleep(0.01)
        return found

    def points(self, metric: str) -> list[Any]:
        data = self.metrics.get_metrics_data()
        assert data is not None
        return [
            point
            for resource in data.resource_metrics
            for scope in resource.scope_metrics
            for found in scope.metrics
            if found.name == metric
            for point in found.data.data_points
        ]


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    yield Recorded(spans, reader, Telemetry.of(tracer_provider, meter_provider))
    tracer_provider.shutdown()
    meter_provider.shutdown()


def _trace_of(spans: list[ReadableSpan], trace_id: int) -> list[ReadableSpan]:
    return [s for s in spans if s.context is not None and s.context.trace_id == trace_id]


async def _create_agent(harness: Harness, tenant: str, **headers: str) -> str:
    response = await harness.client.post(
        "/agents/", headers=harness.auth(tenant) | WAIT | headers, json={"name": f"{tenant} bot"}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_one_request_is_one_trace_from_ingress_through_enqueue_to_handler(
    tmp_path: Path, recorded: Recorded
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        harness.services.telemetry = recorded.telemetry
        await _create_agent(harness, "contoso")
        (handler,) = await recorded.until("handle agent.create")
        (consumer,) = await recorded.until("process commands")
    assert handler.context is not None
    spans = _trace_of(recorded.finished(), handler.context.trace_id)
    by_kind = {span.kind: span for span in spans}
    server, producer = by_kind[SpanKind.SERVER], by_kind[SpanKind.PRODUCER]
    assert server.name == "POST /agents/"
    assert producer.name == "send commands"
    assert consumer in spans
    assert {s.name for s in spans} == {
        "POST /agents/",
        "send commands",
        "process commands",
        "handle agent.create",
    }
    # parent chain: request -> enqueue -> processing -> handler
    assert producer.parent is not None and server.context is not None
    assert producer.parent.span_id == server.context.span_id
    assert consumer.parent is not None and producer.context is not None
    assert consumer.parent.span_id == producer.context.span_id
    assert handler.parent is not None and consumer.context is not None
    assert handler.parent.span_id == consumer.context.span_id
    for span in spans:
        assert span.attributes is not None
        assert span.attributes["tenant.id"] == "contoso", span.name
    for span in (producer, consumer, handler):
        assert span.attributes is not None
        assert span.attributes["command.type"] == "agent.create"
        assert str(span.attributes["job.id"]).startswith("job_")
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 201


async def test_a_second_tenants_request_is_a_separate_trace(
    tmp_path: Path, recorded: Recorded
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        harness.services.telemetry = recorded.telemetry
        await _create_agent(harness, "contoso")
        await _create_agent(harness, "fabrikam")
        handlers = await recorded.until("handle agent.create", count=2)
    traces: dict[str, set[int]] = {}
    for handler in handlers:
        assert handler.context is not None and handler.attributes is not None
        spans = _trace_of(recorded.finished(), handler.context.trace_id)
        tenants = {str(s.attributes["tenant.id"]) for s in spans if s.attributes is not None}
        assert len(spans) == 4 and len(tenants) == 1
        traces.setdefault(tenants.pop(), set()).add(handler.context.trace_id)
    assert set(traces) == {"contoso", "fabrikam"}
    assert traces["contoso"].isdisjoint(traces["fabrikam"])


async def test_the_callers_traceparent_is_continued_to_the_handler(
    tmp_path: Path, recorded: Recorded
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        harness.services.telemetry = recorded.telemetry
        await _create_agent(harness, "contoso", traceparent=CLIENT_PARENT)
        (handler,) = await recorded.until("handle agent.create")
    assert handler.context is not None
    assert format(handler.context.trace_id, "032x") == CLIENT_TRACE
    (server,) = [s for s in recorded.finished() if s.kind is SpanKind.SERVER]
    assert server.parent is not None and format(server.parent.span_id, "016x") == (
        "b7ad6b7169203331"
    )


async def _enqueued_traceparent(harness: Harness) -> str:
    receiver = await harness.services.bus.accept_next_session(COMMANDS, wait_seconds=5)
    (message,) = await receiver.receive(1)
    await receiver.close()
    return str(message.application_properties["traceparent"])


async def test_the_message_carries_the_enqueue_spans_traceparent(
    tmp_path: Path, recorded: Recorded
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        harness.services.telemetry = recorded.telemetry
        response = await harness.client.post(
            "/agents/", headers=harness.auth("contoso"), json={"name": "a"}
        )
        assert response.status_code == 202
        traceparent = await _enqueued_traceparent(harness)
    (producer,) = [s for s in recorded.finished() if s.kind is SpanKind.PRODUCER]
    assert producer.context is not None
    assert traceparent.startswith(
        f"00-{producer.context.trace_id:032x}-{producer.context.span_id:016x}-"
    )


async def test_with_telemetry_off_the_callers_traceparent_still_reaches_the_message(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        assert not harness.services.telemetry.enabled
        response = await harness.client.post(
            "/agents/",
            headers=harness.auth("contoso") | {"traceparent": CLIENT_PARENT},
            json={"name": "a"},
        )
        assert response.status_code == 202
        assert await _enqueued_traceparent(harness) == CLIENT_PARENT


async def test_metrics_count_accepted_jobs_queue_wait_handler_time_and_settlements_per_tenant(
    tmp_path: Path, recorded: Recorded
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        harness.services.telemetry = recorded.telemetry
        await _create_agent(harness, "contoso")
        await _create_agent(harness, "contoso")
        await _create_agent(harness, "fabrikam")
        await recorded.until("process commands", count=3)
    expected = {"tenant.id": "contoso", "command.type": "agent.create"}

    def for_contoso(metric: str) -> list[Any]:
        return [
            p
            for p in recorded.points(metric)
            if all(p.attributes.get(k) == v for k, v in expected.items())
        ]

    (accepted,) = for_contoso("tenantry.jobs.accepted")
    assert accepted.value == 2
    (wait,) = for_contoso("tenantry.queue.wait")
    assert wait.count == 2 and wait.min >= 0
    (duration,) = for_contoso("tenantry.handler.duration")
    assert duration.count == 2 and duration.attributes["outcome"] == "succeeded"
    (settled,) = for_contoso("tenantry.messages.settled")
    assert settled.value == 2 and settled.attributes["settlement"] == "complete"
    fabrikam = [
        p
        for p in recorded.points("tenantry.jobs.accepted")
        if p.attributes["tenant.id"] == "fabrikam"
    ]
    assert [p.value for p in fabrikam] == [1]


async def test_a_command_that_fails_for_the_client_is_counted_as_failed_not_as_an_error(
    tmp_path: Path, recorded: Recorded
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        harness.services.telemetry = recorded.telemetry
        response = await harness.client.post(
            "/agents/threads/thread_nope/messages",
            headers=harness.auth("contoso") | WAIT,
            json={"content": "hello?"},
        )
        assert response.status_code == 404
        (handler,) = await recorded.until("handle message.create")
    assert handler.attributes is not None
    assert handler.attributes["outcome"] == "failed"
    assert handler.attributes["error.type"] == "NotFound"
    outcomes = {p.attributes["outcome"] for p in recorded.points("tenantry.handler.duration")}
    assert outcomes == {"failed"}
