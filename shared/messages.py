"""Envelopes as bus messages."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.envelope import Envelope
from shared.ports.bus import OutgoingMessage


def to_message(
    envelope: Envelope, *, ttl_seconds: float | None, scheduled: datetime | None = None
) -> OutgoingMessage:
    """The message that carries a command: its id is the command id (duplicate detection),
    its session the envelope's, and its properties what an operator filters dead letters by."""
    properties: dict[str, str | int | float | bool] = {
        "type": envelope.type,
        "tenantId": envelope.tenant_id,
    }
    if envelope.traceparent:
        properties["traceparent"] = envelope.traceparent
    return OutgoingMessage(
        body=envelope.to_bytes(),
        session_id=envelope.session_id or envelope.tenant_id,
        message_id=envelope.command_id,
        application_properties=properties,
        time_to_live_seconds=ttl_seconds,
        scheduled_enqueue_time=scheduled,
    )
