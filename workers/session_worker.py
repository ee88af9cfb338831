"""One process's share of the fleet: serve several bus sessions at once, fairly.

Each slot accepts the least recently served free session, handles one batch of its messages in
order, settles each as the pipeline decides, renews the session lock while a handler is slow,
and lets the session go, so a tenant with a backlog takes turns with everyone else. With no
session to accept, the worker backs off (2 ms doubling to 100 ms), but a slot letting a session
go wakes it at once: that session may hold more messages, and a session that waited for a free
slot may now be taken, so neither waits out a back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from shared.ports.bus import (
    Bus,
    BusError,
    NoSessionAvailable,
    ReceivedMessage,
    SessionLockLost,
    SessionReceiver,
)
from shared.queues import COMMANDS
from workers.settlement import Processor, settle

log = logging.getLogger("tenantry.worker")

IDLE_MIN_SECONDS = 0.002
IDLE_MAX_SECONDS = 0.1


@dataclass(frozen=True)
class ReceiverSettler:
    """Settles one message through the session receiver that received it."""

    receiver: SessionReceiver
    message: ReceivedMessage

    async def complete(self) -> None:
        await self.receiver.complete(self.message)

    async def abandon(self) -> None:
        await self.receiver.abandon(self.message)

    async def dead_letter(self, reason: str, description: str) -> None:
        await self.receiver.dead_letter(self.message, reason=reason, description=description)


class SessionWorker:
    """Serves sessions of one queue with `concurrency` slots until `stop` is set."""

    def __init__(
        self,
        bus: Bus,
        pipeline: Processor,
        *,
        concurrency: int,
        batch_size: int,
        lock_duration_seconds: float,
        queue: str = COMMANDS,
    ) -> None:
        self._bus = bus
        self._pipeline = pipeline
        self._concurrency = concurrency
        self._batch = batch_size
        self._renew_every = max(lock_duration_seconds / 3, 0.05)
        self._queue = queue
        self.handled = 0

    async def run(self, stop: asyncio.Event, *, grace_seconds: float = 20.0) -> None:
        """Accept and serve sessions until `stop`; then let in-flight work finish or go back."""
        slots = asyncio.Semaphore(self._concurrency)
        serving: set[asyncio.Task[None]] = set()
        wake = asyncio.Event()  # set when a slot lets its session go, and when stopping
        relay = asyncio.create_task(_set_when(stop, wake))
        try:
            await self._accept(stop, wake, slots, serving)
        finally:
            relay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await relay
        if serving:
            _, late = await asyncio.wait(serving, timeout=grace_seconds)
            for task in late:  # their messages' locks expire and they are delivered again
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _accept(
        self,
        stop: asyncio.Event,
        wake: asyncio.Event,
        slots: asyncio.Semaphore,
        serving: set[asyncio.Task[None]],
    ) -> None:
        idle = IDLE_MIN_SECONDS
        while not stop.is_set():
            await slots.acquire()
            try:
                receiver = await self._bus.accept_next_session(self._queue, prefetch=self._batch)
            except NoSessionAvailable:
                slots.release()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), idle)
                idle = IDLE_MIN_SECONDS if wake.is_set() else min(idle * 2, IDLE_MAX_SECONDS)
                wake.clear()
                continue
            except BusError:
                slots.release()
                log.exception("cannot accept a session; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_MAX_SECONDS * 10)
                continue
            idle = IDLE_MIN_SECONDS
            task = asyncio.create_task(self._serve(receiver, stop))
            serving.add(task)
            task.add_done_callback(serving.discard)
            task.add_done_callback(lambda _: slots.release())
            task.add_done_callback(lambda _: wake.set())

    async def _serve(self, receiver: SessionReceiver, stop: asyncio.Event) -> None:
        renewer = asyncio.create_task(self._keep_lock(receiver))
        try:
            messages = await receiver.receive(self._batch)
            for index, message in enumerate(messages):
                if stop.is_set():
                    for unhandled in messages[index:]:
                        await receiver.abandon(unhandled)
                    break
                decision = await self._pipeline.process(message)
                await settle(ReceiverSettler(receiver, message), decision)
                self.handled += 1
        except SessionLockLost:
            log.warning("lost the lock of session %s", receiver.session_id)
        except Exception:
            log.exception(
                "session %s failed; its messages will be delivered again", receiver.session_id
            )
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError, BusError):
                await renewer
            with contextlib.suppress(BusError):
                await receiver.close()

    async def _keep_lock(self, receiver: SessionReceiver) -> None:
        while True:
            await asyncio.sleep(self._renew_every)
            await receiver.renew_lock()


async def _set_when(stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Relay `stop` to `wake`, so a backed-off worker stops at once."""
    await stop.wait()
    wake.set()
