"""Which tenants a page of the console shows: filtered by a search text, then paged."""

from __future__ import annotations

from dataclasses import dataclass

from shared.tenancy import Tenant, TenantRegistry

MAX_PAGE = 100


@dataclass(frozen=True)
class TenantPage:
    """The tenants of one page and how many match in all."""

    tenants: list[Tenant]
    matching: int


def matches(tenant: Tenant, text: str) -> bool:
    """Whether the search text is part of the tenant's id, name or display name (any case)."""
    needle = text.casefold()
    return any(
        needle in field.casefold() for field in (tenant.id, tenant.name, tenant.display_name)
    )


def tenant_page(registry: TenantRegistry, *, text: str, offset: int, limit: int) -> TenantPage:
    """The matching tenants from `offset`, at most `limit` (registry order)."""
    found = [t for t in registry if matches(t, text)] if text else list(registry)
    return TenantPage(tenants=found[offset : offset + limit], matching=len(found))
