"""`/admin/deadletters` and `/admin/audit`: operators only, both queues, filters, safe replay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.ports.bus import OutgoingMessage
from shared.queues import COMMANDS, WEBHOOKS
from tests.harness import Harness, running, settings_for

ADMIN = ("tenantry.admin",)


async def dead_letter(harness: Harness, queue: str, session: str, kind: str, reason: str) -> None:
    """Put a message in the queue's dead letters with `reason` (as a worker would)."""
    bus = harness.services.bus
    message = OutgoingMessage(
        body=b'{"x": 1}',
        session_id=session,
        message_id=f"{session}-{kind}-{reason}",
        application_properties={"type": kind, "tenantId": session.split(":")[0]},
    )
    await bus.send(queue, [message])
    receiver = await bus.accept_session(queue, session)
    [received] = await receiver.receive()
    await receiver.dead_letter(received, reason=reason, description="test")
    await receiver.close()


async def listed(harness: Harness, **query: Any) -> list[dict[str, Any]]:
    response = await harness.client.get(
        "/admin/deadletters", headers=harness.auth("contoso", ADMIN), params=query
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_tenant_token_gets_403_and_no_token_401(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        as_tenant = harness.auth("contoso")
        answers = [
            await harness.client.get("/admin/deadletters", headers=as_tenant),
            await harness.client.post("/admin/deadletters/replay", headers=as_tenant, json={}),
            await harness.client.delete("/admin/deadletters/commands:1", headers=as_tenant),
            await harness.client.get("/admin/audit", headers=as_tenant),
        ]
        anonymous = await harness.client.get("/admin/deadletters")
    assert [a.status_code for a in answers] == [403] * 4
    assert anonymous.status_code == 401


async def test_dead_letters_of_both_queues_are_listed_and_filtered(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        await dead_letter(harness, COMMANDS, "contoso", "item.create", "InvalidCommand")
        await dead_letter(harness, COMMANDS, "fabrikam", "agent.create", "MaxDeliveryCountExceeded")
        await dead_letter(
            harness, WEBHOOKS, "contoso:wh_1", "job.succeeded", "WebhookDeliveryExhausted"
        )

        everything = await listed(harness)
        contoso = await listed(harness, tenant="contoso")
        by_reason = await listed(harness, reason="MaxDeliveryCountExceeded")
        by_type = await listed(harness, type="job.succeeded", queue="webhooks")
        future = await listed(harness, since="2999-01-01T00:00:00Z")
    assert [d["id"] for d in everything] == ["commands:1", "commands:2", "webhooks:3"]
    assert [d["id"] for d in contoso] == ["commands:1", "webhooks:3"]
    assert [d["tenantId"] for d in by_reason] == ["fabrikam"]
    assert [d["id"] for d in by_type] == ["webhooks:3"]
    assert future == []
    assert everything[0]["body"] == {"x": 1}


async def test_replay_sends_copies_back_and_purge_removes_and_both_are_audited(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        admin = harness.auth("ops", ADMIN)
        await dead_letter(harness, COMMANDS, "contoso", "item.create", "InvalidCommand")
        await dead_letter(harness, COMMANDS, "fabrikam", "item.create", "InvalidCommand")

        dry = await harness.client.post(
            "/admin/deadletters/replay", headers=admin, json={"tenant": "contoso", "dryRun": True}
        )
        replayed = await harness.client.post(
            "/admin/deadletters/replay", headers=admin, json={"tenant": "contoso"}
        )
        purged = await harness.client.delete("/admin/deadletters/commands:2", headers=admin)
        gone = await harness.client.delete("/admin/deadletters/commands:2", headers=admin)
        audit = (await harness.client.get("/admin/audit", headers=admin)).json()
        remaining = await harness.services.bus.peek_dead_letters(COMMANDS)
        session = await harness.services.bus.accept_session(COMMANDS, "contoso")
        [copy] = await session.receive()
    assert dry.json() == {"dryRun": True, "count": 1, "ids": ["commands:1"]}
    assert replayed.json() == {"dryRun": False, "count": 1, "ids": ["commands:1"]}
    assert (purged.status_code, gone.status_code) == (204, 404)
    assert remaining == []
    assert copy.body == b'{"x": 1}' and copy.message_id != "contoso-item.create-InvalidCommand"
    assert copy.application_properties["replayOf"] == "contoso-item.create-InvalidCommand"
    assert [(e["action"], e["actor"], e["count"]) for e in audit] == [
        ("dlq.purge", "dev-user", 0),
        ("dlq.purge", "dev-user", 1),
        ("dlq.replay", "dev-user", 1),
    ]
    assert audit[2]["filters"] == {"tenant": "contoso"}
    assert audit[2]["message_ids"] == ["contoso-item.create-InvalidCommand"]
