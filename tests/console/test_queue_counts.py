"""Per-tenant queue counts: summed over a tenant's sessions, and unknown where the bus cannot
count (Service Bus), even when it holds nothing at all."""

from __future__ import annotations

from pathlib import Path

from console.queue_counts import queue_counts
from shared.adapters.azure.servicebus import ServiceBusBus
from shared.adapters.local.bus import SqliteBus
from shared.queues import COMMANDS, WEBHOOKS
from tests.azure.test_servicebus_bus import FakeReceived, RecordingClient, RecordingReceiver
from tests.console.support import raw_message


async def test_a_tenants_lanes_and_endpoints_are_summed_under_the_tenant(tmp_path: Path) -> None:
    bus = SqliteBus(tmp_path / "bus.sqlite3")
    try:
        await bus.send(COMMANDS, [raw_message(s, f"m-{s}") for s in ("acme", "acme:1", "acme:7")])
        await bus.send(COMMANDS, [raw_message("acme2", "other")])
        await bus.send(WEBHOOKS, [raw_message("acme:wh_1", "d1"), raw_message("acme:wh_2", "d2")])
        commands = await queue_counts(bus, COMMANDS)
        webhooks = await queue_counts(bus, WEBHOOKS)
    finally:
        await bus.close()
    assert commands.of("acme").to_json() == {"active": 3, "scheduled": 0, "deadLettered": 0}
    assert commands.of("acme2").active == 1
    assert commands.of("nobody").to_json() == {"active": 0, "scheduled": 0, "deadLettered": 0}
    assert commands.total.active == 4
    assert webhooks.of("acme").active == 2


async def test_on_service_bus_waiting_messages_are_unknown_and_dead_letters_counted() -> None:
    empty = await queue_counts(ServiceBusBus(RecordingClient()), COMMANDS)  # type: ignore[arg-type]
    client = RecordingClient()
    letters = [FakeReceived(b"{}", s, s, sequence_number=n) for n, s in enumerate(["a", "a:2"])]
    client.next_receiver = RecordingReceiver({}, queued=letters)
    some = await queue_counts(ServiceBusBus(client), COMMANDS)  # type: ignore[arg-type]
    assert empty.total.to_json() == {"active": None, "scheduled": None, "deadLettered": 0}
    assert empty.of("a").to_json() == {"active": None, "scheduled": None, "deadLettered": 0}
    assert some.of("a").to_json() == {"active": None, "scheduled": None, "deadLettered": 2}
