"""Messages waiting per tenant and per queue, from the bus's per-session counts.

A tenant's sessions are its id and its lanes on the commands queue, and one per endpoint on the
webhooks queue; all of them are summed under the tenant. Where the bus cannot count active or
scheduled messages (Service Bus), those stay None and the page shows a dash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.ports.bus import Bus, SessionCounts
from shared.queues import tenant_of_session


@dataclass
class Waiting:
    """What one tenant (or a whole queue) has waiting on one queue."""

    active: int | None = 0
    scheduled: int | None = 0
    dead_lettered: int = 0

    def add(self, counts: SessionCounts) -> None:
        """Add one session's counts (an unknown count makes the sum unknown)."""
        self.active = _plus(self.active, counts.active)
        self.scheduled = _plus(self.scheduled, counts.scheduled)
        self.dead_lettered += counts.dead_lettered

    def to_json(self) -> dict[str, Any]:
        """As the page reads it."""
        return {
            "active": self.active,
            "scheduled": self.scheduled,
            "deadLettered": self.dead_lettered,
        }


def _plus(total: int | None, more: int | None) -> int | None:
    return None if total is None or more is None else total + more


@dataclass
class QueueCounts:
    """A queue's totals and each tenant's share."""

    total: Waiting
    by_tenant: dict[str, Waiting]
    counted: bool
    """Whether active and scheduled messages are counted per tenant by this bus."""

    def of(self, tenant_id: str) -> Waiting:
        """The tenant's share (nothing waiting if the bus holds nothing of it)."""
        found = self.by_tenant.get(tenant_id)
        if found is not None:
            return found
        return Waiting() if self.counted else Waiting(active=None, scheduled=None)


async def queue_counts(bus: Bus, queue: str) -> QueueCounts:
    """One read of the bus: the queue's per-session counts summed per tenant and in total."""
    sessions = await bus.session_counts(queue)
    counted = bus.counts_waiting_messages
    total = Waiting() if counted else Waiting(active=None, scheduled=None)
    by_tenant: dict[str, Waiting] = {}
    for counts in sessions:
        tenant = tenant_of_session(counts.session_id)
        by_tenant.setdefault(tenant, Waiting()).add(counts)
        total.add(counts)
    return QueueCounts(total=total, by_tenant=by_tenant, counted=counted)
