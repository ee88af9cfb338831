"""Envelopes as bus messages."""

from __future__ import annotations

from datetime import datetime

from shared.contracts.commands import INTERNAL_COMMANDS
from shared.contracts.envelope import Envelope
from shared.ports.bus import OutgoingMessage

JOB_ID = "jobId"
"""The property naming the job a message's command updates (dead letters are traced by it)."""


def job_id_of(envelope: Envelope) -> str:
    """The job a command updates: its own (the command id), or for a command the workers send
    themselves (a run's poll), the job it carries on."""
    job_id = envelope.data.get("job_id") if envelope.type in INTERNAL_COMMANDS else None
    return job_id if isinstance(job_id, str) else envelope.command_id


def to_message(
    envelope: Envelope, *, ttl_seconds: float | None, scheduled: datetime | None = None
) -> OutgoingMessage:
    """The message that carries a command: its id is the command id (duplicate detection),
    its session the envelope's, and its properties what an operator filters dead letters by."""
    properties: dict[str, str | int | float | bool] = {
        "type": envelope.type,
        "tenantId": envelope.tenant_id,
        JOB_ID: job_id_of(envelope),
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
