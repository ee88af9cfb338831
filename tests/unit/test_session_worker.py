"""The session worker: lock renewal for slow handlers, graceful stop, runs that do not block."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.local import bus as bus_module
from shared.bootstrap import bootstrap
from shared.contracts.commands import ItemCreate
from shared.contracts.envelope import Envelope
from shared.jobs import load
from shared.messages import to_message
from shared.queues import COMMANDS
from tests.harness import running, settings_for
from workers import session_worker
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS
from workers.pipeline import Pipeline
from workers.session_worker import SessionWorker


def _item(tenant: str, n: int) -> Envelope:
    return Envelope(
        type="item.create",
        tenant_id=tenant,
        subject="u",
        data={"container": "notes", "item": {"n": n}},
    )


async def test_a_handler_slower_than_the_lock_keeps_its_session_and_runs_once(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, bus_lock_duration_seconds=0.6)
    services = bootstrap(settings)
    calls: list[int] = []

    async def slow(command: Any, context: HandlerContext) -> Outcome:
        calls.append(command.item["n"])
        await asyncio.sleep(1.5)
        return await HANDLERS[ItemCreate](command, context)

    handlers = {**HANDLERS, ItemCreate: slow}
    workers = [
        SessionWorker(
            services.bus,
            Pipeline(services, handlers),
            concurrency=2,
            batch_size=1,
            lock_duration_seconds=0.6,
        )
        for _ in range(2)
    ]
    envelope = _item("contoso", 1)
    await services.bus.send(COMMANDS, [to_message(envelope, ttl_seconds=60)])
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop, grace_seconds=5)) for w in workers]
    store = services.store.for_tenant("contoso")
    async with asyncio.timeout(10):
        while (job := await load(store, envelope.command_id)) is None or not job[0].status.terminal:
            await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # time for a wrongful second delivery to show
    stop.set()
    await asyncio.gather(*tasks)
    assert calls == [1]
    assert job[0].status == "Succeeded"
    await services.close()


async def test_stopping_finishes_in_flight_work_and_gives_the_rest_back(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    services = bootstrap(settings)
    started = asyncio.Event()

    async def slow(command: Any, context: HandlerContext) -> Outcome:
        started.set()
        await asyncio.sleep(0.5)
        return await HANDLERS[ItemCreate](command, context)

    worker = SessionWorker(
        services.bus,
        Pipeline(services, {**HANDLERS, ItemCreate: slow}),
        concurrency=1,
        batch_size=10,
        lock_duration_seconds=5,
    )
    envelopes = [_item("contoso", n) for n in range(5)]
    await services.bus.send(COMMANDS, [to_message(e, ttl_seconds=60) for e in envelopes])
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, grace_seconds=5))
    await started.wait()
    stop.set()
    await task
    store = services.store.for_tenant("contoso")
    first = await load(store, envelopes[0].command_id)
    assert first is not None and first[0].status == "Succeeded"
    assert worker.handled == 1
    receiver = await services.bus.accept_session(COMMANDS, "contoso")
    remaining = await receiver.receive(10)
    assert [Envelope.from_bytes(m.body).command_id for m in remaining] == [
        e.command_id for e in envelopes[1:]
    ]
    await receiver.close()
    await services.close()


async def test_a_long_run_does_not_hold_up_the_tenants_next_commands(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, local_engine_latency_seconds=3.0)
    async with running(settings) as harness:
        auth = harness.auth("contoso") | {"Prefer": "wait=10"}
        agent = (await harness.client.post("/agents/", headers=auth, json={"name": "a"})).json()
        thread = (await harness.client.post("/agents/threads", headers=auth, json={})).json()
        path = f"/agents/threads/{thread['id']}"
        await harness.client.post(f"{path}/messages", headers=auth, json={"content": "hi"})
        run_job = (
            await harness.client.post(
                f"{path}/runs", headers=harness.auth("contoso"), json={"agent_id": agent["id"]}
            )
        ).json()
        item = await harness.client.post("/cosmos/notes", headers=auth, json={"x": 1})
        assert item.status_code == 201
        run_state = (
            await harness.client.get(f"/jobs/{run_job['id']}", headers=harness.auth("contoso"))
        ).json()
        assert run_state["status"] == "Running"
        assert run_state["result"]["status"] == "in_progress"
        await harness.wait_for_jobs("contoso", [run_job["id"]], timeout=15)
        done = (
            await harness.client.get(f"/jobs/{run_job['id']}", headers=harness.auth("contoso"))
        ).json()
        assert done["status"] == "Succeeded" and done["result"]["status"] == "completed"


async def test_a_session_let_go_is_taken_again_at_once_not_after_the_idle_back_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # only a ring can wake a waiting accept in time: no poll, no retry within the test
    monkeypatch.setattr(bus_module, "_POLL_FIRST_SECONDS", 60.0)
    monkeypatch.setattr(bus_module, "_POLL_MAX_SECONDS", 60.0)
    monkeypatch.setattr(session_worker, "ACCEPT_WAIT_SECONDS", 30.0)
    services = bootstrap(settings_for(tmp_path))
    worker = SessionWorker(
        services.bus, Pipeline(services), concurrency=2, batch_size=1, lock_duration_seconds=5
    )
    envelopes = [_item("contoso", n) for n in range(3)]
    await services.bus.send(COMMANDS, [to_message(e, ttl_seconds=60) for e in envelopes])
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, grace_seconds=5))
    store = services.store.for_tenant("contoso")
    async with asyncio.timeout(10):  # a back-off would take a minute per batch
        while worker.handled < len(envelopes):
            await asyncio.sleep(0.01)
    stop.set()
    await task  # its accept notices the stop when its wait ends
    for envelope in envelopes:
        job = await load(store, envelope.command_id)
        assert job is not None and job[0].status == "Succeeded"
    await services.close()
