"""The entry point of one worker process of the local fleet."""

from __future__ import annotations

import asyncio
import signal

from shared.bootstrap import Services, bootstrap
from shared.logs import configure_logging
from shared.queues import WEBHOOKS
from shared.settings import Settings
from workers.pipeline import Pipeline
from workers.session_worker import SessionWorker
from workers.sweeper import run_sweeper
from workers.webhooks.dispatcher import Dispatcher


def command_pipeline(services: Services) -> Pipeline:
    """The pipeline this fleet runs commands through (the Functions app runs the same)."""
    return Pipeline(services)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Build the services, then serve the commands and webhooks queues until `stop` is set."""
    services = bootstrap(settings)
    worker = SessionWorker(
        services.bus,
        command_pipeline(services),
        concurrency=settings.worker_concurrency,
        batch_size=settings.worker_batch_size,
        lock_duration_seconds=settings.bus_lock_duration_seconds,
    )
    dispatcher = SessionWorker(
        services.bus,
        Dispatcher(services),
        concurrency=settings.webhook_concurrency,
        batch_size=1,  # one delivery per turn: a slow endpoint waits its turn like any other
        lock_duration_seconds=settings.bus_lock_duration_seconds,
        queue=WEBHOOKS,
    )
    sweeper = asyncio.create_task(run_sweeper(services, stop))
    try:
        await asyncio.gather(
            worker.run(stop, grace_seconds=settings.shutdown_grace_seconds),
            dispatcher.run(stop, grace_seconds=settings.shutdown_grace_seconds),
        )
    finally:
        stop.set()
        await sweeper
        await services.close()


def main(settings: Settings) -> None:
    """Run one worker process: SIGTERM finishes in-flight work and exits; SIGINT is the parent's.

    Started by `workers.fleet.Fleet`, it ends at once if its parent does (`shared.spawned`).
    """
    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level)

    async def _run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        await serve(settings, stop)

    asyncio.run(_run())
