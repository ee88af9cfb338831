"""Service Bus messages as the Functions host hands them to the Python worker.

For an SDK-typed trigger the host sends `ModelBindingData` whose content is the lock token
(16 bytes, a little-endian UUID), the marker `x-opt-lock-token`, then the AMQP-encoded message
as the service delivered it. Its header's `delivery-count` counts the *previous* attempts
(AMQP 1.0), so a first delivery carries 0. The worker decodes it with the Service Bus
extension's converter into an `azure.servicebus.ServiceBusReceivedMessage`; `sdk_message` does
exactly that here, so the triggers see what they would see under the host.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import uamqp
from azurefunctions.extensions.base import Datum
from azurefunctions.extensions.bindings.servicebus import ServiceBusConverter
from uamqp.message import MessageHeader, MessageProperties

LOCK_TOKEN_MARKER = b"x-opt-lock-token"
SOURCE = "AzureServiceBusReceivedMessage"


@dataclass(frozen=True)
class ModelBindingData:
    """The fields of the protocol's `ModelBindingData` the converter reads."""

    version: str
    source: str
    content_type: str
    content: bytes


def amqp_content(
    body: bytes,
    *,
    message_id: str,
    session_id: str | None,
    delivery: int = 1,
    lock_token: uuid.UUID | None = None,
    sequence_number: int = 1,
) -> tuple[bytes, uuid.UUID]:
    """The model-binding content of the `delivery`-th delivery of a message, and its lock."""
    lock = lock_token or uuid.uuid4()
    message = uamqp.Message(
        body=body,
        properties=MessageProperties(message_id=message_id, group_id=session_id),
    )
    message.header = MessageHeader()
    message.header.delivery_count = delivery - 1
    message.annotations = {b"x-opt-sequence-number": sequence_number}
    return lock.bytes_le + LOCK_TOKEN_MARKER + message.encode_message(), lock


def binding_data(content: bytes) -> ModelBindingData:
    """The `ModelBindingData` the host sends for a Service Bus trigger."""
    return ModelBindingData("1.0", SOURCE, "application/octet-stream", content)


def sdk_message(body: bytes, **options: Any) -> Any:
    """The trigger argument the worker passes: decoded by the extension's own converter."""
    content, _ = amqp_content(body, **options)
    datum = Datum(value=binding_data(content), type="model_binding_data")
    return ServiceBusConverter.decode(datum, trigger_metadata={}, pytype=None)
