"""User metadata on resources: small, flat, and never allowed to name a tenant."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

TENANT_FIELDS = frozenset({"tenantId", "tenant_id", "tenantid"})

MetadataValue = str | int | float | bool | None


def reject_tenant_fields(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse a `tenantId` a client tries to set: the service sets it from the token."""
    for key in value:
        if key in TENANT_FIELDS or key.lower() in TENANT_FIELDS:
            raise PydanticCustomError(
                "tenant_override", "'{key}' is set by the service from your token", {"key": key}
            )
    return value


def _check_metadata(value: dict[str, MetadataValue]) -> dict[str, MetadataValue]:
    if len(value) > 16:
        raise ValueError("metadata holds at most 16 keys")
    for key, item in value.items():
        if not 0 < len(key) <= 64:
            raise ValueError("metadata keys are 1 to 64 characters")
        if isinstance(item, str) and len(item) > 512:
            raise ValueError("metadata values are at most 512 characters")
    reject_tenant_fields(value)
    return value


Metadata = Annotated[dict[str, MetadataValue], AfterValidator(_check_metadata)]
"""Up to 16 keys of at most 64 characters, values scalar; no tenant field."""


def stamped(metadata: dict[str, MetadataValue], tenant_id: str) -> dict[str, MetadataValue]:
    """The metadata a resource carries: the client's, plus the verified tenant."""
    return {**metadata, "tenantId": tenant_id}
