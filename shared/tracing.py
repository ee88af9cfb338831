"""Spans across the bus: the enqueue, the worker's processing of a message, and its handler.

The W3C `traceparent` of the enqueue span travels in the envelope (and, from `to_message`, in
the message's application properties), so the worker's spans join the request's trace.
With telemetry disabled nothing is recorded, and a caller's own `traceparent` passes through.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared import logs
from shared.contracts.errors import CommandFailed
from shared.telemetry import COMMAND_TYPE, JOB_ID, TENANT_ID, Telemetry

_W3C = TraceContextTextMapPropagator()
MESSAGING_SYSTEM = "servicebus"


def traceparent_of(span: trace.Span) -> str | None:
    """The span as a W3C `traceparent` header value, or None for an invalid span."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get("traceparent")


def context_of(traceparent: str | None) -> Context | None:
    """The remote parent a `traceparent` names (None: the current context)."""
    return _W3C.extract({"traceparent": traceparent}) if traceparent else None


def _ids(tenant_id: str, job_id: str, command_type: str) -> dict[str, str]:
    return {TENANT_ID: tenant_id, JOB_ID: job_id, COMMAND_TYPE: command_type}


@contextlib.contextmanager
def producing(
    telemetry: Telemetry,
    queue: str,
    *,
    tenant_id: str,
    job_id: str,
    command_type: str,
    traceparent: str | None,
) -> Iterator[str | None]:
    """A PRODUCER span around sending one command; yields the `traceparent` to put in it.

    Disabled, it yields the `traceparent` it was given (the caller's, if any).
    """
    if not telemetry.enabled:
        yield traceparent
        return
    attributes = _ids(tenant_id, job_id, command_type) | {
        "messaging.system": MESSAGING_SYSTEM,
        "messaging.operation.type": "send",
        "messaging.destination.name": queue,
        "messaging.message.id": job_id,
    }
    with telemetry.tracer.start_as_current_span(
        f"send {queue}", kind=SpanKind.PRODUCER, attributes=attributes
    ) as span:
        yield traceparent_of(span) or traceparent


class Consumption:
    """The processing of one message, told how it was settled."""

    def __init__(
        self, telemetry: Telemetry, span: trace.Span, tenant_id: str, command_type: str
    ) -> None:
        self._telemetry = telemetry
        self._span = span
        self._tenant_id = tenant_id
        self._command_type = command_type

    def settled(self, action: str, reason: str = "") -> None:
        """Record the settlement (a dead letter marks the span as failed)."""
        if not self._telemetry.enabled:
            return
        self._telemetry.metrics.settled(self._tenant_id, self._command_type, action, reason)
        self._span.set_attribute("messaging.settlement", action)
        if action == "dead_letter":
            self._span.set_attribute("messaging.dead_letter_reason", reason)
            self._span.set_status(Status(StatusCode.ERROR, reason))


@contextlib.contextmanager
def consuming(
    telemetry: Telemetry,
    queue: str,
    *,
    tenant_id: str,
    job_id: str,
    command_type: str,
    message_id: str,
    delivery_count: int,
    traceparent: str | None,
    enqueued: datetime | None,
    now: datetime,
) -> Iterator[Consumption]:
    """A CONSUMER span for one delivered command, a child of its enqueue span.

    It records how long the command waited on the bus since `enqueued` (None: not a wait to
    measure, e.g. a scheduled follow-up) and binds the log context, so every log line of the
    processing carries the tenant, job and trace ids.
    """
    with logs.bound(tenant_id=tenant_id, job_id=job_id, command_type=command_type):
        if not telemetry.enabled:
            yield Consumption(telemetry, trace.INVALID_SPAN, tenant_id, command_type)
            return
        if enqueued is not None:
            telemetry.metrics.queue_wait((now - enqueued).total_seconds(), tenant_id, command_type)
        attributes: dict[str, str | int] = {
            **_ids(tenant_id, job_id, command_type),
            "messaging.system": MESSAGING_SYSTEM,
            "messaging.operation.type": "process",
            "messaging.destination.name": queue,
            "messaging.message.id": message_id,
            "messaging.servicebus.message.delivery_count": delivery_count,
        }
        with telemetry.tracer.start_as_current_span(
            f"process {queue}",
            context=context_of(traceparent),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        ) as span:
            yield Consumption(telemetry, span, tenant_id, command_type)


@contextlib.contextmanager
def handling(
    telemetry: Telemetry, *, tenant_id: str, job_id: str, command_type: str
) -> Iterator[None]:
    """A span and a duration around a command's handler; the SDK calls it makes nest inside.

    The outcome is `succeeded`, `failed` (`CommandFailed`: the client's error, not a fault)
    or `error` (anything else: the message will be retried or dead-lettered).
    """
    if not telemetry.enabled:
        yield
        return
    started = time.perf_counter()
    outcome = "succeeded"
    with telemetry.tracer.start_as_current_span(
        f"handle {command_type}",
        attributes=_ids(tenant_id, job_id, command_type),
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except CommandFailed as failure:
            outcome = "failed"
            span.set_attribute("error.type", failure.code.value)
            raise
        except BaseException as exc:
            outcome = "error"
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
        finally:
            span.set_attribute("outcome", outcome)
            telemetry.metrics.handler_duration(
                time.perf_counter() - started, tenant_id, command_type, outcome
            )
