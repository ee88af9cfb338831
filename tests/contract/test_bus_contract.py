"""The bus contract: Service Bus semantics that every `Bus` adapter keeps.

Each test runs against every adapter in `ADAPTERS` through a `BusHarness`, which also says
how to move the bus's time (a clock that jumps locally; a real wait against Service Bus) and
how a child process builds a client on the same namespace.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.local.bus import SqliteBus
from shared.ports.bus import (
    MAX_MESSAGE_BYTES,
    Bus,
    BusUnavailable,
    MessageTooLarge,
    NoSessionAvailable,
    OutgoingMessage,
    SessionLockLost,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
ADAPTERS = ["local"]


class JumpingClock:
    """The wall clock, which a test can move forward (child processes keep the real one)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class BusHarness:
    """One adapter under test, with what the contract needs to drive it."""

    bus: Bus
    queue: str
    open_bus: Callable[[], Bus]
    """Another client on the same namespace (and the same time)."""
    advance: Callable[[float], Awaitable[None]]
    now: Callable[[], datetime]
    lock_duration: float
    duplicate_window: float
    max_delivery_count: int
    child_preamble: str
    """Python source that imports what a child process needs and binds `bus`."""


async def _local_harness(tmp_path: Path) -> AsyncIterator[BusHarness]:
    clock = JumpingClock()
    path = tmp_path / "bus.sqlite3"
    opened: list[SqliteBus] = []

    def open_bus() -> SqliteBus:
        bus = SqliteBus(
            path,
            lock_duration_seconds=30.0,
            duplicate_window_seconds=600.0,
            max_delivery_count=10,
            clock=clock,
        )
        opened.append(bus)
        return bus

    async def advance(seconds: float) -> None:
        clock.advance(seconds)

    preamble = f"""
        from pathlib import Path
        from shared.adapters.local.bus import SqliteBus
        bus = SqliteBus(Path({str(path)!r}))
    """
    yield BusHarness(
        bus=open_bus(),
        queue="commands",
        open_bus=open_bus,
        advance=advance,
        now=lambda: datetime.fromtimestamp(clock(), UTC),
        lock_duration=30.0,
        duplicate_window=600.0,
        max_delivery_count=10,
        child_preamble=textwrap.dedent(preamble),
    )
    for bus in opened:
        await bus.close()


@pytest.fixture(params=ADAPTERS)
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BusHarness]:
    builders = {"local": _local_harness}
    async for built in builders[request.param](tmp_path):
        yield built


def message(session_id: str, message_id: str | None = None, **fields: Any) -> OutgoingMessage:
    message_id = message_id or uuid.uuid4().hex
    fields.setdefault("body", f'{{"id": "{message_id}"}}'.encode())
    return OutgoingMessage(session_id=session_id, message_id=message_id, **fields)


