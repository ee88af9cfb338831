"""Turning telemetry on for a process, from the standard OpenTelemetry settings.

- `APPLICATIONINSIGHTS_CONNECTION_STRING` set: the Azure Monitor distro exports traces, metrics
  and the `tenantry` loggers' records to Application Insights (and traces the Azure SDK calls).
  With `CREDENTIALS=managed_identity` it authenticates with the managed identity, so the
  Application Insights resource can refuse instrumentation-key-only ingestion.
- `OTEL_TRACES_EXPORTER`, `OTEL_METRICS_EXPORTER`, `OTEL_LOGS_EXPORTER`: comma-separated
  `console`, `otlp` or `none`. OTLP uses `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf`, the
  default, or `grpc`) and the exporter's own `OTEL_EXPORTER_OTLP_*` settings. Logs always go to
  stderr (text or JSON lines, `LOG_FORMAT`); `otlp` ships them as well.
- `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the process; `OTEL_SDK_DISABLED=true`
  turns everything off.

Unlike the OpenTelemetry SDK, whose default exporter is OTLP, tenantry exports nothing unless
one of these is set: telemetry off costs one attribute check per hook.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from shared import logs
from shared.settings import Settings
from shared.telemetry import Telemetry

log = logging.getLogger("tenantry.telemetry")

_configured: Telemetry | None = None


class TelemetryConfigurationError(Exception):
    """An exporter was asked for that cannot be built; the message says what to install."""


def _choices(environ: Mapping[str, str], name: str) -> list[str]:
    raw = environ.get(name, "none")
    return [part.strip().lower() for part in raw.split(",") if part.strip().lower() != "none"]


def _otlp(environ: Mapping[str, str], signal: str) -> Any:
    protocol = environ.get(
        f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL",
        environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
    )
    package = "grpc" if protocol == "grpc" else "http"
    module, cls = {
        "traces": ("trace_exporter", "OTLPSpanExporter"),
        "metrics": ("metric_exporter", "OTLPMetricExporter"),
        "logs": ("_log_exporter", "OTLPLogExporter"),
    }[signal]
    try:
        imported = __import__(
            f"opentelemetry.exporter.otlp.proto.{package}.{module}", fromlist=[cls]
        )
    except ImportError as exc:
        raise TelemetryConfigurationError(
            f"OTLP over {protocol} needs opentelemetry-exporter-otlp-proto-{package} "
            "(pip install 'tenantry[otel]')"
        ) from exc
    return getattr(imported, cls)()


def _exporters(environ: Mapping[str, str], signal: str, console: Callable[[], Any]) -> list[Any]:
    made: list[Any] = []
    for choice in _choices(environ, f"OTEL_{signal.upper()}_EXPORTER"):
        if choice == "console":
            made.append(console())
        elif choice == "otlp":
            made.append(_otlp(environ, signal))
        else:
            raise TelemetryConfigurationError(
                f"OTEL_{signal.upper()}_EXPORTER: '{choice}' is not console, otlp or none"
            )
    return made


def _resource(service_name: str, environ: Mapping[str, str]) -> Resource:
    if environ.get("OTEL_SERVICE_NAME"):
        return Resource.create()
    return Resource.create({"service.name": service_name})


def _trace_azure_sdk() -> None:
    """Make the Azure SDK clients create spans under the current one (if the SDK is installed)."""
    try:
        from azure.core.settings import settings as azure_settings
    except ImportError:
        return
    azure_settings.tracing_enabled = True


def _azure_monitor(
    settings: Settings,
    resource: Resource,
    span_processors: list[SpanProcessor],
    metric_readers: list[MetricReader],
) -> None:
    try:
        from azure.monitor.opentelemetry import configure_azure_monitor
    except ImportError as exc:
        raise TelemetryConfigurationError(
            "APPLICATIONINSIGHTS_CONNECTION_STRING needs azure-monitor-opentelemetry "
            "(pip install 'tenantry[azure]')"
        ) from exc
    assert settings.applicationinsights_connection_string is not None
    options: dict[str, Any] = {}
    if settings.credentials == "managed_identity":
        from azure.identity import ManagedIdentityCredential

        options["credential"] = ManagedIdentityCredential(
            client_id=settings.managed_identity_client_id
        )
    configure_azure_monitor(
        connection_string=settings.applicationinsights_connection_string.get_secret_value(),
        resource=resource,
        logger_name="tenantry",
        # The ingress makes its own server spans (with the tenant); the rest stays on.
        instrumentation_options={
            "fastapi": {"enabled": False},
            "django": {"enabled": False},
            "flask": {"enabled": False},
            "psycopg2": {"enabled": False},
        },
        span_processors=span_processors,
        metric_readers=metric_readers,
        **options,
    )
    for handler in logging.getLogger("tenantry").handlers:
        logs.with_context(handler)


def _otlp_logs(environ: Mapping[str, str], resource: Resource) -> None:
    exporters = _exporters(environ, "logs", lambda: None)
    if not any(exporters):
        return
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    provider = LoggerProvider(resource=resource)
    for exporter in exporters:
        if exporter is not None:
            provider.add_log_record_processor(BatchLogRecordProcessor(exporter))
    set_logger_provider(provider)
    logging.getLogger().addHandler(logs.with_context(LoggingHandler(logger_provider=provider)))


def configure_telemetry(
    settings: Settings, *, service_name: str, environ: Mapping[str, str] | None = None
) -> Telemetry:
    """Set up this process's exporters once; the `Telemetry` its services should record with.

    Returns `Telemetry.disabled()` when nothing asks for telemetry.
    """
    global _configured
    if _configured is not None:
        return _configured
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return Telemetry.disabled()
    span_exporters: list[SpanExporter] = _exporters(env, "traces", ConsoleSpanExporter)
    metric_exporters: list[MetricExporter] = _exporters(env, "metrics", ConsoleMetricExporter)
    azure = settings.applicationinsights_connection_string is not None
    wants_logs = bool(_choices(env, "OTEL_LOGS_EXPORTER"))
    if not (azure or span_exporters or metric_exporters or wants_logs):
        return Telemetry.disabled()
    resource = _resource(service_name, env)
    processors: list[SpanProcessor] = [BatchSpanProcessor(e) for e in span_exporters]
    readers: list[MetricReader] = [PeriodicExportingMetricReader(e) for e in metric_exporters]
    if azure:
        _azure_monitor(settings, resource, processors, readers)
    else:
        tracer_provider = TracerProvider(resource=resource)
        for processor in processors:
            tracer_provider.add_span_processor(processor)
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
        _otlp_logs(env, resource)
    _trace_azure_sdk()
    _configured = Telemetry.of()
    log.info(
        "telemetry on",
        extra={
            "azure_monitor": azure,
            "traces": ",".join(_choices(env, "OTEL_TRACES_EXPORTER")) or "-",
            "metrics": ",".join(_choices(env, "OTEL_METRICS_EXPORTER")) or "-",
        },
    )
    return _configured
