"""The `tenantry` command: thin wiring of the ingress, the fleet and the embedded defaults."""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer
from rich.console import Console

from cli import audit, dlq, replay, tenants
from cli.capacity.command import capacity
from cli.data_dir import ServingDataDir, for_serving
from cli.dev import embedded_settings

app = typer.Typer(help="tenantry: a pooled multi-tenant agent service.", no_args_is_help=True)
console = Console(stderr=True)


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None, typer.Option(min=0, help="Worker processes (default: WORKER_PROCESSES, 2).")
    ] = None,
    ingress_processes: Annotated[
        int | None,
        typer.Option(min=1, help="Ingress processes sharing the port [default: one per core]."),
    ] = None,
    data_dir: ServingDataDir = None,
) -> None:
    """Serve the ingress and the worker fleet on embedded defaults."""
    from cli.banner import banner
    from cli.serve import default_ingress_processes, serve

    settings = embedded_settings(for_serving(data_dir))
    workers = settings.worker_processes if workers is None else workers
    console.print(banner(settings, host=host, port=port, workers=workers), soft_wrap=True)
    serve(
        settings,
        host=host,
        port=port,
        workers=workers,
        ingress_processes=ingress_processes or default_ingress_processes(),
    )


@app.command()
def worker(
    processes: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: WORKER_PROCESSES, 2).")
    ] = None,
    data_dir: ServingDataDir = None,
) -> None:
    """Run only the worker fleet (the ingress runs elsewhere)."""
    from workers.fleet import Fleet

    settings = embedded_settings(for_serving(data_dir))
    fleet = Fleet(settings, settings.worker_processes if processes is None else processes)
    fleet.start()

    async def supervise() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        while not stop.is_set():
            fleet.check()
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                continue

    try:
        asyncio.run(supervise())
    finally:
        fleet.stop(settings.shutdown_grace_seconds)


@app.command()
def token(
    tenant: Annotated[str, typer.Option(help="The tenant the token names.")],
    role: Annotated[list[str] | None, typer.Option(help="A role; repeat for several.")] = None,
    subject: Annotated[str, typer.Option(help="The token's subject.")] = "dev-user",
    lifetime: Annotated[int, typer.Option(min=60, help="Seconds until it expires.")] = 3600,
    data_dir: ServingDataDir = None,
) -> None:
    """Print a development token for a running deployment (HS256 development secret only).

    The secret is the deployment's: JWT_SECRET_KEY, else the `dev-secret` of its data directory,
    which this command finds but never creates.
    """
    from cli.operations import deployment_settings
    from shared.tokens import issue_dev_token

    settings = deployment_settings(data_dir, tokens=True)
    try:
        print(
            issue_dev_token(
                settings,
                tenant_id=tenant,
                subject=subject,
                roles=role or ["user"],
                lifetime_seconds=lifetime,
            )
        )
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from exc


@app.command("console")
def operator_console(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    data_dir: ServingDataDir = None,
) -> None:
    """Serve the operator console of a deployment (sign in with a `tenantry.admin` token)."""
    from cli.operations import deployment_settings
    from console.serve import serve_console

    settings = deployment_settings(data_dir, tokens=True)
    console.print(
        f"[bold]tenantry console[/] on http://{host}:{port}; data in {settings.data_dir}.\n"
        f"An operator token: [cyan]tenantry token --tenant contoso --role tenantry.admin "
        f"--data-dir {settings.data_dir}[/]"
    )
    serve_console(settings, host=host, port=port)


@app.command()
def demo(
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 2,
) -> None:
    """A narrated tour against a temporary embedded deployment."""
    from cli.demo import run_demo

    raise typer.Exit(run_demo(workers=workers))


app.add_typer(dlq.app, name="dlq")
app.add_typer(tenants.app, name="tenants")
app.command("replay")(replay.replay)
app.command("audit")(audit.audit)
app.command("capacity")(capacity)


if __name__ == "__main__":
    app()
