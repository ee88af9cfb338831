"""A poison command: dead-lettered after the max delivery count with its reason, its job
`Failed` with the reason as its error code, other tenants unaffected; once the cause is fixed,
`tenantry dlq replay` (the real CLI) brings it to `Succeeded`, and replaying it twice applies it
once.

The poison is a handler the test injects into the in-process worker: it fails for contoso while
`broken`, then does the real work.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli.main import app
from shared.audit import AuditLog
from shared.bootstrap import Services
from shared.contracts.commands import ItemCreate
from shared.queues import COMMANDS
from shared.recovery import deadletters
from tests.harness import Harness, running, settings_for
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS


class Flaky:
    """`item.create` that fails for one tenant while `broken`; counts the runs that took effect."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.broken = True
        self.applied = 0

    async def __call__(self, command: Any, context: HandlerContext) -> Outcome:
        if self.broken and context.scope.tenant_id == self.tenant:
            raise ConnectionError("the downstream service is down")
        outcome = await HANDLERS[ItemCreate](command, context)
        if context.scope.tenant_id == self.tenant:
            self.applied += 1
        return outcome


async def tenantry(*args: str, env: dict[str, str] | None = None) -> Any:
    """Run the `tenantry` CLI for real (in a thread: it runs its own event loop); its JSON."""
    result = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--json"], env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def job(harness: Harness, tenant: str, job_id: str) -> dict[str, Any]:
    response = await harness.client.get(f"/jobs/{job_id}", headers=harness.auth(tenant))
    return response.json()  # type: ignore[no-any-return]


async def until_succeeded(harness: Harness, tenant: str, job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while (found := await job(harness, tenant, job_id))["status"] != "Succeeded":
            await asyncio.sleep(0.01)
    return found


async def items(services: Services, tenant: str) -> list[dict[str, Any]]:
    return (await services.store.for_tenant(tenant).list("items.notes", limit=100)).items


async def poison(harness: Harness) -> tuple[str, list[str]]:
    """Submit the poison for contoso and healthy commands for fabrikam; wait for all to end."""
    submit = harness.client.post
    poisoned = await submit("/cosmos/notes", headers=harness.auth("contoso"), json={"n": 1})
    healthy = [
        (await submit("/cosmos/notes", headers=harness.auth("fabrikam"), json={"n": n})).json()
        for n in range(3)
    ]
    poison_job = poisoned.json()["id"]
    await harness.wait_for_jobs("contoso", [poison_job])
    await harness.wait_for_jobs("fabrikam", [j["id"] for j in healthy])
    return poison_job, [j["id"] for j in healthy]


async def test_a_poison_command_is_dead_lettered_then_replayed_by_the_cli_to_succeed_once(
    tmp_path: Path,
) -> None:
    flaky = Flaky("contoso")
    settings = settings_for(tmp_path, bus_max_delivery_count=3, transient_attempts=1)
    async with running(settings, handlers={**HANDLERS, ItemCreate: flaky}) as harness:
        poison_job, healthy = await poison(harness)

        failed = await job(harness, "contoso", poison_job)
        assert (
            failed["status"] == "Failed" and failed["error"]["code"] == "MaxDeliveryCountExceeded"
        )
        [dead] = await harness.services.bus.peek_dead_letters(COMMANDS)
        assert dead.reason == "MaxDeliveryCountExceeded" and dead.delivery_count == 3
        assert "the downstream service is down" in dead.description
        assert deadletters.tenant_of(dead) == "contoso"
        for other in healthy:  # another tenant's commands went through meanwhile
            assert (await job(harness, "fabrikam", other))["status"] == "Succeeded"
        assert len(await items(harness.services, "fabrikam")) == 3

        listed = await tenantry("dlq", "list", "--data-dir", str(tmp_path))
        assert [(d["tenantId"], d["type"], d["reason"]) for d in listed] == [
            ("contoso", "item.create", "MaxDeliveryCountExceeded")
        ]
        flaky.broken = False
        replayed = await tenantry(
            "dlq",
            "replay",
            "--tenant",
            "contoso",
            "--actor",
            "ops@test",
            "--data-dir",
            str(tmp_path),
        )
        assert replayed["count"] == 1

        done = await until_succeeded(harness, "contoso", poison_job)
        assert done["result"]["n"] == 1
        assert flaky.applied == 1
        assert len(await items(harness.services, "contoso")) == 1
        assert await harness.services.bus.peek_dead_letters(COMMANDS) == []
        again = await tenantry("dlq", "replay", "--tenant", "contoso", "--data-dir", str(tmp_path))
        assert again["count"] == 0
        audited, _ = await AuditLog(harness.services.store).entries(action="dlq.replay")
        second, first = audited
        assert (first.actor, first.count, first.tenant_id) == ("ops@test", 1, "contoso")
        assert first.message_ids == [poison_job]
        assert second.count == 0


async def test_a_replay_interrupted_after_its_send_and_replayed_again_applies_the_command_once(
    tmp_path: Path,
) -> None:
    flaky = Flaky("contoso")
    # no duplicate detection: the second copy reaches the worker, and the job ledger stops it
    settings = settings_for(
        tmp_path, bus_max_delivery_count=3, bus_duplicate_window_seconds=0, transient_attempts=1
    )
    async with running(settings, handlers={**HANDLERS, ItemCreate: flaky}) as harness:
        poison_job, _ = await poison(harness)
        flaky.broken = False
        bus = harness.services.bus
        receiver = await bus.open_dead_letter_receiver(COMMANDS)
        [held] = await receiver.receive()
        await bus.send(COMMANDS, [deadletters.replay_copy(held, ttl_seconds=60)])
        await receiver.close()  # the operator's process died here: the dead letter is still there
        await until_succeeded(harness, "contoso", poison_job)
        handled = harness.worker.handled

        replayed = await tenantry(
            "dlq",
            "replay",
            "--queue",
            "commands",
            "--data-dir",
            str(tmp_path),
            env={"BUS_DUPLICATE_WINDOW_SECONDS": "0"},
        )
        assert replayed["count"] == 1
        async with asyncio.timeout(20):
            while harness.worker.handled == handled:
                await asyncio.sleep(0.01)

        assert flaky.applied == 1
        assert len(await items(harness.services, "contoso")) == 1
        assert (await job(harness, "contoso", poison_job))["status"] == "Succeeded"
        assert await bus.peek_dead_letters(COMMANDS) == []
