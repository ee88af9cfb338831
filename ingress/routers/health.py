"""`/health` (the process answers) and `/health/ready` (the bus and the store answer)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ingress.deps import ServicesDep

router = APIRouter(prefix="/health", tags=["health"])

READY_TIMEOUT_SECONDS = 3.0


@router.get("", summary="Liveness")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", summary="Readiness: the bus and the store are reachable")
async def ready(services: ServicesDep) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, ping in (("bus", services.bus.ping), ("store", services.store.ping)):
        try:
            await asyncio.wait_for(ping(), READY_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which part
            checks[name] = f"unavailable: {type(exc).__name__}"
    ok = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "unavailable", "checks": checks},
        status_code=200 if ok else 503,
        headers={} if ok else {"Retry-After": "5"},
    )
