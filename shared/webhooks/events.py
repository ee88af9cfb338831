"""Webhook events: the types a tenant can subscribe to, and the body every receiver gets."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal, get_args

EventType = Literal[
    "job.succeeded", "job.failed", "job.canceled", "run.completed", "run.failed", "run.cancelled"
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


def event_body(event_type: str, at: datetime, data: dict[str, Any]) -> str:
    """The JSON body of an event, compact, exactly as it is signed and sent on every attempt."""
    stamp = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps(
        {"type": event_type, "timestamp": stamp, "data": data},
        separators=(",", ":"),
        ensure_ascii=False,
    )
