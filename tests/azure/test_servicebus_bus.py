"""The Service Bus adapter, against a recording fake of the SDK client (nothing connects).

The batches are the SDK's real `ServiceBusMessageBatch`, so sizes and limits are the SDK's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.servicebus import (
    NEXT_AVAILABLE_SESSION,
    ServiceBusMessage,
    ServiceBusMessageBatch,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import (
    OperationTimeoutError,
    ServiceBusConnectionError,
    SessionCannotBeLockedError,
    SessionLockLostError,
)

from shared.adapters.azure.servicebus import ServiceBusBus
from shared.contracts.envelope import Envelope
from shared.messages import job_id_of, to_message
from shared.ports.bus import (
    MAX_MESSAGE_BYTES,
    BusUnavailable,
    MessageTooLarge,
    NoSessionAvailable,
    OutgoingMessage,
    SessionLockLost,
)


class RecordingBatch(ServiceBusMessageBatch):
    """The SDK's batch, remembering what was added to it."""

    def __init__(self, max_size_in_bytes: int) -> None:
        super().__init__(max_size_in_bytes=max_size_in_bytes)
        self.added: list[ServiceBusMessage] = []

    def add_message(self, message: Any) -> None:
        super().add_message(message)
        self.added.append(message)


@dataclass
class RecordingSender:
    queue: str
    sent: list[list[ServiceBusMessage]] = field(default_factory=list)
    fail_with: Exception | None = None
    closed: bool = False

    async def create_message_batch(self, max_size_in_bytes: int | None = None) -> RecordingBatch:
        if self.fail_with is not None:
            raise self.fail_with
        return RecordingBatch(max_size_in_bytes or MAX_MESSAGE_BYTES)

    async def send_messages(self, batch: RecordingBatch) -> None:
        self.sent.append(list(batch.added))

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeReceived:
    """The attributes of an SDK `ServiceBusReceivedMessage` the adapter reads."""

    body: Any
    session_id: str
    message_id: str
    sequence_number: int
    delivery_count: int = 0
    """As the SDK returns it: the AMQP header's count of previous attempts."""
    lock_token: str = "lock-1"
    content_type: str = "application/json"
    enqueued_time_utc: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    application_properties: dict[bytes, Any] = field(default_factory=dict)
    dead_letter_reason: str | None = None
    dead_letter_error_description: str | None = None


@dataclass
class FakeSession:
    session_id: str
    locked_until_utc: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    lost: bool = False

    async def renew_lock(self) -> datetime:
        if self.lost:
            raise SessionLockLostError(message="gone")
        self.locked_until_utc += timedelta(seconds=30)
        return self.locked_until_utc


@dataclass
class RecordingReceiver:
    options: dict[str, Any]
    queued: list[FakeReceived] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    no_session: bool = False
    session: FakeSession = field(default_factory=lambda: FakeSession("contoso"))

    async def __aenter__(self) -> RecordingReceiver:
        if self.no_session:
            raise OperationTimeoutError(message="no session")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def receive_messages(self, max_message_count: int, max_wait_time: float) -> list[Any]:
        taken, self.queued = self.queued[:max_message_count], self.queued[max_message_count:]
        return taken

    async def peek_messages(self, max_message_count: int, sequence_number: int) -> list[Any]:
        self.calls.append(("peek", (max_message_count, sequence_number)))
        return self.queued[:max_message_count]

    async def complete_message(self, message: FakeReceived) -> None:
        self.calls.append(("complete", message.message_id))

    async def abandon_message(self, message: FakeReceived) -> None:
        self.calls.append(("abandon", message.message_id))

    async def dead_letter_message(
        self, message: FakeReceived, reason: str, error_description: str
    ) -> None:
        self.calls.append(("dead_letter", (message.message_id, reason, error_description)))

    async def defer_message(self, message: FakeReceived) -> None:
        self.calls.append(("defer", message.message_id))

    async def close(self) -> None:
        self.calls.append(("close", None))


