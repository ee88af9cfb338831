"""The `Bus` port on Azure Service Bus (`azure-servicebus`, async).

Queues are session-enabled entities made by the infrastructure; this adapter only sends and
receives. A send is one `ServiceBusMessageBatch`, so it is all or nothing, and a message over
the entity's size limit is refused before anything is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Generic, TypeVar

from azure.servicebus import NEXT_AVAILABLE_SESSION, ServiceBusReceivedMessage, ServiceBusSubQueue
from azure.servicebus.aio import ServiceBusClient, ServiceBusReceiver, ServiceBusSender
from azure.servicebus.exceptions import (
    MessageLockLostError,
    MessageSizeExceededError,
    OperationTimeoutError,
    ServiceBusError,
    SessionCannotBeLockedError,
    SessionLockLostError,
)

from shared.adapters.azure.servicebus_messages import (
    dead_letter_of,
    from_sdk,
    locked_dead_letter_of,
    to_sdk,
)
from shared.ports.bus import (
    BusUnavailable,
    DeadLetter,
    MessageTooLarge,
    NoSessionAvailable,
    OutgoingMessage,
    ReceivedDeadLetter,
    ReceivedMessage,
    SessionCounts,
    SessionLockLost,
)

_PEEK_PAGE = 250
SESSION_CONNECT_SECONDS = 5.0
"""The least time given to lock the next available session: on a cold connection the AMQP
handshake and the claims-based authentication alone can take a second or more, and the SDK
counts them against this timeout (`max_wait_time` of a `NEXT_AVAILABLE_SESSION` receiver)."""


@asynccontextmanager
async def _translated(*, accepting: bool = False) -> AsyncIterator[None]:
    """SDK errors as the port's: lost locks, no session, or the bus unavailable.

    A timeout is "no session" only while a session is being accepted (the service had none to
    hand out in time); on a send, a settlement or a receive it is the bus not answering.
    """
    try:
        yield
    except (SessionLockLostError, MessageLockLostError) as exc:
        raise SessionLockLost(str(exc)) from exc
    except SessionCannotBeLockedError as exc:
        raise NoSessionAvailable(str(exc)) from exc
    except OperationTimeoutError as exc:
        if accepting:
            raise NoSessionAvailable(str(exc)) from exc
        raise BusUnavailable(f"Service Bus did not answer in time: {exc}") from exc
    except MessageSizeExceededError as exc:
        raise MessageTooLarge(str(exc)) from exc
    except ServiceBusError as exc:
        raise BusUnavailable(f"Service Bus: {type(exc).__name__}: {exc}") from exc


async def _opened(receiver: ServiceBusReceiver, *, accepting: bool) -> None:
    """Open the receiver's link; a receiver that fails to open is closed, not left behind."""
    try:
        async with _translated(accepting=accepting):
            await receiver.__aenter__()
    except BaseException:
        with contextlib.suppress(Exception):
            await receiver.close()
        raise


