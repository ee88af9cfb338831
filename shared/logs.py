"""Structured logs: every record carries the tenant, request, job and trace ids of its context.

The ids live in context variables that the ingress (per request) and the pipeline (per command)
bind; a handler filter copies them onto every record the handler sees: the JSON console handler
here, and the OpenTelemetry handler that ships records to Application Insights, where they
become `customDimensions.tenant_id`, `customDimensions.job_id` and so on.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from opentelemetry import trace

_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "tenantry_log_context", default=MappingProxyType({})
)

# Attributes every LogRecord has; anything else on a record came from `extra=` or the context.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def bind(**ids: str | None) -> contextvars.Token[Mapping[str, str]]:
    """Add ids to the current context's log fields; `unbind(token)` restores the previous ones."""
    merged = {**_context.get(), **{k: v for k, v in ids.items() if v}}
    return _context.set(merged)


def unbind(token: contextvars.Token[Mapping[str, str]]) -> None:
    """Restore the log fields that were current before `bind` returned `token`."""
    _context.reset(token)


@contextlib.contextmanager
def bound(**ids: str | None) -> Iterator[None]:
    """Bind ids for the duration of a block."""
    token = bind(**ids)
    try:
        yield
    finally:
        unbind(token)


def current() -> dict[str, str]:
    """The ids bound in this context now."""
    return dict(_context.get())


class ContextFilter(logging.Filter):
    """Copy the context's ids (and the current span's trace and span ids) onto each record.

    A handler filter, not a record factory, so that `extra=` fields a caller sets win.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        span = trace.get_current_span().get_span_context()
        if span.is_valid and not hasattr(record, "trace_id"):
            record.trace_id = format(span.trace_id, "032x")
            record.span_id = format(span.span_id, "016x")
        return True


def with_context(handler: logging.Handler) -> logging.Handler:
    """`handler`, made to stamp the context's ids on every record it handles (idempotent)."""
    if not any(isinstance(f, ContextFilter) for f in handler.filters):
        handler.addFilter(ContextFilter())
    return handler


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(*, json_lines: bool, level: str = "INFO") -> None:
    """Log to stderr, as JSON lines or as text, with the context's ids on every record."""
    handler = with_context(logging.StreamHandler(sys.stderr))
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "tenantry_console", False)]:
        root.removeHandler(existing)
    handler.tenantry_console = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
