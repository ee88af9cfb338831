"""Dead letters for operators: find, replay and purge them, on any queue, safely.

Replay peek-locks each dead letter, sends a copy with a new message id, and only then completes
the dead letter, so a crash at any point loses nothing: before the send the dead letter is still
there; between the send and the completion both exist, and the copy's id, derived from the dead
letter's id and sequence number, makes a second replay's copy a duplicate the bus drops (and past
the duplicate window the pipeline's job ledger applies the command once).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.ids import derived_id
from shared.ports.bus import Bus, DeadLetter, OutgoingMessage, ReceivedDeadLetter
from shared.queues import COMMANDS, WEBHOOKS, tenant_of_session
from shared.settings import Settings

QUEUES = (COMMANDS, WEBHOOKS)
PAGE = 200
BATCH = 50

Progress = Callable[[int], None]


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters an operation touches; unset fields match everything."""

    tenant_id: str | None = None
    reason: str | None = None
    message_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    sequence_numbers: frozenset[int] | None = None

    def matches(self, dead: DeadLetter) -> bool:
        """Whether the dead letter is one of those asked for."""
        when = dead.dead_lettered_time
        return (
            (self.tenant_id is None or tenant_of(dead) == self.tenant_id)
            and (self.reason is None or dead.reason == self.reason)
            and (self.message_type is None or type_of(dead) == self.message_type)
            and (self.since is None or when >= self.since)
            and (self.until is None or when < self.until)
            and (self.sequence_numbers is None or dead.sequence_number in self.sequence_numbers)
        )

    def described(self) -> dict[str, str]:
        """The filter as the audit log keeps it."""
        fields = {
            "tenant": self.tenant_id,
            "reason": self.reason,
            "type": self.message_type,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "ids": ",".join(map(str, sorted(self.sequence_numbers)))
            if self.sequence_numbers is not None
            else None,
        }
        return {k: v for k, v in fields.items() if v is not None}


def tenant_of(dead: DeadLetter) -> str:
    """The tenant a dead letter belongs to (its session says so for every queue)."""
    return tenant_of_session(dead.session_id)


def type_of(dead: DeadLetter) -> str | None:
    """The command or event type a dead letter carries, from its properties."""
    value = dead.application_properties.get("type")
    return None if value is None else str(value)


def dead_letter_id(queue: str, dead: DeadLetter) -> str:
    """The id operators name a dead letter by: `queue:sequence-number`."""
    return f"{queue}:{dead.sequence_number}"


def parse_dead_letter_id(value: str) -> tuple[str, int]:
    """The queue and sequence number of a dead-letter id (ValueError if it is not one)."""
    queue, _, number = value.partition(":")
    if queue not in QUEUES or not number.isdigit():
        raise ValueError(f"not a dead-letter id: {value!r} (expected e.g. commands:42)")
    return queue, int(number)


def describe(queue: str, dead: DeadLetter) -> dict[str, Any]:
    """A dead letter as the CLI and the admin routes show it."""
    try:
        body: Any = json.loads(dead.body)
    except ValueError:
        body = dead.body.decode("utf-8", "replace")
    return {
        "id": dead_letter_id(queue, dead),
        "queue": queue,
        "sequenceNumber": dead.sequence_number,
        "messageId": dead.message_id,
        "sessionId": dead.session_id,
        "tenantId": tenant_of(dead),
        "type": type_of(dead),
        "reason": dead.reason,
        "description": dead.description,
        "deliveryCount": dead.delivery_count,
        "enqueuedTime": dead.enqueued_time.isoformat(),
        "deadLetteredTime": dead.dead_lettered_time.isoformat(),
        "body": body,
    }


def ttl_for(settings: Settings, queue: str) -> float | None:
    """The time to live a replayed copy gets on `queue`."""
    return settings.command_ttl_seconds if queue == COMMANDS else None


def replay_copy(dead: ReceivedDeadLetter, ttl_seconds: float | None) -> OutgoingMessage:
    """The message that replays a dead letter: same body, session and properties, new id."""
    return OutgoingMessage(
        body=dead.body,
        session_id=dead.session_id,
        message_id=derived_id("rpl", dead.message_id, str(dead.sequence_number)),
        content_type=dead.content_type,
        application_properties={**dead.application_properties, "replayOf": dead.message_id},
        time_to_live_seconds=ttl_seconds,
    )


async def find(bus: Bus, queue: str, where: DeadLetterFilter, *, limit: int) -> list[DeadLetter]:
    """Up to `limit` matching dead letters, oldest first, without locking them."""
    found: list[DeadLetter] = []
    start = 0
    while len(found) < limit:
        page = await bus.peek_dead_letters(queue, max_count=PAGE, from_sequence_number=start)
        found += [dead for dead in page if where.matches(dead)]
        if len(page) < PAGE:
            break
        start = page[-1].sequence_number + 1
    return found[:limit]


async def _settle_matching(
    bus: Bus,
    queue: str,
    where: DeadLetterFilter,
    limit: int,
    act: Callable[[ReceivedDeadLetter], Awaitable[None]],
    progress: Progress | None,
) -> list[ReceivedDeadLetter]:
    """Peek-lock the queue's dead letters; for each match, `act` then complete it.

    Dead letters that do not match stay locked by this scan until it ends, so it never sees
    them twice, and go back untouched.
    """
    receiver = await bus.open_dead_letter_receiver(queue)
    done: list[ReceivedDeadLetter] = []
    seen: set[int] = set()
    try:
        while len(done) < limit:
            fresh = [d for d in await receiver.receive(BATCH) if d.sequence_number not in seen]
            if not fresh:
                break
            for dead in fresh:
                seen.add(dead.sequence_number)
                if len(done) >= limit or not where.matches(dead):
                    continue
                await act(dead)
                await receiver.complete(dead)
                done.append(dead)
                if progress is not None:
                    progress(1)
    finally:
        await receiver.close()
    return done


async def replay(
    bus: Bus,
    queue: str,
    where: DeadLetterFilter,
    *,
    ttl_seconds: float | None,
    limit: int,
    progress: Progress | None = None,
) -> list[ReceivedDeadLetter]:
    """Send a copy of every matching dead letter back to its queue, then remove it."""

    async def send_copy(dead: ReceivedDeadLetter) -> None:
        await bus.send(queue, [replay_copy(dead, ttl_seconds)])

    return await _settle_matching(bus, queue, where, limit, send_copy, progress)


async def purge(
    bus: Bus,
    queue: str,
    where: DeadLetterFilter,
    *,
    limit: int,
    progress: Progress | None = None,
) -> list[ReceivedDeadLetter]:
    """Remove every matching dead letter for good."""

    async def nothing(dead: ReceivedDeadLetter) -> None:
        return None

    return await _settle_matching(bus, queue, where, limit, nothing, progress)