class ServiceBusBus:
    """Sends through one cached sender per queue; receives one session per receiver."""

    counts_waiting_messages = False
    """Service Bus counts whole queues only; a session's messages are peeked under its lock."""

    def __init__(self, client: ServiceBusClient, *, receive_wait_seconds: float = 1.0) -> None:
        self._client = client
        self._senders: dict[str, ServiceBusSender] = {}
        self._sender_lock = asyncio.Lock()
        self._receive_wait = receive_wait_seconds

    async def _sender(self, queue: str) -> ServiceBusSender:
        async with self._sender_lock:
            sender = self._senders.get(queue)
            if sender is None:
                sender = self._client.get_queue_sender(queue)
                self._senders[queue] = sender
            return sender

    async def send(self, queue: str, messages: list[OutgoingMessage]) -> None:
        """Send all of `messages` in one batch, or nothing (`MessageTooLarge`, `BusUnavailable`)."""
        if not messages:
            return
        sdk_messages = [to_sdk(message) for message in messages]
        async with _translated():
            sender = await self._sender(queue)
            batch = await sender.create_message_batch()
            for message, sdk_message in zip(messages, sdk_messages, strict=True):
                try:
                    batch.add_message(sdk_message)
                except MessageSizeExceededError as exc:
                    raise MessageTooLarge(
                        f"message {message.message_id!r} does not fit the entity's limit of "
                        f"{batch.max_size_in_bytes} bytes (with the {len(batch)} before it)"
                    ) from exc
            await sender.send_messages(batch)

    async def accept_next_session(
        self, queue: str, *, wait_seconds: float = 0.0, prefetch: int = 0
    ) -> ServiceBusSessionReceiver:
        """Lock the next session with messages the service hands out (`NoSessionAvailable`);
        `prefetch` becomes the receiver's `prefetch_count`."""
        receiver = self._client.get_queue_receiver(
            queue,
            session_id=NEXT_AVAILABLE_SESSION,
            max_wait_time=max(wait_seconds, SESSION_CONNECT_SECONDS),
            prefetch_count=prefetch,
        )
        return await ServiceBusSessionReceiver.open(receiver, self._receive_wait, accepting=True)

    async def accept_session(self, queue: str, session_id: str) -> ServiceBusSessionReceiver:
        """Lock one named session (`NoSessionAvailable` if another receiver holds it)."""
        receiver = self._client.get_queue_receiver(queue, session_id=session_id)
        return await ServiceBusSessionReceiver.open(receiver, self._receive_wait, accepting=True)

    async def peek_dead_letters(
        self, queue: str, *, max_count: int = 100, from_sequence_number: int = 0
    ) -> list[DeadLetter]:
        """Dead letters of a queue in sequence order, without locking them."""
        receiver = self._client.get_queue_receiver(queue, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
        await _opened(receiver, accepting=False)
        try:
            async with _translated():
                peeked = await receiver.peek_messages(
                    max_message_count=max_count, sequence_number=from_sequence_number
                )
        finally:
            await receiver.close()
        return [dead_letter_of(message) for message in peeked]

    async def open_dead_letter_receiver(self, queue: str) -> ServiceBusDeadLetterReceiver:
        """A peek-lock receiver of the queue's dead-letter sub-queue (which has no sessions)."""
        receiver = self._client.get_queue_receiver(queue, sub_queue=ServiceBusSubQueue.DEAD_LETTER)
        await _opened(receiver, accepting=False)
        return ServiceBusDeadLetterReceiver(receiver, self._receive_wait)

    async def session_counts(self, queue: str) -> list[SessionCounts]:
        """Dead letters per session, by peeking the dead-letter sub-queue (which has no sessions).

        Active and scheduled messages are None: peeking a session's messages needs its lock,
        which would stall the workers, and the service counts only whole queues.
        """
        dead: Counter[str] = Counter()
        start = 0
        while True:
            page = await self.peek_dead_letters(
                queue, max_count=_PEEK_PAGE, from_sequence_number=start
            )
            dead.update(d.session_id for d in page)
            if len(page) < _PEEK_PAGE:
                break
            start = page[-1].sequence_number + 1
        return [
            SessionCounts(session_id=s, active=None, scheduled=None, dead_lettered=n)
            for s, n in sorted(dead.items())
        ]

    async def ping(self) -> None:
        """Raise `BusUnavailable` unless a sender link to the commands queue opens."""
        from shared.queues import COMMANDS

        async with _translated():
            sender = await self._sender(COMMANDS)
            await sender.__aenter__()

    async def close(self) -> None:
        """Close the senders and the client's connection."""
        for sender in list(self._senders.values()):
            await sender.close()
        self._senders.clear()
        await self._client.close()


Held = TypeVar("Held", ReceivedMessage, ReceivedDeadLetter)


class _PeekLockLink(Generic[Held]):
    """A receiver link whose SDK messages are kept by lock token until they are settled."""

    def __init__(self, receiver: ServiceBusReceiver, receive_wait_seconds: float) -> None:
        self._receiver = receiver
        self._wait = receive_wait_seconds
        self._locked: dict[str, ServiceBusReceivedMessage] = {}

    def _port(self, message: ServiceBusReceivedMessage) -> Held:
        """The SDK message as the port describes it."""
        raise NotImplementedError

    def _not_held(self, held: Held) -> Exception:
        """The error for settling a message this link does not hold."""
        raise NotImplementedError

    async def receive(self, max_messages: int = 1) -> list[Held]:
        """Up to `max_messages` messages, oldest first, each locked to this link."""
        async with _translated():
            received = await self._receiver.receive_messages(
                max_message_count=max_messages, max_wait_time=self._wait
            )
        return [self._keep(message) for message in received]

    def _keep(self, message: ServiceBusReceivedMessage) -> Held:
        held = self._port(message)
        self._locked[held.lock_token] = message
        return held

    def _sdk(self, held: Held) -> ServiceBusReceivedMessage:
        try:
            return self._locked.pop(held.lock_token)
        except KeyError:
            raise self._not_held(held) from None

    async def complete(self, message: Held) -> None:
        """Remove the message for good: it was handled."""
        async with _translated():
            await self._receiver.complete_message(self._sdk(message))

    async def abandon(self, message: Held) -> None:
        """Give the message back, to be received again."""
        async with _translated():
            await self._receiver.abandon_message(self._sdk(message))

    async def close(self) -> None:
        """Close the link; messages still held are given back (delivered again)."""
        self._locked.clear()
        async with _translated():
            await self._receiver.close()


class ServiceBusSessionReceiver(_PeekLockLink[ReceivedMessage]):
    """One accepted session; the SDK messages are kept by lock token until they are settled."""

    @classmethod
    async def open(
        cls, receiver: ServiceBusReceiver, receive_wait_seconds: float, *, accepting: bool
    ) -> ServiceBusSessionReceiver:
        """Open the receiver's link, which locks its session (closed again if that fails)."""
        await _opened(receiver, accepting=accepting)
        return cls(receiver, receive_wait_seconds)

    @property
    def session_id(self) -> str:
        """The accepted session."""
        return str(self._receiver.session.session_id)

    @property
    def locked_until(self) -> datetime:
        """When the session lock expires unless renewed."""
        until = self._receiver.session.locked_until_utc
        return until or datetime.now(UTC)

    def _port(self, message: ServiceBusReceivedMessage) -> ReceivedMessage:
        return from_sdk(message)

    def _not_held(self, held: ReceivedMessage) -> Exception:
        return SessionLockLost(f"message {held.message_id!r} is not locked here")

    async def dead_letter(
        self, message: ReceivedMessage, *, reason: str, description: str = ""
    ) -> None:
        """Move the message to the dead-letter sub-queue with its reason."""
        async with _translated():
            await self._receiver.dead_letter_message(
                self._sdk(message), reason=reason, error_description=description
            )

    async def defer(self, message: ReceivedMessage) -> None:
        """Set the message aside until `receive_deferred` asks for its sequence number."""
        async with _translated():
            await self._receiver.defer_message(self._sdk(message))

    async def receive_deferred(self, sequence_numbers: list[int]) -> list[ReceivedMessage]:
        """The deferred messages of this session with these sequence numbers, locked."""
        if not sequence_numbers:
            return []
        async with _translated():
            received = await self._receiver.receive_deferred_messages(sequence_numbers)
        return [self._keep(message) for message in received]

    async def renew_lock(self) -> datetime:
        """Extend the session lock (`SessionLockLost` if it is gone)."""
        async with _translated():
            return await self._receiver.session.renew_lock()


class ServiceBusDeadLetterReceiver(_PeekLockLink[ReceivedDeadLetter]):
    """Peek-lock receiving from a dead-letter sub-queue, for replay and purge."""

    def _port(self, message: ServiceBusReceivedMessage) -> ReceivedDeadLetter:
        return locked_dead_letter_of(message)

    def _not_held(self, held: ReceivedDeadLetter) -> Exception:
        return ValueError(f"dead letter {held.message_id!r} is not held here")
