"""The console app beside an in-process tenantry (`tests.harness`), sharing its adapters."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from console.app import create_console_app
from shared.ports.bus import OutgoingMessage
from shared.queues import COMMANDS
from tests.harness import Harness

OPERATOR = ("tenantry.admin",)


@dataclass
class Console:
    """The console's HTTP client and the tenantry it looks at."""

    client: httpx.AsyncClient
    tenantry: Harness

    def operator(self) -> dict[str, str]:
        return self.tenantry.auth("contoso", OPERATOR)


@contextlib.asynccontextmanager
async def console_of(harness: Harness) -> AsyncIterator[Console]:
    """The console app over the harness's services."""
    app = create_console_app(harness.services.settings, harness.services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
        yield Console(client, harness)


async def dead_letter_next(harness: Harness, session: str, reason: str = "Refused") -> str:
    """Dead-letter the next message of a commands session, as a failing worker would."""
    receiver = await harness.services.bus.accept_session(COMMANDS, session)
    [received] = await receiver.receive()
    await receiver.dead_letter(received, reason=reason, description="the test refused it")
    await receiver.close()
    return received.message_id


def raw_message(session: str, message_id: str, **fields: object) -> OutgoingMessage:
    """A message with an opaque body on a session."""
    return OutgoingMessage(body=b"{}", session_id=session, message_id=message_id, **fields)  # type: ignore[arg-type]
