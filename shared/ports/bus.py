"""The message bus port: queues with sessions, the semantics of Azure Service Bus.

Every queue requires sessions. A sender names the session (the tenant, or `tenant:lane`);
a receiver accepts one session at a time and holds its lock, so messages of one session are
handled in order by one receiver while other sessions are handled in parallel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

MAX_MESSAGE_BYTES = 256 * 1024
"""Service Bus Standard tier: body plus application properties."""

MAX_DELIVERY_COUNT = 10


class BusError(Exception):
    """Base of the bus errors a caller can act on."""


class BusUnavailable(BusError):
    """The bus cannot be reached; nothing was sent."""


class MessageTooLarge(BusError):
    """The message is over the entity's size limit; nothing was sent."""


class SessionLockLost(BusError):
    """The session lock expired or was taken; settle operations on it fail."""


class NoSessionAvailable(BusError):
    """No session with deliverable messages was free to accept within the wait."""


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to send: the body is opaque bytes (the JSON of a command envelope)."""

    body: bytes
    session_id: str
    message_id: str
    content_type: str = "application/json"
    application_properties: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    time_to_live_seconds: float | None = None
    scheduled_enqueue_time: datetime | None = None
    """Timezone-aware UTC; the message stays invisible until then."""


@dataclass(frozen=True)
class QueuedMessage:
    """A message as the queue keeps it: what a delivery and a dead letter both say of it."""

    body: bytes
    session_id: str
    message_id: str
    sequence_number: int
    delivery_count: int
    enqueued_time: datetime
    application_properties: Mapping[str, str | int | float | bool]


@dataclass(frozen=True)
class ReceivedMessage(QueuedMessage):
    """A message delivered under a peek-lock, to be settled by its session receiver."""

    content_type: str
    lock_token: str


MAX_DELIVERY_COUNT_EXCEEDED = "MaxDeliveryCountExceeded"
"""Service Bus's dead-letter reason for a message delivered too often (the bus's own, and the
pipeline's for a command that failed on its last delivery)."""


@dataclass(frozen=True)
class DeadLetter(QueuedMessage):
    """A message in a queue's dead-letter sub-queue, with why it is there."""

    dead_lettered_time: datetime
    reason: str
    description: str


@dataclass(frozen=True)
class ReceivedDeadLetter(DeadLetter):
    """A dead letter held under a peek-lock by a `DeadLetterReceiver`, to complete or give back."""

    content_type: str
    lock_token: str


@dataclass(frozen=True)
class SessionCounts:
    """How many messages one session of a queue holds, for operators' dashboards."""

    session_id: str
    active: int | None
    """Deliverable now, in delivery, or deferred; None where the bus cannot count them."""
    scheduled: int | None
    """Sent with a scheduled time still to come; None where the bus cannot count them."""
    dead_lettered: int


class DeadLetterReceiver(Protocol):
    """Peek-lock access to one queue's dead-letter sub-queue, for replaying and purging.

    A dead letter received and not yet settled stays locked to this receiver (others skip it)
    until it is completed, abandoned, the receiver closes, or the lock expires.
    """

    async def receive(self, max_messages: int = 1) -> list[ReceivedDeadLetter]:
        """Up to `max_messages` dead letters no one holds, in sequence order, each locked."""
        ...

    async def complete(self, dead_letter: ReceivedDeadLetter) -> None:
        """Remove the dead letter for good (raises `ValueError` if this receiver lost it)."""
        ...

    async def abandon(self, dead_letter: ReceivedDeadLetter) -> None:
        """Give the dead letter back, unchanged, for any receiver."""
        ...

    async def close(self) -> None:
        """Give back every dead letter this receiver still holds."""
        ...


class SessionReceiver(Protocol):
    """One accepted session: receive its messages in order and settle each of them."""

    @property
    def session_id(self) -> str: ...

    @property
    def locked_until(self) -> datetime: ...

    async def receive(self, max_messages: int = 1) -> list[ReceivedMessage]:
        """Up to `max_messages` deliverable messages of this session, oldest first, locked."""
        ...

    async def complete(self, message: ReceivedMessage) -> None:
        """Remove the message: it was handled."""
        ...

    async def abandon(self, message: ReceivedMessage) -> None:
        """Give the message back at the head of its session; its delivery count stays raised."""
        ...

    async def dead_letter(
        self, message: ReceivedMessage, *, reason: str, description: str = ""
    ) -> None:
        """Move the message to the dead-letter sub-queue with a reason a person can act on."""
        ...

    async def defer(self, message: ReceivedMessage) -> None:
        """Set the message aside; only `receive_deferred` with its sequence number returns it."""
        ...

    async def receive_deferred(self, sequence_numbers: list[int]) -> list[ReceivedMessage]:
        """The deferred messages of this session with these sequence numbers, locked."""
        ...

    async def renew_lock(self) -> datetime:
        """Extend the session lock; raises `SessionLockLost` if it is already gone."""
        ...

    async def close(self) -> None:
        """Release the session lock; unsettled messages become deliverable again."""
        ...


class Bus(Protocol):
    """A namespace of session-enabled queues."""

    counts_waiting_messages: bool
    """Whether `session_counts` counts active and scheduled messages (else they are None)."""

    async def send(self, queue: str, messages: list[OutgoingMessage]) -> None:
        """Durably enqueue all of `messages` or none (raises `BusUnavailable`, `MessageTooLarge`).

        A message whose id was seen on the queue within the duplicate-detection window is
        accepted and silently dropped, as Service Bus does.
        """
        ...

    async def accept_next_session(
        self, queue: str, *, wait_seconds: float = 0.0, prefetch: int = 0
    ) -> SessionReceiver:
        """Lock the next free session that has deliverable messages, least recently served first.

        `prefetch`: how many of its messages to fetch with the lock (locked and counted as
        delivered, as Service Bus's prefetch); ask for no more than the first `receive` takes,
        or the rest go back with a raised delivery count. Raises `NoSessionAvailable` when none
        is free within `wait_seconds`.
        """
        ...

    async def accept_session(self, queue: str, session_id: str) -> SessionReceiver:
        """Lock one named session (raises `NoSessionAvailable` if another receiver holds it)."""
        ...

    async def peek_dead_letters(
        self, queue: str, *, max_count: int = 100, from_sequence_number: int = 0
    ) -> list[DeadLetter]:
        """Dead letters of a queue in sequence order, without locking them."""
        ...

    async def open_dead_letter_receiver(self, queue: str) -> DeadLetterReceiver:
        """A peek-lock receiver of the queue's dead letters."""
        ...

    async def session_counts(self, queue: str) -> list[SessionCounts]:
        """What each session holding any message of the queue holds, by session id.

        Expired messages count as dead-lettered. Service Bus cannot count a session's active
        and scheduled messages without taking its lock, so its adapter leaves those None.
        """
        ...

    async def ping(self) -> None:
        """Raise `BusUnavailable` unless the bus answers."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
