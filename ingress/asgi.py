"""The ingress for any ASGI server: `uvicorn --factory ingress.asgi:create` (the image runs
`python -m ingress`, which adds the connection guards of `tenantry up`).

Settings come from the environment (the app settings of the Container App; the Bicep sets
`LOG_FORMAT=json`, so logs are JSON lines on stderr), and telemetry is switched on by
`bootstrap` when `APPLICATIONINSIGHTS_CONNECTION_STRING` or `OTEL_*_EXPORTER` ask for it.
"""

from __future__ import annotations

from fastapi import FastAPI

from ingress.app import create_app
from shared.logs import configure_logging
from shared.settings import load_settings


def create() -> FastAPI:
    """Read the settings now and build the ingress app (its services start with its lifespan)."""
    settings = load_settings()
    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level)
    return create_app(settings)
