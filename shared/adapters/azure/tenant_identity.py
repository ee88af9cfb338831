"""How a tenant reaches Azure: its identity settings in the registry (`azure.identity`).

```json
{"id": "contoso", "azure": {"identity": {"kind": "pooled"}}}
{"id": "fabrikam", "azure": {"identity": {"kind": "managed_identity", "client_id": "..."}}}
{"id": "northwind", "azure": {"identity": {"kind": "confidential_client", "client_id": "...",
  "directory": "<entra tenant id>", "secret_name": "northwind-client-secret"}}}
```
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from shared.tenancy import Tenant


class TenantIdentity(BaseModel):
    """Pooled (the shared identity), a user-assigned managed identity, or a confidential client."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["pooled", "managed_identity", "confidential_client"] = "pooled"
    client_id: str | None = None
    directory: str | None = None
    """The Entra tenant (directory) id of a confidential client."""
    secret_name: str | None = None
    """The shared vault's secret holding the client secret."""
    certificate_name: str | None = None
    """The shared vault's secret holding the client certificate (PEM key and certificate)."""

    @model_validator(mode="after")
    def _complete(self) -> TenantIdentity:
        if self.kind != "pooled" and not self.client_id:
            raise ValueError(f"a {self.kind} identity needs its client_id")
        if self.kind == "confidential_client":
            if not self.directory:
                raise ValueError("a confidential client needs its directory (Entra tenant id)")
            if bool(self.secret_name) == bool(self.certificate_name):
                raise ValueError("a confidential client needs a secret_name or a certificate_name")
        return self


def azure_settings(tenant: Tenant) -> dict[str, Any]:
    """The tenant's `azure` settings from the registry (empty when it has none)."""
    extra = (tenant.model_extra or {}).get("azure") or {}
    if not isinstance(extra, dict):
        raise ValueError(f"tenant {tenant.id}: 'azure' must be an object")
    return extra


def identity_of(tenant: Tenant) -> TenantIdentity:
    """The tenant's identity settings (pooled when the registry says nothing)."""
    return TenantIdentity.model_validate(azure_settings(tenant).get("identity") or {})
