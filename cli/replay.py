"""`tenantry replay`: re-enqueue a tenant's journaled commands to rebuild what a loss took.

Handlers run again on the copies and, being idempotent, rebuild read models and indexes
without applying anything twice; jobs and webhook events are left as they were. Replay every
type that touches what was lost (creates, updates and deletes), in full from `--since`.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from cli.operations import OperatorRun, When, err, out, parse_when, print_json, services_of
from cli.option_groups import with_option_groups
from shared.audit import AuditEntry, AuditLog
from shared.contracts.envelope import Envelope
from shared.ids import new_id
from shared.recovery import journal
from shared.recovery.journal import JournalFilter


def commands_table(chosen: list[Envelope]) -> Table:
    """The commands a replay sends (or, dry, would send), oldest first; ids never cut."""
    table = Table("command id", "type", "accepted (UTC)")
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max(len(e.command_id) for e in chosen)
    for envelope in chosen:
        table.add_row(
            envelope.command_id, envelope.type, envelope.time.strftime("%Y-%m-%d %H:%M:%S")
        )
    return table


@with_option_groups
def replay(
    *,
    tenant: Annotated[str, typer.Option(help="The tenant whose commands to replay.")],
    types: Annotated[
        list[str] | None, typer.Option("--type", help="Only this command type; repeat.")
    ] = None,
    since: When = None,
    until: When = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List them; send nothing.")] = False,
    how: OperatorRun,
) -> None:
    """Re-enqueue a tenant's accepted commands, oldest first, to rebuild a read model or index."""
    where = JournalFilter(
        types=frozenset(types) if types else None, since=parse_when(since), until=parse_when(until)
    )
    replay_id = new_id("rpl")

    async def run() -> list[Envelope]:
        async with services_of(how.data_dir) as services:
            if tenant not in services.registry:
                err.print(f"[red]No tenant {tenant!r} in the registry.[/]")
                raise typer.Exit(2)
            store = services.scope(tenant).store
            send = functools.partial(
                journal.replay,
                services.bus,
                store,
                where,
                replay_id=replay_id,
                ttl_seconds=services.settings.command_ttl_seconds,
                dry_run=dry_run,
            )
            if how.json_output or dry_run:
                chosen = await send()
            else:
                with Progress(console=err) as bar:
                    task = bar.add_task("replaying", total=None)
                    chosen = await send(progress=lambda n: bar.advance(task, n))
            if not dry_run:
                await AuditLog(services.store).append(
                    AuditEntry(
                        at=datetime.fromtimestamp(services.clock(), UTC),
                        actor=how.actor_name(),
                        action="journal.replay",
                        tenant_id=tenant,
                        filters=where.described() | {"replay": replay_id},
                        count=len(chosen),
                        message_ids=[e.command_id for e in chosen],
                    )
                )
            return chosen

    chosen = asyncio.run(run())
    if how.json_output:
        print_json(
            {
                "dryRun": dry_run,
                "tenant": tenant,
                "replay": replay_id,
                "count": len(chosen),
                "commands": [
                    {"commandId": e.command_id, "type": e.type, "time": e.time.isoformat()}
                    for e in chosen
                ],
            }
        )
        return
    if dry_run and chosen:
        out.print(commands_table(chosen))
    err.print(
        f"{len(chosen)} command(s) of {tenant} {'would be ' if dry_run else ''}re-enqueued"
        + ("" if dry_run else f" (replay {replay_id})")
        + "."
    )
