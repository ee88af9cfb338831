"""Where a `tenantry` command finds the deployment's data directory.

In order: `--data-dir`; `TENANTRY_DATA_DIR`; the nearest `.tenantry` in the working directory or
above it. `tenantry up` and `tenantry worker` make `./.tenantry` when none is found; the commands
that only read a deployment (`token`, `dlq`, `replay`, `audit`) never make one, since a new
directory means a new development secret that every later token would fail against: they say
where they looked instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

ENVIRONMENT = "TENANTRY_DATA_DIR"
NAME = ".tenantry"

_LOOKED_FOR = f"${ENVIRONMENT}, else the nearest {NAME} here or above"


def _option(help_text: str) -> Any:
    """The `--data-dir` option with a command's own help."""
    return typer.Option("--data-dir", help=help_text)


ServingDataDir = Annotated[
    Path | None,
    _option(
        "Where the embedded bus, store and engine keep data "
        f"(default: {_LOOKED_FOR}, else ./{NAME})."
    ),
]
"""`--data-dir` of `up` and `worker`, which make the directory (see `for_serving`)."""

DeploymentDataDir = Annotated[
    Path | None,
    _option(
        f"The deployment's data directory (default: {_LOOKED_FOR}); never created by this command."
    ),
]
"""`--data-dir` of the commands that only read a deployment (see `existing`)."""


class DataDirNotFound(Exception):
    """No data directory where a reading command looked; the message says where that was."""


@dataclass
class Search:
    """The directory found (or None) and every place looked at, in order."""

    found: Path | None = None
    looked: list[str] = field(default_factory=list)


def search(given: Path | None = None, cwd: Path | None = None) -> Search:
    """Look for the data directory, without making anything."""
    result = Search()
    if given is not None:
        result.looked.append(f"--data-dir {given}")
        result.found = given if given.is_dir() else None
        return result
    named = os.environ.get(ENVIRONMENT)
    if named:
        result.looked.append(f"{ENVIRONMENT}={named}")
        result.found = Path(named) if Path(named).is_dir() else None
        return result
    result.looked.append(f"{ENVIRONMENT} (unset)")
    here = (cwd or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / NAME
        result.looked.append(str(candidate))
        if candidate.is_dir():
            result.found = candidate
            return result
    return result


def for_serving(given: Path | None = None) -> Path:
    """The directory `up` and `worker` use: the one found, else `./.tenantry` (made on use)."""
    if given is not None:
        return given
    named = os.environ.get(ENVIRONMENT)
    if named:
        return Path(named)
    return search().found or Path(NAME)


def existing(given: Path | None = None) -> Path:
    """The directory of a deployment that exists, or `DataDirNotFound` naming where we looked."""
    result = search(given)
    if result.found is not None:
        return result.found
    places = "\n  ".join(result.looked)
    raise DataDirNotFound(
        "No tenantry data directory found (nothing was created). Looked at:\n  "
        f"{places}\n"
        "Run this where `tenantry up` runs (or below it), set TENANTRY_DATA_DIR, "
        "or pass --data-dir."
    )
