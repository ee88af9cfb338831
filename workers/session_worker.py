"""One process's share of the fleet: serve several bus sessions at once, fairly.

Each slot accepts the least recently served free session, handles one batch of its messages in
order, settles each as the pipeline decides, renews the session lock while a handler is slow,
and lets the session go, so a tenant with a backlog takes turns with everyone else. With no
session to accept, the worker waits in the bus's `accept_next_session`, which wakes as soon as
a message is sent or a session let go, by any process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

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

IDLE_MAX_SECONDS = 0.1
ACCEPT_WAIT_SECONDS = 0.25
"""How long one accept waits for a session; also how late a stop is noticed when idle."""


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
        await self._accept(stop, slots, serving)
        if serving:
            _, late = await asyncio.wait(serving, timeout=grace_seconds)
            for task in late:  # their messages' locks expire and they are delivered again
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _accept(
        self,
        stop: asyncio.Event,
        slots: asyncio.Semaphore,
        serving: set[asyncio.Task[None]],
    ) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            await slots.acquire()
            if stop.is_set():
                slots.release()
                break
            asked_at = loop.time()
            try:
                # the bus waits for a session (the local bus wakes on a ring from whichever
                # process sent a message or let a session go; Service Bus long-polls)
                receiver = await _unless_stopped(
                    stop,
                    self._bus.accept_next_session(
                        self._queue, prefetch=self._batch, wait_seconds=ACCEPT_WAIT_SECONDS
                    ),
                )
            except NoSessionAvailable:
                slots.release()
                if loop.time() - asked_at < ACCEPT_WAIT_SECONDS / 2:  # a bus that did not wait
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), IDLE_MAX_SECONDS)
                continue
            except BusError:
                slots.release()
                log.exception("cannot accept a session; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_MAX_SECONDS * 10)
                continue
            task = asyncio.create_task(self._serve(receiver, stop))
            serving.add(task)
            task.add_done_callback(serving.discard)
            task.add_done_callback(lambda _: slots.release())

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


async def _unless_stopped(
    stop: asyncio.Event, accepting: Coroutine[Any, Any, SessionReceiver]
) -> SessionReceiver:
    """The accepted receiver; `NoSessionAvailable` at once if `stop` is set while waiting."""
    attempt = asyncio.ensure_future(accepting)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({attempt, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if not attempt.done():
        attempt.cancel()
        with contextlib.suppress(asyncio.CancelledError, NoSessionAvailable):
            await attempt
        raise NoSessionAvailable("stopping")
    return attempt.result()