def run_child(harness: BusHarness, body: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `body` (async code using `bus` and `QUEUE`) in a fresh Python process."""
    source = (
        "import asyncio, os, signal, sys, time\n"
        "from shared.ports.bus import *\n"
        + harness.child_preamble
        + f"QUEUE = {harness.queue!r}\n"
        + "async def main():\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "\nasyncio.run(main())\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-c", source, *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- sessions ------------------------------------------------------------------------------


async def test_messages_of_a_session_are_received_in_fifo_order(harness: BusHarness) -> None:
    bus, queue = harness.bus, harness.queue
    await bus.send(queue, [message("t1", f"m{i}") for i in range(5)])
    for i in range(5, 10):
        await bus.send(queue, [message("t1", f"m{i}")])

    receiver = await bus.accept_next_session(queue)
    received = await receiver.receive(10) + await receiver.receive(10)

    assert [m.message_id for m in received] == [f"m{i}" for i in range(10)]
    sequence_numbers = [m.sequence_number for m in received]
    assert sequence_numbers == sorted(sequence_numbers)
    assert all(m.delivery_count == 1 and m.session_id == "t1" for m in received)


async def test_a_received_message_carries_what_was_sent(harness: BusHarness) -> None:
    properties = {"type": "agents.create", "attempt": 2, "ratio": 0.5, "urgent": True}
    sent = message("t1", "m1", body=b"\x00{}", application_properties=properties)
    await harness.bus.send(harness.queue, [sent])

    receiver = await harness.bus.accept_session(harness.queue, "t1")
    [received] = await receiver.receive()

    assert received.body == b"\x00{}"
    assert received.content_type == "application/json"
    assert dict(received.application_properties) == properties
    assert abs((received.enqueued_time - harness.now()).total_seconds()) < 5


async def test_different_sessions_are_served_in_parallel(harness: BusHarness) -> None:
    bus, queue = harness.bus, harness.queue
    await bus.send(queue, [message("t1"), message("t2")])

    first = await bus.accept_next_session(queue)
    second = await harness.open_bus().accept_next_session(queue)
    batches = await asyncio.gather(first.receive(), second.receive())

    assert {first.session_id, second.session_id} == {"t1", "t2"}
    assert [len(batch) for batch in batches] == [1, 1]
    with pytest.raises(NoSessionAvailable):
        await bus.accept_next_session(queue)


async def test_a_locked_session_cannot_be_accepted_a_second_time(harness: BusHarness) -> None:
    bus, queue = harness.bus, harness.queue
    await bus.send(queue, [message("t1")])
    await bus.accept_session(queue, "t1")

    with pytest.raises(NoSessionAvailable):
        await bus.accept_session(queue, "t1")
    with pytest.raises(NoSessionAvailable):
        await harness.open_bus().accept_session(queue, "t1")
    with pytest.raises(NoSessionAvailable):
        await bus.accept_next_session(queue)


async def test_an_empty_session_can_be_accepted_by_name(harness: BusHarness) -> None:
    receiver = await harness.bus.accept_session(harness.queue, "nobody-sent-here")

    assert receiver.session_id == "nobody-sent-here"
    assert await receiver.receive(5) == []


async def test_accept_next_session_waits_for_a_message(harness: BusHarness) -> None:
    waiting = asyncio.create_task(harness.bus.accept_next_session(harness.queue, wait_seconds=5))
    await asyncio.sleep(0.05)
    await harness.open_bus().send(harness.queue, [message("late")])

    receiver = await asyncio.wait_for(waiting, timeout=5)

    assert receiver.session_id == "late"


async def test_accept_next_session_gives_up_after_the_wait(harness: BusHarness) -> None:
    started = time.monotonic()
    with pytest.raises(NoSessionAvailable):
        await harness.bus.accept_next_session(harness.queue, wait_seconds=0.2)
    assert 0.15 < time.monotonic() - started < 2


@pytest.mark.slow
async def test_only_one_of_two_processes_competing_for_a_session_gets_it(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("contested")])
    start_at = str(time.time() + 2.0)
    body = """
        start_at = float(sys.argv[1])
        await asyncio.sleep(max(0.0, start_at - time.time()))
        try:
            receiver = await bus.accept_next_session(QUEUE)
            print("got", receiver.session_id)
        except NoSessionAvailable:
            print("none")
        await asyncio.sleep(max(0.0, start_at + 1.0 - time.time()))  # hold until both tried
        await bus.close()
    """

    results = await asyncio.gather(
        asyncio.to_thread(run_child, harness, body, start_at),
        asyncio.to_thread(run_child, harness, body, start_at),
    )

    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert sorted(r.stdout.strip() for r in results) == ["got contested", "none"]


# --- session locks -------------------------------------------------------------------------


async def test_an_expired_session_lock_lets_another_receiver_redeliver_with_count_plus_one(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1")])
    first = await harness.bus.accept_next_session(harness.queue)
    [delivered] = await first.receive()

    await harness.advance(harness.lock_duration + 1)
    second = await harness.open_bus().accept_next_session(harness.queue)
    [redelivered] = await second.receive()

    assert second.session_id == "t1"
    assert redelivered.message_id == "m1"
    assert redelivered.delivery_count == delivered.delivery_count + 1
    with pytest.raises(SessionLockLost):
        await first.complete(delivered)
    await second.complete(redelivered)


async def test_renewing_the_lock_keeps_the_session(harness: BusHarness) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    first_deadline = receiver.locked_until

    await harness.advance(harness.lock_duration * 0.8)
    renewed = await receiver.renew_lock()
    await harness.advance(harness.lock_duration * 0.8)

    assert renewed > first_deadline
    assert receiver.locked_until == renewed
    with pytest.raises(NoSessionAvailable):
        await harness.open_bus().accept_session(harness.queue, "t1")
    [received] = await receiver.receive()
    await receiver.complete(received)


async def test_settling_after_the_session_lock_was_lost_raises_session_lock_lost(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    [received] = await receiver.receive()

    await harness.advance(harness.lock_duration + 1)

    for settle in (receiver.complete, receiver.abandon, receiver.defer):
        with pytest.raises(SessionLockLost):
            await settle(received)
    with pytest.raises(SessionLockLost):
        await receiver.dead_letter(received, reason="Whatever")
    with pytest.raises(SessionLockLost):
        await receiver.receive()
    with pytest.raises(SessionLockLost):
        await receiver.renew_lock()


async def test_closing_a_receiver_makes_its_unsettled_messages_deliverable_again(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1"), message("t1", "m2")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    await receiver.receive(2)
    await receiver.close()

    again = await harness.open_bus().accept_next_session(harness.queue)
    redelivered = await again.receive(2)

    assert [(m.message_id, m.delivery_count) for m in redelivered] == [("m1", 2), ("m2", 2)]


async def test_closing_the_bus_releases_the_sessions_of_its_receivers(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1")])
    other = harness.open_bus()
    receiver = await other.accept_session(harness.queue, "t1")
    await receiver.receive()
    await other.close()

    again = await harness.bus.accept_next_session(harness.queue)

    assert [(m.message_id, m.delivery_count) for m in await again.receive()] == [("m1", 2)]


# --- settling ------------------------------------------------------------------------------


async def test_complete_removes_the_message(harness: BusHarness) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1"), message("t1", "m2")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    [first] = await receiver.receive()
    await receiver.complete(first)
    await receiver.close()

    again = await harness.bus.accept_session(harness.queue, "t1")

    assert [m.message_id for m in await again.receive(5)] == ["m2"]


async def test_settling_a_message_twice_is_refused(harness: BusHarness) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    [received] = await receiver.receive()
    await receiver.complete(received)

    with pytest.raises(ValueError, match="settled"):
        await receiver.complete(received)


async def test_abandon_puts_the_message_back_at_the_head_with_its_delivery_count(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1"), message("t1", "m2")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    first, second = await receiver.receive(2)
    await receiver.abandon(first)

    [again] = await receiver.receive(5)

    assert (again.message_id, again.delivery_count) == ("m1", 2)
    await receiver.complete(again)
    await receiver.complete(second)


async def test_a_deferred_message_is_only_returned_by_receive_deferred(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "m1"), message("t1", "m2")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    [first] = await receiver.receive()
    await receiver.defer(first)

    assert [m.message_id for m in await receiver.receive(5)] == ["m2"]
    await receiver.close()
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    assert [m.message_id for m in await receiver.receive(5)] == ["m2"]

    [deferred] = await receiver.receive_deferred([first.sequence_number])
    assert (deferred.message_id, deferred.delivery_count) == ("m1", 2)
    await receiver.complete(deferred)
    assert await receiver.receive_deferred([first.sequence_number]) == []


async def test_dead_letter_moves_the_message_with_its_reason(harness: BusHarness) -> None:
    sent = message("t1", "m1", application_properties={"type": "agents.create"})
    await harness.bus.send(harness.queue, [sent])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    [received] = await receiver.receive()

    await receiver.dead_letter(received, reason="InvalidCommand", description="unknown agent")

    [dead] = await harness.bus.peek_dead_letters(harness.queue)
    assert (dead.message_id, dead.session_id, dead.body) == ("m1", "t1", sent.body)
    assert (dead.reason, dead.description) == ("InvalidCommand", "unknown agent")
    assert dead.sequence_number == received.sequence_number
    assert dead.delivery_count == 1
    assert dict(dead.application_properties) == {"type": "agents.create"}
    assert await receiver.receive() == []


async def test_a_message_delivered_max_delivery_count_times_is_dead_lettered(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "poison"), message("t1", "next")])
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    for expected_count in range(1, harness.max_delivery_count + 1):
        [received] = await receiver.receive()
        assert (received.message_id, received.delivery_count) == ("poison", expected_count)
        await receiver.abandon(received)

    assert [m.message_id for m in await receiver.receive()] == ["next"]

    [dead] = await harness.bus.peek_dead_letters(harness.queue)
    assert (dead.message_id, dead.reason) == ("poison", "MaxDeliveryCountExceeded")
    assert dead.delivery_count == harness.max_delivery_count


# --- time ----------------------------------------------------------------------------------


async def test_an_expired_message_is_never_delivered_and_is_dead_lettered(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("t1", "stale", time_to_live_seconds=60)])
    await harness.advance(61)

    with pytest.raises(NoSessionAvailable):
        await harness.bus.accept_next_session(harness.queue)
    [dead] = await harness.bus.peek_dead_letters(harness.queue)
    assert (dead.message_id, dead.reason) == ("stale", "TTLExpiredException")


async def test_a_session_receiver_skips_and_dead_letters_an_expired_message(
    harness: BusHarness,
) -> None:
    await harness.bus.send(
        harness.queue,
        [message("t1", "stale", time_to_live_seconds=5), message("t1", "fresh")],
    )
    receiver = await harness.bus.accept_session(harness.queue, "t1")
    await harness.advance(6)

    assert [m.message_id for m in await receiver.receive(5)] == ["fresh"]
    [dead] = await harness.bus.peek_dead_letters(harness.queue)
    assert (dead.message_id, dead.reason) == ("stale", "TTLExpiredException")


async def test_a_scheduled_message_is_invisible_until_its_time(harness: BusHarness) -> None:
    at = harness.now() + timedelta(seconds=120)
    await harness.bus.send(harness.queue, [message("t1", "later", scheduled_enqueue_time=at)])

    with pytest.raises(NoSessionAvailable):
        await harness.bus.accept_next_session(harness.queue)
    early = await harness.bus.accept_session(harness.queue, "t1")
    assert await early.receive() == []
    await early.close()

    await harness.advance(121)
    receiver = await harness.bus.accept_next_session(harness.queue)
    assert [m.message_id for m in await receiver.receive()] == ["later"]


# --- counting ------------------------------------------------------------------------------


async def test_session_counts_tell_each_sessions_active_scheduled_and_dead_letters(
    harness: BusHarness,
) -> None:
    bus, queue = harness.bus, harness.queue
    later = harness.now() + timedelta(seconds=600)
    await bus.send(queue, [message("t1"), message("t1"), message("t1:3")])
    await bus.send(queue, [message("t2", scheduled_enqueue_time=later), message("t3")])
    await bus.send(queue, [message("t4", time_to_live_seconds=5)])
    receiver = await bus.accept_session(queue, "t3")
    [held] = await receiver.receive()
    await receiver.dead_letter(held, reason="Test")
    await receiver.close()
    in_delivery = await bus.accept_session(queue, "t1")
    await in_delivery.receive()
    await harness.advance(6)

    counts = {
        c.session_id: (c.active, c.scheduled, c.dead_lettered)
        for c in await bus.session_counts(queue)
    }

    assert counts == {
        "t1": (2, 0, 0),
        "t1:3": (1, 0, 0),
        "t2": (0, 1, 0),
        "t3": (0, 0, 1),
        "t4": (0, 0, 1),
    }
    assert await bus.session_counts("webhooks") == []


# --- sending -------------------------------------------------------------------------------


async def test_a_duplicate_message_id_within_the_window_is_dropped(harness: BusHarness) -> None:
    bus, queue = harness.bus, harness.queue
    await bus.send(queue, [message("t1", "a", body=b"1")])
    await bus.send(queue, [message("t1", "a", body=b"2")])
    await bus.send(queue, [message("t1", "b", body=b"3"), message("t1", "b", body=b"4")])

    receiver = await bus.accept_session(queue, "t1")

    assert [m.body for m in await receiver.receive(10)] == [b"1", b"3"]


async def test_a_message_id_is_accepted_again_after_the_window(harness: BusHarness) -> None:
    await harness.bus.send(harness.queue, [message("t1", "a", body=b"1")])
    await harness.advance(harness.duplicate_window + 1)
    await harness.bus.send(harness.queue, [message("t1", "a", body=b"2")])

    receiver = await harness.bus.accept_session(harness.queue, "t1")

    assert [m.body for m in await receiver.receive(10)] == [b"1", b"2"]


async def test_a_message_up_to_256_kb_is_sent_and_a_bigger_one_raises(
    harness: BusHarness,
) -> None:
    properties = {"type": "blob"}
    headroom = len("type") + len("blob")
    fitting_body = b"x" * (MAX_MESSAGE_BYTES - headroom)

    await harness.bus.send(
        harness.queue,
        [message("t1", "fits", body=fitting_body, application_properties=properties)],
    )
    with pytest.raises(MessageTooLarge):
        await harness.bus.send(
            harness.queue,
            [message("t1", "big", body=fitting_body + b"x", application_properties=properties)],
        )

    receiver = await harness.bus.accept_session(harness.queue, "t1")
    assert [m.message_id for m in await receiver.receive(5)] == ["fits"]


async def test_a_batch_with_one_message_too_large_sends_nothing(harness: BusHarness) -> None:
    batch = [
        message("t1", "small"),
        message("t2", "huge", body=b"x" * (MAX_MESSAGE_BYTES + 1)),
    ]

    with pytest.raises(MessageTooLarge):
        await harness.bus.send(harness.queue, batch)

    with pytest.raises(NoSessionAvailable):
        await harness.bus.accept_next_session(harness.queue)


async def test_message_and_session_ids_over_128_characters_are_refused(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("s" * 128, "m" * 128)])

    with pytest.raises(ValueError):
        await harness.bus.send(harness.queue, [message("t1", "m" * 129)])
    with pytest.raises(ValueError):
        await harness.bus.send(harness.queue, [message("s" * 129)])
    with pytest.raises(ValueError):
        await harness.bus.accept_session(harness.queue, "s" * 129)


# --- fairness and durability ---------------------------------------------------------------


async def test_a_small_session_is_accepted_before_a_big_backlog_is_served_twice(
    harness: BusHarness,
) -> None:
    await harness.bus.send(harness.queue, [message("big") for _ in range(1000)])
    await harness.bus.send(harness.queue, [message("small")])

    turns: list[str] = []
    while "small" not in turns:
        receiver = await harness.bus.accept_next_session(harness.queue)
        turns.append(receiver.session_id)
        for received in await receiver.receive(16):
            await receiver.complete(received)
        await receiver.close()

    assert turns.count("big") <= 1


@pytest.mark.slow
async def test_a_sent_message_survives_sigkill_of_the_sending_process(
    harness: BusHarness,
) -> None:
    body = """
        message = OutgoingMessage(body=b"durable", session_id="t1", message_id="m1")
        await bus.send(QUEUE, [message])
        os.kill(os.getpid(), signal.SIGKILL)
    """

    result = await asyncio.to_thread(run_child, harness, body)

    assert result.returncode == -signal.SIGKILL, result.stderr
    receiver = await harness.bus.accept_next_session(harness.queue)
    assert [m.body for m in await receiver.receive()] == [b"durable"]


# --- health --------------------------------------------------------------------------------


async def test_ping_answers_when_the_bus_is_usable(harness: BusHarness) -> None:
    await harness.bus.ping()


async def test_the_local_bus_raises_bus_unavailable_when_its_file_is_not_a_database(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bus.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    bus = SqliteBus(path)

    with pytest.raises(BusUnavailable):
        await bus.ping()
    with pytest.raises(BusUnavailable):
        await bus.send("commands", [message("t1")])
    await bus.close()


async def test_a_prefetching_accept_hands_the_first_batch_locked_and_counted(
    harness: BusHarness,
) -> None:
    bus, queue = harness.bus, harness.queue
    await bus.send(queue, [message("s1", f"m{i}") for i in range(5)])
    receiver = await bus.accept_next_session(queue, prefetch=3)
    first = await receiver.receive(10)
    assert [m.message_id for m in first] == ["m0", "m1", "m2"]
    assert all(m.delivery_count == 1 for m in first)
    for received in first:
        await receiver.complete(received)
    rest = await receiver.receive(10)
    assert [m.message_id for m in rest] == ["m3", "m4"]
    await receiver.close()
