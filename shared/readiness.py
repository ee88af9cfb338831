"""Readiness, the same for the ingress and the Functions app: configured, and its bus and store
answer.

A process whose settings cannot make a working service (an Azure adapter chosen without its
endpoint, say) does not crash: it stays up, answers liveness, and reports the configuration
error here, so an operator reads what to fix instead of watching restarts and dead letters.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from shared.bootstrap import Services

READY_TIMEOUT_SECONDS = 3.0
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class Readiness:
    """The verdict and what each check found."""

    status: Literal["ready", "unavailable", "misconfigured"]
    checks: dict[str, str]

    @property
    def status_code(self) -> int:
        """200 when ready, else 503."""
        return 200 if self.status == "ready" else 503

    @property
    def headers(self) -> dict[str, str]:
        """`Retry-After` unless ready."""
        return {} if self.status == "ready" else {"Retry-After": str(RETRY_AFTER_SECONDS)}

    def body(self) -> dict[str, Any]:
        """The JSON answer: `{"status", "checks"}`."""
        return {"status": self.status, "checks": self.checks}


def misconfigured(error: str) -> Readiness:
    """Not ready, and never will be until the settings change: the error says which."""
    return Readiness("misconfigured", {"configuration": error})


async def readiness(services: Services) -> Readiness:
    """Configured; now whether the bus and the store answer, each within a few seconds."""
    checks: dict[str, str] = {"configuration": "ok"}
    for name, ping in (("bus", services.bus.ping), ("store", services.store.ping)):
        try:
            await asyncio.wait_for(ping(), READY_TIMEOUT_SECONDS)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which part
            checks[name] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return Readiness("ready" if ready else "unavailable", checks)
