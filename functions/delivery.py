"""A triggered Service Bus message as the pipeline's `Delivery`.

The triggers take the SDK-typed message Microsoft documents for settlement: the host hands the
worker the raw AMQP message (lock token included), the Service Bus extension
(`azurefunctions-extensions-bindings-servicebus`) decodes it into an
`azure.servicebus.ServiceBusReceivedMessage`, and `ServiceBusMessageActions` settles it by its
lock token. Session, id and delivery count come from the AMQP message itself, so nothing
depends on which trigger-metadata keys a host version fills in; the delivery count is the
header's count of previous attempts plus one, as in `shared.adapters.azure.servicebus_messages`.
"""

from __future__ import annotations

from typing import Protocol


class TriggeredMessage(Protocol):
    """What a trigger reads of an `azure.servicebus.ServiceBusReceivedMessage`."""

    @property
    def body(self) -> object: ...

    @property
    def session_id(self) -> str | None: ...

    @property
    def message_id(self) -> str | None: ...

    @property
    def delivery_count(self) -> int | None: ...


def body_bytes(message: TriggeredMessage) -> bytes:
    """The message body: AMQP data sections joined (a JSON envelope is one section)."""
    body = message.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    return b"".join(bytes(section) for section in body)  # type: ignore[attr-defined]


class FunctionsDelivery:
    """The body, session, id and delivery count of a triggered message."""

    def __init__(self, message: TriggeredMessage) -> None:
        self.message = message
        self._body = body_bytes(message)

    @property
    def body(self) -> bytes:
        return self._body

    @property
    def session_id(self) -> str:
        return str(self.message.session_id or "")

    @property
    def message_id(self) -> str:
        return str(self.message.message_id or "")

    @property
    def delivery_count(self) -> int:
        """1 on the first delivery (the AMQP header counts previous attempts)."""
        return int(self.message.delivery_count or 0) + 1
