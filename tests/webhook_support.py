"""What the webhook tests share: settings that allow a loopback receiver, endpoints, messages."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.bootstrap import Services
from shared.queues import WEBHOOKS
from shared.settings import Settings
from shared.webhooks import endpoints
from shared.webhooks.deliveries import DeliveryMessage, delivery_id
from shared.webhooks.endpoints import Endpoint
from shared.webhooks.events import EventType, event_body
from tests.harness import settings_for
from workers.session_worker import SessionWorker
from workers.webhooks.dispatcher import Dispatcher


def webhook_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """The harness settings, with the loopback receivers of the tests allowed over http."""
    values: dict[str, Any] = {
        "webhook_allow_hosts": "127.0.0.1",
        "webhook_require_https": False,
        "webhook_timeout_seconds": 5.0,
    }
    return settings_for(tmp_path, **(values | overrides))


async def register(
    services: Services,
    tenant: str,
    url: str,
    events: tuple[EventType, ...] = ("job.succeeded", "job.failed"),
) -> tuple[Endpoint, str]:
    """An endpoint registered directly (as if the guard had passed it earlier) and its secret."""
    return await endpoints.register(
        services.scope(tenant), url, list(events), "test", int(time.time())
    )


def message_for(
    tenant: str, endpoint: Endpoint, job_id: str = "job_1", attempt: int = 0
) -> DeliveryMessage:
    """The first message of a `job.succeeded` delivery to `endpoint`."""
    first = delivery_id(job_id, "job.succeeded", endpoint.id)
    body = event_body("job.succeeded", datetime.now(UTC), {"jobId": job_id, "type": "x.y"})
    return DeliveryMessage(
        tenant_id=tenant,
        endpoint_id=endpoint.id,
        delivery_id=first,
        event_type="job.succeeded",
        job_id=job_id,
        body=body,
        attempt=attempt,
        series=first,
    )


class JumpingClock:
    """The wall clock, which a test can move forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def later(self, seconds: float) -> datetime:
        """The clock's time `seconds` from now."""
        return datetime.fromtimestamp(self() + seconds, UTC)

    def advance_to(self, when: datetime) -> None:
        self.offset = max(self.offset, when.timestamp() - time.time() + 0.001)


@contextlib.asynccontextmanager
async def dispatching(services: Services, concurrency: int = 4) -> AsyncIterator[SessionWorker]:
    """A session worker serving the webhooks queue, as each fleet process runs one."""
    worker = SessionWorker(
        services.bus,
        Dispatcher(services),
        concurrency=concurrency,
        batch_size=1,
        lock_duration_seconds=5,
        queue=WEBHOOKS,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, grace_seconds=2))
    try:
        yield worker
    finally:
        stop.set()
        await task
