"""`tenantry dlq`: see, replay and purge the dead letters of the commands and webhooks queues.

Replays and purges peek-lock each dead letter and settle it only after the work is done (see
`shared.recovery.deadletters`), and are written to the audit log.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import typer
from rich.progress import Progress
from rich.table import Table

from cli.data_dir import DeploymentDataDir
from cli.operations import (
    Json,
    OperatorRun,
    When,
    err,
    out,
    parse_when,
    print_json,
    services_of,
)
from cli.option_groups import with_option_groups
from shared.ports.bus import DeadLetter
from shared.recovery import actions, deadletters
from shared.recovery.deadletters import DeadLetterFilter

app = typer.Typer(
    help="Dead letters of the commands and webhooks queues: list, show, replay, purge.",
    no_args_is_help=True,
)

PROGRESS_FROM = 20
"""Batches at least this large show a progress bar."""


class QueueChoice(StrEnum):
    ALL = "all"
    COMMANDS = "commands"
    WEBHOOKS = "webhooks"


QueueOpt = Annotated[QueueChoice, typer.Option("--queue", help="Which queue's dead letters.")]
Tenant = Annotated[str | None, typer.Option(help="Only this tenant's.")]
Reason = Annotated[str | None, typer.Option(help="Only this dead-letter reason.")]
Kind = Annotated[str | None, typer.Option("--type", help="Only this command or event type.")]
Ids = Annotated[
    list[str] | None, typer.Option("--id", help="Only this dead letter (e.g. commands:42); repeat.")
]
Limit = Annotated[int, typer.Option(min=1, help="At most this many.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Say what would happen; change nothing.")]


@dataclass(frozen=True)
class DeadLetterChoice:
    """Which dead letters a command acts on: the options `list`, `replay` and `purge` share."""

    queue: QueueOpt = QueueChoice.ALL
    tenant: Tenant = None
    reason: Reason = None
    kind: Kind = None
    since: When = None
    until: When = None
    ids: Ids = None

    def selection(self) -> actions.Selection:
        """The dead letters chosen, per queue; a bad time or id is a usage error."""
        where = DeadLetterFilter(
            tenant_id=self.tenant,
            reason=self.reason,
            message_type=self.kind,
            since=parse_when(self.since),
            until=parse_when(self.until),
        )
        queue = None if self.queue is QueueChoice.ALL else self.queue.value
        try:
            return actions.per_queue(queue, where, self.ids)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc


@dataclass(frozen=True)
class Batch:
    """How many of the chosen dead letters `replay` and `purge` settle, if any."""

    limit: Limit = 10_000
    dry_run: DryRun = False


def _table(found: list[tuple[str, DeadLetter]]) -> Table:
    """Dead letters as rows; the id an operator copies is never cut, the description folds."""
    shown_ids = [deadletters.describe(queue, dead)["id"] for queue, dead in found]
    table = Table("id", "tenant", "type", "reason", "dead-lettered", "deliveries", "why")
    table.columns[0].no_wrap = True
    table.columns[0].min_width = max(map(len, shown_ids))
    table.columns[-1].overflow = "fold"
    for queue, dead in found:
        shown = deadletters.describe(queue, dead)
        table.add_row(
            shown["id"],
            shown["tenantId"],
            shown["type"] or "-",
            dead.reason,
            dead.dead_lettered_time.strftime("%Y-%m-%d %H:%M:%S"),
            str(dead.delivery_count),
            (dead.description[:60] + "...") if len(dead.description) > 60 else dead.description,
        )
    return table


@app.command("list")
@with_option_groups
def list_(
    *,
    chosen: DeadLetterChoice,
    limit: Limit = 100,
    json_output: Json = False,
    data_dir: DeploymentDataDir = None,
) -> None:
    """List dead letters, oldest first."""

    async def run() -> list[tuple[str, DeadLetter]]:
        async with services_of(data_dir) as services:
            return await actions.find(services.bus, chosen.selection(), limit=limit)

    found = asyncio.run(run())
    if json_output:
        print_json([deadletters.describe(q, d) for q, d in found])
    elif found:
        out.print(_table(found))
    else:
        err.print("No dead letters match.")


@app.command()
def show(
    dead_letter_id: Annotated[str, typer.Argument(help="e.g. commands:42")],
    data_dir: DeploymentDataDir = None,
) -> None:
    """Everything about one dead letter, its body included, as JSON."""
    selection = DeadLetterChoice(ids=[dead_letter_id]).selection()

    async def run() -> list[tuple[str, DeadLetter]]:
        async with services_of(data_dir) as services:
            return await actions.find(services.bus, selection, limit=1)

    found = asyncio.run(run())
    if not found:
        err.print(f"[red]No dead letter {dead_letter_id}.[/]")
        raise typer.Exit(1)
    print_json(deadletters.describe(*found[0]))


def _carry_out(
    action: Literal["dlq.replay", "dlq.purge"],
    chosen: DeadLetterChoice,
    batch: Batch,
    how: OperatorRun,
) -> None:
    verb, doing, done_ = {
        "dlq.replay": ("replay", "replaying", "replayed"),
        "dlq.purge": ("purge", "purging", "purged"),
    }[action]
    selection, actor = chosen.selection(), how.actor_name()
    limit, dry_run = batch.limit, batch.dry_run

    async def run() -> list[dict[str, Any]]:
        async with services_of(how.data_dir) as services:
            matching = await actions.find(services.bus, selection, limit=limit)
            if dry_run:
                return [deadletters.describe(q, d) for q, d in matching]
            at = datetime.fromtimestamp(services.clock(), UTC)
            settle = functools.partial(
                actions.settle, services, selection, action=action, actor=actor, at=at, limit=limit
            )
            if how.json_output or len(matching) < PROGRESS_FROM:
                done = await settle()
            else:
                with Progress(console=err) as progress:
                    task = progress.add_task(doing, total=len(matching))
                    done = await settle(progress=lambda n: progress.advance(task, n))
            return [deadletters.describe(q, d) for q, d in done]

    done = asyncio.run(run())
    if how.json_output:
        print_json({"dryRun": dry_run, "count": len(done), "deadLetters": done})
        return
    for shown in done:
        err.print(f"{'would ' + verb if dry_run else done_}: {shown['id']} ({shown['reason']})")
    err.print(f"{len(done)} dead letter(s) {'would be ' if dry_run else ''}{done_}.")


@app.command()
@with_option_groups
def replay(*, chosen: DeadLetterChoice, batch: Batch, how: OperatorRun) -> None:
    """Send matching dead letters back to their queue (as copies with new ids), then remove them.

    A replayed command keeps its tenant, session, command id and idempotency key: a command
    that already took effect is not applied again.
    """
    _carry_out("dlq.replay", chosen, batch, how)


@app.command()
@with_option_groups
def purge(
    *,
    chosen: DeadLetterChoice,
    batch: Batch,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    how: OperatorRun,
) -> None:
    """Remove matching dead letters for good."""
    if not (batch.dry_run or yes or typer.confirm("Remove the matching dead letters for good?")):
        raise typer.Exit(1)
    _carry_out("dlq.purge", chosen, batch, how)
