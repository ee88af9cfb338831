"""A handler slower than its session lock, on a worker whose renewals are stuck: the lock really
expires, another worker takes the session and handles the message again while the first is still
in its handler, and the effect still happens once."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.bootstrap import bootstrap
from shared.contracts.commands import MessageCreate
from shared.contracts.envelope import Envelope
from shared.jobs import load
from shared.messages import to_message
from shared.ports.bus import Bus, ReceivedMessage, SessionReceiver
from shared.queues import COMMANDS
from shared.settings import Settings
from tests.harness import settings_for
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS, Handler
from workers.pipeline import Pipeline
from workers.session_worker import SessionWorker

LOCK_SECONDS = 0.5


class StuckRenewals:
    """A session receiver whose lock renewals never get through (a stalled link to the bus);
    it records what happened to its settlements."""

    def __init__(self, inner: SessionReceiver, settled: list[str]) -> None:
        self._inner = inner
        self._settled = settled

    @property
    def session_id(self) -> str:
        return self._inner.session_id

    @property
    def locked_until(self) -> datetime:
        return self._inner.locked_until

    async def renew_lock(self) -> datetime:
        await asyncio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    async def complete(self, message: ReceivedMessage) -> None:
        try:
            await self._inner.complete(message)
        except Exception as exc:
            self._settled.append(type(exc).__name__)
            raise
        self._settled.append("completed")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class StuckRenewalsBus:
    """The real bus, except that the sessions it hands out cannot renew their locks."""

    def __init__(self, inner: Bus) -> None:
        self._inner = inner
        self.settled: list[str] = []

    async def accept_next_session(
        self, queue: str, *, wait_seconds: float = 0.0, prefetch: int = 0
    ) -> Any:
        receiver = await self._inner.accept_next_session(
            queue, wait_seconds=wait_seconds, prefetch=prefetch
        )
        return StuckRenewals(receiver, self.settled)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _worker(bus: Any, pipeline: Pipeline) -> SessionWorker:
    return SessionWorker(
        bus, pipeline, concurrency=1, batch_size=1, lock_duration_seconds=LOCK_SECONDS
    )


async def _until_ended(settings: Settings, tenant: str, job_id: str) -> dict[str, Any]:
    services = bootstrap(settings)
    try:
        async with asyncio.timeout(20):
            while (found := await load(services.store.for_tenant(tenant), job_id)) is None or (
                not found[0].status.terminal
            ):
                await asyncio.sleep(0.02)
        return found[0].model_dump()
    finally:
        await services.close()


async def test_a_lost_lock_and_a_second_worker_still_apply_a_message_once(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, bus_lock_duration_seconds=LOCK_SECONDS)
    first, second = bootstrap(settings), bootstrap(settings)
    thread = Envelope(type="thread.create", tenant_id="contoso", subject="u", data={})
    await first.bus.send(COMMANDS, [to_message(thread, ttl_seconds=60)])
    stop = asyncio.Event()
    warmup = asyncio.create_task(_worker(second.bus, Pipeline(second)).run(stop, grace_seconds=1))
    thread_job = await _until_ended(settings, "contoso", thread.command_id)
    stop.set()
    await warmup
    thread_id = thread_job["result"]["id"]

    first_in_handler, second_in_handler = asyncio.Event(), asyncio.Event()
    deliveries: list[str] = []

    def slow_then_real(started: asyncio.Event, wait_for: asyncio.Event | None) -> Handler:
        async def handler(command: Any, context: HandlerContext) -> Outcome:
            deliveries.append(context.command_id)
            started.set()
            if wait_for is not None:
                await wait_for.wait()  # far past the lock: the other worker is in by now
            return await HANDLERS[MessageCreate](command, context)

        return handler

    message = Envelope(
        type="message.create",
        tenant_id="contoso",
        subject="u",
        data={"thread_id": thread_id, "content": "exactly once"},
    )
    await first.bus.send(COMMANDS, [to_message(message, ttl_seconds=60)])
    stuck = StuckRenewalsBus(first.bus)
    stop = asyncio.Event()
    slow = {**HANDLERS, MessageCreate: slow_then_real(first_in_handler, second_in_handler)}
    fast = {**HANDLERS, MessageCreate: slow_then_real(second_in_handler, None)}
    tasks = [asyncio.create_task(_worker(stuck, Pipeline(first, slow)).run(stop, grace_seconds=5))]
    async with asyncio.timeout(10):
        await first_in_handler.wait()
    tasks.append(
        asyncio.create_task(_worker(second.bus, Pipeline(second, fast)).run(stop, grace_seconds=5))
    )
    job = await _until_ended(settings, "contoso", message.command_id)
    async with asyncio.timeout(10):
        while not stuck.settled:
            await asyncio.sleep(0.02)
    stop.set()
    await asyncio.gather(*tasks)
    receiver = await second.bus.accept_session(COMMANDS, "contoso")
    left = await receiver.receive(10)
    await receiver.close()
    stored = await second.store.for_tenant("contoso").list(
        "messages", where={"thread_id": thread_id}
    )
    await first.close()
    await second.close()

    assert deliveries == [message.command_id, message.command_id]  # both workers handled it
    assert stuck.settled == ["SessionLockLost"]  # the first worker's lock was really gone
    assert job["status"] == "Succeeded"
    assert left == []
    assert [m["content"][0]["text"]["value"] for m in stored.items] == ["exactly once"]
    with sqlite3.connect(settings.engine_path) as engine:
        [(count,)] = engine.execute(
            "SELECT COUNT(*) FROM messages WHERE tenant_id='contoso'"
        ).fetchall()
    assert count == 1
