"""A tenant's webhook endpoints with their last delivery and recent failures."""

from __future__ import annotations

from typing import Any

from shared.ports.store import TenantStore
from shared.webhooks import deliveries, endpoints

MAX_ENDPOINTS = 100
RECENT = 50
"""Failures are counted among an endpoint's newest deliveries."""

FAILED = frozenset({"failed", "dead_lettered"})


async def endpoint_health(store: TenantStore) -> list[dict[str, Any]]:
    """Each endpoint (newest first) with its newest delivery and how many recent ones failed."""
    found, _ = await endpoints.listing(store, limit=MAX_ENDPOINTS)
    shown: list[dict[str, Any]] = []
    for endpoint in found:
        recent, _ = await deliveries.listing(store, endpoint.id, limit=RECENT)
        last = recent[0] if recent else None
        attempt = last.attempts[-1] if last and last.attempts else None
        shown.append(
            {
                "id": endpoint.id,
                "url": endpoint.url,
                "status": endpoint.status,
                "disabledReason": endpoint.disabled_reason,
                "lastDelivery": None
                if last is None
                else {
                    "id": last.id,
                    "eventType": last.event_type,
                    "status": last.status,
                    "at": attempt.at.isoformat() if attempt else None,
                    "statusCode": attempt.status_code if attempt else None,
                    "error": attempt.error if attempt else None,
                },
                "recentDeliveries": len(recent),
                "recentFailures": sum(1 for d in recent if d.status in FAILED),
            }
        )
    return shown
