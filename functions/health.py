"""`GET /api/health/ready` of the Functions app: the same readiness as the ingress's.

The services are built (or their configuration error is found) on the first call, as on the
first message; a misconfigured app answers 503 with the error instead of failing every message.
"""

from __future__ import annotations

import json

import azure.functions as func

from functions.runtime import Runtime
from shared.bootstrap import ConfigurationError
from shared.readiness import Readiness, misconfigured, readiness


async def check(runtime: Runtime) -> Readiness:
    """Misconfigured, or whether the runtime's bus and store answer."""
    try:
        services = await runtime.services()
    except ConfigurationError as exc:
        return misconfigured(str(exc))
    return await readiness(services)


async def ready_response(runtime: Runtime) -> func.HttpResponse:
    """The readiness verdict as the HTTP trigger's answer."""
    verdict = await check(runtime)
    return func.HttpResponse(
        json.dumps(verdict.body()),
        status_code=verdict.status_code,
        headers=verdict.headers,
        mimetype="application/json",
    )
