"""Wake-ups across processes: a ring reaches every listener sharing the data files, so a worker
waiting for a session and an ingress waiting on `Prefer: wait` learn of a change at once, with
no polling. Every test here would hang until its generous timeout if the ring were lost: the
polling fallbacks are pushed out of reach."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from shared.adapters.local import bus as bus_module
from shared.adapters.local.bus import SqliteBus
from shared.adapters.local.doorbell import Doorbell, bells_directory
from shared.adapters.local.store import SqliteStore
from shared.ports.bus import OutgoingMessage

NEVER = 3600.0
GENEROUS = 20.0


async def test_a_ring_from_another_process_reaches_the_listener_with_its_key(
    tmp_path: Path,
) -> None:
    directory = bells_directory(tmp_path)
    heard: asyncio.Queue[str] = asyncio.Queue()
    listener = Doorbell(directory, "docs")
    listener.listen(heard.put_nowait)
    try:
        ring = (
            "from pathlib import Path; from shared.adapters.local.doorbell import Doorbell;"
            f"Doorbell(Path({str(directory)!r}), 'docs').ring('contoso/jobs/job_1');"
            f"Doorbell(Path({str(directory)!r}), 'other').ring('not for it')"
        )
        await asyncio.to_thread(subprocess.run, [sys.executable, "-c", ring], check=True)
        assert await asyncio.wait_for(heard.get(), GENEROUS) == "contoso/jobs/job_1"
        await asyncio.sleep(0.1)
        assert heard.empty()
    finally:
        listener.close()


async def test_a_ring_to_a_listener_that_is_gone_removes_its_socket(tmp_path: Path) -> None:
    directory = bells_directory(tmp_path)
    gone = Doorbell(directory, "docs")
    gone.listen(lambda _: None)
    path = next(directory.iterdir())
    gone._listener.close()  # type: ignore[union-attr]  # as if its process died: the file stays
    ringer = Doorbell(directory, "docs")
    ringer.ring("x")
    ringer.close()
    gone.close()
    assert not path.exists()


async def test_a_worker_waiting_for_a_session_wakes_on_a_send_from_another_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bus_module, "_POLL_FIRST_SECONDS", NEVER)
    monkeypatch.setattr(bus_module, "_POLL_MAX_SECONDS", NEVER)
    worker_bus, ingress_bus = (
        SqliteBus(tmp_path / "bus.sqlite3"),
        SqliteBus(tmp_path / "bus.sqlite3"),
    )
    try:
        waiting = asyncio.create_task(
            worker_bus.accept_next_session("commands", wait_seconds=NEVER)
        )
        await asyncio.sleep(0.2)  # it is waiting now, with nothing to accept
        assert not waiting.done()
        message = OutgoingMessage(body=b"{}", session_id="contoso", message_id="m1")
        await ingress_bus.send("commands", [message])
        receiver = await asyncio.wait_for(waiting, GENEROUS)
        assert receiver.session_id == "contoso"
        await receiver.close()
    finally:
        await worker_bus.close()
        await ingress_bus.close()


async def test_a_session_let_go_wakes_a_waiting_worker_of_another_bus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bus_module, "_POLL_FIRST_SECONDS", NEVER)
    monkeypatch.setattr(bus_module, "_POLL_MAX_SECONDS", NEVER)
    first, second = SqliteBus(tmp_path / "bus.sqlite3"), SqliteBus(tmp_path / "bus.sqlite3")
    try:
        message = OutgoingMessage(body=b"{}", session_id="contoso", message_id="m1")
        await first.send("commands", [message])
        held = await first.accept_next_session("commands")
        waiting = asyncio.create_task(second.accept_next_session("commands", wait_seconds=NEVER))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # the only session is held
        await held.close()  # its message was not settled: the session has work again
        receiver = await asyncio.wait_for(waiting, GENEROUS)
        assert receiver.session_id == "contoso"
        await receiver.close()
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("write", ["create_if_absent", "upsert", "replace", "delete"])
async def test_a_watched_job_wakes_its_watcher_when_another_store_writes_it(
    tmp_path: Path, write: str
) -> None:
    watcher_store, writer_store = (
        SqliteStore(tmp_path / "s.sqlite3"),
        SqliteStore(tmp_path / "s.sqlite3"),
    )
    try:
        watcher = watcher_store.for_tenant("contoso")
        writer = writer_store.for_tenant("contoso")
        other_tenant = writer_store.for_tenant("fabrikam")
        if write != "create_if_absent":
            await writer.create("jobs", {"id": "job_1", "status": "NotStarted"})
        with watcher.watch("jobs", "job_1") as changed:
            await other_tenant.upsert("jobs", {"id": "job_1", "status": "Succeeded"})
            await writer.upsert("notes", {"id": "job_1"})  # another collection
            await asyncio.sleep(0.2)
            assert not changed.is_set()  # neither another tenant's job nor another collection
            doc = {"id": "job_1", "status": "Succeeded"}
            if write == "delete":
                await writer.delete("jobs", "job_1")
            else:
                await getattr(writer, write)("jobs", doc)
            await asyncio.wait_for(changed.wait(), GENEROUS)
    finally:
        await watcher_store.close()
        await writer_store.close()
