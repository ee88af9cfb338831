"""`tenantry audit`: who replayed or purged what, and how many, newest first."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.table import Table

from cli.data_dir import DeploymentDataDir
from cli.operations import Json, out, print_json, services_of
from shared.audit import AuditEntry, AuditLog


def audit(
    action: Annotated[
        str | None,
        typer.Option(help="Only this action: dlq.replay, dlq.purge, journal.replay."),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100, help="At most this many.")] = 50,
    json_output: Json = False,
    data_dir: DeploymentDataDir = None,
) -> None:
    """Show the audit log of replays and purges."""

    async def run() -> list[AuditEntry]:
        async with services_of(data_dir) as services:
            entries, _ = await AuditLog(services.store).entries(action=action, limit=limit)
            return entries

    entries = asyncio.run(run())
    if json_output:
        print_json([e.model_dump(mode="json") for e in entries])
        return
    table = Table("when", "who", "action", "queue", "tenant", "filters", "count")
    for e in entries:
        filters = ", ".join(f"{k}={v}" for k, v in e.filters.items())
        table.add_row(
            e.at.strftime("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.action,
            e.queue or "-",
            e.tenant_id or "-",
            filters or "-",
            str(e.count),
        )
    out.print(table)
