"""Journal replay: `tenantry replay --tenant T` rebuilds a tenant's lost read model from its
journaled commands, leaves other tenants and every job as they were, and can run twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from shared.audit import AuditLog
from shared.contracts.items import present_item
from shared.jobs import JOBS
from shared.ports.store import TenantStore
from shared.queues import COMMANDS
from tests.harness import Harness, running, settings_for
from tests.unit.test_dead_letter_recovery import tenantry


async def everything(store: TenantStore, collection: str) -> list[dict[str, Any]]:
    return (await store.list(collection, limit=100)).items


async def submit(harness: Harness, tenant: str, method: str, path: str, body: Any = None) -> str:
    response = await harness.client.request(method, path, headers=harness.auth(tenant), json=body)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    await harness.wait_for_jobs(tenant, [job_id])
    return job_id


async def replay(harness: Harness, data_dir: Path, *args: str) -> dict[str, Any]:
    """Run `tenantry replay` and wait until the worker handled every command it re-enqueued."""
    handled = harness.worker.handled
    report: dict[str, Any] = await tenantry("replay", *args, "--data-dir", str(data_dir))
    async with asyncio.timeout(20):
        while harness.worker.handled < handled + report["count"]:
            await asyncio.sleep(0.01)
    return report


async def test_journal_replay_rebuilds_one_tenants_deleted_read_model_and_nothing_else(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        for n in range(3):
            await submit(harness, "contoso", "POST", "/cosmos/notes", {"id": f"note{n}", "n": n})
        await submit(harness, "contoso", "PATCH", "/cosmos/notes/note0", {"n": 10, "tag": "x"})
        await submit(harness, "contoso", "DELETE", "/cosmos/notes/note2")
        for n in range(2):
            await submit(harness, "fabrikam", "POST", "/cosmos/notes", {"id": f"note{n}", "n": n})
        contoso = harness.services.store.for_tenant("contoso")
        fabrikam = harness.services.store.for_tenant("fabrikam")
        before = [
            present_item(d) | {"_etag": None} for d in await everything(contoso, "items.notes")
        ]
        assert {d["id"] for d in before} == {"note0", "note1"} and before[-1]["tag"] == "x"
        their_items = await everything(fabrikam, "items.notes")
        jobs = {t: await everything(s, JOBS) for t, s in (("c", contoso), ("f", fabrikam))}

        for doc in await everything(contoso, "items.notes"):  # the read model is lost
            await contoso.delete("items.notes", doc["id"])
        report = await replay(harness, tmp_path, "--tenant", "contoso")

        assert report["count"] == 5
        assert [c["type"] for c in report["commands"]] == [
            "item.create",
            "item.create",
            "item.create",
            "item.update",
            "item.delete",
        ]
        rebuilt = [
            present_item(d) | {"_etag": None} for d in await everything(contoso, "items.notes")
        ]
        assert sorted(rebuilt, key=lambda d: d["id"]) == sorted(before, key=lambda d: d["id"])
        assert await everything(fabrikam, "items.notes") == their_items  # same etags: untouched
        assert await everything(contoso, JOBS) == jobs["c"]  # jobs are left as they were
        assert await everything(fabrikam, JOBS) == jobs["f"]

        again = await replay(harness, tmp_path, "--tenant", "contoso")
        assert again["count"] == 5
        twice = [
            present_item(d) | {"_etag": None} for d in await everything(contoso, "items.notes")
        ]
        assert sorted(twice, key=lambda d: d["id"]) == sorted(before, key=lambda d: d["id"])
        assert await everything(fabrikam, "items.notes") == their_items


async def test_journal_replay_can_be_narrowed_by_type_and_dry_run_sends_nothing(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        await submit(harness, "contoso", "POST", "/cosmos/notes", {"id": "a"})
        await submit(harness, "contoso", "POST", "/agents/threads", {})
        async with asyncio.timeout(10):  # a job ends before its message is settled and counted
            while harness.worker.handled < 2:
                await asyncio.sleep(0.01)
        handled = harness.worker.handled

        dry = await tenantry(
            "replay",
            "--tenant",
            "contoso",
            "--type",
            "thread.create",
            "--dry-run",
            "--data-dir",
            str(tmp_path),
        )

        assert [c["type"] for c in dry["commands"]] == ["thread.create"]
        assert dry["dryRun"] is True
        session = await harness.services.bus.accept_session(COMMANDS, "contoso")
        assert await session.receive(10) == []  # nothing was sent: nothing queued, nothing taken
        await session.close()
        assert harness.worker.handled == handled
        assert (await AuditLog(harness.services.store).entries())[0] == []
