"""The dead-letter receiver contract: peek-locked dead letters, for safe replay and purge.

Runs against every bus adapter through the bus contract's `harness` fixture.
"""

from __future__ import annotations

import pytest

from tests.contract.test_bus_contract import ADAPTERS, BusHarness, harness, message

__all__ = ["ADAPTERS", "harness"]


async def _dead_letter(harness: BusHarness, *message_ids: str, session: str = "t1") -> None:
    await harness.bus.send(harness.queue, [message(session, m) for m in message_ids])
    receiver = await harness.bus.accept_session(harness.queue, session)
    for received in await receiver.receive(len(message_ids)):
        await receiver.dead_letter(received, reason="Poison", description=received.message_id)
    await receiver.close()


async def test_a_received_dead_letter_carries_the_message_and_why_it_died(
    harness: BusHarness,
) -> None:
    await _dead_letter(harness, "m1")
    dead = await harness.bus.open_dead_letter_receiver(harness.queue)

    [held] = await dead.receive()

    assert (held.message_id, held.session_id, held.reason, held.description) == (
        "m1",
        "t1",
        "Poison",
        "m1",
    )
    assert held.body == b'{"id": "m1"}' and held.content_type == "application/json"
    await dead.close()


async def test_a_held_dead_letter_is_skipped_by_another_receiver(harness: BusHarness) -> None:
    await _dead_letter(harness, "m1", "m2")
    first = await harness.bus.open_dead_letter_receiver(harness.queue)
    second = await harness.bus.open_dead_letter_receiver(harness.queue)

    [held] = await first.receive()
    others = await second.receive(10)

    assert held.message_id == "m1"
    assert [d.message_id for d in others] == ["m2"]
    await first.close()
    await second.close()


async def test_completing_a_dead_letter_removes_it(harness: BusHarness) -> None:
    await _dead_letter(harness, "m1", "m2")
    dead = await harness.bus.open_dead_letter_receiver(harness.queue)
    [held] = await dead.receive()

    await dead.complete(held)
    await dead.close()

    assert [d.message_id for d in await harness.bus.peek_dead_letters(harness.queue)] == ["m2"]


async def test_closing_the_receiver_gives_back_what_it_held(harness: BusHarness) -> None:
    await _dead_letter(harness, "m1")
    dead = await harness.bus.open_dead_letter_receiver(harness.queue)
    await dead.receive()
    await dead.close()

    again = await harness.bus.open_dead_letter_receiver(harness.queue)
    assert [d.message_id for d in await again.receive()] == ["m1"]
    await again.close()


async def test_an_abandoned_dead_letter_can_be_received_again_unchanged(
    harness: BusHarness,
) -> None:
    await _dead_letter(harness, "m1")
    dead = await harness.bus.open_dead_letter_receiver(harness.queue)
    [held] = await dead.receive()

    await dead.abandon(held)
    [again] = await dead.receive()

    assert (again.message_id, again.reason, again.sequence_number) == (
        "m1",
        "Poison",
        held.sequence_number,
    )
    await dead.close()


async def test_a_dead_letter_lock_expires_and_completing_it_late_is_refused(
    harness: BusHarness,
) -> None:
    await _dead_letter(harness, "m1")
    first = await harness.bus.open_dead_letter_receiver(harness.queue)
    [held] = await first.receive()
    await harness.advance(harness.lock_duration + 1)

    second = await harness.bus.open_dead_letter_receiver(harness.queue)
    [taken] = await second.receive()

    assert taken.message_id == "m1"
    with pytest.raises(ValueError):
        await first.complete(held)
    await second.complete(taken)
    assert await harness.bus.peek_dead_letters(harness.queue) == []
    await first.close()
    await second.close()


async def test_dead_letters_of_another_queue_are_not_received(harness: BusHarness) -> None:
    await _dead_letter(harness, "m1")
    dead = await harness.bus.open_dead_letter_receiver("elsewhere")

    assert await dead.receive(10) == []
    await dead.close()
