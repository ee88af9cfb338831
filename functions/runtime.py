"""The Functions worker's process-wide services, built once on the first invocation.

Nothing is built at import: the host imports `function_app.py` to index the functions, and the
settings (and their secrets) are read only when the first message arrives.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from functions.delivery import FunctionsDelivery, TriggeredMessage
from shared.bootstrap import Services, bootstrap
from shared.settings import Settings, load_settings
from workers.dead_lettered_jobs import DeadLetterScan
from workers.pipeline import Pipeline, Sleep
from workers.settlement import Processor, Settlement, settle
from workers.sweeper import Swept, sweep_once
from workers.webhooks.dispatcher import Dispatcher

log = logging.getLogger("tenantry.functions")


class MessageActions(Protocol):
    """Settles the triggered message (the Service Bus extension's `ServiceBusMessageActions`)."""

    def complete(self, message: Any) -> None: ...

    def abandon(self, message: Any) -> None: ...

    def deadletter(
        self,
        message: Any,
        deadletter_reason: str | None = None,
        deadletter_error_description: str | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class ActionsSettler:
    """Settles the triggered message through the host (the calls are blocking gRPC)."""

    actions: MessageActions
    message: TriggeredMessage

    async def complete(self) -> None:
        await asyncio.to_thread(self.actions.complete, self.message)

    async def abandon(self) -> None:
        await asyncio.to_thread(self.actions.abandon, self.message)

    async def dead_letter(self, reason: str, description: str) -> None:
        await asyncio.to_thread(self.actions.deadletter, self.message, reason, description)


class Runtime:
    """Builds the services, the pipeline and the dispatcher once, on first use."""

    def __init__(
        self, settings: Callable[[], Settings] = load_settings, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._services: Services | None = None
        self._pipeline: Pipeline | None = None
        self._dispatcher: Dispatcher | None = None
        self._dead_letters: DeadLetterScan | None = None
        self._lock = asyncio.Lock()

    async def services(self) -> Services:
        """The process's services, built on first call."""
        async with self._lock:
            if self._services is None:
                self._services = bootstrap(self._settings())
            return self._services

    async def pipeline(self) -> Pipeline:
        """The commands pipeline (the one the local fleet runs)."""
        if self._pipeline is None:
            self._pipeline = Pipeline(await self.services(), sleep=self._sleep)
        return self._pipeline

    async def dispatcher(self) -> Dispatcher:
        """The webhook dispatcher (the one the local fleet runs)."""
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(await self.services())
        return self._dispatcher

    async def handle(self, message: TriggeredMessage, actions: MessageActions) -> Settlement:
        """Run one triggered command through the pipeline and settle it as it decides."""
        return await self._run(await self.pipeline(), message, actions)

    async def deliver(self, message: TriggeredMessage, actions: MessageActions) -> Settlement:
        """Make one webhook delivery attempt and settle it as the dispatcher decides."""
        return await self._run(await self.dispatcher(), message, actions)

    async def sweep(self) -> Swept:
        """One round of the sweeps the local fleet runs in every worker: dead letters' jobs
        ended, jobs left unstarted past the command TTL expired, stale staged uploads removed."""
        services = await self.services()
        if self._dead_letters is None:
            self._dead_letters = DeadLetterScan(services)
        swept = await sweep_once(services, self._dead_letters)
        log.info("swept", extra={"swept": swept.__dict__})
        return swept

    async def _run(
        self, processor: Processor, message: TriggeredMessage, actions: MessageActions
    ) -> Settlement:
        """Process and settle; an error outside the processor's decisions (the store
        unreachable, say) gives the message back for another delivery and is raised for the
        host to log."""
        delivery = FunctionsDelivery(message)
        try:
            decision = await processor.process(delivery)
        except Exception:
            log.exception("message %s failed outside the pipeline", delivery.message_id)
            await asyncio.to_thread(actions.abandon, message)
            raise
        await settle(ActionsSettler(actions, message), decision)
        return decision

    async def close(self) -> None:
        """Close the services, if they were built."""
        if self._services is not None:
            await self._services.close()
        self._services = self._pipeline = self._dispatcher = self._dead_letters = None


RUNTIME = Runtime()
"""The runtime of this worker process (tests put one on their own settings in its place)."""
