"""`tenantry up`: the ingress on one or more processes and the local worker fleet, as one unit.

The first ingress runs in this process, which also supervises the others: extra ingress
processes sharing its listening socket, and the worker processes. SIGTERM or SIGINT drains the
whole deployment: every ingress stops accepting and finishes its requests, then the workers
finish their in-flight messages, and only then does this process exit. Every child ends with
this process however it ends (SIGKILL included; see `shared.spawned`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from cli.banner import local_url
from ingress.app import create_app
from ingress.server import IngressServer, ingress_config, serve_on
from shared.logs import configure_logging
from shared.process_group import ProcessGroup
from shared.settings import Settings
from workers.fleet import Fleet

SUPERVISE_EVERY_SECONDS = 1.0


def default_ingress_processes() -> int:
    """One ingress process per core this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


async def _supervise(*groups: ProcessGroup) -> None:
    while True:
        await asyncio.sleep(SUPERVISE_EVERY_SECONDS)
        for group in groups:
            group.check()


def for_workers(settings: Settings, *, host: str, port: int) -> Settings:
    """The workers' settings: the links of webhook events start where this deployment is
    reached (the banner's address) unless `PUBLIC_BASE_URL` names another."""
    if settings.public_base_url:
        return settings
    return settings.model_copy(update={"public_base_url": local_url(host, port)})


def serve(
    settings: Settings, *, host: str, port: int, workers: int, ingress_processes: int = 1
) -> None:
    """Run `ingress_processes` ingress processes on host:port and `workers` worker processes
    until SIGTERM or SIGINT, then drain and stop all of them before returning."""
    configure_logging(json_lines=settings.log_format == "json", level=settings.log_level)
    config = ingress_config(settings, create_app(settings), host=host, port=port)
    listener = config.bind_socket()
    extra = ProcessGroup(
        serve_on,
        (settings, listener.fileno()),
        max(ingress_processes - 1, 0),
        "tenantry-ingress",
        pass_fds=(listener.fileno(),),
    )
    fleet = Fleet(for_workers(settings, host=host, port=port), workers)
    server = IngressServer(config, on_stop=extra.signal_stop)

    async def run() -> None:
        supervisor = asyncio.create_task(_supervise(fleet, extra))
        try:
            await server.serve(sockets=[listener])
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor

    fleet.start()
    extra.start()
    try:
        # the loop uvicorn would choose (uvloop when installed), as in the extra processes
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(run())
    finally:
        extra.stop(settings.shutdown_grace_seconds)
        fleet.stop(settings.shutdown_grace_seconds)
        listener.close()
