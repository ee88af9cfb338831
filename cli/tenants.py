"""`tenantry tenants add|remove|list`: the operator's side of onboarding (logic in shared/).

The registry file is `TENANTS_FILE`, or `tenants.json` in the data directory, which
`tenantry up` serves when `TENANTS_FILE` is not set. Running processes read the registry when
they start: restart them (or roll the Azure apps) after a change.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from cli.dev import DEFAULT_TENANTS, embedded_settings, registry_path
from cli.option_groups import with_option_groups
from shared import onboarding
from shared.bootstrap import bootstrap
from shared.registry_file import RegistryFile
from shared.settings import Settings, load_settings
from shared.tenancy import Tenant

app = typer.Typer(help="Onboard, list and remove tenants.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="The embedded adapters' data (local deployments).")
]


def _registry(data_dir: Path) -> tuple[RegistryFile, Settings]:
    """The registry file this command manages and the settings to reach the tenants' data."""
    environment = load_settings(data_dir=data_dir)
    if environment.tenants:
        err.print("[red]TENANTS is set inline; set TENANTS_FILE to manage tenants here.[/]")
        raise typer.Exit(2)
    path = environment.tenants_file or registry_path(data_dir)
    registry = RegistryFile(path)
    if not path.exists() and environment.tenants_file is None:
        # Until now `tenantry up` served the seed tenants: keep serving them.
        with registry.editing() as tenants:
            tenants.extend(Tenant.model_validate(t) for t in DEFAULT_TENANTS)
        err.print(f"Created {path} with the seed tenants `tenantry up` served until now.")
    return registry, embedded_settings(data_dir, tenants_file=path)


def _secrets(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, _, variable = pair.partition("=")
        if not name or not variable:
            raise typer.BadParameter(f"expected NAME=ENV_VAR, got {pair!r}", param_hint="--secret")
        if variable not in os.environ:
            raise typer.BadParameter(f"${variable} is not set", param_hint="--secret")
        values[name] = os.environ[variable]
    return values


def _limit(what: str, setting: str, minimum: int = 0) -> Any:
    """The option of one of a tenant's limits, which takes `setting` when left out."""
    return typer.Option(min=minimum, help=f"{what}; default {setting}.")


@dataclass(frozen=True)
class TenantLimitOptions:
    """A tenant's own limits (`shared.limits.TenantLimits`), as `tenants add` takes them."""

    requests_per_second: Annotated[
        float | None, _limit("Requests per second (0: none)", "TENANT_REQUESTS_PER_SECOND")
    ] = None
    burst: Annotated[int | None, _limit("Requests at once", "TENANT_BURST", minimum=1)] = None
    concurrent_runs: Annotated[
        int | None, _limit("Runs in progress at once (0: any)", "TENANT_CONCURRENT_RUNS")
    ] = None
    max_queued: Annotated[
        int | None, _limit("Commands waiting to start (0: any)", "TENANT_MAX_QUEUED")
    ] = None


@app.command()
@with_option_groups
def add(
    *,
    tenant_id: Annotated[str, typer.Argument(help="The id tokens name in extension_tenantId.")],
    name: Annotated[str, typer.Option(help="Short name.")] = "",
    display_name: Annotated[str, typer.Option(help="Name shown to people.")] = "",
    lanes: Annotated[int, typer.Option(min=1, max=64, help="Parallel bus sessions.")] = 1,
    secret: Annotated[
        list[str] | None,
        typer.Option(help="NAME=ENV_VAR: store $ENV_VAR as the tenant's secret NAME; repeat."),
    ] = None,
    limits: TenantLimitOptions,
    azure: Annotated[
        str,
        typer.Option(
            help="The tenant's Azure settings as a JSON object: its own identity, vault, "
            "index or container (README, Azure); none for a pooled tenant."
        ),
    ] = "",
    data_dir: DataDir = Path(".tenantry"),
) -> None:
    """Register a tenant and set its secrets."""
    extra: dict[str, object] = {}
    if azure:
        try:
            extra["azure"] = json.loads(azure)
        except json.JSONDecodeError as exc:
            raise typer.BadParameter(f"not JSON: {exc}", param_hint="--azure") from exc
        if not isinstance(extra["azure"], dict):
            raise typer.BadParameter("a JSON object is expected", param_hint="--azure")
    try:
        tenant = Tenant.model_validate(
            {
                "id": tenant_id,
                "name": name or tenant_id,
                "display_name": display_name,
                "lanes": lanes,
                "limits": asdict(limits),
                **extra,
            }
        )
    except ValidationError as exc:
        raise typer.BadParameter(str(exc.errors()[0]["msg"]), param_hint="TENANT_ID") from exc
    values = _secrets(secret or [])
    registry, settings = _registry(data_dir)
    try:
        onboarding.register(registry, tenant)
    except onboarding.TenantExists:
        err.print(f"[red]Tenant {tenant_id} is already registered in {registry.path}.[/]")
        raise typer.Exit(1) from None

    async def set_secrets() -> list[str]:
        services = bootstrap(settings)
        try:
            return await onboarding.provision(services, tenant.id, values)
        finally:
            await services.close()

    names = asyncio.run(set_secrets())
    out.print(f"Registered [bold]{tenant.id}[/] in {registry.path}.")
    if names:
        out.print(f"Secrets set: {', '.join(names)}.")
    out.print("Restart the ingress and workers (or roll the Azure apps) to serve it.")


@app.command()
def remove(
    tenant_id: Annotated[str, typer.Argument(help="The tenant to remove with all its data.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    data_dir: DataDir = Path(".tenantry"),
) -> None:
    """Delete a tenant's data everywhere, then unregister it; prints what was deleted."""
    registry, settings = _registry(data_dir)
    if not yes:
        typer.confirm(f"Delete every piece of data of tenant {tenant_id}?", abort=True)

    async def run() -> onboarding.Removal:
        services = bootstrap(settings)
        try:
            return await onboarding.remove(services, registry, tenant_id)
        finally:
            await services.close()

    removal = asyncio.run(run())
    table = Table(title=f"Deleted for tenant {tenant_id}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind, count in removal.deleted.items():
        table.add_row(kind, str(count))
    out.print(table)
    out.print(
        f"{'Removed from' if removal.unregistered else 'Was not in'} the registry {registry.path}."
    )
    for left in removal.not_purged:
        err.print(f"[yellow]Not purged:[/] {left}")
    for session in removal.busy_sessions:
        err.print(f"[yellow]Busy, not drained:[/] {session} (run the removal again)")
    if not removal.complete:
        raise typer.Exit(1)


@app.command("list")
def list_tenants(data_dir: DataDir = Path(".tenantry")) -> None:
    """The registered tenants."""
    registry, _ = _registry(data_dir)
    table = Table(title=str(registry.path))
    for column in ("id", "name", "display name", "lanes", "limits"):
        table.add_column(column)
    for tenant in registry.read():
        limits = tenant.limits.model_dump(exclude_none=True)
        shown = ", ".join(f"{k}={v:g}" for k, v in limits.items()) or "defaults"
        table.add_row(tenant.id, tenant.name, tenant.display_name, str(tenant.lanes), shown)
    out.print(table)
