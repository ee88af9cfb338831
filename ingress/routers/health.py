"""`/health` (the process answers) and `/health/ready` (configured; the bus and store answer)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ingress.misconfigured import configuration_error
from shared.readiness import misconfigured, readiness

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/ready", summary="Readiness: the settings make a service, and the bus and store answer"
)
async def ready(request: Request) -> JSONResponse:
    error = configuration_error(request.app)
    verdict = (
        misconfigured(error) if error is not None else await readiness(request.app.state.services)
    )
    return JSONResponse(verdict.body(), status_code=verdict.status_code, headers=verdict.headers)
