"""The tenant's command journal: every accepted command, replayable to rebuild what was lost.

The journal is the job documents (each keeps its accepted envelope; see `shared.jobs`), read in
acceptance order. A replay re-enqueues copies marked `replay="journal"`: the handlers run again
and, being idempotent, rebuild read models and indexes without applying anything twice, while
the jobs and their webhook events are left as they are. Each copy has a new message id (derived
from the command and the replay), so duplicate detection does not drop it, and the original
session, so a tenant's commands are replayed in their order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from shared.contracts.envelope import Envelope
from shared.ids import derived_id
from shared.jobs import JOBS, journaled
from shared.messages import to_message
from shared.ports.bus import Bus, OutgoingMessage
from shared.ports.store import TenantStore
from shared.queues import COMMANDS

PAGE = 100
SEND_BATCH = 100


@dataclass(frozen=True)
class JournalFilter:
    """Which journaled commands to replay; unset fields match everything."""

    types: frozenset[str] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, envelope: Envelope) -> bool:
        """Whether the command is one of those asked for."""
        return (
            (self.types is None or envelope.type in self.types)
            and (self.since is None or envelope.time >= self.since)
            and (self.until is None or envelope.time < self.until)
        )

    def described(self) -> dict[str, str]:
        """The filter as the audit log keeps it."""
        fields = {
            "types": ",".join(sorted(self.types)) if self.types else None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {k: v for k, v in fields.items() if v is not None}


async def entries(store: TenantStore, where: JournalFilter) -> AsyncIterator[Envelope]:
    """The tenant's journaled commands that match, in the order they were accepted."""
    after: str | None = None
    while True:
        page = await store.list(JOBS, newest_first=False, limit=PAGE, after=after)
        for doc in page.items:
            envelope = journaled(doc)
            ours = envelope is not None and envelope.tenant_id == store.tenant_id
            if ours and envelope is not None and where.matches(envelope):
                yield envelope
        if page.next_cursor is None:
            return
        after = page.next_cursor


def replay_message(envelope: Envelope, replay_id: str, ttl_seconds: float) -> OutgoingMessage:
    """The message that replays one journaled command."""
    message = to_message(envelope.model_copy(update={"replay": "journal"}), ttl_seconds=ttl_seconds)
    return replace(message, message_id=derived_id("rpl", envelope.command_id, replay_id))


async def replay(
    bus: Bus,
    store: TenantStore,
    where: JournalFilter,
    *,
    replay_id: str,
    ttl_seconds: float,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Envelope]:
    """Re-enqueue the tenant's matching commands (unless `dry_run`); the commands concerned."""
    chosen: list[Envelope] = []
    batch: list[OutgoingMessage] = []

    async def flush() -> None:
        await bus.send(COMMANDS, batch)
        if progress is not None:
            progress(len(batch))
        batch.clear()

    async for envelope in entries(store, where):
        chosen.append(envelope)
        if not dry_run:
            batch.append(replay_message(envelope, replay_id, ttl_seconds))
            if len(batch) == SEND_BATCH:
                await flush()
    if batch:
        await flush()
    return chosen
