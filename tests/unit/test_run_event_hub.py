"""The run event hub: every stream gets its run's events in order, once, without a poll each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ingress.event_hub import PAGE, RunEventHub, Subscription
from shared.adapters.local.store import SqliteStore
from shared.run_events import RunEvent, events_of, record

TICK = 0.02


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    built = SqliteStore(tmp_path / "store.sqlite3")
    yield built
    await built.close()


async def drain(subscription: Subscription, count: int) -> list[RunEvent]:
    async with asyncio.timeout(10):
        return [await subscription.inbox.get() for _ in range(count)]


async def test_recording_an_event_twice_keeps_one_and_numbers_them_in_order(
    store: SqliteStore,
) -> None:
    tenant = store.for_tenant("contoso")
    for name in ("thread.run.queued", "thread.run.in_progress", "thread.run.queued"):
        await record(tenant, "run_1", name, {"id": "run_1"}, 0)
    events = await events_of(tenant, "run_1")
    assert [(e.seq, e.event) for e in events] == [
        (1, "thread.run.queued"),
        (2, "thread.run.in_progress"),
    ]
    assert [e.seq for e in await events_of(tenant, "run_1", after=1)] == [2]
    assert await events_of(store.for_tenant("fabrikam"), "run_1") == []


async def test_many_streams_cost_one_query_per_tenant_per_tick(store: SqliteStore) -> None:
    tenant = store.for_tenant("contoso")
    hub = RunEventHub(store, tick_seconds=TICK)
    try:
        streams = [hub.subscribe("contoso", f"run_{n % 10}", 0) for n in range(500)]
        async with asyncio.timeout(10):
            while not all(stream.caught_up for stream in streams):  # once, one read per run
                await asyncio.sleep(TICK)
        assert hub.queries <= 10 + 3
        settled = hub.queries
        await asyncio.sleep(TICK * 20)
        ticks = hub.queries - settled
        assert ticks <= 22, ticks  # one per tick, not one per stream (500 per tick)
        await record(tenant, "run_3", "thread.run.queued", {"id": "run_3"}, 0)
        for stream in streams[3::10]:
            (event,) = await drain(stream, 1)
            assert (event.run_id, event.seq) == ("run_3", 1)
        assert all(stream.inbox.empty() for stream in streams)
    finally:
        await hub.close()


async def test_a_burst_larger_than_a_page_between_ticks_loses_nothing(store: SqliteStore) -> None:
    tenant = store.for_tenant("contoso")
    hub = RunEventHub(store, tick_seconds=0.5)
    try:
        stream = hub.subscribe("contoso", "run_a", 0)
        await asyncio.sleep(0.1)  # caught up (nothing yet)
        await record(tenant, "run_a", "thread.run.queued", {}, 0)
        for n in range(PAGE * 2):  # other runs' events push run_a's out of the newest page
            await record(tenant, f"run_{n}", "thread.run.queued", {}, 0)
        await record(tenant, "run_a", "thread.run.in_progress", {}, 0)
        events = await drain(stream, 2)
        assert [e.seq for e in events] == [1, 2]
        await asyncio.sleep(1.2)
        assert stream.inbox.empty()
    finally:
        await hub.close()


async def test_a_stream_resuming_after_an_event_gets_only_the_later_ones(
    store: SqliteStore,
) -> None:
    tenant = store.for_tenant("contoso")
    for name in ("thread.run.queued", "thread.run.in_progress", "thread.run.completed"):
        await record(tenant, "run_1", name, {}, 0)
    hub = RunEventHub(store, tick_seconds=TICK)
    try:
        stream = hub.subscribe("contoso", "run_1", 1)
        assert [e.seq for e in await drain(stream, 2)] == [2, 3]
        other = hub.subscribe("fabrikam", "run_1", 0)
        await asyncio.sleep(TICK * 5)
        assert other.inbox.empty()  # another tenant's run of the same id is not this one
    finally:
        await hub.close()
