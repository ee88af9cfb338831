"""A delivered message as a bus hands it to the pipeline or the webhook dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

from shared.webhooks.deliveries import DeliveryMessage


@dataclass(frozen=True)
class Delivery:
    """What `workers.delivery.Delivery` describes, built by a test."""

    body: bytes
    session_id: str
    message_id: str = "m1"
    delivery_count: int = 1

    @classmethod
    def of(cls, message: DeliveryMessage) -> Delivery:
        """A webhook delivery message as the bus would deliver it."""
        outgoing = message.outgoing(message.series)
        return cls(outgoing.body, outgoing.session_id, outgoing.message_id)
