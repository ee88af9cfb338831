"""What the operator commands share: the services of a data directory, times, who is acting."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.dev import embedded_settings
from shared.bootstrap import Services, bootstrap

out = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="The deployment's data directory (embedded adapters).")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
Actor = Annotated[
    str | None,
    typer.Option(help="Who is acting, for the audit log (default: $TENANTRY_ACTOR or the user)."),
]
When = Annotated[
    str | None,
    typer.Option(help="An ISO time (UTC if no zone) or an age such as 30m, 2h, 7d."),
]

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


@contextlib.asynccontextmanager
async def services_of(data_dir: Path) -> AsyncIterator[Services]:
    """The services of the deployment whose data is in `data_dir` (or the environment's)."""
    services = bootstrap(embedded_settings(data_dir))
    try:
        yield services
    finally:
        await services.close()


def print_json(value: Any) -> None:
    """JSON on stdout, for scripts."""
    print(json.dumps(value, indent=2, default=str))