@dataclass
class RecordingClient:
    """The slice of `azure.servicebus.aio.ServiceBusClient` the adapter uses."""

    senders: dict[str, RecordingSender] = field(default_factory=dict)
    receivers: list[RecordingReceiver] = field(default_factory=list)
    next_receiver: RecordingReceiver | None = None
    closed: bool = False

    def get_queue_sender(self, queue_name: str) -> RecordingSender:
        return self.senders.setdefault(queue_name, RecordingSender(queue_name))

    def get_queue_receiver(self, queue_name: str, **options: Any) -> RecordingReceiver:
        receiver = self.next_receiver or RecordingReceiver({})
        receiver.options = {"queue": queue_name, **options}
        self.next_receiver = None
        self.receivers.append(receiver)
        return receiver

    async def close(self) -> None:
        self.closed = True


@pytest.fixture
def client() -> RecordingClient:
    return RecordingClient()


@pytest.fixture
def bus(client: RecordingClient) -> ServiceBusBus:
    return ServiceBusBus(client)  # type: ignore[arg-type]


async def test_a_command_is_sent_with_its_session_id_type_properties_and_ttl(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    envelope = Envelope(
        type="agent.create",
        tenant_id="contoso",
        subject="u",
        data={"name": "a"},
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        session_id="contoso:1",
    )
    await bus.send("commands", [to_message(envelope, ttl_seconds=3600)])
    (sent,) = client.senders["commands"].sent
    (message,) = sent
    assert message.session_id == "contoso:1"
    assert message.message_id == envelope.command_id
    assert message.content_type == "application/json"
    assert message.application_properties == {
        "type": "agent.create",
        "tenantId": "contoso",
        "traceparent": envelope.traceparent,
        "jobId": job_id_of(envelope),
    }
    assert message.time_to_live == timedelta(hours=1)
    assert b"".join(message.body) == envelope.to_bytes()


async def test_a_scheduled_message_carries_its_enqueue_time_in_utc(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    await bus.send("commands", [OutgoingMessage(b"{}", "contoso", "m1", scheduled_enqueue_time=at)])
    (message,) = client.senders["commands"].sent[0]
    assert message.scheduled_enqueue_time_utc == at


async def test_a_message_over_the_entity_limit_is_refused_and_nothing_is_sent(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    small = OutgoingMessage(b"{}", "contoso", "small")
    big = OutgoingMessage(b"x" * MAX_MESSAGE_BYTES, "contoso", "big")
    with pytest.raises(MessageTooLarge, match="big"):
        await bus.send("commands", [small, big])
    assert client.senders["commands"].sent == []


async def test_a_message_just_under_the_limit_is_sent(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    body = b"x" * (MAX_MESSAGE_BYTES - 1024)
    await bus.send("commands", [OutgoingMessage(body, "contoso", "fits")])
    assert len(client.senders["commands"].sent) == 1


async def test_a_naive_schedule_is_refused_before_anything_is_sent(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    naive = OutgoingMessage(b"{}", "contoso", "m", scheduled_enqueue_time=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone"):
        await bus.send("commands", [naive])
    assert "commands" not in client.senders


async def test_a_connection_failure_is_bus_unavailable(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    client.get_queue_sender("commands").fail_with = ServiceBusConnectionError(message="down")
    with pytest.raises(BusUnavailable, match="ServiceBusConnectionError"):
        await bus.send("commands", [OutgoingMessage(b"{}", "contoso", "m")])


async def test_the_next_session_is_asked_of_the_service_and_its_messages_are_decoded(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    received = FakeReceived(
        body=iter([b'{"a":', b"1}"]),
        session_id="contoso",
        message_id="job_1",
        sequence_number=7,
        delivery_count=1,
        application_properties={b"type": b"agent.create", b"tenantId": b"contoso"},
    )
    client.next_receiver = RecordingReceiver({}, queued=[received])
    session = await bus.accept_next_session("commands", wait_seconds=20, prefetch=16)
    assert client.receivers[0].options == {
        "queue": "commands",
        "session_id": NEXT_AVAILABLE_SESSION,
        "max_wait_time": 20,
        "prefetch_count": 16,
    }
    assert session.session_id == "contoso"
    (message,) = await session.receive(5)
    assert message.body == b'{"a":1}'
    assert message.application_properties == {"type": "agent.create", "tenantId": "contoso"}
    assert (message.sequence_number, message.delivery_count) == (7, 2)


async def test_settlement_reaches_the_sdk_with_the_dead_letter_reason(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    queued = [
        FakeReceived(b"{}", "contoso", f"m{i}", sequence_number=i, lock_token=f"l{i}")
        for i in range(4)
    ]
    client.next_receiver = RecordingReceiver({}, queued=queued)
    session = await bus.accept_session("commands", "contoso")
    first, second, third, fourth = await session.receive(4)
    await session.complete(first)
    await session.abandon(second)
    await session.dead_letter(third, reason="InvalidCommand", description="name: missing")
    await session.defer(fourth)
    await session.close()
    assert client.receivers[0].calls == [
        ("complete", "m0"),
        ("abandon", "m1"),
        ("dead_letter", ("m2", "InvalidCommand", "name: missing")),
        ("defer", "m3"),
        ("close", None),
    ]


async def test_settling_a_message_twice_is_a_lost_lock(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    client.next_receiver = RecordingReceiver({}, queued=[FakeReceived(b"{}", "contoso", "m", 1)])
    session = await bus.accept_session("commands", "contoso")
    (message,) = await session.receive()
    await session.complete(message)
    with pytest.raises(SessionLockLost):
        await session.complete(message)


async def test_no_free_session_is_no_session_available(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    client.next_receiver = RecordingReceiver({}, no_session=True)
    with pytest.raises(NoSessionAvailable):
        await bus.accept_next_session("commands")


async def test_a_lost_session_lock_is_reported_on_renewal(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    client.next_receiver = RecordingReceiver({})
    session = await bus.accept_session("commands", "contoso")
    renewed = await session.renew_lock()
    assert renewed == datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC)
    client.receivers[0].session.lost = True
    with pytest.raises(SessionLockLost):
        await session.renew_lock()


async def test_dead_letters_are_peeked_from_the_sub_queue_with_their_reasons(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    dead = FakeReceived(
        b"{}",
        "contoso",
        "job_9",
        sequence_number=12,
        delivery_count=10,
        dead_letter_reason="MaxDeliveryCountExceeded",
        dead_letter_error_description="RuntimeError: boom",
    )
    client.next_receiver = RecordingReceiver({}, queued=[dead])
    (letter,) = await bus.peek_dead_letters("commands", max_count=5, from_sequence_number=3)
    receiver = client.receivers[0]
    assert receiver.options == {"queue": "commands", "sub_queue": ServiceBusSubQueue.DEAD_LETTER}
    assert receiver.calls[0] == ("peek", (5, 3))
    assert (letter.reason, letter.description) == (
        "MaxDeliveryCountExceeded",
        "RuntimeError: boom",
    )


async def test_session_counts_are_dead_letters_per_session_peeked_without_a_session_lock(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    letters = [
        FakeReceived(b"{}", session, f"m{n}", sequence_number=n, dead_letter_reason="Test")
        for n, session in enumerate(["contoso", "fabrikam", "contoso"])
    ]
    client.next_receiver = RecordingReceiver({}, queued=letters)

    counts = await bus.session_counts("commands")

    assert [(c.session_id, c.active, c.scheduled, c.dead_lettered) for c in counts] == [
        ("contoso", None, None, 2),
        ("fabrikam", None, None, 1),
    ]
    assert client.receivers[0].options == {
        "queue": "commands",
        "sub_queue": ServiceBusSubQueue.DEAD_LETTER,
    }


async def test_dead_letters_are_received_locked_for_replay_then_completed(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    dead = FakeReceived(
        b"{}", "contoso", "job_9", sequence_number=12, dead_letter_reason="InvalidCommand"
    )
    client.next_receiver = RecordingReceiver({}, queued=[dead])
    receiver = await bus.open_dead_letter_receiver("commands")
    assert client.receivers[0].options == {
        "queue": "commands",
        "sub_queue": ServiceBusSubQueue.DEAD_LETTER,
    }
    (letter,) = await receiver.receive(10)
    assert (letter.reason, letter.lock_token, letter.session_id) == (
        "InvalidCommand",
        "lock-1",
        "contoso",
    )
    await receiver.complete(letter)
    with pytest.raises(ValueError, match="not held"):
        await receiver.complete(letter)
    await receiver.close()
    assert client.receivers[0].calls == [("complete", "job_9"), ("close", None)]


async def test_closing_closes_the_senders_and_the_client(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    await bus.send("commands", [OutgoingMessage(b"{}", "contoso", "m")])
    await bus.close()
    assert client.senders["commands"].closed and client.closed


class TimingOutReceiver(RecordingReceiver):
    """A receiver whose every call after opening times out, as on a stalled connection."""

    async def _time_out(self, *args: Any, **kwargs: Any) -> Any:
        raise OperationTimeoutError(message="no answer")

    complete_message = abandon_message = defer_message = _time_out  # type: ignore[assignment]
    dead_letter_message = receive_messages = _time_out  # type: ignore[assignment]


SETTLEMENTS = ["complete", "abandon", "dead_letter", "defer", "receive"]


@pytest.mark.parametrize("operation", SETTLEMENTS)
async def test_a_timeout_once_a_session_is_held_is_the_bus_unavailable_not_no_session(
    bus: ServiceBusBus, client: RecordingClient, operation: str
) -> None:
    client.next_receiver = RecordingReceiver({}, queued=[FakeReceived(b"{}", "contoso", "m", 1)])
    session = await bus.accept_session("commands", "contoso")
    (message,) = await session.receive()
    session._receiver = TimingOutReceiver({})  # type: ignore[assignment]
    call = {
        "complete": lambda: session.complete(message),
        "abandon": lambda: session.abandon(message),
        "dead_letter": lambda: session.dead_letter(message, reason="r"),
        "defer": lambda: session.defer(message),
        "receive": lambda: session.receive(),
    }[operation]
    with pytest.raises(BusUnavailable, match="did not answer in time"):
        await call()


async def test_a_send_that_times_out_is_the_bus_unavailable(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    client.get_queue_sender("commands").fail_with = OperationTimeoutError(message="slow")
    with pytest.raises(BusUnavailable):
        await bus.send("commands", [OutgoingMessage(b"{}", "contoso", "m")])


OPEN_FAILURES = [
    OperationTimeoutError(message="no session"),
    ServiceBusConnectionError(message="down"),
    SessionCannotBeLockedError(message="held"),
]


class FailingToOpen(RecordingReceiver):
    failure: Exception = OPEN_FAILURES[0]

    async def __aenter__(self) -> RecordingReceiver:
        raise self.failure


@pytest.mark.parametrize("failure", OPEN_FAILURES, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("opening", ["next_session", "named_session", "dead_letters", "peek"])
async def test_a_receiver_that_fails_to_open_is_closed(
    bus: ServiceBusBus, client: RecordingClient, failure: Exception, opening: str
) -> None:
    receiver = FailingToOpen({})
    receiver.failure = failure
    client.next_receiver = receiver
    call = {
        "next_session": lambda: bus.accept_next_session("commands"),
        "named_session": lambda: bus.accept_session("commands", "contoso"),
        "dead_letters": lambda: bus.open_dead_letter_receiver("commands"),
        "peek": lambda: bus.peek_dead_letters("commands"),
    }[opening]
    with pytest.raises((NoSessionAvailable, BusUnavailable)):
        await call()
    assert receiver.calls == [("close", None)]


async def test_the_next_session_gets_time_for_a_cold_connection_even_when_polled(
    bus: ServiceBusBus, client: RecordingClient
) -> None:
    from shared.adapters.azure.servicebus import SESSION_CONNECT_SECONDS

    await bus.accept_next_session("commands", wait_seconds=0.0)
    assert client.receivers[0].options["max_wait_time"] == SESSION_CONNECT_SECONDS >= 5.0
    await bus.accept_next_session("commands", wait_seconds=30.0)
    assert client.receivers[1].options["max_wait_time"] == 30.0


@pytest.mark.parametrize("delivery", [1, 2, 9, 10])
def test_a_received_message_counts_its_deliveries_from_one_as_the_port_does(
    delivery: int,
) -> None:
    from shared.adapters.azure.servicebus_messages import from_sdk
    from tests.functions.received_messages import sdk_message

    message = sdk_message(b"{}", message_id="m", session_id="contoso", delivery=delivery)
    assert message.delivery_count == delivery - 1, "the SDK gives the AMQP header as it is"
    assert from_sdk(message).delivery_count == delivery
