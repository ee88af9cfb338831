"""Reporting a request body that tried to name a tenant (a boundary violation, answered 400)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request

from shared import boundary
from shared.boundary import Violation
from shared.telemetry import Telemetry


def attempted_tenant(errors: Sequence[Mapping[str, Any]]) -> object:
    """The tenant id a body named, from the validation errors that refused it (None if none)."""
    for error in errors:
        loc = error.get("loc") or ()
        if error.get("type") == "extra_forbidden" and loc and str(loc[-1]).lower() == "tenantid":
            return error.get("input")
        if error.get("type") == "tenant_override":
            given = error.get("input")
            key = (error.get("ctx") or {}).get("key")
            return given.get(key) if isinstance(given, Mapping) else given
    return None


def report_body_override(request: Request, errors: Sequence[Mapping[str, Any]]) -> None:
    """Log the attempt with the caller's tenant and the one the body named."""
    services = getattr(request.app.state, "services", None)
    telemetry = getattr(services, "telemetry", None)
    boundary.report(
        telemetry if isinstance(telemetry, Telemetry) else Telemetry.disabled(),
        Violation.TENANT_OVERRIDE,
        tenant_id=str(getattr(request.state, "tenant_id", "")),
        target_tenant_id=attempted_tenant(errors),
    )
