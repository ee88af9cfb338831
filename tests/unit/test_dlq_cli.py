"""`tenantry dlq` and `tenantry audit` for an operator at a terminal: tables, a progress bar
for large batches, confirmation before a purge."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from shared.bootstrap import bootstrap
from shared.ports.bus import OutgoingMessage
from shared.queues import COMMANDS
from tests.harness import settings_for


async def dead_letters(data_dir: Path, count: int) -> None:
    services = bootstrap(settings_for(data_dir))
    messages = [
        OutgoingMessage(
            body=b"{}",
            session_id="contoso",
            message_id=f"m{n}",
            application_properties={"type": "item.create"},
        )
        for n in range(count)
    ]
    await services.bus.send(COMMANDS, messages)
    receiver = await services.bus.accept_session(COMMANDS, "contoso")
    for received in await receiver.receive(count):
        await receiver.dead_letter(received, reason="InvalidCommand", description="bad")
    await receiver.close()
    await services.close()


def tenantry(*args: str, answer: str | None = None) -> str:
    result = CliRunner().invoke(app, list(args), input=answer, env={"COLUMNS": "200"})
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_a_large_purge_asks_first_shows_progress_and_is_audited(tmp_path: Path) -> None:
    asyncio.run(dead_letters(tmp_path, 25))
    where = ("--data-dir", str(tmp_path))

    table = tenantry("dlq", "list", "--limit", "3", *where)
    declined = tenantry("dlq", "purge", *where, answer="n\n")
    still = json.loads(tenantry("dlq", "list", "--json", *where))
    shown = json.loads(tenantry("dlq", "show", "commands:7", *where))
    purged = tenantry("dlq", "purge", "--actor", "ops@test", *where, answer="y\n")
    audit = json.loads(tenantry("audit", "--json", *where))

    assert "commands:1" in table and "InvalidCommand" in table and "commands:4" not in table
    assert "for good?" in declined and len(still) == 25
    assert (shown["messageId"], shown["reason"], shown["body"]) == ("m6", "InvalidCommand", {})
    assert "purging" in purged and "25 dead letter(s) purged." in purged
    assert json.loads(tenantry("dlq", "list", "--json", *where)) == []
    assert [(e["actor"], e["action"], e["count"]) for e in audit] == [("ops@test", "dlq.purge", 25)]
    assert "No dead letters match." in tenantry("dlq", "list", *where)
