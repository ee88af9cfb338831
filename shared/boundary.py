"""Refused attempts to cross a tenant boundary, logged for the security team.

Every record has `event = "tenant.boundary_violation"`, the kind of attempt (`violation`), the
tenant that made it (`tenant_id`, empty when no registered tenant did) and the tenant it named
(`target_tenant_id`); never a body, a document or a secret. `infra/kql/boundary-violations.kql`
reads exactly these fields.

What is detected, and what is not: a token naming an unregistered tenant, a request that names
a tenant in its body or query, a message whose tenant is unregistered or does not own its bus
session. A read of another tenant's resource is answered 404 from the caller's own partition
without looking into any other, so it is indistinguishable from a typo and is not reported
(detecting it would mean reading other tenants' partitions on every miss).
"""

from __future__ import annotations

import logging
import re
from enum import StrEnum

from shared.telemetry import Telemetry

log = logging.getLogger("tenantry.boundary")

EVENT = "tenant.boundary_violation"
_SAFE = re.compile(r"[^A-Za-z0-9_.:\-]")


class Violation(StrEnum):
    """The kinds of refused attempts."""

    UNKNOWN_TENANT_TOKEN = "UnknownTenantToken"  # noqa: S105 - a kind, not a secret
    """A valid token whose tenant claim names no registered tenant (401)."""
    TENANT_OVERRIDE = "TenantOverride"
    """A request that names a tenant in its body, metadata or query (400)."""
    UNKNOWN_TENANT_MESSAGE = "UnknownTenantMessage"
    """A bus message for an unregistered tenant (dead-lettered)."""
    TENANT_MISMATCH = "TenantMismatch"
    """A bus message in a session that belongs to another tenant (dead-lettered)."""


def safe_id(value: object) -> str:
    """A caller-supplied tenant id, made safe to log: identifier characters, 64 at most."""
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    return _SAFE.sub("?", value[:64])


def report(
    telemetry: Telemetry,
    violation: Violation,
    *,
    tenant_id: str,
    target_tenant_id: object,
    **ids: str,
) -> None:
    """Log one refused attempt with both tenant ids (and count it when telemetry is on)."""
    target = safe_id(target_tenant_id)
    log.warning(
        "tenant boundary violation refused: %s by '%s' naming '%s'",
        violation.value,
        tenant_id,
        target,
        extra={
            "event": EVENT,
            "violation": violation.value,
            "tenant_id": tenant_id,
            "target_tenant_id": target,
            **ids,
        },
    )
    if telemetry.enabled:
        telemetry.metrics.boundary_violation(tenant_id, violation.value)
