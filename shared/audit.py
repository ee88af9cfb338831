"""The operators' audit log: every replay and purge, with who, what and how many.

Entries are appended to a store partition that is not a tenant's (tenant ids start with a letter
or a digit, this one with `_`), so no tenant-bound client can read or write it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.resources import without_store_fields
from shared.ids import new_id
from shared.ports.store import Store

AUDIT = "audit"
OPERATIONS_PARTITION = "_operations"
KEPT_IDS = 100

Action = Literal["dlq.replay", "dlq.purge", "journal.replay", "webhook.redeliver"]


class AuditEntry(BaseModel):
    """One operation: who did it, what it touched, and how many messages."""

    id: str = Field(default_factory=lambda: new_id("aud"))
    at: datetime
    actor: str
    action: Action
    queue: str | None = None
    tenant_id: str | None = None
    filters: dict[str, str] = Field(default_factory=dict)
    count: int
    message_ids: list[str] = Field(default_factory=list, description="The first 100.")


class AuditLog:
    """Append and read audit entries."""

    def __init__(self, store: Store) -> None:
        self._store = store.for_tenant(OPERATIONS_PARTITION)

    async def append(self, entry: AuditEntry) -> AuditEntry:
        """Add an entry (only its first message ids are kept)."""
        kept = entry.model_copy(update={"message_ids": entry.message_ids[:KEPT_IDS]})
        await self._store.create(AUDIT, kept.model_dump(mode="json"))
        return kept

    async def entries(
        self, *, action: str | None = None, limit: int = 50, after: str | None = None
    ) -> tuple[list[AuditEntry], str | None]:
        """Entries newest first, optionally of one action, and the cursor of the next page."""
        where = {"action": action} if action else None
        page = await self._store.list(AUDIT, where=where, limit=limit, after=after)
        entries = [AuditEntry.model_validate(without_store_fields(d)) for d in page.items]
        return entries, page.next_cursor
