"""Verifying a webhook delivery, with the Standard Webhooks library the service signs for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event: `type` (`job.succeeded`, `run.completed`, ...), `timestamp`, `data`."""

    id: str
    type: str
    timestamp: str
    data: dict[str, Any]


def verify_webhook(body: bytes | str, headers: Mapping[str, str], secret: str) -> WebhookEvent:
    """The event of a delivery whose signature verifies with the endpoint's `whsec_...` secret.

    Raises `standardwebhooks.WebhookVerificationError` for a bad or stale signature.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    payload = body.decode() if isinstance(body, bytes) else body
    event: dict[str, Any] = Webhook(secret).verify(payload, lowered)
    return WebhookEvent(
        id=lowered.get("webhook-id", ""),
        type=str(event["type"]),
        timestamp=str(event.get("timestamp", "")),
        data=dict(event.get("data", {})),
    )
