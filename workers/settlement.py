"""How a delivered message is settled, decided once for every runtime.

The pipeline and the webhook dispatcher decide (`Processor`); a runtime carries the decision
out through whatever settles its messages (`Settler`): a session receiver in the local fleet,
the Service Bus extension's message actions in the Functions app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from workers.delivery import Delivery


@dataclass(frozen=True)
class Settlement:
    """How to settle a message: complete it, give it back, or dead-letter it with a reason."""

    action: Literal["complete", "abandon", "dead_letter"]
    reason: str = ""
    description: str = ""


COMPLETE = Settlement("complete")
ABANDON = Settlement("abandon")


def dead_letter(reason: str, description: str) -> Settlement:
    """Dead-letter with a reason an operator can act on (descriptions are kept short)."""
    return Settlement("dead_letter", reason, description[:1024])


class Processor(Protocol):
    """What handles one delivered message and decides its settlement."""

    async def process(self, delivery: Delivery) -> Settlement: ...


class Settler(Protocol):
    """Settles one delivered message on its bus."""

    async def complete(self) -> None: ...

    async def abandon(self) -> None: ...

    async def dead_letter(self, reason: str, description: str) -> None: ...


async def settle(settler: Settler, how: Settlement) -> None:
    """Carry out a decision."""
    if how.action == "complete":
        await settler.complete()
    elif how.action == "abandon":
        await settler.abandon()
    else:
        await settler.dead_letter(how.reason, how.description)
