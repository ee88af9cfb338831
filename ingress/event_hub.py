"""One watcher per ingress process for every live run stream it serves.

Streams do not poll the store each. The hub looks once per tick at each tenant's newest run
events (one query per tenant with open streams, however many streams it has) and hands every
new event to the streams of its run. A stream that has just opened, or a tenant whose newest
page may have skipped events (more of them since the last tick than a page holds), is caught up
from its run's own events, in order, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from dataclasses import dataclass, field

from shared.ports.store import Store
from shared.run_events import RUN_EVENTS, RunEvent, events_of

TICK_SECONDS = 0.25
PAGE = 50


@dataclass(eq=False)
class Subscription:
    """One open stream: the run it follows, the last event it was given, and its inbox."""

    tenant_id: str
    run_id: str
    last: int
    inbox: asyncio.Queue[RunEvent] = field(default_factory=asyncio.Queue)
    caught_up: bool = False

    def offer(self, event: RunEvent) -> None:
        if event.seq > self.last:
            self.last = event.seq
            self.inbox.put_nowait(event)


class RunEventHub:
    """Fans run events out to the streams of one process; started by the first stream."""

    def __init__(self, store: Store, tick_seconds: float = TICK_SECONDS) -> None:
        self._store = store
        self._tick = tick_seconds
        self._streams: dict[str, set[Subscription]] = defaultdict(set)
        self._seen: dict[str, set[str]] = {}
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.queries = 0
        """Store reads so far (benchmarks and tests look at it)."""

    def subscribe(self, tenant_id: str, run_id: str, last: int) -> Subscription:
        """Follow a run from after event `last`."""
        subscription = Subscription(tenant_id, run_id, last)
        self._streams[tenant_id].add(subscription)
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="run-event-hub")
        self._wake.set()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop following (the stream ended or its client left)."""
        streams = self._streams.get(subscription.tenant_id)
        if streams is not None:
            streams.discard(subscription)
            if not streams:
                del self._streams[subscription.tenant_id]
                self._seen.pop(subscription.tenant_id, None)

    @property
    def streams(self) -> int:
        return sum(len(s) for s in self._streams.values())

    async def close(self) -> None:
        """Stop watching."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self) -> None:
        while True:
            if not self._streams:
                self._wake.clear()
                await self._wake.wait()
            for tenant_id in list(self._streams):
                try:
                    await self._look(tenant_id)
                except Exception:
                    self._seen.pop(tenant_id, None)
            await asyncio.sleep(self._tick)

    async def _look(self, tenant_id: str) -> None:
        store = self._store.for_tenant(tenant_id)
        self.queries += 1
        page = await store.list(RUN_EVENTS, limit=PAGE)
        ids = {str(doc["id"]) for doc in page.items}
        seen = self._seen.get(tenant_id)
        skipped = seen is None or (page.next_cursor is not None and not ids & seen)
        self._seen[tenant_id] = ids
        streams = self._streams.get(tenant_id, set())
        if ids == seen and all(s.caught_up for s in streams):
            return  # nothing new: the common case at rest
        by_run: dict[str, list[Subscription]] = defaultdict(list)
        for subscription in list(streams):
            by_run[subscription.run_id].append(subscription)
        for run_id, followers in by_run.items():  # one read per run, however many follow it
            behind = [s for s in followers if skipped or not s.caught_up]
            if not behind:
                continue
            self.queries += 1
            for event in await events_of(store, run_id, min(s.last for s in behind)):
                for subscription in behind:
                    subscription.offer(event)
            for subscription in behind:
                subscription.caught_up = True
        for doc in reversed(page.items):  # oldest first
            for subscription in by_run.get(str(doc["run_id"]), ()):
                subscription.offer(RunEvent.of(doc))
