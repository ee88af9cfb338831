"""What the operator commands share: the services of a data directory, times, who is acting."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.data_dir import DataDirNotFound, DeploymentDataDir, existing, for_serving
from cli.dev import SECRET_FILE, embedded_settings, has_dev_secret
from shared.bootstrap import Services, bootstrap
from shared.settings import Settings, load_settings

out = Console()
err = Console(stderr=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Actor = Annotated[
    str | None,
    typer.Option(help="Who is acting, for the audit log (default: $TENANTRY_ACTOR or the user)."),
]
When = Annotated[
    str | None,
    typer.Option(help="An ISO time (UTC if no zone) or an age such as 30m, 2h, 7d."),
]


@dataclass(frozen=True)
class OperatorRun:
    """How an audited operator command runs: on which deployment, in whose name, with what output.

    The options `dlq replay`, `dlq purge` and `replay` share (see `cli.option_groups`).
    """

    json_output: Json = False
    actor: Actor = None
    data_dir: DeploymentDataDir = None

    def actor_name(self) -> str:
        """Who the audit log names."""
        return actor_name(self.actor)


_AGE = re.compile(r"^(\d+)([smhd])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_when(value: str | None, now: datetime | None = None) -> datetime | None:
    """`--since`/`--until`: an ISO time, or an age counted back from now."""
    if value is None:
        return None
    age = _AGE.match(value.strip())
    if age:
        delta = timedelta(**{_UNIT[age.group(2)]: int(age.group(1))})
        return (now or datetime.now(UTC)) - delta
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"not a time or an age: {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def actor_name(given: str | None) -> str:
    """Who the audit log names."""
    return given or os.environ.get("TENANTRY_ACTOR") or f"cli:{getpass.getuser()}"


def deployment_settings(data_dir: Path | None, *, tokens: bool = False) -> Settings:
    """The settings of an existing deployment; exit 2 saying where we looked if there is none.

    Reading a deployment with any embedded adapter, or issuing `tokens` with its development
    secret, needs its existing data directory; nothing is created here, not even a secret.
    """
    configured = load_settings()
    adapters = (
        configured.bus_adapter,
        configured.store_adapter,
        configured.engine_adapter,
        configured.blob_adapter,
        configured.search_adapter,
        configured.secrets_adapter,
    )
    dev_tokens = not (
        configured.jwt_secret_key or configured.jwt_jwks_url or configured.jwt_openid_config_url
    )
    needs_directory = dev_tokens if tokens else "local" in adapters
    if not needs_directory:
        return embedded_settings(for_serving(data_dir), make_secret=False)
    try:
        directory = existing(data_dir)
    except DataDirNotFound as missing:
        err.print(f"[red]{missing}[/]", highlight=False)
        raise typer.Exit(2) from None
    if tokens and dev_tokens and not has_dev_secret(directory):
        err.print(
            f"[red]{directory} has no development secret ({SECRET_FILE}); it was not made by "
            "`tenantry up`. Pass the data directory `tenantry up` uses.[/]",
            highlight=False,
        )
        raise typer.Exit(2)
    return embedded_settings(directory, make_secret=False)


@contextlib.asynccontextmanager
async def services_of(data_dir: Path | None) -> AsyncIterator[Services]:
    """The services of the existing deployment whose data is in `data_dir` (see `cli.data_dir`)."""
    services = bootstrap(deployment_settings(data_dir))
    try:
        yield services
    finally:
        await services.close()


def print_json(value: Any) -> None:
    """JSON on stdout, for scripts."""
    print(json.dumps(value, indent=2, default=str))
