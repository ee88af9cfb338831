"""Operator actions on dead letters across queues: choose them, replay or purge them, audit it.

The CLI (`tenantry dlq`) and the admin routes (`/admin/deadletters`) both act through here, so
both write the same audit entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Literal

from shared.audit import AuditEntry, AuditLog
from shared.bootstrap import Services
from shared.ports.bus import Bus, DeadLetter, ReceivedDeadLetter
from shared.recovery import deadletters
from shared.recovery.deadletters import QUEUES, DeadLetterFilter, Progress

Selection = list[tuple[str, DeadLetterFilter]]


def per_queue(queue: str | None, where: DeadLetterFilter, ids: Iterable[str] | None) -> Selection:
    """The queues to visit (one, or all), each with its filter; `ids` (`queue:number`) narrow
    each queue to the dead letters named for it (raises `ValueError` for a malformed id)."""
    numbers: dict[str, set[int]] = {}
    named = list(ids) if ids is not None else None
    for value in named or []:
        queue_of, number = deadletters.parse_dead_letter_id(value)
        numbers.setdefault(queue_of, set()).add(number)
    chosen = [queue] if queue else list(QUEUES)
    return [
        (
            name,
            where if named is None else replace(where, sequence_numbers=frozenset(numbers[name])),
        )
        for name in chosen
        if named is None or name in numbers
    ]


def named(dead_letter_id: str) -> Selection:
    """The one dead letter an operator names (`queue:number`), on its queue (raises
    `ValueError` for a malformed id)."""
    return per_queue(None, DeadLetterFilter(), [dead_letter_id])


async def find(bus: Bus, selection: Selection, *, limit: int) -> list[tuple[str, DeadLetter]]:
    """Up to `limit` selected dead letters, queue by queue, oldest first, unlocked."""
    found: list[tuple[str, DeadLetter]] = []
    for queue, where in selection:
        if len(found) >= limit:
            break
        page = await deadletters.find(bus, queue, where, limit=limit - len(found))
        found += [(queue, dead) for dead in page]
    return found


async def settle(
    services: Services,
    selection: Selection,
    *,
    action: Literal["dlq.replay", "dlq.purge"],
    actor: str,
    at: datetime,
    limit: int,
    progress: Progress | None = None,
) -> list[tuple[str, ReceivedDeadLetter]]:
    """Replay or purge the selected dead letters (at most `limit`), and audit it in one entry."""
    done: list[tuple[str, ReceivedDeadLetter]] = []
    for queue, where in selection:
        left = limit - len(done)
        if left <= 0:
            break
        if action == "dlq.replay":
            ttl = deadletters.ttl_for(services.settings, queue)
            settled = await deadletters.replay(
                services.bus, queue, where, ttl_seconds=ttl, limit=left, progress=progress
            )
        else:
            settled = await deadletters.purge(
                services.bus, queue, where, limit=left, progress=progress
            )
        done += [(queue, d) for d in settled]
    filters: dict[str, str] = {}
    for _, where in selection:
        filters |= where.described()
    await AuditLog(services.store).append(
        AuditEntry(
            at=at,
            actor=actor,
            action=action,
            queue=",".join(queue for queue, _ in selection) or None,
            tenant_id=selection[0][1].tenant_id if selection else None,
            filters=filters,
            count=len(done),
            message_ids=[dead.message_id for _, dead in done],
        )
    )
    return done
