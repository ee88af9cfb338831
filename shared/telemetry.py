"""The process's telemetry: a tracer and the service's metrics, or nothing at all.

`Telemetry.disabled()` is the default of every `Services`: no tracer, no meter, and the hooks in
the ingress and the pipeline skip their work after one attribute check. `configure_telemetry`
(in `shared.telemetry_setup`) builds an enabled one from the OpenTelemetry settings; tests build
one on in-memory exporters with `Telemetry.of(tracer_provider, meter_provider)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace

from shared.metrics import Metrics

INSTRUMENTATION_SCOPE = "tenantry"

# Span attributes (the seed's names; Application Insights shows them in customDimensions).
TENANT_ID = "tenant.id"
JOB_ID = "job.id"
COMMAND_TYPE = "command.type"
REQUEST_ID = "request.id"


@dataclass(frozen=True)
class Telemetry:
    """What the hooks record with; `enabled` False means they record nothing."""

    enabled: bool
    tracer: trace.Tracer
    metrics: Metrics

    @classmethod
    def disabled(cls) -> Telemetry:
        """Records nothing: the default, costing one attribute check per hook."""
        return _DISABLED

    @classmethod
    def of(
        cls,
        tracer_provider: trace.TracerProvider | None = None,
        meter_provider: otel_metrics.MeterProvider | None = None,
    ) -> Telemetry:
        """Telemetry on these providers (the global ones where None)."""
        tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(INSTRUMENTATION_SCOPE)
        meter = (meter_provider or otel_metrics.get_meter_provider()).get_meter(
            INSTRUMENTATION_SCOPE
        )
        return cls(enabled=True, tracer=tracer, metrics=Metrics(meter))


_DISABLED = Telemetry(
    enabled=False,
    tracer=trace.NoOpTracer(),
    metrics=Metrics(otel_metrics.NoOpMeter(INSTRUMENTATION_SCOPE)),
)
