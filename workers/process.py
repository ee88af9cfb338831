"""The entry point of one worker process of the local fleet."""

from __future__ import annotations

import asyncio
import logging
import signal

from shared.bootstrap import bootstrap
from shared.settings import Settings
from workers.pipeline import Pipeline
from workers.session_worker import SessionWorker


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Build the services, then serve the commands queue until `stop` is set."""
    services = bootstrap(settings)
    worker = SessionWorker(
        services.bus,
        Pipeline(services),
        concurrency=settings.worker_concurrency,
        batch_size=settings.worker_batch_size,
        lock_duration_seconds=settings.bus_lock_duration_seconds,
    )
    try:
        await worker.run(stop, grace_seconds=settings.shutdown_grace_seconds)
    finally:
        await services.close()


def main(settings: Settings) -> None:
    """Run one worker process: SIGTERM finishes in-flight work and exits; SIGINT is the parent's."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def _run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        await serve(settings, stop)

    asyncio.run(_run())
