"""Serving the ingress and the local fleet together in one command."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

from ingress.app import create_app
from shared.logs import configure_logging
from shared.settings import Settings
from workers.fleet import Fleet

SUPERVISE_EVERY_SECONDS = 1.0


async def _supervise(fleet: Fleet) -> None:
    while True:
        await asyncio.sleep(SUPERVISE_EVERY_SECONDS)
        fleet.check()


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Run the ingress on host:port and `workers` worker processes until interrupted."""
    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level)
    fleet = Fleet(settings, workers)
    fleet.start()
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )
    server = uvicorn.Server(config)

    async def run() -> None:
        supervisor = asyncio.create_task(_supervise(fleet))
        try:
            await server.serve()
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor

    try:
        asyncio.run(run())
    finally:
        fleet.stop(settings.shutdown_grace_seconds)
