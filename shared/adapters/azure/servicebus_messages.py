"""Port messages to and from Azure Service Bus SDK messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.servicebus import ServiceBusMessage, ServiceBusReceivedMessage

from shared.ports.bus import DeadLetter, OutgoingMessage, ReceivedDeadLetter, ReceivedMessage

Scalar = str | int | float | bool


def to_sdk(message: OutgoingMessage) -> ServiceBusMessage:
    """The SDK message for a port message: session, id, type, properties, TTL, schedule."""
    scheduled = message.scheduled_enqueue_time
    if scheduled is not None and scheduled.tzinfo is None:
        raise ValueError("scheduled_enqueue_time must be timezone-aware")
    ttl = message.time_to_live_seconds
    if ttl is not None and ttl <= 0:
        raise ValueError("time_to_live_seconds must be positive")
    return ServiceBusMessage(
        message.body,
        session_id=message.session_id,
        message_id=message.message_id,
        content_type=message.content_type,
        application_properties=dict(message.application_properties),  # type: ignore[arg-type]
        time_to_live=None if ttl is None else timedelta(seconds=ttl),
        scheduled_enqueue_time_utc=None if scheduled is None else scheduled.astimezone(UTC),
    )


def _text(value: Any) -> Any:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def properties_of(message: ServiceBusReceivedMessage) -> dict[str, Scalar]:
    """Application properties with the AMQP byte strings decoded."""
    raw: Mapping[Any, Any] = message.application_properties or {}
    return {str(_text(key)): _text(value) for key, value in raw.items()}


def body_of(message: ServiceBusReceivedMessage) -> bytes:
    """The body bytes of a data-body message."""
    body = message.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return b"".join(bytes(part) for part in body)


def _utc(value: datetime | None) -> datetime:
    if value is None:
        return datetime.fromtimestamp(0, UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def delivery_count_of(message: ServiceBusReceivedMessage) -> int:
    """Which delivery of the message this is: 1 the first time.

    The SDK returns the AMQP header's `delivery-count` as it is, and AMQP 1.0 defines it as the
    number of *previous* unsuccessful attempts: Service Bus puts its DeliveryCount minus one
    there (the .NET SDK adds the one back; the Python SDK does not). Counting from 1, as the
    port and the local bus do, is what lets the pipeline recognise the last delivery.
    """
    return int(message.delivery_count or 0) + 1


def _common_fields(message: ServiceBusReceivedMessage) -> dict[str, Any]:
    """The port's `QueuedMessage` fields, which a delivery and a dead letter both carry."""
    return {
        "body": body_of(message),
        "session_id": message.session_id or "",
        "message_id": str(message.message_id),
        "sequence_number": int(message.sequence_number or 0),
        "delivery_count": delivery_count_of(message),
        "enqueued_time": _utc(message.enqueued_time_utc),
        "application_properties": properties_of(message),
    }


def from_sdk(message: ServiceBusReceivedMessage) -> ReceivedMessage:
    """A locked delivery as the port describes it."""
    return ReceivedMessage(
        **_common_fields(message),
        content_type=message.content_type or "",
        lock_token=str(message.lock_token),
    )


def dead_letter_of(message: ServiceBusReceivedMessage) -> DeadLetter:
    """A message of a dead-letter sub-queue, with the reason it was put there.

    Service Bus does not expose when a message was dead-lettered; the time it was enqueued in
    the dead-letter sub-queue is the closest it says.
    """
    return DeadLetter(
        **_common_fields(message),
        dead_lettered_time=_utc(message.enqueued_time_utc),
        reason=message.dead_letter_reason or "",
        description=message.dead_letter_error_description or "",
    )


def locked_dead_letter_of(message: ServiceBusReceivedMessage) -> ReceivedDeadLetter:
    """A dead letter received under a peek-lock, to be completed or given back."""
    letter = dead_letter_of(message)
    return ReceivedDeadLetter(
        **{name: getattr(letter, name) for name in letter.__dataclass_fields__},
        content_type=message.content_type or "",
        lock_token=str(message.lock_token),
    )
