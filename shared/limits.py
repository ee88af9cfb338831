"""Per-tenant limits: what a registry entry may set, and the settings that fill in the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.settings import Settings


class TenantLimits(BaseModel):
    """A registry entry's `limits`; a field left out takes its default from the settings.

    Zero means no limit, for every field but `burst`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_per_second: float | None = Field(None, ge=0)
    burst: int | None = Field(None, ge=1)
    concurrent_runs: int | None = Field(None, ge=0)
    max_queued: int | None = Field(None, ge=0)


@dataclass(frozen=True)
class Limits:
    """The limits in force for one tenant: its entry's, else the settings' defaults."""

    requests_per_second: float
    burst: int
    concurrent_runs: int
    max_queued: int


def limits_of(given: TenantLimits, settings: Settings) -> Limits:
    """The tenant's own limits where it has them, the settings' defaults elsewhere."""
    return Limits(
        requests_per_second=_or(given.requests_per_second, settings.tenant_requests_per_second),
        burst=_or(given.burst, settings.tenant_burst),
        concurrent_runs=_or(given.concurrent_runs, settings.tenant_concurrent_runs),
        max_queued=_or(given.max_queued, settings.tenant_max_queued),
    )


T = TypeVar("T", int, float)


def _or(value: T | None, default: T) -> T:
    return default if value is None else value
