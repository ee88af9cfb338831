"""Webhook deliveries: the message a dispatcher carries out, and the tenant's delivery log.

One delivery is one event for one endpoint. Its id is the `webhook-id` of every attempt, derived
from the job, the event type and the endpoint, so publishing the same event twice (a redelivered
command) names the same delivery and the bus drops the copy as a duplicate.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from shared.contracts.resources import without_store_fields
from shared.ids import derived_id
from shared.ports.bus import OutgoingMessage
from shared.ports.store import Page, TenantStore
from shared.queues import endpoint_session

DELIVERIES = "webhook_deliveries"
KEPT_ATTEMPTS = 20

DeliveryStatus = Literal["pending", "succeeded", "failed", "dead_lettered", "skipped"]


def delivery_id(job_id: str, event_type: str, endpoint_id: str) -> str:
    """The stable id (and `webhook-id`) of one event of a job for one endpoint."""
    return derived_id("msg", job_id, event_type, endpoint_id)


def _carried(model: DeliveryMessage | DeliveryRecord) -> dict[str, Any]:
    """What a delivery's log entry keeps of its message, and a redelivery takes back from it:
    the endpoint, the event and its body, and the job that raised it."""
    return model.model_dump(include={"endpoint_id", "event_type", "job_id", "body"})


class DeliveryMessage(BaseModel):
    """The body of a message on the `webhooks` queue: one attempt to make."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )

    tenant_id: str
    endpoint_id: str
    delivery_id: str
    event_type: str
    job_id: str
    body: str = Field(description="The event JSON exactly as it is signed and sent.")
    attempt: int = Field(0, ge=0, description="Which attempt of the retry schedule this is.")
    series: str = Field(
        description="The id of this schedule's first message: retries are named after it, so "
        "a manual redelivery's retries never collide with the first schedule's."
    )

    def to_bytes(self) -> bytes:
        """The wire form."""
        return self.model_dump_json(by_alias=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> DeliveryMessage:
        """Parse and validate the wire form (raises pydantic.ValidationError)."""
        return cls.model_validate_json(raw)

    def outgoing(self, message_id: str, scheduled: datetime | None = None) -> OutgoingMessage:
        """The bus message for this attempt, on the endpoint's session."""
        return OutgoingMessage(
            body=self.to_bytes(),
            session_id=endpoint_session(self.tenant_id, self.endpoint_id),
            message_id=message_id,
            application_properties={
                "tenantId": self.tenant_id,
                "type": self.event_type,
                "endpointId": self.endpoint_id,
                "deliveryId": self.delivery_id,
            },
            scheduled_enqueue_time=scheduled,
        )


class Attempt(BaseModel):
    """One try: when, what the endpoint answered or what went wrong, how long it took."""

    number: int
    at: datetime
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


class DeliveryRecord(BaseModel):
    """A delivery in the tenant's log."""

    id: str
    endpoint_id: str
    event_type: str
    job_id: str
    status: DeliveryStatus
    attempts: list[Attempt] = Field(default_factory=list)
    next_attempt_at: datetime | None = None
    created_at: int
    body: str

    def present(self) -> dict[str, Any]:
        """The delivery as a client sees it, with the event it carries."""
        shown = self.model_dump(mode="json", exclude={"body"}, exclude_none=True)
        return {"object": "webhook_delivery", **shown, "event": json.loads(self.body)}

    def redelivery(self, tenant_id: str, series: str) -> DeliveryMessage:
        """The first attempt of this delivery sent again, on a fresh retry schedule named
        `series`; it keeps its id, so the endpoint sees the same `webhook-id`."""
        return DeliveryMessage(
            tenant_id=tenant_id, delivery_id=self.id, series=series, **_carried(self)
        )


async def record(
    store: TenantStore,
    message: DeliveryMessage,
    status: DeliveryStatus,
    *,
    now: datetime,
    attempt: Attempt | None = None,
    next_attempt_at: datetime | None = None,
) -> DeliveryRecord:
    """Write the delivery's new state to the log, with the attempt just made if any."""
    found = await get(store, message.delivery_id)
    attempts = found.attempts if found else []
    if attempt is not None:
        attempts = [*attempts, attempt][-KEPT_ATTEMPTS:]
    entry = DeliveryRecord(
        id=message.delivery_id,
        status=status,
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        created_at=found.created_at if found else int(now.timestamp()),
        **_carried(message),
    )
    await store.upsert(DELIVERIES, entry.model_dump(mode="json"))
    return entry


async def get(store: TenantStore, delivery: str) -> DeliveryRecord | None:
    """A delivery of the tenant's log, or None."""
    doc = await store.get(DELIVERIES, delivery)
    return None if doc is None else DeliveryRecord.model_validate(without_store_fields(doc))


async def listing(
    store: TenantStore, endpoint_id: str, *, limit: int, after: str | None = None
) -> tuple[list[DeliveryRecord], str | None]:
    """A page of one endpoint's deliveries, newest first, and the next cursor."""
    page: Page = await store.list(
        DELIVERIES, where={"endpoint_id": endpoint_id}, limit=limit, after=after
    )
    records = [DeliveryRecord.model_validate(without_store_fields(d)) for d in page.items]
    return records, page.next_cursor
