"""Tenants: the registry of who may call, and the scope a handler works in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from shared.limits import TenantLimits
from shared.queues import MAX_LANES

if TYPE_CHECKING:
    from shared.ports.blobs import TenantBlobs
    from shared.ports.engine import TenantEngine
    from shared.ports.search import TenantIndex
    from shared.ports.secrets import TenantSecrets
    from shared.ports.store import TenantStore


TENANT_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
"""A tenant id: no `:`, which separates the tenant from its lane or endpoint in session ids."""


class Tenant(BaseModel):
    """One tenant of the registry (the seed's TenantConfig, plus tenantry's settings)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    id: str = Field(pattern=TENANT_ID, max_length=64)
    name: str = ""
    display_name: str = ""
    lanes: int = Field(
        1,
        ge=1,
        le=MAX_LANES,
        description="Bus sessions the tenant's commands spread over, by order key "
        "(`shared.ordering`): 1 keeps all of them in order; more run commands on different "
        "threads and resources in parallel.",
    )
    limits: TenantLimits = Field(
        default_factory=TenantLimits,
        description="Requests per second, burst, concurrent runs, queued commands; unset fields "
        "take the settings' defaults (`TENANT_REQUESTS_PER_SECOND`, ...).",
    )


_TENANT_LIST = TypeAdapter(list[Tenant])


class TenantRegistry:
    """The tenants that exist; a token naming any other tenant is refused."""

    def __init__(self, tenants: list[Tenant]) -> None:
        self._by_id: Mapping[str, Tenant] = {t.id: t for t in tenants}
        if len(self._by_id) != len(tenants):
            raise ValueError("tenant ids in the registry must be unique")

    @classmethod
    def from_json(cls, raw: str) -> TenantRegistry:
        """Parse the `TENANTS` setting: a JSON list of `{"id", "name", "display_name", ...}`."""
        return cls(_TENANT_LIST.validate_json(raw))

    @classmethod
    def from_file(cls, path: Path) -> TenantRegistry:
        """Read a `TENANTS_FILE` holding the same JSON list."""
        return cls.from_json(path.read_text(encoding="utf-8"))

    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant with this id, or None."""
        return self._by_id.get(tenant_id)

    def __contains__(self, tenant_id: object) -> bool:
        return tenant_id in self._by_id

    def __iter__(self) -> Iterator[Tenant]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


@dataclass(frozen=True)
class TenantScope:
    """What a handler may touch: clients already bound to one verified tenant.

    A handler receives nothing else, so it has no way to name another tenant.
    """

    tenant: Tenant
    store: TenantStore
    engine: TenantEngine
    secrets: TenantSecrets
    blobs: TenantBlobs
    search: TenantIndex

    @property
    def tenant_id(self) -> str:
        return self.tenant.id


@dataclass(frozen=True)
class TenantBound:
    """Base of what works for one verified tenant through its scope: a route's caller, a
    handler's context. It holds no client but the scope's, so it cannot reach another tenant."""

    scope: TenantScope

    @property
    def tenant_id(self) -> str:
        return self.scope.tenant_id

    @property
    def store(self) -> TenantStore:
        """The tenant's partition of the store."""
        return self.scope.store
